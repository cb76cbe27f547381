"""The engine's notices: each code renders its English with the values the engine gives it."""

from calsync.notices import ENGLISH, Notice

SAMPLES = {
    "item_failed": {"label": "job FSO1", "problem": Notice.of("end_not_after_start")},
    "calendar_refused": {"error": "400 Bad Request"},
    "event_unreadable": {"error": "no start"},
    "event_unusable": {"error": "no start"},
    "change_not_applied": {"problem": Notice.of("end_not_after_start")},
    "job_changed": {"changes": (("start", "Mon 9:00", "Mon 10:00"), ("notes", "a", "b"))},
    "job_owned_restored": {"changes": (("title", "Boiler"),)},
    "mass_deletion_held": {"deletions": 4, "total": 6},
}


def test_every_code_renders_its_english():
    for code in ENGLISH:
        text = str(Notice.of(code, **SAMPLES.get(code, {})))
        assert text and "{" not in text, (code, text)


def test_nested_notices_and_changes_read_as_sentences():
    failed = Notice.of("item_failed", **SAMPLES["item_failed"])
    assert str(failed).startswith("Job FSO1 was not synced: its end is not after its start.")
    assert str(Notice.of("job_changed", **SAMPLES["job_changed"])) == (
        "The calendar changed this job: start: Mon 9:00 → Mon 10:00; notes: a → b")
    assert str(Notice.of("job_owned_restored", **SAMPLES["job_owned_restored"])).startswith(
        "The calendar changed title to Boiler, which the job owns")
    assert Notice.of("x", b=1, a=2) == Notice.of("x", a=2, b=1), "values are kept in one order: notices compare"
