"""Base class for Odoo integration tests that live outside the addons (in tests/)."""

from odoo.tests import TransactionCase


class RepositoryCase(TransactionCase):
    """A TransactionCase for the repository-level suite.

    Odoo gives tags only to test classes defined in ``odoo.addons.<module>``; these classes live in
    ``tests/`` and so declare theirs.
    """

    test_tags = {"standard", "post_install"}
    test_module = "crm_relational"
