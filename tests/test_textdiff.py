"""The conflict review's word diff: what a side added to or removed from the last agreed text."""

from hypothesis import given
from hypothesis import strategies as st

from calsync.textdiff import ADDED, REMOVED, SAME, Piece, changed, word_diff


def test_an_inserted_sentence_is_the_only_added_piece():
    pieces = word_diff("Annual service of units 1 and 2.", "Annual service of units 1 and 2. Bring a ladder.")
    assert [p for p in pieces if p.op != SAME] == [Piece(ADDED, " Bring a ladder.")]


def test_a_replaced_word_reads_as_removed_then_added():
    pieces = word_diff("Gate code 1234, ring twice", "Gate code 9876, ring twice")
    assert pieces == [Piece(SAME, "Gate code "), Piece(REMOVED, "1234"), Piece(ADDED, "9876"),
                      Piece(SAME, ", ring twice")]


def test_equal_texts_have_no_change_and_empty_sides_are_whole_additions_or_removals():
    assert not changed(word_diff("same words", "same words"))
    assert word_diff("", "new note") == [Piece(ADDED, "new note")]
    assert word_diff("old note", "") == [Piece(REMOVED, "old note")]
    assert word_diff(None, None) == []


@given(st.text(max_size=60), st.text(max_size=60))
def test_the_pieces_rebuild_both_texts(before, after):
    pieces = word_diff(before, after)
    assert "".join(p.text for p in pieces if p.op != ADDED) == before
    assert "".join(p.text for p in pieces if p.op != REMOVED) == after
