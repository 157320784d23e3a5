from odoo import models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # The stock lookup offers products of the same category as alternatives: their templates
    # are read from this index rather than from every template.
    _categ_id_index = models.Index("(categ_id)")
