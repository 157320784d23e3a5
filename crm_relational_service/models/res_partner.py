from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def action_relational_ticket_from_call(self):
        """A new ticket from the call in progress: the customer and the phone channel set."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Ticket From a Call"),
            "res_model": "helpdesk.ticket",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_partner_id": self.id,
                "default_channel_id": self.env.ref(
                    "helpdesk_mgmt.helpdesk_ticket_channel_phone", raise_if_not_found=False
                ).id,
            },
        }
