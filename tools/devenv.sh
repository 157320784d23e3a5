#!/usr/bin/env bash
# Development environment of crm_relational, used by the Makefile.
#
#   tools/devenv.sh setup   find (or install) Odoo 19, install the Python dependencies,
#                           start the embedded PostgreSQL cluster in .local/pg (or, where its
#                           server cannot reach the clone, /var/tmp), write .local/odoo.conf
#   tools/devenv.sh run     setup, create the demo database once, serve the web client
#                           (REPLICA=1: with a streaming replica serving the read-only requests)
#   tools/devenv.sh test    setup, create a fresh test database from the cached template, run pytest
#   tools/devenv.sh screenshots  the tours that take the README's screenshots (English, Arabic,
#                           Persian), copied from tests/screenshots/ to docs/screenshots/
#   tools/devenv.sh lint    what .pre-commit-config.yaml runs: ruff, pylint-odoo, OCA's module and
#                           translation checks, eslint, the addon READMEs
#   tools/devenv.sh pot     regenerate the addons' translation templates (i18n/*.pot)
#   tools/devenv.sh bench   benchmarks on the data sets of BENCH_SIZES (default: large)
#   tools/devenv.sh replica start (creating it once) the streaming replica of the embedded
#                           cluster, in .local/pg-replica (or beside the cluster), on the next port
#   tools/devenv.sh replica-stop   stop the replica only (Odoo falls back to the primary)
#   tools/devenv.sh stop    stop the embedded PostgreSQL cluster (and its replica)
#   tools/devenv.sh clean   stop and remove the cluster, the databases and the caches (.local/)
#
# Every step is idempotent and remembers what it did, so a second call starts in seconds.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL=${LOCAL:-$ROOT/.local}
ADDONS=crm_relational,crm_relational_sfa,crm_relational_service
# Glue with OCA's helpdesk_mgmt_sale and helpdesk_mgmt_crm, which install themselves with those:
# linted and shipped with the others, tested by tests/test_oca_glue.py with the OCA modules of
# tools/oca-glue-requirements.txt (kept out of Odoo's environment, in .local/oca-glue).
GLUE_ADDONS=crm_relational_service_sale,crm_relational_service_crm
ODOO_SOURCE_URL=${ODOO_SOURCE_URL:-https://nightly.odoo.com/19.0/nightly/src/odoo_19.0.latest.tar.gz}
DB=${DB:-crm_relational_demo}
TEST_DB=${TEST_DB:-crm_relational_test}
BENCH_DB=${BENCH_DB:-crm_relational_large}
BENCH_DB_SMALL=${BENCH_DB_SMALL:-bench_small}
BENCH_DB_MEDIUM=${BENCH_DB_MEDIUM:-bench_medium}
BENCH_SIZES=${BENCH_SIZES:-large}
PORT=${PORT:-8069}
SIZE=${SIZE:-demo}
SEED=${SEED:-42}
PG_OS_USER=${PG_OS_USER:-postgres}
REPLICA=${REPLICA:-0}
PYTEST_ARGS=${PYTEST_ARGS:-}

say() { echo "[devenv] $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }

odoo19() { "$1" -c 'import sys, odoo.release as r; sys.exit(r.version_info[0] != 19)' 2>/dev/null; }

# ---------------------------------------------------------------- Odoo and Python
find_python() {
    local cand
    for cand in "${PYTHON:-}" "$LOCAL/venv/bin/python" python3 python; do
        [ -n "$cand" ] && command -v "$cand" >/dev/null 2>&1 || continue
        if odoo19 "$cand"; then "$cand" -c "import sys; print(sys.executable)"; return 0; fi
    done
    return 1
}

install_odoo() {
    # No Python can import Odoo 19: install it from the official source archive into a venv.
    [ "${ODOO_INSTALL:-1}" = 1 ] || die "Odoo 19 is not importable by python3 (set PYTHON=... or ODOO_INSTALL=1)"
    local src=$LOCAL/odoo-src archive=$LOCAL/odoo-19.0.tar.gz
    mkdir -p "$LOCAL"
    say "Odoo 19 not found; downloading $ODOO_SOURCE_URL"
    curl -fsSL --retry 2 -o "$archive.part" "$ODOO_SOURCE_URL" \
        || die "Odoo 19 is not importable and could not be downloaded from $ODOO_SOURCE_URL (set ODOO_SOURCE_URL or PYTHON)"
    mv "$archive.part" "$archive"
    rm -rf "$src" && mkdir -p "$src"
    tar -xzf "$archive" -C "$src" --strip-components=1
    python3 -m venv "$LOCAL/venv"
    # python-ldap needs the OpenLDAP headers and only serves auth_ldap, which we do not use.
    grep -v '^python-ldap' "$src/requirements.txt" > "$LOCAL/odoo-requirements.txt"
    "$LOCAL/venv/bin/python" -m pip install -q -r "$LOCAL/odoo-requirements.txt"
    "$LOCAL/venv/bin/python" -m pip install -q --no-deps -e "$src"
    odoo19 "$LOCAL/venv/bin/python" || die "Odoo 19 was installed from $ODOO_SOURCE_URL but cannot be imported"
}

ensure_python() {
    PY=$(find_python) || { install_odoo; PY=$(find_python) || die "Odoo 19 is not importable"; }
    export PY
}

ensure_deps() {
    # Install the project's Python dependencies once per requirements content.
    local stamp=$LOCAL/deps.stamp want
    want=$( (echo "$PY"; cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt") | sha256sum | cut -c1-16)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
    say "installing Python dependencies with $PY"
    "$PY" -m pip install -q -r "$ROOT/requirements.txt" -r "$ROOT/requirements-dev.txt" \
        || die "pip could not install the dependencies of requirements.txt"
    mkdir -p "$LOCAL" && echo "$want" > "$stamp"
}

ensure_rtlcss() {
    # Odoo builds the right-to-left stylesheet (Arabic, Persian) with rtlcss, an npm tool.
    command -v rtlcss >/dev/null 2>&1 && return 0
    if command -v npm >/dev/null 2>&1 && npm install -g --silent rtlcss >/dev/null 2>&1; then
        say "installed rtlcss (npm) for Odoo's right-to-left stylesheet"
    else
        say "rtlcss is missing (npm install -g rtlcss): Arabic and Persian pages will lack their right-to-left stylesheet"
    fi
}

# ---------------------------------------------------------------- PostgreSQL
pg_bindir() {
    local d
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir); [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    fi
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$d" ] && [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

as_pg() {
    # PostgreSQL refuses to run as root: run its server tools as $PG_OS_USER then, from a
    # directory that user can enter (the caller's may be private).
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u "$PG_OS_USER" -- "$@"); else "$@"; fi
}

pg_reaches() {
    # Whether the server's OS user can create and use directory $1 (all its parents entered).
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u "$PG_OS_USER" -- test -w "$1" -a -x "$1") 2>/dev/null
    else
        test -w "$1" -a -x "$1"
    fi
}

pg_outside_dir() {
    # The cluster's directory outside the clone: one per user and clone path, in a directory
    # every user can reach and that survives a reboot.
    local key
    key=$(printf '%s' "$ROOT" | sha256sum | cut -c1-16)
    echo "${PG_OUTSIDE_ROOT:-/var/tmp}/crm_relational-pg-$(id -u)-$key"
}

pg_dir() {
    # Where the embedded cluster lives: .local/pg, unless the server cannot use it there (root
    # in a private clone such as a 0700 home: the server runs as $PG_OS_USER, who cannot enter
    # it) or its socket path would pass the system's limit (a deep clone); then the directory of
    # pg_outside_dir. The choice is remembered in .local/pg.dir so every later call (stop,
    # clean) finds the same cluster.
    local pointer=$LOCAL/pg.dir dir=$LOCAL/pg
    if [ -s "$pointer" ]; then cat "$pointer"; return 0; fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown "$PG_OS_USER" "$dir"
    # 107 bytes for a socket path, less "/run/.s.PGSQL.NNNNN".
    if [ ! -f "$dir/data/PG_VERSION" ] && { ! pg_reaches "$dir" || [ ${#dir} -gt 85 ]; }; then
        rmdir "$dir" 2>/dev/null || true
        dir=$(pg_outside_dir)
    fi
    echo "$dir" > "$pointer"
    echo "$dir"
}

pg_make_outside_dir() {
    # Create the cluster's directory $1 outside the clone, owned by the server's OS user and
    # private to it; refuse one that someone else made.
    local dir=$1 owner
    owner=$(if [ "$(id -u)" = 0 ]; then echo "$PG_OS_USER"; else id -un; fi)
    [ -d "$dir" ] || { mkdir -m 0700 "$dir" && chown "$owner" "$dir"; } \
        || die "could not create the PostgreSQL directory $dir"
    [ "$(stat -c %U "$dir")" = "$owner" ] && [ ! -L "$dir" ] \
        || die "$dir exists but does not belong to $owner: remove it or set PG_OUTSIDE_ROOT"
}

pg_quote() {
    # $1 quoted for the shell through which pg_ctl starts the server (paths with spaces).
    printf "'%s'" "${1//\'/\'\\\'\'}"
}

free_port() {
    python3 - "$1" <<'EOF'
import socket, sys
port = int(sys.argv[1])
while True:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            port += 1
            continue
    print(port)
    break
EOF
}

ensure_pg() {
    local bin pgdir data run portfile
    bin=$(pg_bindir) || die "PostgreSQL server not found (install it: apt-get install postgresql)"
    if [ "$(id -u)" = 0 ]; then
        id "$PG_OS_USER" >/dev/null 2>&1 || useradd --system --no-create-home "$PG_OS_USER"
    fi
    mkdir -p "$LOCAL"
    pgdir=$(pg_dir)
    [ "$pgdir" = "$LOCAL/pg" ] || pg_make_outside_dir "$pgdir"
    data=$pgdir/data run=$pgdir/run portfile=$pgdir/port
    [ -d "$run" ] || as_pg mkdir -p "$run"
    if [ ! -f "$data/PG_VERSION" ]; then
        say "creating the embedded PostgreSQL cluster in $data"
        as_pg "$bin/initdb" -D "$data" --username=odoo --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    [ -f "$portfile" ] || free_port 54320 > "$portfile"
    PGPORT=$(cat "$portfile")
    if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        if ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', $PGPORT))" 2>/dev/null; then
            free_port $((PGPORT + 1)) > "$portfile"; PGPORT=$(cat "$portfile")
        fi
        say "starting PostgreSQL on 127.0.0.1:$PGPORT"
        as_pg "$bin/pg_ctl" -D "$data" -l "$pgdir/server.log" -w -t 60 start \
            -o "-p $PGPORT -k $(pg_quote "$run") -c listen_addresses=127.0.0.1 -c synchronous_commit=off -c max_connections=200 $PRIMARY_OPTIONS" \
            >/dev/null || die "PostgreSQL did not start; see $pgdir/server.log"
    fi
    export PGHOST=127.0.0.1 PGPORT PGUSER=odoo
}

# What a streaming replica needs of the primary (PostgreSQL's defaults, said here): WAL with the
# replica level, senders for it, and enough WAL kept for a replica stopped a while to catch up.
# initdb --auth=trust lets the odoo role (a superuser, so with REPLICATION) replicate from
# 127.0.0.1 (pg_hba.conf's "host replication all 127.0.0.1/32 trust").
PRIMARY_OPTIONS="-c wal_level=replica -c max_wal_senders=10 -c wal_keep_size=512MB"

replica_dir() {
    # Beside the primary's directory: .local/pg-replica, or <directory outside>-replica.
    local pgdir; pgdir=$(known_pg_dir)
    if [ "$pgdir" = "$LOCAL/pg" ]; then echo "$LOCAL/pg-replica"; else echo "$pgdir-replica"; fi
}

replica_running() {
    local bin; bin=$(pg_bindir) || return 1
    [ -f "$(replica_dir)/data/PG_VERSION" ] \
        && as_pg "$bin/pg_ctl" -D "$(replica_dir)/data" status >/dev/null 2>&1
}

replica_streaming() {
    # Whether the server on port $1 is a replica receiving the primary's WAL.
    [ "$(psql -p "$1" -d postgres -tAc "SELECT pg_is_in_recovery() AND EXISTS (
        SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')" 2>/dev/null)" = t ]
}

replica_catch_up() {
    # Wait until the replica at port $1 has replayed what the primary has written so far (a
    # database made while it was stopped), so that Odoo finds every database there.
    local lsn second
    lsn=$(psql -d postgres -tAc "SELECT pg_current_wal_lsn()")
    for second in $(seq 1 900); do
        [ "$(psql -p "$1" -d postgres -tAc "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ] \
            && return 0
        if [ "$second" = 5 ]; then say "the replica catches up with the primary"; fi
        sleep 1
    done
    die "the replica did not catch up with the primary in 15 minutes; see $(replica_dir)/server.log"
}

ensure_replica() {
    # A hot standby of the embedded cluster, in replica_dir, on the next free port: a base
    # backup of the primary (pg_basebackup -R: it then streams from it), started read-only.
    # One that cannot catch up any more (the primary removed the WAL it needs) is made again.
    local bin pgdir rdir data run portfile _attempt
    bin=$(pg_bindir) || die "PostgreSQL server not found"
    pgdir=$(known_pg_dir) rdir=$(replica_dir)
    [ "$(psql -d postgres -tAc "SHOW wal_level")" != minimal ] \
        || die "the embedded cluster runs with wal_level=minimal: restart it (make stop) for a replica"
    if [ "$pgdir" = "$LOCAL/pg" ]; then
        mkdir -p "$rdir"
        if [ "$(id -u)" = 0 ]; then chown "$PG_OS_USER" "$rdir"; fi
    else
        pg_make_outside_dir "$rdir"
    fi
    data=$rdir/data run=$rdir/run portfile=$rdir/port
    [ -d "$run" ] || as_pg mkdir -p "$run"
    for _attempt in 1 2; do
        if [ ! -f "$data/PG_VERSION" ]; then
            say "creating the streaming replica of the embedded cluster in $data"
            as_pg rm -rf "$data"
            as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$PGPORT" -U odoo -D "$data" -R \
                -X stream -c fast >/dev/null || die "pg_basebackup could not copy the primary"
        fi
        [ -f "$portfile" ] || free_port $((PGPORT + 1)) > "$portfile"
        REPLICA_PORT=$(cat "$portfile")
        if ! replica_running; then
            if ! python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', $REPLICA_PORT))" 2>/dev/null; then
                free_port $((PGPORT + 1)) > "$portfile"; REPLICA_PORT=$(cat "$portfile")
            fi
            say "starting the replica on 127.0.0.1:$REPLICA_PORT (streaming from port $PGPORT)"
            # primary_conninfo on the command line: the primary's port may have changed.
            as_pg "$bin/pg_ctl" -D "$data" -l "$rdir/server.log" -w -t 120 start \
                -o "-p $REPLICA_PORT -k $(pg_quote "$run") -c listen_addresses=127.0.0.1 \
                    -c max_connections=200 -c hot_standby=on -c hot_standby_feedback=on \
                    -c primary_conninfo=$(pg_quote "host=127.0.0.1 port=$PGPORT user=odoo application_name=crm_relational_replica")" \
                >/dev/null || die "the replica did not start; see $rdir/server.log"
        fi
        for _ in $(seq 1 30); do
            if replica_streaming "$REPLICA_PORT"; then
                replica_catch_up "$REPLICA_PORT"
                export REPLICA_PORT
                return 0
            fi
            sleep 1
        done
        say "the replica does not stream from the primary (see $rdir/server.log): making it again"
        as_pg "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
        as_pg rm -rf "$data"
    done
    die "the replica could not stream from the primary; see $rdir/server.log"
}

stop_replica() {
    local bin; bin=$(pg_bindir) || return 0
    if replica_running; then as_pg "$bin/pg_ctl" -D "$(replica_dir)/data" -m fast stop >/dev/null; fi
    return 0
}

write_conf() {
    ODOO_CONF=$LOCAL/odoo.conf
    mkdir -p "$LOCAL/data"
    cat > "$ODOO_CONF" <<EOF
[options]
db_host = 127.0.0.1
db_port = $PGPORT
db_user = odoo
addons_path = $ROOT
data_dir = $LOCAL/data
http_interface = 127.0.0.1
http_port = $PORT
log_level = info
EOF
    if [ "$REPLICA" = 1 ]; then
        # Odoo sends read-only requests (readonly routes, @api.readonly methods) to the replica,
        # and falls back to the primary when it cannot reach it.
        printf 'db_replica_host = 127.0.0.1\ndb_replica_port = %s\n' "$REPLICA_PORT" >> "$ODOO_CONF"
    fi
    export ODOO_CONF ODOO_RC=$ODOO_CONF
}

setup() {
    ensure_python
    ensure_deps
    ensure_rtlcss
    ensure_pg
    if [ "$REPLICA" = 1 ]; then ensure_replica; fi
    write_conf
}

db_exists() { psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1; }

initdb_cached() {
    # Create database $1 with the three addons and demo data, from a template cached on the
    # addons' content (click-odoo-initdb), so only a change of the addons reinstalls them.
    "$PY" -m click_odoo_contrib.initdb -c "$ODOO_CONF" -n "$1" -m "$ADDONS" --demo \
        --cache-prefix crmrel --cache-max-age 30 --cache-max-size 3 --log-level "${INIT_LOG_LEVEL:-warn}"
}

addons_hash() {
    # The content of the three addons, as in the files Odoo loads.
    (cd "$ROOT" && find ${ADDONS//,/ } -type f \( -name '*.py' -o -name '*.xml' -o -name '*.csv' \
        -o -name '*.po' -o -name '*.js' -o -name '*.scss' \) -print0 | sort -z | xargs -0 sha256sum \
        | sha256sum | cut -c1-16)
}

ensure_addons_current() {
    # Upgrade the three addons in the kept database $1 when their code changed since it was
    # last brought up to date (so a generated data set survives a change of the code).
    local db=$1 hash
    hash=$(addons_hash)
    [ "$(psql -d "$db" -tAc "SELECT value FROM ir_config_parameter WHERE key = 'crm_relational.code_hash'")" = "$hash" ] && return 0
    say "upgrading the addons in $db to the current code"
    "$PY" -m odoo -c "$ODOO_CONF" -d "$db" -u "$ADDONS" --stop-after-init --log-level warn
    stamp_addons "$db" "$hash"
}

stamp_addons() {
    # Record in database $1 that its addons are those of the code hash $2 (default: current).
    psql -d "$1" -qc "INSERT INTO ir_config_parameter (key, value)
        VALUES ('crm_relational.code_hash', '${2:-$(addons_hash)}')
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
}

ensure_demo_db() {
    if db_exists "$DB" && [ "$(psql -d "$DB" -tAc "SELECT value FROM ir_config_parameter WHERE key = 'crm_relational.generated_size'" 2>/dev/null)" = "$SIZE" ]; then
        ensure_addons_current "$DB"
        return 0
    fi
    db_exists "$DB" && psql -d postgres -qc "DROP DATABASE \"$DB\"" >/dev/null
    say "creating database $DB with the three addons"
    initdb_cached "$DB"
    say "generating $SIZE data (seed $SEED) in $DB"
    "$PY" -m data.generator -c "$ODOO_CONF" -d "$DB" --size "$SIZE" --seed "$SEED"
    stamp_addons "$DB"
}

cmd_run() {
    setup
    ensure_demo_db
    say "serving http://localhost:$PORT (database $DB, user admin / admin)"
    if [ "$REPLICA" = 1 ]; then say "read-only requests served by the replica on 127.0.0.1:$REPLICA_PORT"; fi
    cd "$ROOT" && exec "$PY" -m odoo server -c "$ODOO_CONF" -d "$DB" --db-filter "^$DB\$" --http-port "$PORT"
}

fresh_test_db() {
    db_exists "$TEST_DB" && psql -d postgres -qc "DROP DATABASE \"$TEST_DB\" WITH (FORCE)" >/dev/null
    say "creating test database $TEST_DB"
    initdb_cached "$TEST_DB"
}

ensure_oca_glue() {
    # OCA's modules that the glue addons extend, where only tests/test_oca_glue.py's Odoo sees
    # them: in Odoo's environment helpdesk_mgmt_sale would install itself in every database.
    local dir=$LOCAL/oca-glue want
    want=$( (echo "$PY"; cat "$ROOT/tools/oca-glue-requirements.txt") | sha256sum | cut -c1-16)
    if [ ! -f "$dir/stamp" ] || [ "$(cat "$dir/stamp")" != "$want" ]; then
        say "installing OCA's helpdesk_mgmt_sale and helpdesk_mgmt_crm into $dir"
        rm -rf "$dir"
        "$PY" -m pip install -q --no-deps --target "$dir" -r "$ROOT/tools/oca-glue-requirements.txt" \
            || die "pip could not install tools/oca-glue-requirements.txt into $dir"
        echo "$want" > "$dir/stamp"
    fi
    export CRMREL_OCA_GLUE_ADDONS="$dir/odoo/addons"
}

cmd_test() {
    setup
    ensure_oca_glue
    fresh_test_db
    cd "$ROOT"
    # --odoo-http: a server on a free port for the tests that use HTTP (external API, portal).
    # shellcheck disable=SC2086
    "$PY" -m pytest --odoo-config "$ODOO_CONF" --odoo-database "$TEST_DB" --odoo-http \
        ${PYTEST_MARK:+-m "$PYTEST_MARK"} $PYTEST_ARGS
}

# The README's screenshots, in English, Arabic and Persian, taken by the browser tours from the
# current code (tests/screenshots/), then copied to docs/screenshots/. The forecast grid's tour
# adds its own when it takes one (sales-forecast*.png, forecast-grid*.png).
SCREENSHOT_TESTS="crm_relational_sfa/tests/test_tours.py crm_relational_service/tests/test_tours.py
crm_relational_service/tests/test_screens_language.py"
SCREENSHOTS="call-sheet call-sheet-arabic stock-lookup stock-lookup-arabic
stock-lookup-persian ticket-english ticket-arabic ticket-form-arabic ticket-form-persian
relationship-english relationship-arabic"

cmd_screenshots() {
    setup
    command -v rtlcss >/dev/null \
        || die "rtlcss is missing (npm install -g rtlcss): Odoo serves no right-to-left stylesheet without it"
    fresh_test_db
    cd "$ROOT"
    rm -f tests/screenshots/*.png
    # shellcheck disable=SC2086
    "$PY" -m pytest --odoo-config "$ODOO_CONF" --odoo-database "$TEST_DB" --odoo-http \
        $SCREENSHOT_TESTS $PYTEST_ARGS || die "a tour failed: docs/screenshots/ left as it was"
    mkdir -p docs/screenshots
    local name missing=""
    for name in $SCREENSHOTS; do
        if [ -f "tests/screenshots/$name.png" ]; then
            cp "tests/screenshots/$name.png" docs/screenshots/
        else
            missing="$missing $name"
        fi
    done
    cp tests/screenshots/sales-forecast*.png tests/screenshots/forecast-grid*.png docs/screenshots/ 2>/dev/null || true
    [ -z "$missing" ] || die "no screenshot taken of:$missing"
    say "docs/screenshots/ refreshed from the tours"
}

# Odoo's own suites of the modules we extend, run with the three addons installed: crm and
# sale_stock through pytest-odoo in the fully loaded registry (with our conftest, for Odoo 19's
# QWeb thread bug), OCA's helpdesk suites through Odoo's own runner (they subclass each other's
# test classes, which pytest would also collect alone).
HOST_PYTEST="crm sale_stock"
HOST_ODOO="helpdesk_mgmt,helpdesk_mgmt_sla,helpdesk_mgmt_rating"
# crm counts the queries of a bulk lead assignment to the query; our stored forecast fields on
# crm.lead add a few, by design.
HOST_DESELECT="test_performances.py::TestLeadAssignPerf::test_assign_perf_no_duplicates"

cmd_test_host() {
    setup
    local db="${TEST_DB}_host" paths=() module port log status=0
    db_exists "$db" && psql -d postgres -qc "DROP DATABASE \"$db\" WITH (FORCE)" >/dev/null
    initdb_cached "$db"
    for module in $HOST_PYTEST; do
        paths+=("$("$PY" -c "from odoo.tools import config; config.parse_config(['-c', '$ODOO_CONF'])
from odoo.modules.module import get_module_path; print(get_module_path('$module'))")/tests")
    done
    cd "$ROOT"
    "$PY" -m pytest --odoo-config "$ODOO_CONF" --odoo-database "$db" -p no:cacheprovider \
        -p conftest --rootdir "$ROOT" --deselect "$HOST_DESELECT" "${paths[@]}" || status=$?
    port=$("$PY" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
    log="$LOCAL/test-host-helpdesk.log"
    say "OCA helpdesk suites ($HOST_ODOO), log in $log"
    "$PY" -m odoo -c "$ODOO_CONF" -d "$db" -u "$HOST_ODOO" --test-tags "/${HOST_ODOO//,/,/}" \
        --stop-after-init --http-port "$port" > "$log" 2>&1 || status=1
    grep -E "odoo.tests.result: " "$log" | tail -1
    grep -qE "odoo.tests.result: 0 failed, 0 error" "$log" || status=1
    return $status
}

bench_db() {
    # The database of a benchmark size: BENCH_DB for large, BENCH_DB_SMALL / BENCH_DB_MEDIUM.
    case "$1" in
        small) echo "$BENCH_DB_SMALL" ;;
        medium) echo "$BENCH_DB_MEDIUM" ;;
        large) echo "$BENCH_DB" ;;
        *) die "unknown benchmark size '$1' in BENCH_SIZES (small, medium, large)" ;;
    esac
}

ensure_bench_db() {
    # The data set of size $1 in its database, generated once: the large data set, or its
    # share of the customers given by bench/common.py's SIZES (1 % small, 10 % medium).
    local size=$1 db share
    db=$(bench_db "$size")
    if db_exists "$db" && [ "$(psql -d "$db" -tAc "SELECT value FROM ir_config_parameter WHERE key = 'crm_relational.generated_size'" 2>/dev/null)" = large ]; then
        ensure_addons_current "$db"
        return 0
    fi
    db_exists "$db" && psql -d postgres -qc "DROP DATABASE \"$db\" WITH (FORCE)" >/dev/null
    initdb_cached "$db"
    share=$(cd "$ROOT" && "$PY" -c "from bench.common import SIZES; print(SIZES['$size'])")
    say "generating the $size data set ($share of the large one) in $db"
    cd "$ROOT" && "$PY" -m data.generator -c "$ODOO_CONF" -d "$db" --size large --scale "$share" --seed "$SEED"
    stamp_addons "$db"
}

cmd_bench() {
    # Benchmarks on each data set of BENCH_SIZES (default: large), each generated once into its
    # database; then docs/benchmarks.md from the latest results of every size.
    setup
    local size db bench
    for size in $BENCH_SIZES; do
        bench_db "$size" >/dev/null
    done
    for size in $BENCH_SIZES; do
        ensure_bench_db "$size"
        db=$(bench_db "$size")
        say "benchmarks on the $size data set ($db)"
        for bench in dataset bench_profile bench_timeline bench_lookup bench_forecast bench_service; do
            cd "$ROOT" && "$PY" -m "bench.$bench" -c "$ODOO_CONF" -d "$db" --size "$size"
        done
    done
    cd "$ROOT" && "$PY" -m bench.report
}

cmd_pot() {
    # Regenerate each addon's translation template (i18n/<addon>.pot) from a fresh install.
    setup
    fresh_test_db
    cd "$ROOT" && "$PY" -m odoo i18n export -c "$ODOO_CONF" -d "$TEST_DB" ${ADDONS//,/ }
}

# ESLint's version, as in .pre-commit-config.yaml.
ESLINT_VERSION=9.39.5

ensure_lint_tools() {
    # The linters that do not belong in Odoo's environment, into .local/lint once per version:
    # OCA's odoo-pre-commit-hooks and pre-commit (PyPI, tools/lint-requirements.txt), ESLint (npm).
    local dir=$LOCAL/lint stamp=$LOCAL/lint/stamp want
    want=$( (echo "$PY $ESLINT_VERSION"; cat "$ROOT/tools/lint-requirements.txt") | sha256sum | cut -c1-16)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
    say "installing the linters into $dir"
    rm -rf "$dir" && mkdir -p "$dir"
    "$PY" -m pip install -q --target "$dir/python" -r "$ROOT/tools/lint-requirements.txt" \
        || die "pip could not install tools/lint-requirements.txt into $dir/python"
    command -v npm >/dev/null 2>&1 || die "ESLint needs npm (apt-get install npm)"
    npm install --prefix "$dir/node" --no-save --no-audit --no-fund --silent "eslint@$ESLINT_VERSION" \
        >/dev/null || die "npm could not install eslint@$ESLINT_VERSION into $dir/node"
    echo "$want" > "$stamp"
}

lint_py() {
    # Python with the isolated linters of .local/lint first on its path.
    PYTHONPATH="$LOCAL/lint/python" "$PY" "$@"
}

cmd_lint() {
    # What .pre-commit-config.yaml runs, at its versions, without pre-commit's downloads.
    ensure_python
    ensure_deps
    ensure_lint_tools
    cd "$ROOT"
    local status=0 addons=(${ADDONS//,/ } ${GLUE_ADDONS//,/ }) catalogues=()
    mapfile -t catalogues < <(find "${addons[@]}" -path '*/i18n/*' \( -name '*.po' -o -name '*.pot' \) | sort)
    say "ruff"
    "$PY" -m ruff check . || status=1
    "$PY" -m ruff format --check . || status=1
    say "pylint-odoo"
    "$PY" -m pylint --rcfile=.pylintrc "${addons[@]}" || status=1
    say "OCA module checks (XML, CSV, manifests) and translation checks"
    lint_py -m oca_pre_commit_hooks.cli "${addons[@]}" || status=1
    lint_py -m oca_pre_commit_hooks.cli_po "${catalogues[@]}" || status=1
    say "eslint"
    "$LOCAL/lint/node/node_modules/.bin/eslint" --config eslint.config.mjs \
        "crm_relational*/static/**/*.js" || status=1
    say "addon READMEs and the pre-commit configuration"
    "$PY" tools/addon_readme.py --check || status=1
    lint_py -m pre_commit validate-config .pre-commit-config.yaml || status=1
    return $status
}

known_pg_dir() {
    # The cluster's directory as pg_dir chose it, without choosing one.
    if [ -s "$LOCAL/pg.dir" ]; then cat "$LOCAL/pg.dir"; else echo "$LOCAL/pg"; fi
}

cmd_stop() {
    local bin pgdir; bin=$(pg_bindir) || return 0
    stop_replica
    pgdir=$(known_pg_dir)
    [ -f "$pgdir/data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$pgdir/data" -m fast stop || true
}

cmd_clean() {
    # Stop and remove the cluster (also when it lives outside the clone), databases and caches.
    local pgdir rdir; pgdir=$(known_pg_dir) rdir=$(replica_dir)
    cmd_stop
    case "$pgdir" in
        "$LOCAL"/*) ;;
        */crm_relational-pg-*) say "removing the PostgreSQL cluster in $pgdir"; rm -rf -- "$pgdir" "$rdir" ;;
    esac
    rm -rf -- "$LOCAL"
}

case "${1:-}" in
    setup) setup; echo "python=$PY conf=$ODOO_CONF pgport=$PGPORT" ;;
    run) cmd_run ;;
    test) cmd_test ;;
    test-host) cmd_test_host ;;
    screenshots) cmd_screenshots ;;
    lint) cmd_lint ;;
    pot) cmd_pot ;;
    bench) cmd_bench ;;
    replica) ensure_pg; ensure_replica; echo "replica_port=$REPLICA_PORT primary_port=$PGPORT dir=$(replica_dir)" ;;
    replica-stop) stop_replica ;;
    stop) cmd_stop ;;
    clean) cmd_clean ;;
    *) die "usage: $0 setup|run|test|test-host|screenshots|lint|pot|bench|replica|replica-stop|stop|clean" ;;
esac
