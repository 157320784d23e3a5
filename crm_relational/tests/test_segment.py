from odoo.exceptions import ValidationError

from .common import RelationalCase


class TestSegment(RelationalCase):
    def test_segment_counts_commercial_entities_only(self):
        segment = self.env["crm.relational.segment"].create(
            {"name": "Saudi customers", "domain": "[('country_id.code', '=', 'SA')]"}
        )
        # The contact inherits the country of its company but is not a commercial entity.
        self.assertEqual(self.contact_sa.country_id.code, "SA")
        action = segment.action_view_partners()
        partners = self.env["res.partner"].search(action["domain"])
        self.assertIn(self.customer_sa, partners)
        self.assertNotIn(self.contact_sa, partners)
        self.assertNotIn(self.customer_ir, partners)
        self.assertEqual(segment.partner_count, len(partners))

    def test_invalid_domain_is_refused(self):
        for bad in ("[('no_such_field', '=', 1)]", "not a domain", "[('name', '=')]"):
            with self.subTest(domain=bad), self.assertRaises(ValidationError):
                self.env["crm.relational.segment"].create({"name": "Broken", "domain": bad})

    def test_salesman_reads_but_cannot_edit_segments(self):
        segment = self.env["crm.relational.segment"].create({"name": "Everyone"})
        as_salesman = segment.with_user(self.salesman)
        self.assertEqual(as_salesman.name, "Everyone")
        self.assertFalse(as_salesman.has_access("write"))
        self.assertFalse(
            self.env["crm.relational.segment"].with_user(self.salesman).has_access("create")
        )
        self.assertTrue(segment.with_user(self.sales_manager).has_access("write"))

    def test_segment_of_another_company_is_hidden(self):
        mine = self.env["crm.relational.segment"].create({"name": "Mine"})
        shared = self.env["crm.relational.segment"].create({"name": "Shared", "company_id": False})
        theirs = self.env["crm.relational.segment"].create(
            {"name": "Theirs", "company_id": self.other_company.id}
        )
        visible = (
            self.env["crm.relational.segment"]
            .with_user(self.other_company_manager)
            .search([("id", "in", (mine | shared | theirs).ids)])
        )
        self.assertEqual(visible, shared | theirs)
