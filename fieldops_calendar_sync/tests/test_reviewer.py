"""Each calendar's reviewer gets the review activity; its reviewer group sees its open conflicts."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import TwoCompaniesCase


@tagged("post_install", "-at_install")
class TestReviewer(TwoCompaniesCase):
    def test_reviewer_defaults_to_the_responsible_user_and_gets_the_activity(self):
        setup = self.setup_a
        connection = setup["connection"]
        self.assertEqual(connection.reviewer_id, self.manager_a)
        connection.reviewer_id = self.dispatcher_a
        conflict = self.env["fieldops.calendar.conflict"].create(
            {"link_id": setup["link"].id, "job_id": setup["job"].id})
        conflict._announce()
        self.assertEqual(conflict.activity_ids.user_id, self.dispatcher_a)

    def test_reviewer_group_members_see_only_their_calendars_open_conflicts(self):
        setup = self.setup_a
        group = self.env["res.groups"].create({"name": "Calendar A reviewers"})
        worker = new_test_user(self.env, "rev_a", groups="fieldservice.group_fsm_user,base.group_user",
                               company_id=self.company_a.id, company_ids=[self.company_a.id],
                               email="rev_a@example.test")
        Conflict = self.env["fieldops.calendar.conflict"].with_user(worker)
        self.assertFalse(Conflict.search([]), "a field worker sees no conflict by default")
        group.users = [(4, worker.id)]
        setup["connection"].reviewer_group_id = group
        self.assertEqual(Conflict.search([]), setup["conflict"])
        self.assertEqual(Conflict.browse(setup["conflict"].id).line_ids, setup["conflict_line"])
        setup["conflict"].state = "dismissed"
        with self.assertRaises(AccessError):
            Conflict.browse(setup["conflict"].id).read(["state"])
        self.assertFalse(self.env["fieldops.calendar.conflict"].with_user(worker).search(
            [("company_id", "=", self.company_b.id)]))
