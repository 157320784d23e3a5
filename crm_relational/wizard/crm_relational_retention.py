from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class CrmRelationalRetention(models.TransientModel):
    """Act on inactive customers in bulk, as the retention policy asks: re-engage them (an
    activity for their salesperson) or anonymise them (Forget This Customer)."""

    _name = "crm.relational.retention"
    _description = "Re-engage or Forget Inactive Customers"

    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        default=lambda self: self._default_partner_ids(),
        help="The customers to act on; contacts count for their company.",
    )
    partner_count = fields.Integer(string="Number of Customers", compute="_compute_partner_count")
    operation = fields.Selection(
        [("reengage", "Re-engage"), ("forget", "Anonymise (Forget)")],
        required=True,
        default="reengage",
        help="Re-engage: schedule a to-do for each customer's salesperson (for you when it "
        "has none). Anonymise: forget each customer, erasing its profiles, scores, stage "
        "history and exports in every company; this cannot be undone.",
    )
    date_deadline = fields.Date(
        string="Due Date",
        default=lambda self: fields.Date.context_today(self) + timedelta(days=7),
        help="When the re-engagement to-do is due.",
    )
    note = fields.Text(help="Added to the re-engagement to-do, for the salesperson.")

    @api.depends("partner_ids")
    def _compute_partner_count(self):
        for wizard in self:
            wizard.partner_count = len(wizard.partner_ids.commercial_partner_id)

    @api.model
    def _default_partner_ids(self):
        context = self.env.context
        if context.get("active_model") == "res.partner" and context.get("active_ids"):
            return [fields.Command.set(context["active_ids"])]
        return []

    def action_apply(self):
        """Re-engage or forget the selected customers, then tell how many were done."""
        self.ensure_one()
        if not self.env.user.has_group("crm_relational.group_manager"):
            raise AccessError(
                self.env._("Only relationship administrators act on inactive customers.")
            )
        customers = self.partner_ids.commercial_partner_id
        if not customers:
            raise UserError(self.env._("Select the customers to act on."))
        customers.check_access("write")
        if self.operation == "forget":
            customers._relational_forget()
            message = self.env._(
                "%(count)s customer(s) forgotten: their relational data are erased.",
                count=len(customers),
            )
        else:
            scheduled, skipped = self._reengage(customers)
            message = self.env._(
                "Re-engagement to-do scheduled for %(scheduled)s customer(s); %(skipped)s "
                "already had one.",
                scheduled=scheduled,
                skipped=skipped,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _reengage(self, customers):
        """A to-do for each customer's salesperson (the current user when it has none or an
        inactive one), unless one is already open: ``(scheduled, skipped)``."""
        summary = self.env._("Re-engage this inactive customer")
        todo = self.env.ref("mail.mail_activity_data_todo")
        scheduled = skipped = 0
        for customer in customers:
            if customer.activity_ids.filtered(
                lambda activity: activity.activity_type_id == todo and activity.summary == summary
            ):
                skipped += 1
                continue
            user = customer.user_id if customer.user_id.active else self.env.user
            customer.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=self.date_deadline,
                summary=summary,
                note=self.note or "",
                user_id=user.id,
            )
            scheduled += 1
        return scheduled, skipped
