"""Phase 3: probing as each company's users and as a visitor with no session."""

from __future__ import annotations

import json
import os
import re

from devtools.security.common import (
    ADDON,
    ADDON_MODELS,
    CALLBACK,
    FERNET_MARK,
    MANAGER_BUTTONS,
    PRIVATE_METHODS,
    ROOT,
    SECRET_FIELDS,
    WIZARDS,
    WRITE_PROBE,
    Client,
    changed,
)


# -- 3. probing as a dispatcher of A and as a user of B ---------------------------------------------------------------
def public_methods():
    """Public methods (callable through call_kw) the addon defines, by model, read from its source."""
    found = {}
    base = os.path.join(ROOT, ADDON)
    for folder in ("models", "wizard"):
        for name in sorted(os.listdir(os.path.join(base, folder))):
            if not name.endswith(".py"):
                continue
            with open(os.path.join(base, folder, name)) as handle:
                source = handle.read()
            for block in re.split(r"^class ", source, flags=re.M)[1:]:
                model = re.search(r'_name = "([\w.]+)"', block) or re.search(r'_inherit = "([\w.]+)"', block)
                if not model:
                    continue
                methods = re.findall(r"^    def ([a-z]\w*)\(self", block, flags=re.M)
                methods += re.findall(r"^    ([a-z]\w*) = (?:action_\w+)$", block, flags=re.M)
                skip = {"create", "write", "unlink", "default_get", "init", "copy", "get_values", "set_values"}
                found.setdefault(model.group(1), set()).update(m for m in methods if m not in skip)
    return found


def leaks_in(needles, text):
    """The secrets found in an answer, and any ciphertext at all (a non-admin must not get even that)."""
    hits = needles.find_text(text)
    if FERNET_MARK in text:
        hits.append(("encrypted blob", "ciphertext"))
    return hits


def add_responses_row(results, needles, client, label):
    """One row for everything ``client`` received during its probe: no secret, no ciphertext in any of it."""
    found = leaks_in(needles, "\n".join(client.seen))
    results.add(f"every response {label} received ({len(client.seen)})",
                f"secrets found: {sorted({k for k, _f in found})}" if found else "no secret, no ciphertext",
                "no secret, no ciphertext", not found)


def served_nothing(answer):
    """A binary route gave nothing away: refused, empty, or Odoo's placeholder image (no ciphertext in it)."""
    return (answer.status_code != 200 or not answer.content or
            (answer.headers.get("Content-Type", "").startswith("image/") and
             FERNET_MARK not in answer.content.decode("latin-1")))


