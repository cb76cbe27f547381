"""A technician's free slots for a job (calsync.slots): busy blocks and their other jobs together, never the
job being placed, in working hours of their time zone (DST included), and the working-hours setting's rules."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from calsync.availability import BusyBlock
from calsync.google import GoogleCalendarClient
from calsync.slots import FreeSlot, jobs_as_busy, slots_for_job, working_hours

from .google_fixtures import sign_in

UTC = timezone.utc
MONDAY = datetime(2027, 1, 4, tzinfo=UTC)
HOUR = timedelta(hours=1)


def at(hours, day=MONDAY):
    return day + timedelta(hours=hours)


def pairs(slots):
    return [(slot.start, slot.end) for slot in slots]


def test_other_jobs_are_busy_and_the_job_placed_is_not():
    placed = (at(10), at(11))
    others = [(at(13), at(14)), placed]
    slots = slots_for_job([BusyBlock(at(9), at(10))], others, at(0), at(24), HOUR, placed=placed)
    assert pairs(slots) == [(at(8), at(9)), (at(10), at(13)), (at(14), at(17))]


def test_jobs_as_busy_skips_the_placed_job_once_and_unscheduled_ones():
    twin = (at(10), at(11))
    blocks = jobs_as_busy([twin, twin, (at(12), None), (at(15), at(15))], skip=twin)
    assert [(b.start, b.end, b.status) for b in blocks] == [(at(10), at(11), "busy")]


def test_a_job_overlapping_a_busy_block_merges_with_it():
    slots = slots_for_job([BusyBlock(at(9), at(11), "tentative")], [(at(10), at(12))], at(0), at(24), 2 * HOUR)
    assert pairs(slots) == [(at(12), at(17))], "08:00-09:00 is too short for two hours"


def test_slots_shorter_than_the_job_are_not_offered_and_the_list_is_capped():
    slots = slots_for_job([BusyBlock(at(8.5), at(16.5))], [], at(0), at(24), HOUR)
    assert slots == []
    many = slots_for_job([], [], at(0), at(24 * 28), HOUR, limit=3)
    assert pairs(many) == [(at(8), at(17)), (at(32), at(41)), (at(56), at(65))]
    assert many[0].job_end(HOUR) == at(9)


def test_slots_follow_the_technicians_wall_clock_across_dst():
    # New York moves to daylight time on Sunday 14 March 2027: 08:00 local is 13:00 UTC on Friday 12,
    # 12:00 UTC on Monday 15; a job of the technician at 09:00-10:00 local on Monday blocks 13:00-14:00 UTC
    start, end = datetime(2027, 3, 12, tzinfo=UTC), datetime(2027, 3, 16, tzinfo=UTC)
    monday_job = (datetime(2027, 3, 15, 13, tzinfo=UTC), datetime(2027, 3, 15, 14, tzinfo=UTC))
    slots = slots_for_job([], [monday_job], start, end, HOUR, "America/New_York", hours=(8, 12))
    assert pairs(slots) == [
        (datetime(2027, 3, 12, 13, tzinfo=UTC), datetime(2027, 3, 12, 17, tzinfo=UTC)),
        (datetime(2027, 3, 15, 12, tzinfo=UTC), datetime(2027, 3, 15, 13, tzinfo=UTC)),
        (datetime(2027, 3, 15, 14, tzinfo=UTC), datetime(2027, 3, 15, 16, tzinfo=UTC)),
    ]


def test_the_window_clips_the_first_day():
    slots = slots_for_job([], [], at(10.25), at(15), HOUR)
    assert slots == [FreeSlot(at(10.25), at(15))]
    assert slots_for_job([], [], at(15), at(10), HOUR) == []


def test_working_hours_rules():
    assert working_hours(8.5, 17.75) == (time(8, 30), time(17, 45))
    assert working_hours(0, 23.5) == (time(0), time(23, 30))
    for bad in ((17, 8), (8, 8), (-1, 8), (8, 24)):
        with pytest.raises(ValueError):
            working_hours(*bad)
    with pytest.raises(ValueError):
        slots_for_job([], [], at(0), at(24), timedelta(0))


def test_slots_around_what_google_answers(config, account, emulator):
    """The busy blocks as the real client reads them from the emulator, a DST week in Paris."""
    google = GoogleCalendarClient(config, sign_in(config, account), sleep=lambda s: None)
    friday = datetime(2027, 3, 26, tzinfo=UTC)
    monday = datetime(2027, 3, 29, tzinfo=UTC)
    emulator.person_create(account, {"title": "Dentist", "start": friday + timedelta(hours=8),
                                     "end": friday + timedelta(hours=9)})
    blocks = google.busy_times(None, friday, monday + timedelta(days=1))["primary"].blocks
    other_job = (monday + timedelta(hours=7), monday + timedelta(hours=8))  # 09:00-10:00 Paris (CEST)
    slots = slots_for_job(blocks, [other_job], friday, monday + timedelta(days=1), HOUR, "Europe/Paris")
    assert pairs(slots) == [
        (friday + timedelta(hours=7), friday + timedelta(hours=8)),  # 08:00-09:00 CET
        (friday + timedelta(hours=9), friday + timedelta(hours=16)),
        (monday + timedelta(hours=6), monday + timedelta(hours=7)),  # 08:00 CEST is 06:00 UTC
        (monday + timedelta(hours=8), monday + timedelta(hours=15)),
    ]
