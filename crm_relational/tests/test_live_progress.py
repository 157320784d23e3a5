from odoo import fields
from odoo.tests import HttpCase


class TestLiveProgress(HttpCase):
    """A long operation's form follows its progress without reloading the page."""

    def test_a_running_recompute_shows_its_progress_as_it_goes(self):
        run = self.env["crm.relational.run"].create(
            {"company_id": self.env.company.id, "mode": "full", "date": fields.Date.today(),
             "customer_count": 4, "done_count": 1}
        )  # fmt: skip
        self.start_tour(
            f"/odoo/action-crm_relational.action_crm_relational_run/{run.id}",
            "crm_relational_live_progress",
            login="admin",
        )
        self.assertEqual(run.state, "done")
        self.assertEqual(run.done_count, run.customer_count)
