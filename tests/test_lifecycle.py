"""The three addons upgrade, uninstall and reinstall cleanly, with no warning in the log."""

import pytest
from odoo_process import (
    ADDONS,
    database_copy,
    odoo_conf,
    problems,
    query,
    run_odoo,
)

pytestmark = pytest.mark.slow

# What each addon adds to the database, that must go away with it.
OWN_TABLES = {
    "crm_relational": ["crm_relational_segment"],
    "crm_relational_sfa": ["crm_relational_sales_target"],
    "crm_relational_service": ["crm_relational_skill"],
}
OWN_COMPANY_COLUMNS = {
    "crm_relational": ["relational_tier_a_share", "relational_clv_horizon_months"],
    "crm_relational_sfa": ["sfa_forecast_period"],
    "crm_relational_service": ["service_calendar_id"],
}
DEPENDENTS = {
    "crm_relational": ADDONS,
    "crm_relational_sfa": ["crm_relational_sfa"],
    "crm_relational_service": ["crm_relational_service"],
}


def module_states(db):
    return dict(
        query(db, "SELECT name, state FROM ir_module_module WHERE name = ANY(%s)", (ADDONS,))
    )


def test_upgrade_runs_without_errors_or_warnings():
    with database_copy("crm_relational_lifecycle_upgrade") as db:
        code, log = run_odoo(
            "-c", odoo_conf(), "-d", db, "-u", ",".join(ADDONS), "--stop-after-init"
        )
        assert code == 0, log[-3000:]
        assert problems(log) == []
        assert set(module_states(db).values()) == {"installed"}


@pytest.mark.parametrize("addon", ADDONS)
def test_uninstall_leaves_nothing_and_reinstall_works(addon):
    with database_copy(f"crm_relational_lifecycle_{addon}") as db:
        code, log = run_odoo("module", "uninstall", "-c", odoo_conf(), "-d", db, addon)
        assert code == 0, log[-3000:]
        assert problems(log) == []
        removed = DEPENDENTS[addon]
        states = module_states(db)
        assert {name: states[name] for name in removed} == dict.fromkeys(removed, "uninstalled")
        kept = [name for name in ADDONS if name not in removed]
        assert {name: states[name] for name in kept} == dict.fromkeys(kept, "installed")

        for name in removed:
            assert query(db, "SELECT count(*) FROM ir_model_data WHERE module = %s", (name,)) == [
                (0,)
            ]
            for table in OWN_TABLES[name]:
                assert query(db, "SELECT to_regclass(%s)", (table,)) == [(None,)]
            columns = query(
                db,
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'res_company' AND column_name = ANY(%s)",
                (OWN_COMPANY_COLUMNS[name],),
            )
            assert columns == []
        # No view, menu or scheduled action is left pointing at what was removed.
        assert query(
            db,
            "SELECT count(*) FROM ir_ui_view WHERE arch_db::text ~ %s",
            ("|".join(c for name in removed for c in OWN_COMPANY_COLUMNS[name]),),
        ) == [(0,)]
        assert query(
            db,
            "SELECT count(*) FROM ir_act_window WHERE res_model LIKE 'crm.relational.%'"
            " AND res_model NOT IN (SELECT model FROM ir_model)",
        ) == [(0,)]

        code, log = run_odoo("module", "install", "-c", odoo_conf(), "-d", db, *removed)
        assert code == 0, log[-3000:]
        assert problems(log) == []
        assert set(module_states(db).values()) == {"installed"}
