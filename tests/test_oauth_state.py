"""OAuth state: bound to user and company, tamper-evident, short-lived."""

import pytest

from calsync.oauth_state import InvalidState, issue_state, verify_state

SECRET = "database-secret-for-tests"


def test_a_fresh_state_verifies_for_its_user_and_company():
    state, nonce = issue_state(SECRET, user_id=7, company_id=1, now=1000)
    assert verify_state(SECRET, state, 7, 1, now=1010) == nonce


@pytest.mark.parametrize("user_id,company_id", [(8, 1), (7, 2)])
def test_another_user_or_company_is_refused(user_id, company_id):
    state, _ = issue_state(SECRET, user_id=7, company_id=1, now=1000)
    with pytest.raises(InvalidState):
        verify_state(SECRET, state, user_id, company_id, now=1010)


def test_tampering_is_refused():
    state, _ = issue_state(SECRET, 7, 1, now=1000)
    nonce, issued, signature = state.split(".")
    for forged in (f"{nonce}x.{issued}.{signature}", f"{nonce}.{int(issued) + 1}.{signature}",
                   f"{nonce}.{issued}.{signature[:-2]}AA", "", "a.b", "..."):
        with pytest.raises(InvalidState):
            verify_state(SECRET, forged, 7, 1, now=1010)


def test_another_secret_is_refused():
    state, _ = issue_state(SECRET, 7, 1, now=1000)
    with pytest.raises(InvalidState):
        verify_state("another-database", state, 7, 1, now=1010)


def test_an_old_state_is_refused():
    state, _ = issue_state(SECRET, 7, 1, now=1000)
    with pytest.raises(InvalidState, match="expired"):
        verify_state(SECRET, state, 7, 1, now=1000 + 16 * 60)


def test_nonces_are_unique():
    assert len({issue_state(SECRET, 7, 1)[1] for _ in range(200)}) == 200
