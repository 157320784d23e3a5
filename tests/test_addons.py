"""The three addons are installed together, with their demo data, manifests and translations."""

import ast
import os

from repository_case import RepositoryCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDONS = ["crm_relational", "crm_relational_sfa", "crm_relational_service"]


def manifest(addon):
    with open(os.path.join(ROOT, addon, "__manifest__.py"), encoding="utf-8") as file:
        return ast.literal_eval(file.read())


class TestAddons(RepositoryCase):
    def test_installed_together_with_demo_data(self):
        modules = self.env["ir.module.module"].search([("name", "in", ADDONS)])
        self.assertEqual(sorted(modules.mapped("name")), sorted(ADDONS))
        self.assertEqual(set(modules.mapped("state")), {"installed"})
        self.assertTrue(all(modules.mapped("demo")))
        # One demo record of each addon.
        self.assertTrue(self.env.ref("crm_relational.segment_middle_east").partner_count >= 0)
        self.assertEqual(
            self.env.ref("crm_relational_sfa.target_admin_this_quarter").amount, 120000
        )
        self.assertEqual(self.env.ref("crm_relational_service.skill_english").lang, "en_US")

    def test_manifests(self):
        for addon in ADDONS:
            with self.subTest(addon=addon):
                data = manifest(addon)
                self.assertRegex(data["version"], r"^19\.0\.\d+\.\d+\.\d+$")
                self.assertTrue(data["author"] and data["website"])
                self.assertIn(data["license"], ("LGPL-3", "AGPL-3"))
                for path in data["data"] + data.get("demo", []):
                    self.assertTrue(os.path.isfile(os.path.join(ROOT, addon, path)), path)
        # helpdesk_mgmt is AGPL-3, so the addon that extends it is too.
        self.assertEqual(manifest("crm_relational_service")["license"], "AGPL-3")

    def test_every_model_has_access_rules(self):
        """Every stored model has access rights; those with a company have a multi-company
        record rule. Abstract models have no records, and wizards' records are their creator's
        only (Odoo's rule for transient models)."""
        models = self.env["ir.model"].search([("model", "like", "crm.relational.%")])
        self.assertTrue(models)
        for model in models:
            Model = self.env[model.model]
            if Model._abstract:
                continue
            with self.subTest(model=model.model):
                self.assertTrue(model.access_ids, f"{model.model} has no access rights")
                if "company_id" in Model._fields and not Model._transient:
                    rules = model.rule_ids.filtered(lambda rule: "company" in rule.domain_force)
                    self.assertTrue(rules, f"{model.model} has no multi-company record rule")

    def test_translation_template_lists_every_addon_string(self):
        for addon in ADDONS:
            with self.subTest(addon=addon):
                pot = os.path.join(ROOT, addon, "i18n", f"{addon}.pot")
                self.assertTrue(os.path.isfile(pot), f"{pot} is missing")
                with open(pot, encoding="utf-8") as file:
                    text = file.read()
                # A few strings each addon shows, from fields, views and Python code.
                for expected in {
                    "crm_relational": ["Customer Segments", "Tier A Share of Margin (%)"],
                    "crm_relational_sfa": ["Sales Targets", "A sales target cannot be negative."],
                    "crm_relational_service": ["Service Skills", "Skill %(skill)s needs %(what)s."],
                }[addon]:
                    self.assertIn(f'msgid "{expected}"', text)

    def test_arabic_and_persian_translations_are_complete(self):
        import polib

        for addon in ADDONS:
            template = polib.pofile(os.path.join(ROOT, addon, "i18n", f"{addon}.pot"))
            expected = {(entry.msgctxt, entry.msgid) for entry in template}
            for lang in ("ar", "fa"):
                with self.subTest(addon=addon, lang=lang):
                    catalog = polib.pofile(os.path.join(ROOT, addon, "i18n", f"{lang}.po"))
                    translated = {
                        (entry.msgctxt, entry.msgid)
                        for entry in catalog
                        if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags
                    }
                    self.assertEqual(expected - translated, set(), "untranslated terms")

    def test_tour_screenshots_go_to_the_repository(self):
        """The tours' screenshots of the three addons go through one helper: in this clone,
        the repository's tests/screenshots/; installed elsewhere, Odoo's screenshot folder."""
        from odoo.addons.crm_relational.tests import tours

        self.assertEqual(str(tours.screenshot_dir()), os.path.join(ROOT, "tests", "screenshots"))
        for addon in ("crm_relational_sfa", "crm_relational_service"):
            path = os.path.join(ROOT, addon, "tests", "test_tours.py")
            with open(path, encoding="utf-8") as file:
                self.assertIn("crm_relational.tests.tours import tour_screenshots", file.read())
