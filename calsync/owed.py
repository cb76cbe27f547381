"""Which links a job's change leaves owing a push: the one rule the addon's triggers and the memory store share."""

from __future__ import annotations


def owes_push(state: str, held, carried: bool, written_by_this_link: bool = False) -> bool:
    """Whether a job's edit marks this link ``pending_push``.

    A field conflict still lets the other fields flow (``held``); a deletion under review (a
    conflict with nothing held) waits for its reviewer, unless the job left this calendar;
    the link whose own calendar is writing the change owes nothing; a tombstone never does.
    """
    if written_by_this_link or state == "tombstone":
        return False
    return state != "conflict" or bool(held) or not carried
