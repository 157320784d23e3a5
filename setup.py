"""Install the three crm_relational addons into the ``odoo.addons`` namespace.

``pip install .`` is all an administrator needs: Odoo finds the addons next to its own, and pip
brings their Python and OCA dependencies (requirements.txt).
"""

import os

from setuptools import setup

ADDONS = ["crm_relational", "crm_relational_sfa", "crm_relational_service"]
HERE = os.path.dirname(os.path.abspath(__file__))


def _addon_tree(addon):
    """The addon's Python packages and every other file it ships (views, data, i18n, static)."""
    packages, data = [], []
    for folder, dirs, files in os.walk(os.path.join(HERE, addon)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        relative = os.path.relpath(folder, HERE)
        packages.append("odoo.addons." + relative.replace(os.sep, "."))
        data += [
            os.path.relpath(os.path.join(folder, name), os.path.join(HERE, addon))
            for name in files
            if not name.endswith((".py", ".pyc"))
        ]
    return packages, data


def _requirements():
    with open(os.path.join(HERE, "requirements.txt"), encoding="utf-8") as file:
        return [line.split("#")[0].strip() for line in file if line.split("#")[0].strip()]


packages, package_dir, package_data = [], {}, {}
for addon in ADDONS:
    addon_packages, addon_data = _addon_tree(addon)
    packages += addon_packages
    package_dir["odoo.addons." + addon] = addon
    package_data["odoo.addons." + addon] = addon_data

setup(
    name="odoo-addons-crm-relational",
    version="19.0.1.0.0",
    description="Relational CRM intelligence, sales force automation and service for Odoo 19",
    long_description=open(os.path.join(HERE, "README.md"), encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="LGPL-3 (crm_relational, crm_relational_sfa), AGPL-3 (crm_relational_service)",
    python_requires=">=3.10",
    packages=packages,
    package_dir=package_dir,
    package_data=package_data,
    install_requires=_requirements(),
    zip_safe=False,
    classifiers=[
        "Framework :: Odoo",
        "Framework :: Odoo :: 19.0",
        "Programming Language :: Python :: 3",
    ],
)
