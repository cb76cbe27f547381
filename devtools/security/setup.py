"""Phase 0: make the product hold real secrets, as an administrator would (OAuth sign-ins, pushes, pulls, renewals)."""

from __future__ import annotations

import time
import urllib.parse

from devtools.security.common import ADDON, CALLBACK, Client, World


def sign_in_at_sandbox(world, client, connection_id, company, account, provider):
    """Start Connect as ``client`` and sign in on the sandbox's page as ``account``: the callback URL to follow."""
    answer = client.call("fieldops.calendar.connection", "action_connect", [[connection_id]],
                         context={"allowed_company_ids": [company]})
    if not answer.ok:
        return None, answer
    url = answer.result["url"]  # the sandbox's sign-in page
    page = world.browser.get(url, verify=world.p.sandbox["ca_cert"], timeout=30)
    consent = world.browser.post(page.url, data={"account": account, "decision": "allow"}, allow_redirects=False,
                                 verify=world.p.sandbox["ca_cert"], timeout=30)
    location = consent.headers.get("Location", "")
    if consent.status_code != 302 or CALLBACK % provider not in location:
        raise RuntimeError(f"the sandbox did not redirect to the callback: {consent.status_code}")
    return location, answer


def callback_path(location, **changes):
    """The callback's path and query, with parameters changed (None removes one)."""
    split = urllib.parse.urlsplit(location)
    params = dict(urllib.parse.parse_qsl(split.query))
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return f"{split.path}?{urllib.parse.urlencode(params)}"


def connect_own_calendar(world, product, admin, check, company, location):
    """A technician of company A connects their own Google calendar from their worker profile (issue #25).

    No admin takes part: the technician clicks, signs in and comes back; the queued work then runs as them.
    """
    account = "sec-own-a@example.test"
    partner = admin.call("res.partner", "create", [{"name": "Tess Fieldtech", "email": account}]).result
    groups = [world.ref("fieldservice", "group_fsm_user"), world.ref("base", "group_user")]
    user = admin.call("res.users", "create", [{
        "name": "Tess Fieldtech", "login": "technician", "password": "technician", "partner_id": partner,
        "company_id": company, "company_ids": [(6, 0, [company])], "groups_id": [(6, 0, groups)]}]).result
    person = admin.call("fsm.person", "create", [{"partner_id": partner}]).result
    jobs = admin.call("fsm.order", "create", [[{
        "location_id": location, "person_id": person, "company_id": company,
        "description": f"<p>Technician's own job {n}</p>",
        "scheduled_date_start": f"2026-12-{20 + n:02d} 09:00:00",
        "scheduled_date_end": f"2026-12-{20 + n:02d} 10:00:00"} for n in range(2)]],
        context={"allowed_company_ids": [company]})
    check("a technician linked to a worker profile, with 2 jobs of their own", bool(user and person and jobs.ok),
          jobs.brief())
    world.technician = Client(product.base, "technician").login("technician", "technician", [company])
    answer = world.technician.call("fsm.person", "action_connect_my_google_calendar", [[person]])
    check("the technician's Connect my Google Calendar leads to the sign-in page", answer.ok, answer.brief())
    page = world.browser.get(answer.result["url"], verify=world.p.sandbox["ca_cert"], timeout=30)
    consent = world.browser.post(page.url, data={"account": account, "decision": "allow"}, allow_redirects=False,
                                 verify=world.p.sandbox["ca_cert"], timeout=30)
    back = world.technician.get(callback_path(consent.headers.get("Location", "")))
    row = product.rows(f"SELECT id, state FROM fieldops_calendar_connection WHERE self_service_user_id = {user}")
    check("the technician's own calendar connected by the callback, as the technician",
          back.status_code == 303 and len(row) == 1 and row[0][1] == "sandbox_connected",
          f"HTTP {back.status_code}, {row}")
    world.own_calendar = int(row[0][0])
    world.connections[("google", f"own calendar of company {company}")] = (world.own_calendar, account)


