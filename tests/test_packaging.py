"""`pip install .` puts the three addons where Odoo finds them, with everything they ship."""

import ast
import os
import subprocess
import sys

import pytest
from odoo_process import ADDONS, ROOT

pytestmark = pytest.mark.slow


def shipped_files(addon_dir):
    return {
        os.path.relpath(os.path.join(folder, name), addon_dir)
        for folder, dirs, files in os.walk(addon_dir)
        for name in files
        if "__pycache__" not in folder
    }


def test_pip_install_puts_addons_in_the_odoo_addons_namespace(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), ROOT],
        check=True,
        capture_output=True,
    )
    installed_addons = target / "odoo" / "addons"
    # A namespace: no odoo/__init__.py that would hide Odoo itself.
    assert not (target / "odoo" / "__init__.py").exists()
    assert not (installed_addons / "__init__.py").exists()
    for addon in ADDONS:
        assert shipped_files(installed_addons / addon) == shipped_files(os.path.join(ROOT, addon))


def test_requirements_are_the_install_requirements():
    # setup.py reads requirements.txt; the OCA dependency of the service addon is among them.
    with open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8") as file:
        text = file.read()
    assert "odoo-addon-helpdesk_mgmt" in text
    manifest = ast.literal_eval(
        open(os.path.join(ROOT, "crm_relational_service", "__manifest__.py")).read()
    )
    assert "helpdesk_mgmt" in manifest["depends"]
