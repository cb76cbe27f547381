"""Line-level three-way merge of the notes, so that two people adding different lines never need a reviewer.

Each side is aligned against the base with ``difflib`` into hunks (a run of base
lines replaced by other lines, possibly none: an insertion). Hunks of the two
sides that overlap or touch (no unchanged line between them) form one region:

- a region only one side changed takes that side's lines;
- a region where both sides only inserted lines at the same place keeps both, the job's first
  (both appending at the end is the common case);
- a region both sides changed to the same lines takes them once;
- any other region clashes: the merge is not clean, and the result marks it
  (``segments``) for the reviewer, with both sides' lines, the job's first, as the merged text.

Works on plain-text notes as ``mapping.normalise_notes`` produces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

JOB, CALENDAR, SAME = "job", "calendar", "same"


@dataclass(frozen=True)
class Hunk:
    side: str
    lo: int  # base lines [lo, hi) are replaced by ``lines``
    hi: int
    lines: tuple[str, ...]

    @property
    def inserts_only(self) -> bool:
        return self.lo == self.hi


@dataclass(frozen=True)
class NotesMerge:
    """``text``: the merged notes (clashing regions: the job's lines, then the calendar's).

    ``segments``: (kind, lines) in order, kind SAME for lines taken without a clash, JOB / CALENDAR for
    each side's version of a clashing region. ``job_added`` / ``calendar_added``: the lines each side
    brought in (for the timeline).
    """

    text: str
    clean: bool
    segments: tuple[tuple[str, tuple[str, ...]], ...]
    job_added: tuple[str, ...]
    calendar_added: tuple[str, ...]


def _lines(text: str) -> list[str]:
    return text.split("\n") if text else []


def _hunks(side: str, base: list[str], other: list[str]) -> list[Hunk]:
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [Hunk(side, i1, i2, tuple(other[j1:j2]))
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _regions(hunks: list[Hunk]) -> list[list[Hunk]]:
    """Hunks sorted by base position, grouped where they overlap or touch (touching counts: adjacent lines)."""
    regions: list[list[Hunk]] = []
    end = -1
    for hunk in sorted(hunks, key=lambda h: (h.lo, h.hi, h.side != JOB)):
        if regions and hunk.lo <= end:
            regions[-1].append(hunk)
            end = max(end, hunk.hi)
        else:
            regions.append([hunk])
            end = hunk.hi
    return regions


def _side_version(base: list[str], lo: int, hi: int, hunks: list[Hunk]) -> tuple[str, ...]:
    """Base lines [lo, hi) with one side's hunks of the region applied."""
    out, cursor = [], lo
    for hunk in hunks:
        out.extend(base[cursor:hunk.lo])
        out.extend(hunk.lines)
        cursor = hunk.hi
    out.extend(base[cursor:hi])
    return tuple(out)


def merge_notes(base: str, job: str, calendar: str) -> NotesMerge:
    """Merge the job's and the calendar's notes, both edited since ``base``."""
    base_lines = _lines(base)
    job_hunks = _hunks(JOB, base_lines, _lines(job))
    calendar_hunks = _hunks(CALENDAR, base_lines, _lines(calendar))
    segments: list[tuple[str, tuple[str, ...]]] = []
    clean, cursor = True, 0

    def take(kind, lines):
        if lines:
            segments.append((kind, tuple(lines)))

    for region in _regions(job_hunks + calendar_hunks):
        lo, hi = min(h.lo for h in region), max(h.hi for h in region)
        take(SAME, base_lines[cursor:lo])
        cursor = hi
        mine = [h for h in region if h.side == JOB]
        theirs = [h for h in region if h.side == CALENDAR]
        job_version = _side_version(base_lines, lo, hi, mine)
        calendar_version = _side_version(base_lines, lo, hi, theirs)
        if not theirs:
            take(SAME, job_version)
        elif not mine or job_version == calendar_version:
            take(SAME, calendar_version)
        elif all(h.inserts_only for h in region) and len(mine) == len(theirs) == 1:
            # both only added lines at the same place: keep both, the job's first
            take(SAME, mine[0].lines + theirs[0].lines)
        else:
            clean = False  # each side's version, even an empty one (a deletion), is shown
            segments.append((JOB, job_version))
            segments.append((CALENDAR, calendar_version))
    take(SAME, base_lines[cursor:])
    text = "\n".join(line for _kind, lines in segments for line in lines)
    return NotesMerge(text=text, clean=clean, segments=tuple(segments),
                      job_added=_added(base_lines, job_hunks), calendar_added=_added(base_lines, calendar_hunks))


def _added(base: list[str], hunks: list[Hunk]) -> tuple[str, ...]:
    """The lines a side brought in that the base did not have at that place, blank lines left out."""
    out = []
    for hunk in hunks:
        replaced = set(base[hunk.lo:hunk.hi])
        out.extend(line for line in hunk.lines if line and line not in replaced)
    return tuple(out)
