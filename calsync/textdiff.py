"""What each side added or removed in a text since the last agreed value, for the conflict review.

The review shows the base next to the job's and the calendar's values; in long notes a
changed word is hard to spot. ``word_diff`` says, word by word, what turned the base into
a side's value; the addon only renders the pieces.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

SAME, ADDED, REMOVED = "same", "added", "removed"
# words, runs of spaces and single punctuation marks: an edit inside a sentence stays small
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Piece:
    """A run of text that both have (``same``), or that only the newer text has (``added``) or lost."""

    op: str
    text: str


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text or "")


def word_diff(before: str, after: str) -> list[Piece]:
    """The pieces that turn ``before`` into ``after``, in reading order; neighbours of one kind are merged."""
    old, new = _tokens(before), _tokens(after)
    pieces: list[Piece] = []

    def add(op: str, tokens: list[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if pieces and pieces[-1].op == op:
            pieces[-1] = Piece(op, pieces[-1].text + text)
        else:
            pieces.append(Piece(op, text))

    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add(SAME, old[i1:i2])
        else:  # a replacement reads as the old words struck, then the new ones
            add(REMOVED, old[i1:i2])
            add(ADDED, new[j1:j2])
    return pieces


def changed(pieces: list[Piece]) -> bool:
    """Some piece was added or removed."""
    return any(piece.op != SAME for piece in pieces)
