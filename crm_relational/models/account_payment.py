from odoo import fields, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    # Indexed: the customer timeline finds a customer's payments by partner.
    partner_id = fields.Many2one(index=True)
