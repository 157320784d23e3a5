from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmRelationalErasure(models.Model):
    """A customer forgotten at their request (right to erasure): who did it, when.

    Written by *Forget This Customer* only; relationship administrators read it, nobody
    changes or deletes it. It keeps the customer's id even if the contact itself is deleted
    later, and nothing else about them.
    """

    _name = "crm.relational.erasure"
    _description = "Customer Erasure"
    _order = "date desc, id desc"
    _rec_name = "partner_ref"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
        help="The company the administrator worked in when they forgot the customer.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        readonly=True,
        ondelete="set null",
        help="The forgotten customer (empty once the contact itself is deleted).",
    )
    partner_ref = fields.Integer(
        string="Customer ID",
        required=True,
        readonly=True,
        aggregator=None,
        help="The forgotten customer's database id, kept when the contact is deleted.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Erased By",
        required=True,
        readonly=True,
        ondelete="restrict",
        help="The relationship administrator who forgot the customer.",
    )
    date = fields.Datetime(
        string="Erased On",
        required=True,
        readonly=True,
        default=fields.Datetime.now,
        help="When the customer's relational data were erased.",
    )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._("The erasure log proves that customers were forgotten: it is never deleted.")
        )
