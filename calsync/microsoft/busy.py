"""getSchedule bodies and answers: 20 mailboxes and under 42 days per call, items as ``BusyBlock`` values.

Graph answers one scheduleItem per event with a status and, with enough access, its subject and
location: those are dropped here, on receipt; only start, end and a busy status are kept
(busy, tentative, oof; free, workingElsewhere and unknown leave the person free). A mailbox
Graph cannot read comes with its own ``error`` (freeBusyError), beside those it could.
"""

from __future__ import annotations

from datetime import timedelta

from ..availability import BusyBlock, CalendarBusy, busy_status, normalize, own_of, split_window
from ..errors import InvalidEvent
from ..timeutil import local_wall_time

# calendar: getSchedule and the free/busy guide: "up to 20 entities at once" (Graph accepts 100, #7047),
# and a window the docs long gave as 42 days (62 since microsoft-graph-docs PR #19703): we stay within both
MAX_SCHEDULES = 20
MAX_WINDOW = timedelta(days=42)
STAMP = "%Y-%m-%dT%H:%M:%S"


def schedule_bodies(addresses, start, end, interval=30) -> list[dict]:
    """Request bodies: each group of 20 addresses over each piece of the window (UTC wall times)."""
    return [{"schedules": addresses[i:i + MAX_SCHEDULES],
             "startTime": {"dateTime": low.strftime(STAMP), "timeZone": "UTC"},
             "endTime": {"dateTime": high.strftime(STAMP), "timeZone": "UTC"},
             "availabilityViewInterval": interval}
            for low, high in split_window(start, end, MAX_WINDOW)
            for i in range(0, len(addresses), MAX_SCHEDULES)]


def _item_block(item, low, high):
    """A scheduleItem as a block clipped to its call's window, or None (a free status); subject and location
    are never read. Clipping makes an event that spans two calls two touching pieces, merged later."""
    status = busy_status(item.get("status"))
    if status is None:
        return None
    start = local_wall_time(item["start"]["dateTime"], item["start"].get("timeZone") or "UTC")
    end = local_wall_time(item["end"]["dateTime"], item["end"].get("timeZone") or "UTC")
    start, end = max(start, low), min(end, high)
    return BusyBlock(start, end, status) if end > start else None


def collect(answer, low, high, blocks: dict, errors: dict) -> None:
    """One getSchedule answer's blocks (``blocks[address]``) and errors (``errors[address]``)."""
    for info in (answer or {}).get("value") or []:
        if not isinstance(info, dict) or not info.get("scheduleId"):
            continue
        address = info["scheduleId"]
        error = info.get("error")
        if error:
            errors[address] = (error.get("responseCode") if isinstance(error, dict) else None) or "error"
            continue
        try:
            found = [_item_block(item, low, high) for item in info.get("scheduleItems") or []]
        except (InvalidEvent, KeyError, TypeError, AttributeError):
            errors[address] = "unreadable answer"
            continue
        blocks.setdefault(address, []).extend(b for b in found if b is not None)


def results(asked, blocks, errors, start, end, own) -> dict[str, CalendarBusy]:
    """Each asked address's result; Graph answers ``scheduleId`` as asked, compared here without case."""
    lower_blocks = {a.lower(): b for a, b in blocks.items()}
    lower_errors = {a.lower(): e for a, e in errors.items()}
    out = {}
    for address in asked:
        key = address.lower()
        if key in lower_errors:
            out[address] = CalendarBusy(address, error=lower_errors[key])
        elif key in lower_blocks:
            out[address] = CalendarBusy(address, normalize(lower_blocks[key], start, end, own_of(own, address)))
        else:
            out[address] = CalendarBusy(address, error="missing")
    return out
