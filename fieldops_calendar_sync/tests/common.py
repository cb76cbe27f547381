"""Shared fixtures of the Odoo suite: two companies, their users, and a calendar setup in each."""

import base64
import os

from odoo import http
from odoo.addons.queue_job.tests.common import trap_jobs  # noqa: F401  (re-exported for tests)
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import config

KEY_OPTION = "fieldops_calendar_sync_key"


def ensure_test_key():
    """Tests need an encryption key; the harness sets one in the config, this covers other runners."""
    if not config.get(KEY_OPTION) and not os.environ.get("FIELDOPS_CALENDAR_SYNC_KEY"):
        config[KEY_OPTION] = base64.urlsafe_b64encode(os.urandom(32)).decode()


def warm_up_http():
    """Build the HTTP server's table of static paths now, in one thread, before requests come in parallel.

    Odoo builds it on the first requests by reading every addon's manifest with ``ast.literal_eval``.
    On CPython 3.11, two threads building Python ASTs at once can corrupt the shared recursion counter
    (``SystemError: AST constructor recursion depth mismatch``, CPython gh-106905), and the request
    that loses answers 500: a Graph validation request did, and its subscription was refused.
    """
    return http.root.statics  # a lazy property: reading it builds it


class TwoCompaniesCase(TransactionCase):
    """Company A and company B, each with a dispatcher, a manager and a calendar connection with a job."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_test_key()
        cls.company_a = cls.env["res.company"].create({"name": "Alpha Plumbing"})
        cls.company_b = cls.env["res.company"].create({"name": "Bravo Electric"})
        groups_manager = "fieldservice.group_fsm_manager,base.group_user"
        groups_dispatcher = "fieldservice.group_fsm_dispatcher,base.group_user"
        cls.manager_a = new_test_user(cls.env, "mgr_a", groups=groups_manager, company_id=cls.company_a.id,
                                      company_ids=[cls.company_a.id], email="mgr_a@example.test")
        cls.dispatcher_a = new_test_user(cls.env, "disp_a", groups=groups_dispatcher, company_id=cls.company_a.id,
                                         company_ids=[cls.company_a.id], email="disp_a@example.test")
        cls.manager_b = new_test_user(
            cls.env, "mgr_b", groups=groups_manager + ",queue_job.group_queue_job_manager,base.group_allow_export",
            company_id=cls.company_b.id, company_ids=[cls.company_b.id], email="mgr_b@example.test",
        )
        cls.setup_a = cls._make_company_setup(cls.company_a, cls.manager_a, "A")
        cls.setup_b = cls._make_company_setup(cls.company_b, cls.manager_b, "B")

    @classmethod
    def _make_company_setup(cls, company, manager, tag):
        env = cls.env(context=dict(cls.env.context, allowed_company_ids=[company.id]))
        env["fsm.stage"].create({"name": f"New {tag}", "stage_type": "order", "is_default": True,
                                 "sequence": 3 if tag == "A" else 4,
                                 "company_id": company.id})
        team = env["fsm.team"].create({"name": f"Crew {tag}", "company_id": company.id})
        partner = env["res.partner"].create({"name": f"Site {tag}", "company_id": company.id})
        location = env["fsm.location"].create(
            {"name": f"Site {tag}", "partner_id": partner.id, "owner_id": partner.id}
        )
        connection = env["fieldops.calendar.connection"].create(
            {
                "name": f"Calendar {tag}",
                "provider": "google",
                "company_id": company.id,
                "responsible_user_id": manager.id,
                "team_ids": [(6, 0, team.ids)],
                "account_email": f"calendar-{tag.lower()}@example.test",
            }
        )
        job = env["fsm.order"].with_company(company).create(
            {
                "location_id": location.id,
                "team_id": team.id,
                "company_id": company.id,
                "scheduled_date_start": "2026-12-01 09:00:00",
                "scheduled_date_end": "2026-12-01 11:00:00",
            }
        )
        link = job.calendar_link_ids  # the job's calendar carries it: the trigger made its link
        link.write({"event_id": f"evt{tag.lower()}0001", "state": "in_sync"})
        channel = env["fieldops.calendar.channel"].create(
            {"connection_id": connection.id, "external_id": f"channel-{tag}", "resource_id": f"res-{tag}",
             "state": "active"}
        )
        notification = env["fieldops.calendar.notification"].create(
            {"company_id": company.id, "connection_id": connection.id, "channel_id": channel.id,
             "provider": "google", "status": "accepted", "dedupe_key": f"dedupe-{tag}"}
        )
        conflict = env["fieldops.calendar.conflict"].create(
            {"link_id": link.id, "job_id": job.id, "line_ids": [
                (0, 0, {"field_name": "start", "base_value": "09:00", "job_value": "10:00",
                        "calendar_value": "11:00"})]}
        )
        return {
            "team": team, "location": location, "connection": connection, "job": job, "link": link,
            "channel": channel, "notification": notification, "conflict": conflict,
            "conflict_line": conflict.line_ids,
        }
