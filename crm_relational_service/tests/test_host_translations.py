import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged

EXTRA = Path(__file__).resolve().parents[1] / "i18n_extra"
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")
# The ticket form's labels the issue found in English, and its stages.
TICKET_FIELDS = [
    "team_id", "user_id", "priority", "create_date", "channel_id", "product_id", "partner_name",
    "partner_email", "category_id", "tag_ids", "description",
]  # fmt: skip
HOST_MODULES = ("helpdesk_mgmt", "helpdesk_mgmt_sla", "helpdesk_mgmt_rating", "helpdesk_product")
STAGES = ["helpdesk_ticket_stage_new", "helpdesk_ticket_stage_in_progress",
          "helpdesk_ticket_stage_awaiting"]  # fmt: skip


@tagged("post_install", "-at_install")
class TestHostTranslations(TransactionCase):
    """Installing our addons, or loading Arabic or Persian later, brings the OCA helpdesk's
    terms in those languages (``i18n_extra/<lang>.po`` of crm_relational_service), though the
    OCA modules ship none or part of them."""

    def _load(self, lang, modules=("crm_relational_service", *HOST_MODULES)):
        self.env["res.lang"]._activate_lang(lang)
        self.env["ir.module.module"].search([("name", "in", list(modules))])._update_translations(
            [lang]
        )

    def _catalogue(self, lang):
        return {e.msgid: e.msgstr for e in polib.pofile(str(EXTRA / f"{lang.split('_')[0]}.po"))}

    def _label(self, lang, model, name):
        field = self.env["ir.model.fields"]._get(model, name)
        return field.with_context(lang=lang).field_description

    def test_the_host_modules_alone_leave_the_ticket_form_in_english(self):
        """Why we ship them: the OCA catalogues have no Arabic for the ticket form."""
        self._load("ar_001", modules=HOST_MODULES)
        self.assertEqual(self._label("ar_001", "helpdesk.ticket", "team_id"), "Team")

    def test_arabic_ticket_form_labels_stages_and_views(self):
        self._load("ar_001")
        catalogue = self._catalogue("ar_001")
        for name in TICKET_FIELDS:
            with self.subTest(field=name):
                english = self._label("en_US", "helpdesk.ticket", name)
                arabic = self._label("ar_001", "helpdesk.ticket", name)
                self.assertEqual(arabic, catalogue[english])
                self.assertRegex(arabic, ARABIC_SCRIPT)
        for xmlid in STAGES:
            stage = self.env.ref(f"helpdesk_mgmt.{xmlid}")
            with self.subTest(stage=stage.name):
                self.assertEqual(stage.with_context(lang="ar_001").name, catalogue[stage.name])
        # The form's own texts (a page title), and the portal's ticket list.
        arch = (
            self.env["helpdesk.ticket"]
            .with_context(lang="ar_001")
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn(catalogue["Other Information"], arch)
        self.assertNotIn('string="Other Information"', arch)
        portal = self.env.ref("helpdesk_mgmt.portal_ticket_list").with_context(lang="ar_001")
        self.assertIn(catalogue["Current stage of the ticket"], portal.arch_db)
        # Service levels and ratings too.
        self.assertRegex(self._label("ar_001", "helpdesk.ticket", "sla_deadline"), ARABIC_SCRIPT)
        self.assertRegex(self._label("ar_001", "helpdesk.ticket", "rating_ids"), ARABIC_SCRIPT)

    def test_persian_service_level_labels(self):
        """OCA's helpdesk_mgmt_sla has no Persian at all: ours fills it."""
        self._load("fa_IR")
        catalogue = self._catalogue("fa_IR")
        for name, english in (("sla_deadline", "SLA deadline"), ("sla_expired", "SLA expired"),
                              ("team_sla", "Team SLA")):  # fmt: skip
            with self.subTest(field=name):
                self.assertEqual(self._label("en_US", "helpdesk.ticket", name), english)
                self.assertEqual(self._label("fa_IR", "helpdesk.ticket", name), catalogue[english])
                self.assertRegex(catalogue[english], ARABIC_SCRIPT)  # Persian script