def connect_organization(world, product, admin, check, company, location):
    """An organization connection of company A (issue #25): the admin uploads a service account's JSON key.

    The key is made here, as Google Cloud would hand it out (its public half registered at the sandbox, its
    client id authorized for the calendar scopes, as the Workspace admin does), so that the leak scan can
    look for the private key the product must only ever hold encrypted.
    """
    import base64
    import json

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    domain = "sec-org.example.test"
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    email = "sec-org@sec-project.iam.gserviceaccount.com"
    client_id = product.control("google", "register_service_account",
                                {"client_email": email, "public_key_pem": public, "domain": domain})["client_id"]
    product.control("google", "authorize_delegation", {"client_id": client_id, "scopes": [
        "https://www.googleapis.com/auth/calendar.events", "https://www.googleapis.com/auth/calendar.freebusy"]})
    key = {"type": "service_account", "project_id": "sec-project", "private_key_id": "sec1", "private_key": pem,
           "client_email": email, "client_id": client_id, "token_uri": "https://oauth2.googleapis.com/token"}
    ctx = {"allowed_company_ids": [company]}
    org = admin.call("fieldops.calendar.organization", "create", [{
        "name": "Security organization A", "provider": "google", "google_domain": domain, "company_id": company,
        "google_key_file": base64.b64encode(json.dumps(key).encode()).decode()}], context=ctx)
    connected = org.ok and admin.call("fieldops.calendar.organization", "action_connect", [[org.result]],
                                      context=ctx).ok
    check("an organization connection of company A with an uploaded service-account key", connected, org.brief())
    persons = [admin.call("fsm.person", "create", [{"name": f"Org tech {n}", "email": f"tech{n}@{domain}",
                                                    "company_id": company}], context=ctx).result for n in range(2)]
    jobs = admin.call("fsm.order", "create", [[{
        "location_id": location, "person_id": person, "company_id": company,
        "scheduled_date_start": "2026-12-28 09:00:00", "scheduled_date_end": "2026-12-28 10:00:00"}
        for person in persons]], context=ctx)
    wizard = admin.call("fieldops.calendar.organization.add", "create", [{
        "organization_id": org.result, "person_ids": [(6, 0, persons)]}], context=ctx)
    added = wizard.ok and admin.call("fieldops.calendar.organization.add", "action_add", [[wizard.result]],
                                     context=ctx).ok
    check("two technicians with a job each added to the organization", jobs.ok and added, wizard.brief())
    # the key's body, line by line (a line is unique; the product may hold it JSON-escaped, or not at all)
    world.secret_extras = {line: "organization service-account private key" for line in pem.splitlines()
                           if len(line) == 64}


