"""`make setup` (the first step of `make run` and `make test`) works wherever a newcomer clones:
as root in a private (0700) directory, as a user who is not root, and in a path with spaces.

Each test clones the repository into a temporary directory, lays the working tree's set-up
files over the clone (so uncommitted changes to them are what is tested), runs `make setup` there
with an environment free of this session's cluster, checks the embedded PostgreSQL cluster it
started, and removes it with `make clean`.
"""

import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile

import psycopg2
import pytest
from odoo_process import ROOT

pytestmark = pytest.mark.slow

SETUP_FILES = ["Makefile", "tools/devenv.sh", "requirements.txt", "requirements-dev.txt"]
TEST_USER = "crmrel-setup"
# Set by `make test` for this session's own cluster: a clone must find its own.
OUTER_VARIABLES = ("ODOO_RC", "ODOO_CONF", "PGHOST", "PGPORT", "PGUSER", "LOCAL", "PY", "MAKEFLAGS")


def clean_environment(**extra):
    env = {key: value for key, value in os.environ.items() if key not in OUTER_VARIABLES}
    env["PYTHON"] = sys.executable
    env.update(extra)
    return env


def clone(destination, owner=None):
    """A clone of this repository at `destination` (its parents created), with the working
    tree's set-up files; owned by the user `owner` when given."""
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    subprocess.run(["git", "clone", "-q", ROOT, destination], check=True, capture_output=True)
    for name in SETUP_FILES:
        shutil.copy2(os.path.join(ROOT, name), os.path.join(destination, name))
    if owner:
        subprocess.run(["chown", "-R", owner, destination], check=True)
    return destination


