"""The glue with OCA's helpdesk_mgmt_sale and helpdesk_mgmt_crm: installing those in a database
with the three addons installs crm_relational_service_sale and _crm by themselves, and then
the order has one Tickets button and the ticket one way to an opportunity (the glue addons'
own tests, run by Odoo in that database).

OCA's modules come from .local/oca-glue (tools/oca-glue-requirements.txt), which `make test`
installs and passes as ``CRMREL_OCA_GLUE_ADDONS``; they are not in Odoo's environment, where
helpdesk_mgmt_sale would install itself in every database.
"""

import os
import re

import pytest
from odoo_process import ROOT, database_copy, free_port, odoo_conf, problems, query, run_odoo

pytestmark = pytest.mark.slow

GLUE = ("crm_relational_service_sale", "crm_relational_service_crm")
OCA = ("helpdesk_mgmt_sale", "helpdesk_mgmt_crm")


@pytest.fixture
def oca_addons():
    path = os.environ.get("CRMREL_OCA_GLUE_ADDONS")
    if not path or not all(os.path.isdir(os.path.join(path, name)) for name in OCA):
        pytest.skip("OCA's helpdesk_mgmt_sale/_crm are installed by `make test` (.local/oca-glue)")
    return path


def module_states(db, names):
    return dict(
        query(db, "SELECT name, state FROM ir_module_module WHERE name = ANY(%s)", (list(names),))
    )


def test_glue_installs_with_the_oca_modules_and_keeps_one_button(oca_addons):
    with database_copy("crmrel_oca_glue") as db:
        # Without OCA's modules the glue stays out of the database.
        assert "installed" not in module_states(db, GLUE).values()
        code, log = run_odoo(
            *("-c", odoo_conf(), "-d", db, "--addons-path", f"{ROOT},{oca_addons}"),
            *("-i", ",".join(OCA), "--test-tags", ",".join(f"/{name}" for name in GLUE)),
            *("--stop-after-init", "--http-port", str(free_port())),
        )
        assert code == 0, log[-5000:]
        assert module_states(db, OCA + GLUE) == dict.fromkeys(OCA + GLUE, "installed")
        result = re.findall(
            r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests", log
        )
        assert result, log[-5000:]
        failed, errors, count = map(int, result[-1])
        assert (failed, errors) == (0, 0), problems(log)
        assert count >= 5  # the glue addons' five tests ran
        assert not problems(log), problems(log)
