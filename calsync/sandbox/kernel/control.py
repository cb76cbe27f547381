"""The control API: one set of action names for both emulators.

``POST /_sandbox/<action>`` with a JSON object of the method's arguments calls
the in-process method of the same name; tests, the soak, the security suite and
the benchmarks use either. The actions here are those both emulators have; a
provider adds its own (Graph's ``send_lifecycle``) through ``extra_actions``.
"""

from __future__ import annotations


def shared_actions(emu) -> dict:
    """Action name -> function of the JSON payload; each returns a JSON-able dict or None ("ok")."""
    return {
        "inject_fault": lambda p: emu.inject_fault(p["kind"], p.get("count", 1), p.get("retry_after"),
                                                   p.get("delay"), p.get("path_contains"), p.get("after", 0)),
        # an admin creates a user, as the Admin SDK's users.insert (developers.google.com/admin-sdk/directory/
        # reference/rest/v1/users/insert) or Graph's "Create user" (POST /users, learn.microsoft.com/graph/api/
        # user-post-users) would: the account exists, nobody signed in. A sandbox-only shortcut: the providers'
        # calendar APIs have no such call, and the emulated APIs are unchanged by it
        "create_account": lambda p: {"account": emu.create_account(p["account"])},
        "person_create": lambda p: {"id": emu.person_create(p["account"], p.get("fields", {}),
                                                            p.get("calendar_id"))},
        "person_create_series": lambda p: {"id": emu.person_create_series(p["account"], p.get("fields", {}),
                                                                          p["rrule"])},
        "person_edit": lambda p: emu.person_edit(p["id"], p.get("fields", {}), p.get("account")),
        "person_delete": lambda p: emu.person_delete(p["id"], p.get("account")),
        "occurrence_ids": lambda p: {"ids": emu.occurrence_ids(p["id"], p.get("account"))},
        "expire_sync_state": lambda p: emu.expire_sync_state(p.get("account")),
        "expire_access_tokens": lambda p: emu.expire_access_tokens(),
        "revoke_consent": lambda p: emu.revoke_consent(p["account"]),
        "advance_clock": lambda p: emu.advance_clock(p.get("seconds", 0)),
        "requests_log": lambda p: {"requests": emu.requests_log()},
        "round_trips": lambda p: {"round_trips": dict(emu.round_trips)},
        # what the provider knows of each webhook registration (Google channel, Graph subscription), secret
        # included: lets a load test send provider-shaped notifications without waiting for real edits
        "webhooks": lambda p: {"webhooks": emu.webhooks()},
        "set_quota": lambda p: emu.set_quota(p.get("per_window"), p.get("window"), p.get("enforce")),
        # every secret issued or received so far (see issued.py): for leak scans of the product
        "secrets": lambda p: {"secrets": emu.issued.listing()},
        "reset": lambda p: emu.reset(),
        "seed_demo": lambda p: emu.seed_demo(),
        "live_events": lambda p: {"events": emu.live_events(p["account"])},
    }


def run_action(actions: dict, action: str, payload) -> tuple[int, dict]:
    """(status, answer) of one control request: 404 for an unknown action, 400 for a bad payload."""
    if action not in actions:
        return 404, {"error": "unknown control action"}
    if not isinstance(payload, dict):
        return 400, {"error": "the payload must be a JSON object"}
    try:
        return 200, actions[action](payload) or {"ok": True}
    except (KeyError, TypeError, ValueError) as exc:
        return 400, {"error": f"bad control payload: {exc!r}"}
