"""Install the three crm_relational addons into the ``odoo.addons`` namespace.

``pip install .`` is all an administrator needs: Odoo finds the addons next to its own, and pip
brings their Python and OCA dependencies (requirements.txt; ``.[test]`` adds
requirements-dev.txt). The version is the manifests' (the highest of the three).
"""

import ast
import os

from setuptools import setup

ADDONS = [
    "crm_relational",
    "crm_relational_sfa",
    "crm_relational_service",
    # Glue with OCA's helpdesk_mgmt_sale / helpdesk_mgmt_crm, installed by themselves with them.
    "crm_relational_service_sale",
    "crm_relational_service_crm",
]
HERE = os.path.dirname(os.path.abspath(__file__))


def _addon_tree(addon):
    """The addon's Python packages and every other file it ships (views, data, i18n, static,
    migration scripts)."""
    packages, data = [], []
    for folder, dirs, files in os.walk(os.path.join(HERE, addon)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        relative = os.path.relpath(folder, HERE)
        # migration scripts live in folders named after versions (dots): files, not packages
        scripts = "migrations" in relative.split(os.sep)
        if not scripts:
            packages.append("odoo.addons." + relative.replace(os.sep, "."))
        data += [
            os.path.relpath(os.path.join(folder, name), os.path.join(HERE, addon))
            for name in files
            if scripts or not name.endswith((".py", ".pyc"))
        ]
    return packages, data


def _requirements(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as file:
        return [line.split("#")[0].strip() for line in file if line.split("#")[0].strip()]


def _version_key(version):
    return tuple(int(part) for part in version.split("."))


def _version():
    """The release of the suite: the highest version among the three addons' manifests, the one
    place a version is written (a migration raises its addon's version, and so the package's)."""
    versions = []
    for addon in ADDONS:
        with open(os.path.join(HERE, addon, "__manifest__.py"), encoding="utf-8") as file:
            versions.append(ast.literal_eval(file.read())["version"])
    return max(versions, key=_version_key)


packages, package_dir, package_data = [], {}, {}
for addon in ADDONS:
    addon_packages, addon_data = _addon_tree(addon)
    packages += addon_packages
    package_dir["odoo.addons." + addon] = addon
    package_data["odoo.addons." + addon] = addon_data

setup(
    name="odoo-addons-crm-relational",
    version=_version(),
    description="Relational CRM intelligence, sales force automation and service for Odoo 19",
    long_description=open(os.path.join(HERE, "README.md"), encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="LGPL-3 (crm_relational, crm_relational_sfa), AGPL-3 (crm_relational_service)",
    # Odoo 19 needs 3.10, the addons 3.11 (datetime.UTC).
    python_requires=">=3.11",
    packages=packages,
    package_dir=package_dir,
    package_data=package_data,
    install_requires=_requirements("requirements.txt"),
    # pip install ".[test]": what the tests, the linters and the data generator import.
    extras_require={"test": _requirements("requirements-dev.txt")},
    zip_safe=False,
    classifiers=[
        "Framework :: Odoo",
        "Framework :: Odoo :: 19.0",
        "Programming Language :: Python :: 3",
    ],
)
