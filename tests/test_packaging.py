"""The addons package as OCA users expect: the sdist carries what building needs, the wheel built
from it puts the three addons where Odoo finds them, and both install with their dependencies
resolved (``pip install .`` and from the sdist); one version, the manifests'; every import
declared.

The builds and installs run offline (``--no-index --no-build-isolation``): pip resolves every
dependency against what is installed, as it would against the package index, and fails on any it
cannot satisfy, so nothing leaves this machine.
"""

import ast
import email
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from importlib.metadata import packages_distributions, requires

import pytest
from odoo_process import ADDONS, ROOT

pytestmark = pytest.mark.slow

# What the distribution ships: the three addons and the glue with OCA's helpdesk_mgmt_sale/_crm.
PACKAGED = [*ADDONS, "crm_relational_service_sale", "crm_relational_service_crm"]
OFFLINE = ["--no-index", "--no-build-isolation", "--disable-pip-version-check", "-q"]
DISTRIBUTION = "odoo-addons-crm-relational"


def manifest(addon):
    with open(os.path.join(ROOT, addon, "__manifest__.py"), encoding="utf-8") as file:
        return ast.literal_eval(file.read())


def version_key(version):
    return tuple(int(part) for part in version.split("."))


def tracked_files(path):
    """The files git tracks under `path` (what a clone, and so a release, has)."""
    output = subprocess.run(
        ["git", "ls-files", "--", path], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(output.split())


def shipped_files(addon_dir):
    return {
        os.path.relpath(os.path.join(folder, name), addon_dir)
        for folder, _dirs, files in os.walk(addon_dir)
        for name in files
        if "__pycache__" not in folder and not name.endswith(".pyc")
    }


def requirement_lines(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as file:
        return [line.split("#")[0].strip() for line in file if line.split("#")[0].strip()]


def requirement_name(line):
    return re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0].lower().replace("_", "-")


def run(*command, cwd=ROOT):
    process = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert process.returncode == 0, process.stdout + process.stderr
    return process.stdout


@pytest.fixture(scope="module")
def sdist(tmp_path_factory):
    """The source distribution `python setup.py sdist` builds."""
    out = tmp_path_factory.mktemp("sdist")
    run(sys.executable, "setup.py", "-q", "sdist", "--dist-dir", str(out))
    (archive,) = out.glob("*.tar.gz")
    return archive


@pytest.fixture(scope="module")
def wheel_from_sdist(sdist, tmp_path_factory):
    """The wheel pip builds from the sdist alone (not from the repository)."""
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", *OFFLINE, "--no-deps", "-w", str(out), str(sdist))
    (wheel,) = out.glob("*.whl")
    return wheel


def new_venv(path):
    """A virtual environment that sees this Python's packages (Odoo 19, the OCA addons), as an
    administrator's Odoo environment does, and installs into its own site-packages."""
    run(sys.executable, "-m", "venv", "--system-site-packages", str(path))
    return str(path / "bin" / "python")


def assert_odoo_finds_the_addons_in(python, site_root):
    """Odoo, started from `python`, finds each addon in `site_root` and nowhere else."""
    script = (
        "from odoo.tools import config; config.parse_config([]);"
        "from odoo.modules.module import get_module_path;"
        f"print('\\n'.join(get_module_path(a) or '' for a in {PACKAGED!r}))"
    )
    paths = run(python, "-c", script, cwd="/").split()
    assert len(paths) == len(PACKAGED), paths
    for addon, path in zip(PACKAGED, paths, strict=True):
        assert path.startswith(str(site_root)), path
        assert path.endswith(os.path.join("odoo", "addons", addon))
        assert shipped_files(path) == shipped_files(os.path.join(ROOT, addon))


def assert_requirements_met(python):
    """pip finds every requirement of the installed distribution met in the environment of
    `python` (others' conflicts in the shared site-packages are not ours)."""
    process = subprocess.run(
        [python, "-m", "pip", "check"], cwd="/", capture_output=True, text=True, check=False
    )
    ours = [line for line in process.stdout.splitlines() if line.startswith(DISTRIBUTION)]
    assert not ours, ours
    listed = run(python, "-m", "pip", "list", "--format=freeze", cwd="/")
    assert f"{DISTRIBUTION}=={max_manifest_version()}" in listed.splitlines()


def test_sdist_carries_the_requirements_and_every_addon_file(sdist):
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for name in ("setup.py", "pyproject.toml", "README.md", "requirements.txt"):
        assert name in names
    assert "requirements-dev.txt" in names  # the extra "test"
    for addon in PACKAGED:
        missing = tracked_files(addon) - names
        assert not missing, missing
    assert top == f"{DISTRIBUTION}-{max_manifest_version()}"


def max_manifest_version():
    return max((manifest(addon)["version"] for addon in PACKAGED), key=version_key)


def test_every_addon_of_the_repository_is_packaged():
    addons = {
        name
        for name in os.listdir(ROOT)
        if os.path.isfile(os.path.join(ROOT, name, "__manifest__.py"))
    }
    assert addons == set(PACKAGED)


def test_the_version_is_the_manifests():
    """One version: setup.py reads it from the manifests (the highest, a release of the suite)."""
    assert run(sys.executable, "setup.py", "--version").strip().splitlines()[-1] == (
        max_manifest_version()
    )
    for addon in PACKAGED:
        assert re.fullmatch(r"19\.0\.\d+\.\d+\.\d+", manifest(addon)["version"]), addon


def test_wheel_from_the_sdist_has_the_addons_metadata_and_dependencies(wheel_from_sdist):
    with zipfile.ZipFile(wheel_from_sdist) as wheel:
        names = set(wheel.namelist())
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(wheel.read(metadata_name))
    # A namespace: no odoo/__init__.py that would hide Odoo itself.
    assert "odoo/__init__.py" not in names
    assert "odoo/addons/__init__.py" not in names
    for addon in PACKAGED:
        expected = {
            f"odoo/addons/{addon}/{os.path.relpath(f, addon)}" for f in tracked_files(addon)
        }
        assert not expected - names, expected - names
    assert metadata["Version"] == max_manifest_version()
    # The code uses datetime.UTC (3.11): python_requires says so.
    assert metadata["Requires-Python"] == ">=3.11"
    requirements = metadata.get_all("Requires-Dist")
    runtime = [r for r in requirements if "extra ==" not in r]
    assert sorted(requirement_name(r) for r in runtime) == sorted(
        requirement_name(line) for line in requirement_lines("requirements.txt")
    )
    test_extra = [r for r in requirements if 'extra == "test"' in r]
    assert {requirement_name(r) for r in test_extra} >= {"freezegun", "pytest", "pytest-odoo"}


def test_install_from_the_sdist_resolves_its_dependencies(sdist, tmp_path):
    python = new_venv(tmp_path / "venv")
    run(python, "-m", "pip", "install", *OFFLINE, str(sdist), cwd="/")
    assert_odoo_finds_the_addons_in(python, tmp_path / "venv")
    assert_requirements_met(python)


def test_pip_install_dot_resolves_its_dependencies(tmp_path):
    python = new_venv(tmp_path / "venv")
    run(python, "-m", "pip", "install", *OFFLINE, ".")
    assert_odoo_finds_the_addons_in(python, tmp_path / "venv")
    assert_requirements_met(python)


# ----------------------------------------------------------------------- imports declared
LOCAL_MODULES = {"odoo", "data", "bench", "tests", "access_roles", "odoo_process"}


def imported_modules(files):
    """Top-level names imported by the Python files among `files`."""
    names = set()
    for path in sorted(files):
        if not path.endswith(".py"):
            continue
        with open(os.path.join(ROOT, path), encoding="utf-8") as file:
            tree = ast.parse(file.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names.add(node.module.split(".")[0])
    return names


def third_party(names):
    """The names among `names` that are neither the standard library nor this repository's."""
    local = LOCAL_MODULES | {
        os.path.splitext(os.path.basename(p))[0] for p in tracked_files(".") if p.endswith(".py")
    }
    return {n for n in names if n not in sys.stdlib_module_names and n not in local}


def distributions_of(module):
    return {d.lower().replace("_", "-") for d in packages_distributions().get(module, [])}


def test_every_import_is_declared():
    """Each third-party module the addons, tests, generator, benchmarks and tools import comes
    from a distribution that requirements.txt, requirements-dev.txt or Odoo itself declares."""
    declared = {
        requirement_name(line)
        for name in ("requirements.txt", "requirements-dev.txt")
        for line in requirement_lines(name)
    }
    declared |= {requirement_name(r) for r in requires("odoo") or [] if "extra ==" not in r}
    undeclared = {
        module: distributions_of(module)
        for module in third_party(imported_modules(tracked_files(".")))
        if not distributions_of(module) & declared
    }
    assert not undeclared, undeclared


def test_addons_declare_their_external_python_dependencies():
    """An addon whose code (tests aside) imports a module Odoo does not bring declares it in its
    manifest's external_dependencies, so Odoo says what is missing instead of a traceback."""
    odoo_brings = {requirement_name(r) for r in requires("odoo") or [] if "extra ==" not in r}
    for addon in PACKAGED:
        code = [p for p in tracked_files(addon) if "/tests/" not in p]
        needed = {
            module
            for module in third_party(imported_modules(code))
            if not distributions_of(module) & odoo_brings
        }
        declared = set(manifest(addon).get("external_dependencies", {}).get("python", []))
        assert needed <= declared, (addon, needed - declared)
    assert {"numpy", "scipy"} <= set(
        manifest("crm_relational_sfa")["external_dependencies"]["python"]
    )


# ----------------------------------------------------------------- lint: pre-commit = make lint
def read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as file:
        return file.read()


def pinned(name, package):
    """The version `package` is pinned to (==) in the requirements file `name`."""
    match = re.search(rf"^{re.escape(package)}==([\w.]+)", read(name), re.MULTILINE)
    assert match, f"{package} is not pinned in {name}"
    return match.group(1)


def test_pre_commit_runs_what_make_lint_runs_at_the_same_versions():
    config = read(".pre-commit-config.yaml")
    devenv = read("tools/devenv.sh")
    lint = devenv[devenv.index("cmd_lint() {") :]
    revs = dict(re.findall(r"- repo: (\S+)\n\s+rev: (\S+)", config))
    assert revs["https://github.com/astral-sh/ruff-pre-commit"] == "v" + pinned(
        "requirements-dev.txt", "ruff"
    )
    assert revs["https://github.com/OCA/pylint-odoo"] == "v" + pinned(
        "requirements-dev.txt", "pylint-odoo"
    )
    assert revs["https://github.com/OCA/odoo-pre-commit-hooks"] == "v" + pinned(
        "tools/lint-requirements.txt", "oca-odoo-pre-commit-hooks"
    )
    eslint = re.search(r"^ESLINT_VERSION=(\S+)$", devenv, re.MULTILINE).group(1)
    assert f'"eslint@{eslint}"' in config
    # Each hook has its command in `make lint`.
    commands = {
        "ruff": "ruff check",
        "ruff-format": "ruff format --check",
        "pylint_odoo": "pylint --rcfile=.pylintrc",
        "oca-checks-odoo-module": "oca_pre_commit_hooks.cli ",
        "oca-checks-po": "oca_pre_commit_hooks.cli_po",
        "eslint": '/.bin/eslint" --config eslint.config.mjs',
        "addon-readme": "tools/addon_readme.py --check",
    }
    hooks = re.findall(r"- id: (\S+)", config)
    assert sorted(hooks) == sorted(commands)
    for hook, command in commands.items():
        assert command in lint, hook


def lint_tool(*args, stdin=None):
    """Run a linter as `make lint` does, from the environment it installed in .local/lint."""
    lint_dir = os.path.join(ROOT, ".local", "lint")
    if not os.path.exists(os.path.join(lint_dir, "stamp")):
        pytest.skip("the linters are not installed yet: run `make lint` first")
    return subprocess.run(
        args,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.path.join(lint_dir, "python")},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_lint_finds_faults_in_xml_and_javascript(tmp_path):
    """The XML and JavaScript checks of `make lint` find real faults (not only formatting)."""
    eslint = os.path.join(ROOT, ".local", "lint", "node", "node_modules", ".bin", "eslint")
    process = lint_tool(
        eslint,
        *("--config", "eslint.config.mjs", "--stdin"),
        *("--stdin-filename", "crm_relational/static/src/faulty.js"),
        stdin='import { Component } from "@odoo/owl";\nexport const x = undefinedName;\n',
    )
    assert process.returncode == 1
    assert "'undefinedName' is not defined" in process.stdout
    assert "'Component' is defined but never used" in process.stdout

    # An addon with two records of one XML id and a view in the pre-Odoo 17 syntax.
    addon = tmp_path / "faulty_addon"
    (addon / "views").mkdir(parents=True)
    (addon / "__init__.py").write_text("")
    (addon / "__manifest__.py").write_text(
        repr(
            {
                "name": "Faulty",
                "version": "19.0.1.0.0",
                "license": "LGPL-3",
                "data": ["views/faulty_views.xml"],
            }
        )
    )
    (addon / "views" / "faulty_views.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8" ?>\n<odoo>\n'
        '    <record id="view_partner_faulty" model="ir.ui.view">\n'
        '        <field name="model">res.partner</field>\n'
        '        <field name="arch" type="xml"><tree><field name="name"/></tree></field>\n'
        "    </record>\n"
        '    <record id="view_partner_faulty" model="ir.ui.view">\n'
        '        <field name="model">res.partner</field>\n'
        '        <field name="arch" type="xml"><list><field name="name"/></list></field>\n'
        "    </record>\n</odoo>\n"
    )
    process = lint_tool(sys.executable, "-m", "oca_pre_commit_hooks.cli", str(addon))
    assert process.returncode == 1, process.stdout + process.stderr
    assert "xml-duplicate-record-id" in process.stdout