def probe_user(product, world, results, client, own_company, other_company, label):
    results.section(f"probe {label}", f"3. Probing as {label}")
    needles = world.needles

    def record(what, answer_text, outcome, expected, ok):
        found = leaks_in(needles, answer_text)
        if found:
            outcome += f"; LEAKS {sorted({k for k, _f in found})}"
        return results.add(what, outcome, expected, ok and not found)

    def refused(answer):
        return not answer.ok

    foreign, own = {}, {}
    for model, table in ADDON_MODELS.items():
        foreign[model] = [int(r[0]) for r in product.rows(f"SELECT id FROM {table} WHERE company_id = {other_company}")]
        # a technician's own calendar is not among the calendars the user may see (probed on its own below)
        mine = " AND self_service_user_id IS NULL" if model == "fieldops.calendar.connection" else ""
        own[model] = [int(r[0]) for r in product.rows(f"SELECT id FROM {table} WHERE company_id = {own_company}{mine}")]
    conn_ids_other = foreign["fieldops.calendar.connection"]
    conn_ids_own = own["fieldops.calendar.connection"]
    models_sql = ", ".join(f"'{m}'" for m in [*ADDON_MODELS, *WIZARDS])
    foreign["queue.job"] = [int(r[0]) for r in product.rows(
        f"SELECT id FROM queue_job WHERE company_id = {other_company} AND model_name IN ({models_sql})")]
    own["queue.job"] = [int(r[0]) for r in product.rows(
        f"SELECT id FROM queue_job WHERE company_id = {own_company} AND model_name IN ({models_sql})")]
    foreign["mail.message"] = [int(r[0]) for r in product.rows(
        "SELECT id FROM mail_message WHERE model = 'fieldops.calendar.connection' AND res_id IN "
        f"({','.join(map(str, conn_ids_other)) or 0})")]
    foreign["mail.tracking.value"] = [int(r[0]) for r in product.rows(
        "SELECT t.id FROM mail_tracking_value t JOIN mail_message m ON m.id = t.mail_message_id WHERE "
        f"m.model IN ({models_sql}) AND m.res_id IN ({','.join(map(str, conn_ids_other)) or 0})")]
    foreign["ir.attachment"] = [int(r[0]) for r in product.rows(
        f"SELECT id FROM ir_attachment WHERE res_model IN ({models_sql}) AND company_id = {other_company}")]
    extra_domains = {"queue.job": [("model_name", "in", [*ADDON_MODELS, *WIZARDS])],
                     "mail.message": [("model", "in", list(ADDON_MODELS))],
                     "mail.tracking.value": [],
                     "ir.attachment": [("res_model", "in", list(ADDON_MODELS))]}

    can_read = {}
    for model in [*ADDON_MODELS, "queue.job", "mail.message", "mail.tracking.value", "ir.attachment"]:
        fields_answer = client.call(model, "fields_get", [], {"attributes": ["type"]})
        visible = sorted(fields_answer.result) if fields_answer.ok else []
        secret = SECRET_FIELDS.get(model, [])
        shown = [f for f in secret if f in visible]
        if fields_answer.ok or secret:
            record(f"{model}: fields_get", fields_answer.text,
                   fields_answer.brief() + (f", secret fields listed: {shown}" if shown else ""),
                   "secret fields not listed", not shown)
        readable = [f for f in visible if fields_answer.result[f]["type"] not in ("binary",)] or ["id"]
        domain = extra_domains.get(model, [])
        answer = client.call(model, "search_read", [domain], {"fields": readable, "limit": 500})
        can_read[model] = answer.ok
        got = [row["id"] for row in answer.result] if answer.ok else []
        crossed = sorted(set(got) & set(foreign.get(model, [])))
        record(f"{model}: search_read of every visible field", answer.text,
               answer.brief() + (f", {len(crossed)} of the other company's rows" if crossed else ""),
               "own company's rows only, or refused", not crossed)
        if secret:
            answer = client.call(model, "search_read", [[]], {"fields": ["id", *secret]})
            record(f"{model}: search_read of the secret fields {secret}", answer.text, answer.brief(),
                   "refused", refused(answer))
            for field in secret:
                answer = client.call(model, "web_search_read", [[]], {"specification": {field: {}}})
                record(f"{model}: web_search_read of {field}", answer.text, answer.brief(), "refused", refused(answer))
                answer = client.call(model, "read_group", [[], [field], [field]])
                record(f"{model}: read_group by {field}", answer.text, answer.brief(), "refused", refused(answer))
                answer = client.call(model, "search_count", [[(field, "like", FERNET_MARK)]])
                record(f"{model}: search_count on {field} (guessing it piece by piece)", answer.text,
                       f"{answer.result}" if answer.ok else answer.brief(), "refused", refused(answer))
            if own.get(model):
                answer = client.call(model, "read", [own[model][:5], secret])
                record(f"{model}: read of the secret fields of own company's rows", answer.text, answer.brief(),
                       "refused", refused(answer))
        ids = foreign.get(model, [])[:20]
        if not ids:
            continue
        answer = client.call(model, "read", [ids, readable])
        record(f"{model}: read {len(ids)} row(s) of the other company by id", answer.text, answer.brief(),
               "refused", refused(answer) or not answer.result)
        answer = client.call(model, "search_count", [[("id", "in", ids)]])
        record(f"{model}: search_count of the other company's ids", answer.text,
               f"{answer.result}" if answer.ok else answer.brief(), "0 or refused",
               refused(answer) or answer.result == 0)
        before = product.fingerprint()
        answer = client.call(model, "write", [ids, WRITE_PROBE.get(model, {"display_name": "x"})])
        diff = changed(before, product.fingerprint())
        record(f"{model}: write to the other company's rows", answer.text, answer.brief() + diff,
               "refused, nothing changed", refused(answer) and not diff)
        answer = client.call(model, "unlink", [ids])
        diff = changed(before, product.fingerprint())
        record(f"{model}: unlink the other company's rows", answer.text, answer.brief() + diff,
               "refused, nothing changed", refused(answer) and not diff)
        answer = client.call(model, "export_data", [ids, ["id", *readable[:30]]])
        record(f"{model}: export_data of the other company's rows", answer.text, answer.brief(), "refused",
               refused(answer))

    # exports through the web client's routes, reports, binary content
    csrf = client.csrf()
    for model in ADDON_MODELS:
        fields_answer = client.call(model, "fields_get", [], {"attributes": ["type", "string"]})
        if not fields_answer.ok:
            continue
        names = [n for n, f in fields_answer.result.items() if f["type"] not in ("binary", "one2many", "many2many")]
        for ids, whose in ((foreign.get(model, [])[:20], "the other company's"), (own.get(model, [])[:20], "own")):
            if not ids:
                continue
            for kind in ("csv", "xlsx"):
                data = {"model": model, "fields": [{"name": n, "label": n, "type": fields_answer.result[n]["type"]}
                                                   for n in names], "ids": ids, "domain": [], "import_compat": False}
                answer = client.post(f"/web/export/{kind}", data={"data": json.dumps(data), "csrf_token": csrf})
                if whose == "own" and can_read.get(model):
                    ok = answer.status_code == 200
                    expected = "exported, no secret in it"
                elif whose == "own":
                    ok = answer.status_code != 200
                    expected = "refused (no read access to the model)"
                else:
                    ok = answer.status_code != 200
                    expected = "refused"
                record(f"/web/export/{kind} of {whose} {model} rows, every field", answer.content.decode("latin-1"),
                       f"HTTP {answer.status_code}", expected, ok)
            for secret in SECRET_FIELDS.get(model, []):
                data = {"model": model, "fields": [{"name": "id", "label": "id", "type": "integer"},
                                                   {"name": secret, "label": secret, "type": "char"}],
                        "ids": ids, "domain": [], "import_compat": True}
                answer = client.post("/web/export/csv", data={"data": json.dumps(data), "csrf_token": csrf})
                record(f"/web/export/csv of {secret} of {whose} {model} rows", answer.text,
                       f"HTTP {answer.status_code}", "refused", answer.status_code != 200)
                for route in ("content", "image"):
                    answer = client.get(f"/web/{route}/{model}/{ids[0]}/{secret}")
                    record(f"/web/{route}/{model}/<{whose} id>/{secret}", answer.content.decode("latin-1"),
                           f"HTTP {answer.status_code}", "not served", served_nothing(answer))

    reports = product.rows("SELECT report_name, model FROM ir_act_report_xml WHERE model IN "
                           f"({models_sql}, 'fsm.order')")
    foreign_jobs = [int(r[0]) for r in product.rows(f"SELECT id FROM fsm_order WHERE company_id = {other_company}")]
    for report_name, model in reports:
        ids = foreign.get(model) or (foreign_jobs if model == "fsm.order" else [])
        if not ids:
            continue
        for kind in ("html", "pdf"):
            answer = client.get(f"/report/{kind}/{report_name}/{','.join(map(str, ids[:5]))}")
            record(f"/report/{kind}/{report_name} of the other company's records", answer.content.decode("latin-1"),
                   f"HTTP {answer.status_code}", "refused", answer.status_code != 200)
    answer = client.call("fsm.order", "read", [foreign_jobs[:5], ["calendar_link_ids", "calendar_sync_status",
                                                                   "calendar_conflict_ids"]])
    record("fsm.order: the other company's jobs' calendar links and status", answer.text, answer.brief(), "refused",
           refused(answer))

    # the chatter of another company's calendar
    for route, params in (
            ("/mail/thread/messages", {"thread_model": "fieldops.calendar.connection",
                                       "thread_id": conn_ids_other[0], "limit": 30}),
            ("/mail/thread/data", {"thread_model": "fieldops.calendar.connection", "thread_id": conn_ids_other[0],
                                   "request_list": ["followers", "attachments", "activities"]}),
            ("/mail/message/post", {"thread_model": "fieldops.calendar.connection", "thread_id": conn_ids_other[0],
                                    "post_data": {"body": "pwned", "message_type": "comment"}})):
        before = product.max_id("mail_message")
        _http, body = client.rpc(route, params)
        text = json.dumps(body)
        messages = body.get("result", {}) if isinstance(body.get("result"), dict) else {}
        leaked = [m for m in (messages.get("mail.message") or messages.get("data", {}).get("mail.message") or [])
                  if isinstance(m, dict) and m.get("res_id") in conn_ids_other]
        ok = ("error" in body or not leaked) and product.max_id("mail_message") == before
        record(f"{route} on the other company's calendar", text,
               ("refused" if "error" in body else f"{len(leaked)} message(s) of it") +
               (", a message was POSTED" if product.max_id("mail_message") != before else ""),
               "refused or nothing of it", ok)

    # every public method of the addon, on the other company's records (and managers' buttons on own ones)
    methods = public_methods()
    for model, names in sorted(methods.items()):
        targets = foreign.get(model) or (foreign_jobs[:3] if model == "fsm.order" else [])
        if model in ("res.config.settings",) or not targets:
            continue
        for name in sorted(names):
            for target in targets[:2]:  # one record at a time: buttons work on one
                before = product.fingerprint()
                answer = client.call(model, name, [[target]])
                diff = changed(before, product.fingerprint())
                record(f"{model}.{name} on the other company's record {target}", answer.text, answer.brief() + diff,
                       "refused, nothing changed", refused(answer) and not diff)
    if label.startswith("company A's dispatcher"):
        for name in MANAGER_BUTTONS:
            before = product.fingerprint()
            answer = client.call("fieldops.calendar.connection", name, [conn_ids_own[:1]])
            diff = changed(before, product.fingerprint())
            record(f"fieldops.calendar.connection.{name} on own company's calendar (managers only)", answer.text,
                   answer.brief() + diff, "refused or no effect", not diff)
    own_calendar = getattr(world, "own_calendar", None)
    if label.startswith("company A's dispatcher") and own_calendar:
        # a technician's own calendar is theirs and the managers': not the dispatcher's to see or press
        answer = client.call("fieldops.calendar.connection", "search_read", [[("id", "=", own_calendar)]],
                             {"fields": ["name"]})
        record("a technician's own calendar: searched by the dispatcher", answer.text, answer.brief() +
               (f", {len(answer.result)} row(s)" if answer.ok else ""), "nothing found, or refused",
               not answer.ok or not answer.result)
        for name, args in (("read", [[own_calendar], ["name", "account_email", "state"]]),
                           ("write", [[own_calendar], {"name": "pwned"}]),
                           ("action_disconnect", [[own_calendar]]), ("action_connect", [[own_calendar]]),
                           ("action_sync_now", [[own_calendar]])):
            before = product.fingerprint()
            answer = client.call("fieldops.calendar.connection", name, args)
            diff = changed(before, product.fingerprint())
            record(f"a technician's own calendar: {name} by the dispatcher", answer.text, answer.brief() + diff,
                   "refused, nothing changed", refused(answer) and not diff)
    for name in PRIVATE_METHODS:
        answer = client.call("fieldops.calendar.connection", name, [conn_ids_own[:1] or conn_ids_other[:1]])
        record(f"private method {name} through call_kw", answer.text, answer.brief(), "refused", refused(answer))

    # Settings: the key-rotation button and the settings' own methods
    for name, args in (("action_fieldops_reencrypt_secrets", [[]]), ("set_values", [[]]), ("execute", [[]]),
                       ("get_values", [[]]), ("_fieldops_client_secret", ["google"])):
        before = product.fingerprint()
        answer = client.call("res.config.settings", name, args)
        diff = changed(before, product.fingerprint())
        record(f"res.config.settings.{name}", answer.text, answer.brief() + diff,
               "refused (get_values: no secret), nothing changed",
               not diff and (refused(answer) or name == "get_values"))

    # wizards pointed at the other company's records
    for model, vals, button in (
            ("fieldops.calendar.sync.preview", {"connection_id": conn_ids_other[0]}, "action_sync_now"),
            ("fieldops.calendar.conflict.review", {"conflict_id": (foreign["fieldops.calendar.conflict"] or [0])[0]},
             "action_confirm")):
        before = product.fingerprint()
        created = client.call(model, "create", [vals])
        detail = created.brief()
        if created.ok:
            wizard_id = created.result[0] if isinstance(created.result, list) else created.result
            read = client.call(model, "read", [[wizard_id], list(vals)])
            pressed = client.call(model, button, [[wizard_id]])
            detail += f"; read back: {read.brief()}; {button}: {pressed.brief()}"
            read_text = read.text + pressed.text
        else:
            read_text, read = created.text, None
        diff = changed(before, product.fingerprint())
        record(f"{model} created on the other company's record, then {button}", read_text,
               detail + diff, "refused, nothing changed", not created.ok and not diff)

    # naming someone of the other company as the calendar's responsible user (jobs run as them)
    if not label.startswith("company A's dispatcher") and conn_ids_own:
        other_user = world.dispatcher_id if own_company == world.company_b else world.northwind_id
        before = product.fingerprint()
        answer = client.call("fieldops.calendar.connection", "write",
                             [conn_ids_own[:1], {"responsible_user_id": other_user}])
        diff = changed(before, product.fingerprint())
        record("own calendar's responsible user set to the other company's user", answer.text,
               answer.brief() + diff, "refused, nothing changed", refused(answer) and not diff)

    # the addon's routes, as this user
    for path in (CALLBACK % "google" + "?state=x.1.y&code=sbx-gcode-forged",
                 CALLBACK % "microsoft" + "?code=sbx-mcode-forged"):
        answer = client.get(path)
        record(f"GET {path.split('?')[0]} with forged parameters", answer.text, f"HTTP {answer.status_code}",
               "HTTP 400", answer.status_code == 400)

    # whatever came back at all during this user's probing
    add_responses_row(results, needles, client, label)


