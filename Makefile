# crm_relational: the two commands are `make run` and `make test` (see README.md).
# Every variable can be overridden: make run DB=mydb PORT=8070 SIZE=small
# make run REPLICA=1: the read-only requests served by a streaming replica of the cluster.
DB ?= crm_relational_demo
TEST_DB ?= crm_relational_test
BENCH_DB ?= crm_relational_large
BENCH_SIZES ?= large
PORT ?= 8069
SIZE ?= demo
SEED ?= 42
ODOO_SOURCE_URL ?= https://nightly.odoo.com/19.0/nightly/src/odoo_19.0.latest.tar.gz
PYTEST_ARGS ?=
REPLICA ?= 0

export DB TEST_DB BENCH_DB BENCH_SIZES PORT SIZE SEED ODOO_SOURCE_URL PYTEST_ARGS REPLICA
DEVENV := tools/devenv.sh

.PHONY: run test test-fast test-host screenshots lint pot bench setup stop clean

run:  ## set everything up, then serve the web client on http://localhost:$(PORT)
	@$(DEVENV) run

test:  ## set everything up, then run the whole test suite on a fresh database
	@$(DEVENV) test

test-fast:  ## the test suite without the slow lifecycle and server tests
	@PYTEST_MARK="not slow" $(DEVENV) test

test-host:  ## Odoo's crm and sale_stock and OCA's helpdesk tests with the three addons installed
	@$(DEVENV) test-host

screenshots:  ## refresh docs/screenshots/ from the browser tours (English, Arabic, Persian)
	@$(DEVENV) screenshots

lint:  ## ruff, pylint-odoo, OCA's XML/CSV/manifest/translation checks, eslint (as .pre-commit-config.yaml)
	@$(DEVENV) lint

bench:  ## benchmarks on the large data set (built once in BENCH_DB); BENCH_SIZES="small medium large" for the growth
	@$(DEVENV) bench

pot:  ## regenerate the translation templates i18n/<addon>.pot
	@$(DEVENV) pot

setup:  ## only the set-up: Odoo, Python dependencies, PostgreSQL cluster, configuration
	@$(DEVENV) setup

stop:  ## stop the embedded PostgreSQL cluster
	@$(DEVENV) stop

clean:  ## remove the embedded cluster (wherever it lives), databases and caches (.local/)
	@$(DEVENV) clean
