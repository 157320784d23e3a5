from datetime import datetime

from odoo.tests import TransactionCase, new_test_user
from odoo.tools import SQL


class ServiceCase(TransactionCase):
    """A service team working Monday to Friday, 8:00 to 17:00 UTC, with a public holiday on
    Monday 23 November 2026; agents, a customer and the helpdesk stages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Service hours",
                "tz": "UTC",
                "attendance_ids": [
                    (0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 8,
                            "hour_to": 17, "day_period": "morning"})
                    for day in range(5)
                ],
            }
        )  # fmt: skip
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": cls.calendar.id,
                "date_from": datetime(2026, 11, 23, 0, 0),
                "date_to": datetime(2026, 11, 23, 23, 59, 59),
            }
        )
        cls.leader = new_test_user(
            cls.env, login="svc_leader", groups="helpdesk_mgmt.group_helpdesk_manager"
        )
        cls.agent_a = new_test_user(
            cls.env, login="svc_agent_a", groups="helpdesk_mgmt.group_helpdesk_user_own"
        )
        cls.agent_b = new_test_user(
            cls.env, login="svc_agent_b", groups="helpdesk_mgmt.group_helpdesk_user_own"
        )
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {
                "name": "Gulf Support",
                "use_sla": True,
                "resource_calendar_id": cls.calendar.id,
                "user_id": cls.leader.id,
                "user_ids": [(6, 0, (cls.leader | cls.agent_a | cls.agent_b).ids)],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Nile Traders", "is_company": True, "email": "care@nile.example"}
        )
        cls.stage_new = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        cls.stage_progress = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_in_progress")
        cls.stage_waiting = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_awaiting")
        cls.stage_done = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")

    @classmethod
    def _ticket(cls, created=None, **values):
        ticket = cls.env["helpdesk.ticket"].create(
            {"name": "Broken lamp", "description": "<p>The lamp does not light.</p>",
             "team_id": cls.team.id, "partner_id": cls.customer.id, **values}
        )  # fmt: skip
        if created:
            cls.env.flush_all()
            cls.env.cr.execute(
                SQL("UPDATE helpdesk_ticket SET create_date = %s WHERE id = %s", created, ticket.id)
            )
            ticket.invalidate_recordset()
            ticket.set_sla()
        return ticket
