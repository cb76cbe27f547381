"""The engine's notices (``calsync.notices``) worded for users, in their language.

The engine says what happened as a code and values; each code has one translatable sentence here,
with the same placeholders as the engine's English, so chatter notes, link errors and the sync
timeline read in the user's language. A code this file does not know falls back to the English.
"""

from calsync.notices import Notice


def _field(env, name):
    labels = {"start": env._("Start"), "end": env._("End"), "notes": env._("Notes"), "title": env._("Title"),
              "location": env._("Location"), "crew": env._("Crew"), "cancelled": env._("Cancelled")}
    return labels.get(name, name)


def _changes(env, notice):
    items = notice.get("changes") or ()
    if notice.code == "job_owned_restored":
        return "; ".join(env._("%(field)s to %(value)s", field=_field(env, name), value=value) for name, value in items)
    return "; ".join(f"{_field(env, name)}: {before} → {after}" for name, before, after in items)


def words(env, message):
    """``message`` in the user's language: a notice worded, text (already worded by the addon) unchanged."""
    if not isinstance(message, Notice):
        return message
    code, get = message.code, message.get
    if code == "item_failed":
        label = get("label") or ""
        return env._("%(job)s was not synced: %(problem)s. Correct the job (or its event) and it syncs again; the "
                     "other jobs are not held up.", job=label[:1].upper() + label[1:],
                     problem=words(env, get("problem")))
    if code == "end_not_after_start":
        return env._("its end is not after its start")
    if code == "calendar_refused":
        return env._("the calendar refused it (%s)", get("error"))
    if code == "event_unreadable":
        return env._("its calendar event cannot be read (%s)", get("error"))
    if code == "event_unusable":
        return env._("its calendar event cannot be used (%s)", get("error"))
    if code == "change_not_applied":
        return env._("the calendar's change was not applied: with it, %s", words(env, get("problem")))
    if code == "job_changed":
        return env._("The calendar changed this job: %s", _changes(env, message))
    if code == "job_owned_restored":
        return env._("The calendar changed %s, which the job owns; the job's value is restored on the calendar.",
                     _changes(env, message))
    if code == "cancelled_by_calendar":
        return env._("The calendar deleted this job's event: the job is cancelled.")
    if code == "cancelled_after_deletion":
        return env._("Cancelled after the calendar deleted the event.")
    if code == "conflict_resolved":
        return env._("Conflict resolved.")
    if code == "mass_deletion_held":
        return env._("The calendar reported %(deletions)s of its %(total)s jobs' events deleted at once. Nothing "
                     "was applied: check the calendar, then confirm or discard the held changes.",
                     deletions=get("deletions"), total=get("total"))
    return str(message)