def setup(product, results):
    import requests

    world = World(product)
    world.browser = requests.Session()
    world.browser.trust_env = False
    A, B = world.company_a, world.company_b
    admin = Client(product.base, "admin").login("admin", "admin", [A, B])
    world.admin = admin
    results.section("setup", "Making the product hold real secrets (as an administrator would)")

    def check(what, ok, detail=""):
        results.add(what, detail or ("done" if ok else "did not happen"), "done", bool(ok))
        if not ok:
            raise RuntimeError(f"setup failed: {what}")

    # client secrets entered in Settings (stored encrypted; sandbox mode still reads the sandbox's own file)
    settings = admin.call("res.config.settings", "create", [{
        "fieldops_google_client_secret": product.sandbox["google"]["client_secret"],
        "fieldops_microsoft_client_secret": product.sandbox["microsoft"]["client_secret"]}])
    done = settings.ok and admin.call("res.config.settings", "execute", [[settings.result]]).ok
    check("client secrets of both providers entered in Settings", done, settings.brief())

    # the attackers get every right a tenant could grant them short of configuring calendars
    export_group = world.ref("base", "group_allow_export")
    queue_group = world.ref("queue_job", "group_queue_job_manager")
    world.dispatcher_id = world.ref(ADDON, "user_dispatcher")
    world.northwind_id = world.ref(ADDON, "user_northwind")
    ok = admin.call("res.users", "write", [[world.dispatcher_id], {"groups_id": [(4, export_group)]}]).ok and \
        admin.call("res.users", "write", [[world.northwind_id], {"groups_id": [(4, export_group),
                                                                               (4, queue_group)]}]).ok
    check("attackers: dispatcher (company A) and northwind (company B) may export; northwind manages queue jobs", ok)

    # the demo calendars connected at install; connect three more through the browser's code flow
    location_a = world.ref("fieldservice", "location_1")
    location_b = world.ref(ADDON, "location_northwind_depot")
    world.connections = {}
    plan = [("google", A, "sec-google-a@example.test", location_a),
            ("microsoft", A, "sec-outlook-a@example.test", location_a),
            ("microsoft", B, "sec-outlook-b@example.test", location_b)]
    for provider, company, account, location in plan:
        ctx = {"allowed_company_ids": [company]}
        team = admin.call("fsm.team", "create", [{"name": f"Security crew {account}", "company_id": company}],
                          context=ctx).result
        responsible = 2 if company == A else world.northwind_id
        conn = admin.call("fieldops.calendar.connection", "create", [{
            "name": f"Security {provider} {'A' if company == A else 'B'}", "provider": provider,
            "account_email": account, "team_ids": [(6, 0, [team])], "company_id": company,
            "responsible_user_id": responsible}], context=ctx).result
        location_url, _answer = sign_in_at_sandbox(world, admin, conn, company, account, provider)
        answer = admin.get(callback_path(location_url))
        state = product.scalar(f"SELECT state FROM fieldops_calendar_connection WHERE id = {conn}")
        check(f"connect {provider} calendar of company {'A' if company == A else 'B'} through the OAuth code flow",
              answer.status_code == 303 and state == "sandbox_connected", f"HTTP {answer.status_code}, {state}")
        # a new connection waits for its first-sync preview; the admin has seen it and starts syncing
        started = admin.call("fieldops.calendar.connection", "action_start_first_sync", [[conn]], context=ctx)
        check("first sync started after its preview", started.ok, started.brief())
        world.connections[(provider, company)] = (conn, account)
        jobs = admin.call("fsm.order", "create", [[{
            "location_id": location, "team_id": team, "company_id": company,
            "description": f"<p>Security job {n}</p>",
            "scheduled_date_start": f"2026-12-{10 + n:02d} 09:00:00",
            "scheduled_date_end": f"2026-12-{10 + n:02d} 10:00:00"} for n in range(3)]], context=ctx)
        check(f"3 jobs created for that calendar ({account})", jobs.ok, jobs.brief())
    connect_own_calendar(world, product, admin, check, A, location_a)
    connect_organization(world, product, admin, check, A, location_a)
    check("queued pushes, pulls and channel openings ran", product.wait_quiet())
    missing = product.scalar("""
        SELECT count(*) FROM fieldops_calendar_connection c WHERE c.state = 'sandbox_connected'
           AND NOT EXISTS (SELECT 1 FROM fieldops_calendar_channel h WHERE h.connection_id = c.id
                                                                       AND h.state = 'active')""")
    check("every connected calendar has an active push channel / subscription", missing == "0",
          f"{missing} without")
    in_sync = product.scalar("SELECT count(*) FROM fieldops_calendar_link WHERE state = 'in_sync'")
    check("jobs pushed (links in sync)", int(in_sync) >= 9, f"{in_sync} links in sync")

    # calendar edits reach Odoo through real webhooks and pulls
    before = product.max_id("fieldops_calendar_notification")
    for (provider, _company), (_conn, account) in world.connections.items():
        events = product.control(provider, "live_events", {"account": account})["events"]
        if events:
            product.control(provider, "person_edit", {"id": events[0]["id"],
                                                      "fields": {"description": "Gate code 4412"}})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and int(product.scalar(
            f"SELECT count(*) FROM fieldops_calendar_notification WHERE id > {before} "
            "AND status = 'accepted'")) < 3:
        time.sleep(0.2)
    product.wait_quiet()
    accepted = product.scalar(f"SELECT count(*) FROM fieldops_calendar_notification WHERE id > {before} "
                              "AND status = 'accepted'")
    check("calendar edits delivered as real webhooks and pulled", int(accepted) >= 3, f"{accepted} accepted")

    # access tokens expire: the next sync refreshes them (new tokens stored encrypted)
    for provider in ("google", "microsoft"):
        product.control(provider, "expire_access_tokens")
    ids_by_company = {}
    for company in (A, B):
        ids_by_company[company] = [int(r[0]) for r in product.rows(
            f"SELECT id FROM fieldops_calendar_connection WHERE company_id = {company} "
            "AND state = 'sandbox_connected'")]
        admin.call("fieldops.calendar.connection", "action_sync_now", [ids_by_company[company]],
                   context={"allowed_company_ids": [company]})
    product.wait_quiet()
    check("access tokens expired at the providers and refreshed by the next sync",
          product.scalar("SELECT count(*) FROM fieldops_calendar_connection WHERE state = 'sandbox_connected'")
          == str(sum(len(v) for v in ids_by_company.values())))

    # channel renewal: Google by a new overlapping channel (old one stopped), Graph in place and recreated
    world.google_channels_before = {c["id"]: c for c in product.control("google", "webhooks")["webhooks"]}
    product.sql("UPDATE fieldops_calendar_channel SET expires_at = (now() at time zone 'utc') + interval '1 hour' "
                "WHERE provider = 'google' AND state = 'active'")
    cron = world.ref(ADDON, "cron_keep_channels_alive")
    admin.call("ir.cron", "method_direct_trigger", [[cron]])
    subs = product.control("microsoft", "webhooks")["webhooks"]
    for n, sub in enumerate(subs):
        product.control("microsoft", "send_lifecycle", {"subscription_id": sub["id"],
                                                   "event": "reauthorizationRequired" if n % 2 else
                                                   "subscriptionRemoved"})
    time.sleep(1)
    product.wait_quiet()
    stopped = product.scalar("SELECT count(*) FROM fieldops_calendar_channel WHERE provider = 'google' "
                             "AND state = 'stopped'")
    recreated = product.scalar("SELECT count(*) FROM fieldops_calendar_channel WHERE provider = 'microsoft' "
                               "AND state = 'stopped'")
    check("Google channels renewed (new channel, old one stopped), Graph subscriptions reauthorized / recreated",
          int(stopped) >= 1 and int(recreated) >= 1, f"{stopped} Google and {recreated} Graph rows stopped")

    # what the attacks need
    issued = product.control("google", "secrets")["secrets"] + product.control("microsoft", "secrets")["secrets"]
    kinds = sorted({item["kind"] for item in issued})
    check("the sandbox issued or received every kind of secret", len(kinds) >= 10,
          f"{len(issued)} secrets: " + ", ".join(kinds))
    world.dispatcher = Client(product.base, "dispatcher").login("dispatcher", "dispatcher", [A])
    world.northwind = Client(product.base, "northwind").login("northwind", "northwind", [B])
    # the addon's crons stay off during the attacks, so that nothing but an attack changes the data
    product.sql("UPDATE ir_cron SET active = false WHERE id IN "
                f"(SELECT res_id FROM ir_model_data WHERE module = '{ADDON}' AND model = 'ir.cron')")
    return world