def make(clone_dir, target, env, user=None, timeout=600):
    """`make <target>` in `clone_dir`, as `user` when given; return (exit code, output)."""
    command = ["make", "--no-print-directory", "-C", clone_dir, target]
    if user:
        command = [
            "runuser",
            "-u",
            user,
            "--",
            "env",
            *(f"{k}={v}" for k, v in env.items()),
            *command,
        ]
    process = subprocess.run(
        command,
        env=None if user else env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return process.returncode, process.stdout + process.stderr


def setup_port(output):
    """The cluster's port from the last line of `make setup` (python=... conf=... pgport=N)."""
    lines = [line for line in output.splitlines() if "pgport=" in line]
    assert lines, output
    return int(lines[-1].rsplit("pgport=", 1)[1])


def cluster_directory(port):
    connection = psycopg2.connect(host="127.0.0.1", port=port, user="odoo", dbname="postgres")
    try:
        with connection.cursor() as cr:
            cr.execute("SELECT current_setting('data_directory')")
            return cr.fetchone()[0]
    finally:
        connection.close()


@pytest.fixture
def private_dir():
    """A temporary directory only its owner may enter, as root's home in most containers."""
    path = tempfile.mkdtemp(prefix="crmrel-private-")
    os.chmod(path, 0o700)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_setup_in_a_private_clone_with_spaces(private_dir):
    """Root (or any user) in a 0700 clone whose path has spaces: the cluster starts where its
    server's OS user can reach it, Odoo creates a database with the written configuration, a
    second call reuses the cluster, and `make clean` removes it wherever it lives."""
    clone_dir = clone(os.path.join(private_dir, "my clones", "crm relational"))
    env = clean_environment()
    code, output = make(clone_dir, "setup", env)
    assert code == 0, output
    port = setup_port(output)
    data_dir = cluster_directory(port)
    if os.geteuid() == 0:
        # The server runs as postgres, who cannot enter the private clone: the cluster is
        # outside it, owned by postgres, and private to it.
        assert not data_dir.startswith(private_dir), data_dir
        postgres_uid = pwd.getpwnam("postgres").pw_uid
        assert os.stat(data_dir).st_uid == postgres_uid
        cluster_home = os.path.dirname(data_dir)
        assert stat.S_IMODE(os.stat(cluster_home).st_mode) == 0o700
    else:
        cluster_home = os.path.dirname(data_dir)
    with open(os.path.join(clone_dir, ".local", "pg.dir"), encoding="utf-8") as file:
        assert file.read().strip() == cluster_home

    try:
        # What `make run` and `make test` do next: Odoo creates a database with the
        # configuration (addons path and data directory inside the clone, with spaces).
        conf = os.path.join(clone_dir, ".local", "odoo.conf")
        process = subprocess.run(
            [
                *(sys.executable, "-m", "odoo", "-c", conf, "-d", "crmrel_anywhere"),
                *("-i", "base", "--stop-after-init", "--no-http", "--log-level", "warn"),
            ],
            cwd=clone_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert process.returncode == 0, process.stderr[-3000:]
        connection = psycopg2.connect(
            host="127.0.0.1", port=port, user="odoo", dbname="crmrel_anywhere"
        )
        try:
            with connection.cursor() as cr:
                cr.execute("SELECT state FROM ir_module_module WHERE name = 'base'")
                assert cr.fetchone()[0] == "installed"
        finally:
            connection.close()

        # A second call starts in seconds on the same cluster.
        code, output = make(clone_dir, "setup", env)
        assert code == 0, output
        assert setup_port(output) == port
        assert "creating the embedded PostgreSQL cluster" not in output
    finally:
        code, output = make(clone_dir, "clean", env)
    assert code == 0, output
    assert not os.path.exists(cluster_home)
    assert not os.path.exists(os.path.join(clone_dir, ".local"))


def test_setup_in_a_deep_clone_keeps_the_socket_short(private_dir):
    """A clone so deep that the server's socket path would pass the system's 107 bytes: the
    cluster goes outside the clone instead of failing to start."""
    clone_dir = clone(os.path.join(private_dir, "d" * 60, "e" * 60, "crm_relational"))
    env = clean_environment()
    code, output = make(clone_dir, "setup", env)
    try:
        assert code == 0, output
        data_dir = cluster_directory(setup_port(output))
        assert not data_dir.startswith(private_dir), data_dir
        assert len(os.path.join(os.path.dirname(data_dir), "run", ".s.PGSQL.65535")) < 108
    finally:
        code, output = make(clone_dir, "clean", env)
    assert code == 0, output


def python_for(user, work_dir):
    """(python, extra environment) that `user` can run with Odoo 19: this interpreter if the
    user can reach it, else a hard-linked copy of its installation in `work_dir` (root's own
    Python often lives in root's private home)."""

    def odoo_importable(python, env):
        check = subprocess.run(
            [
                *("runuser", "-u", user, "--", "env", *(f"{k}={v}" for k, v in env.items())),
                *(python, "-c", "import odoo.release as r; assert r.version_info[0] == 19"),
            ],
            cwd="/",
            capture_output=True,
            check=False,
        )
        return check.returncode == 0

    if odoo_importable(sys.executable, {}):
        return sys.executable, {}
    copy = os.path.join(work_dir, "python")
    if subprocess.run(["cp", "-al", sys.prefix, copy], capture_output=True, check=False).returncode:
        pytest.skip(f"{user} cannot run {sys.executable} and {sys.prefix} cannot be hard-linked")
    python = os.path.join(copy, os.path.relpath(os.path.realpath(sys.executable), sys.prefix))
    extra = {"LD_LIBRARY_PATH": os.path.join(copy, "lib")}  # a shared libpython
    if not odoo_importable(python, extra):
        pytest.skip(f"{user} can import Odoo 19 from neither {sys.executable} nor a copy of it")
    return python, extra


@pytest.fixture
def unprivileged_user():
    """A user who is not root: the current one, or, when the tests run as root, one created
    for the test (and removed after it)."""
    if os.geteuid() != 0:
        yield pwd.getpwuid(os.geteuid()).pw_name
        return
    created = False
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        if not shutil.which("useradd") or not shutil.which("runuser"):
            pytest.skip("running as root without useradd/runuser: no other user to test with")
        subprocess.run(["useradd", "--no-create-home", TEST_USER], check=True, capture_output=True)
        created = True
    yield TEST_USER
    if created:
        subprocess.run(["userdel", TEST_USER], check=False, capture_output=True)


def test_setup_as_a_user_who_is_not_root_in_a_path_with_spaces(unprivileged_user):
    """A user who is not root, in a path with spaces: the cluster runs as that user inside the
    clone (its socket directory has spaces) and `make clean` stops and removes it."""
    work_dir = tempfile.mkdtemp(prefix="crmrel-user-")
    os.chmod(work_dir, 0o755)
    try:
        home = os.path.join(work_dir, "home")
        os.mkdir(home)
        python, extra = python_for(unprivileged_user, work_dir)
        clone_dir = clone(os.path.join(work_dir, "a dir", "crm relational"))
        if os.geteuid() == 0:
            owned = [home, os.path.dirname(clone_dir)]
            subprocess.run(["chown", "-R", unprivileged_user, *owned], check=True)
        env = {
            "HOME": home,
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "PYTHON": python,
            "ODOO_INSTALL": "0",
            **extra,
        }
        user = unprivileged_user if os.geteuid() == 0 else None
        code, output = make(clone_dir, "setup", env, user=user)
        try:
            assert code == 0, output
            data_dir = cluster_directory(setup_port(output))
            assert data_dir == os.path.join(clone_dir, ".local", "pg", "data")
            assert pwd.getpwuid(os.stat(data_dir).st_uid).pw_name == unprivileged_user
        finally:
            code, output = make(clone_dir, "clean", env, user=user)
        assert code == 0, output
        assert not os.path.exists(os.path.join(clone_dir, ".local"))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
