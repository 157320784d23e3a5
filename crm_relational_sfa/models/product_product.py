from odoo import models


class ProductProduct(models.Model):
    _inherit = "product.product"

    # The stock lookup finds products by any part of their internal reference as the user
    # types: a trigram index answers that from the index, as Odoo's own one on the names
    # does, instead of reading every product (skipped where PostgreSQL has no pg_trgm).
    _default_code_trigram = models.Index(
        lambda registry: "USING gin (default_code gin_trgm_ops)" if registry.has_trigram else ""
    )
