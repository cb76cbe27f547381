"""The one "which links are owed" rule (``calsync.owed.owes_push``), as the addon's triggers and MemoryStore use it."""

import pytest

from calsync.owed import owes_push


@pytest.mark.parametrize(("state", "held", "carried", "own", "owed"), [
    ("in_sync", None, True, False, True),
    ("error", None, True, False, True),  # an edit is how a dispatcher fixes a job in error
    ("conflict", {"notes": "x"}, True, False, True),  # a field conflict: the other fields still flow
    ("conflict", None, True, False, False),  # a deletion under review waits for its reviewer...
    ("conflict", None, False, False, True),  # ...unless the job left this calendar
    ("in_sync", None, True, True, False),  # the calendar writing this change owes nothing
    ("tombstone", None, True, False, False),
])
def test_owes_push(state, held, carried, own, owed):
    assert owes_push(state, held, carried, own) is owed
