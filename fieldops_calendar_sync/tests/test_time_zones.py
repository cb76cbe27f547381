"""Jobs across daylight-saving changes keep their exact instant through push and pull, with both providers."""

from datetime import datetime, timezone

from odoo.tests import tagged

from .sandbox import SandboxCase, run_job

WRITES = ("POST", "PATCH", "PUT", "DELETE")
# (dispatcher's zone, start, end in UTC): the repeated hour of Berlin's autumn night, and a job spanning
# New York's spring-forward night
CASES = [
    ("Europe/Berlin", datetime(2027, 10, 31, 0, 30), datetime(2027, 10, 31, 1, 45)),
    ("Europe/Berlin", datetime(2027, 3, 28, 0, 30), datetime(2027, 3, 28, 1, 30)),
    ("America/New_York", datetime(2027, 3, 14, 6, 30), datetime(2027, 3, 14, 7, 30)),
    ("America/New_York", datetime(2027, 11, 7, 5, 15), datetime(2027, 11, 7, 6, 45)),
]


class TimeZoneTests:
    account_prefix = "zones"

    def test_dst_nights_round_trip_to_the_exact_instant(self):
        for zone, start, end in CASES:
            with self.subTest(zone=zone, start=start):
                self.admin.tz = zone
                job = self.env["fsm.order"].create({
                    "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
                    "scheduled_date_start": start, "scheduled_date_end": end, "description": "<p>Night shift</p>"})
                run_job(self, self.connection, "_job_push")
                link = job.calendar_link_ids
                remote = {e.id: e for e in self.connection._make_client().list_changes(None).events}[link.event_id]
                self.assertEqual(remote.data.start, start.replace(tzinfo=timezone.utc))
                self.assertEqual(remote.data.end, end.replace(tzinfo=timezone.utc))
                # a calendar edit of another field comes back without moving the job by an hour
                self.emulator.person_edit(link.event_id, {"description": "Night shift, gate B"},
                                          account=self.account)
                run_job(self, self.connection, "_job_pull")
                self.assertIn("gate B", job.description)
                self.assertEqual((job.scheduled_date_start, job.scheduled_date_end), (start, end))
                mark = len(self.emulator.requests_log())
                run_job(self, self.connection, "_job_push")
                run_job(self, self.connection, "_job_pull")
                self.assertEqual([r for r in self.emulator.requests_log()[mark:] if r["method"] in WRITES], [])
                self.assertEqual(link.state, "in_sync")

    def test_an_event_made_all_day_in_the_calendar_spans_the_whole_day(self):
        job = self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
            "scheduled_date_start": datetime(2027, 1, 12, 9, 0), "scheduled_date_end": datetime(2027, 1, 12, 11, 0)})
        run_job(self, self.connection, "_job_push")
        link = job.calendar_link_ids
        self.emulator.person_edit(link.event_id, {"all_day": ("2027-01-12", "2027-01-13")}, account=self.account)
        run_job(self, self.connection, "_job_pull")
        # the documented rule: from 00:00 of the day to 00:00 of the next, in the calendar's zone (UTC here)
        self.assertEqual((job.scheduled_date_start, job.scheduled_date_end),
                         (datetime(2027, 1, 12, 0, 0), datetime(2027, 1, 13, 0, 0)))
        self.assertEqual(link.state, "in_sync")
        mark = len(self.emulator.requests_log())
        run_job(self, self.connection, "_job_push")
        run_job(self, self.connection, "_job_pull")
        self.assertEqual([r for r in self.emulator.requests_log()[mark:] if r["method"] in WRITES], [],
                         "the all-day event is not rewritten as a timed one")


@tagged("post_install", "-at_install")
class TestTimeZonesGoogle(TimeZoneTests, SandboxCase):
    provider = "google"
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestTimeZonesMicrosoft(TimeZoneTests, SandboxCase):
    provider = "microsoft"
    allow_inherited_tests_method = True
