from lxml import etree

from odoo.tests import TransactionCase, tagged

from ..hooks import post_init_hook


@tagged("post_install", "-at_install")
class TestHelpdeskCrm(TransactionCase):
    """With OCA's helpdesk_mgmt_crm: one way to raise an opportunity, one Opportunities button."""

    def test_install_gives_earlier_opportunities_their_ticket(self):
        customer = self.env["res.partner"].create({"name": "Lamp Buyer"})
        ticket = self.env["helpdesk.ticket"].create(
            {"name": "Wants ten more", "description": "<p>x</p>", "partner_id": customer.id}
        )
        ticket.action_relational_opportunity()
        lead = ticket.relational_lead_id
        self.assertTrue(lead)
        lead.ticket_id = False
        self.env.flush_all()
        post_init_hook(self.env)
        lead.invalidate_recordset(["ticket_id"])
        self.assertEqual(lead.ticket_id, ticket)
        ticket.invalidate_recordset(["lead_ids"])
        self.assertEqual(ticket.lead_count, 1)

    def test_the_ticket_shows_one_way_to_an_opportunity(self):
        arch = self.env["helpdesk.ticket"].get_views([(False, "form")])["views"]["form"]["arch"]
        form = etree.fromstring(arch)
        ours = form.xpath("//button[@name='action_relational_opportunity']")
        self.assertEqual(len(ours), 2)  # Create an Opportunity, and the Opportunity button
        self.assertEqual({b.get("invisible") for b in ours}, {"True"})
        self.assertTrue(form.xpath("//button[@name='action_open_leads']"))
        self.assertFalse(form.xpath("//button[@name='action_open_leads'][@invisible='True']"))