def probe_anonymous(product, world, results):
    """A visitor with no Odoo session: nothing of the addon answers with data, and nothing changes."""
    results.section("probe anonymous", "3b. Probing without signing in (a public visitor)")
    visitor = Client(product.base, "anonymous visitor")
    visitor.context = {}
    before = product.fingerprint()
    ids = {model: [int(r[0]) for r in product.rows(f"SELECT id FROM {table} ORDER BY id LIMIT 5")]
           for model, table in ADDON_MODELS.items()}
    for model in [*ADDON_MODELS, *WIZARDS, "queue.job"]:
        answer = visitor.call(model, "search_read", [[]], {"limit": 5})
        results.add(f"{model}: search_read", answer.brief(), "refused (no session)", not answer.ok)
    for method in ("read", "write", "unlink"):
        args = [ids["fieldops.calendar.connection"]] + ([{"name": "pwned"}] if method == "write" else [])
        answer = visitor.call("fieldops.calendar.connection", method, args)
        results.add(f"fieldops.calendar.connection: {method} by id", answer.brief(), "refused", not answer.ok)
    for button in (*MANAGER_BUTTONS, "action_preview_sync"):
        answer = visitor.call("fieldops.calendar.connection", button, [ids["fieldops.calendar.connection"][:1]])
        results.add(f"fieldops.calendar.connection: {button}", answer.brief(), "refused", not answer.ok)
    conflict = ids["fieldops.calendar.conflict"][:1]
    if conflict:
        answer = visitor.call("fieldops.calendar.conflict", "action_review", [conflict])
        results.add("fieldops.calendar.conflict: action_review", answer.brief(), "refused", not answer.ok)
    for path in ("/odoo/calendar-connections", "/odoo/calendar-health", "/odoo/calendar-conflicts",
                 f"/odoo/calendar-connections/{(ids['fieldops.calendar.connection'] or [0])[0]}"):
        answer = visitor.get(path)
        where = answer.headers.get("Location", "")
        results.add(f"GET {path}", f"HTTP {answer.status_code}{' to ' + where.split('?')[0] if where else ''}",
                    "a redirect to the login page", answer.status_code in (302, 303) and "/web/login" in where)
    for model, table_ids in ids.items():
        if not table_ids:
            continue
        data = {"model": model, "fields": [{"name": "id", "label": "id", "type": "integer"}], "ids": table_ids,
                "domain": [], "import_compat": True}
        answer = visitor.post("/web/export/csv", data={"data": json.dumps(data)})
        results.add(f"/web/export/csv of {model} rows", f"HTTP {answer.status_code}", "refused",
                    answer.status_code != 200 or not answer.text.startswith("id"))
    for model, secrets_of in SECRET_FIELDS.items():
        for field in secrets_of:
            for route in ("content", "image"):
                answer = visitor.get(f"/web/{route}/{model}/{(ids[model] or [0])[0]}/{field}")
                results.add(f"/web/{route}/{model}/<id>/{field}",
                            f"HTTP {answer.status_code} {answer.headers.get('Content-Type', '')}".rstrip(),
                            "not served (a placeholder image at most)", served_nothing(answer))
    for provider in ("google", "microsoft"):
        answer = visitor.get(CALLBACK % provider + "?state=x.1.y&code=sbx-forged")
        where = answer.headers.get("Location", "")
        results.add(f"GET the {provider} OAuth callback", f"HTTP {answer.status_code}",
                    "a redirect to the login page", answer.status_code in (302, 303) and "/web/login" in where)
    diff = changed(before, product.fingerprint())
    results.add("the database after the visitor's attempts", diff.lstrip(", ") or "unchanged", "unchanged", not diff)
    add_responses_row(results, world.needles, visitor, "the visitor")
