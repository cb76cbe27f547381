"""The three-way, per-field change rules: the heart of 'no silent overwrite'.

For each field, compare the job (local), the event (remote) and the base (the
value both last agreed on):

- only one side differs from the base: that side's value goes to the other;
- both differ and agree with each other: nothing to send, the base moves;
- both differ and disagree: a conflict; neither side is written for that field.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MergeOutcome:
    to_local: dict = field(default_factory=dict)  # remote-only changes: apply to the job
    to_remote: dict = field(default_factory=dict)  # local-only changes: push to the calendar
    agreed: dict = field(default_factory=dict)  # the new base of each field not in conflict (pushes pending)
    conflicts: dict = field(default_factory=dict)  # field -> (base, local, remote)


def three_way(base: dict, local: dict, remote: dict) -> MergeOutcome:
    to_local, to_remote, agreed, conflicts = {}, {}, {}, {}
    for name in base.keys() | local.keys() | remote.keys():
        b, mine, theirs = base.get(name), local.get(name), remote.get(name)
        if mine == theirs:
            agreed[name] = mine
        elif mine == b:
            to_local[name] = agreed[name] = theirs
        elif theirs == b:
            # the base keeps the old value until the provider confirms the push
            to_remote[name] = mine
            agreed[name] = b
        else:
            conflicts[name] = (b, mine, theirs)
    return MergeOutcome(to_local, to_remote, agreed, conflicts)
