from datetime import timedelta

from odoo import fields
from odoo.tools import SQL

from .common import ServiceCase


class TestTimelineStoreTickets(ServiceCase):
    """Tickets, their service levels and ratings in the timeline table: after every change,
    by the ORM or in SQL, the table holds exactly the view's rows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.resolution = cls.env["helpdesk.sla"].create(
            {"name": "Resolve in a working day", "team_ids": [(6, 0, cls.team.ids)], "hours": 8,
             "stage_id": cls.stage_done.id}
        )  # fmt: skip
        cls.other = cls.env["res.partner"].create({"name": "Delta Stores", "is_company": True})

    def assertStoreEqualsView(self, step):
        Timeline = self.env["crm.relational.timeline"]
        self.env.flush_all()
        self.env.cr.execute(SQL("SET LOCAL jit = off"))
        table = SQL.identifier(Timeline._table)
        view = SQL.identifier(Timeline._timeline_source_view())
        for first, second, what in (
            (table, view, "rows the view no longer has"),
            (view, table, "rows of the view missing from the table"),
        ):
            self.env.cr.execute(SQL("SELECT * FROM %s EXCEPT ALL SELECT * FROM %s", first, second))
            self.assertEqual(self.env.cr.fetchall(), [], f"{step}: {what}")

    def outcome(self, ticket):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT outcome FROM %s WHERE kind = 'ticket' AND res_id = %s",
                SQL.identifier(self.env["crm.relational.timeline"]._table),
                ticket.id,
            )
        )
        return self.env.cr.fetchone()[0]

    def test_ticket_changes_follow_the_view(self):
        complaints = self.env["helpdesk.ticket.category"].create({"name": "Complaints"})
        tickets = self.env["helpdesk.ticket"].browse(
            [self._ticket(name=f"Ticket {n}").id for n in range(4)]
        )
        self.assertStoreEqualsView("tickets")
        tickets[0].stage_id = self.stage_done
        tickets[1].category_id = complaints
        tickets[2].partner_id = self.other
        tickets[3].user_id = self.agent_a
        self.assertStoreEqualsView("tickets changed")
        self.assertEqual(self.outcome(tickets[0]), "solved")
        # The category becomes one of complaints: its tickets follow.
        complaints.relational_complaint = True
        self.assertStoreEqualsView("category of complaints")
        self.assertEqual(self.outcome(tickets[1]), "complaint")
        # Reopened, rated, messages on it, its customer's messages follow its new customer.
        tickets[0].stage_id = self.stage_progress
        tickets[0].rating_apply(2, token=tickets[0]._rating_get_access_token())
        tickets[2].message_post(
            body="Any news?", message_type="email", author_id=self.other.id,
            subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        self.assertStoreEqualsView("reopened and rated")
        tickets[0].partner_id = self.other
        self.assertStoreEqualsView("rated ticket to another customer")
        # Another company, in SQL; a ticket deleted.
        self.env.cr.execute(
            SQL(
                "UPDATE helpdesk_ticket SET company_id = %s WHERE id = %s",
                self.env["res.company"].create({"name": "Service Co"}).id,
                tickets[3].id,
            )
        )
        tickets[1].unlink()
        self.assertStoreEqualsView("company in SQL, ticket deleted")
        # Renamed, another channel, another creation date; changes the rows do not show.
        tickets[2].name = "Lamp still broken"
        tickets[2].channel_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        self.env.cr.execute(
            SQL(
                "UPDATE helpdesk_ticket SET create_date = create_date - interval '1 day'"
                " WHERE id = %s",
                tickets[3].id,
            )
        )
        tickets[3].write({"priority": "3", "description": "<p>Urgent</p>"})
        self.assertStoreEqualsView("renamed, channel, creation date, priority")

    def test_missed_service_level(self):
        ticket = self._ticket(name="Urgent")
        self.assertTrue(ticket.ticket_sla_ids)
        self.assertNotEqual(self.outcome(ticket), "sla_breached")
        # The deadline moved to the past in SQL: the trigger on the service levels.
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE helpdesk_ticket_sla SET state = 'in_progress', deadline = %s"
                " WHERE ticket_id = %s",
                fields.Datetime.now() - timedelta(hours=1),
                ticket.id,
            )
        )
        ticket.ticket_sla_ids.invalidate_recordset()
        self.assertEqual(self.outcome(ticket), "sla_breached")
        self.assertStoreEqualsView("deadline passed")
        # Time alone: the row as stored before the deadline, the hourly job catches up.
        Timeline = self.env["crm.relational.timeline"]
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET outcome = 'open' WHERE kind = 'ticket' AND res_id = %s",
                SQL.identifier(Timeline._table),
                ticket.id,
            )
        )
        # The job's own code, in this transaction (the scheduler would run it in its own).
        self.env.ref("crm_relational.ir_cron_timeline_time_bound").ir_actions_server_id.run()
        self.assertEqual(self.outcome(ticket), "sla_breached")
        self.assertStoreEqualsView("after the hourly job")
