# MotCua — the two commands: `make run` (portal on the embedded default) and `make test` (whole suite).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
NODE_STAMP := node_modules/.installed-$(shell sha1sum package.json | cut -c1-12)
ASSETS := portal/static/dist/motcua.css
ASSET_SOURCES := $(wildcard portal/assets/* portal/assets/*/*) $(NODE_STAMP)
CATALOGS := $(wildcard portal/i18n/*/LC_MESSAGES/*.po)
# `make run PORT=8080 HOST=127.0.0.1`: where the portal listens; MOTCUA_PUBLIC_URL follows unless set.
# Plain `=`, not `?=`: some shells export HOST (the machine's name), which must not become the listen address.
PORT = 8000
HOST = 127.0.0.1

.PHONY: run test lint check-procedures bench bench-scan bench-portal bench-worker bench-calendar bench-stats system-deps deps assets messages keycloak clean help

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

run: system-deps deps assets  ## install what is missing, then start the portal on SQLite with demo data (PORT=8000 HOST=127.0.0.1)
	$(BIN)/motcua serve --host $(HOST) --port $(PORT)

test: system-deps deps assets keycloak lint  ## install what is missing, then lint, type-check and run every test
	$(BIN)/motcua procedures check
	$(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadgroup

lint: deps  ## ruff, mypy strict on engine/, import contracts
	$(BIN)/ruff check engine portal integrations tests bench alembic
	$(BIN)/ruff format --check engine portal integrations tests bench alembic
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: deps  ## benchmarks (print ratios against a baseline measured in the same run)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/pdf.py
	$(BIN)/python bench/residents.py

bench-scan: system-deps deps  ## deadline-scan benchmark: 100k → 1M open dossiers on PostgreSQL, 20k → 200k on SQLite
	$(BIN)/python bench/deadline_scan.py

bench-worker: system-deps deps  ## background work vs the portal: lifecycles/s that rendering and delivery keep up with (BACKEND=pg, PROCESSES=N)
	$(BIN)/python bench/worker.py --backend $(or $(BACKEND),sqlite) --processes $(or $(PROCESSES),2)

bench-calendar: system-deps deps  ## calendar change in flight: dry run vs reading every running clock, 2k → 20k dossiers (BACKEND=pg)
	$(BIN)/python bench/calendar_change.py --backend $(or $(BACKEND),sqlite)
bench-stats: system-deps deps  ## statistics requests and /giam-sat at 100k → 1M dossiers on PostgreSQL (SMALL=, LARGE=)
	$(BIN)/python bench/stats.py --small $(or $(SMALL),100000) --large $(or $(LARGE),1000000)

bench-portal: system-deps deps  ## portal pages over HTTP vs a trivial endpoint, 1 and 10 users, 1k → 10k dossiers (BACKEND=pg)
	$(BIN)/python bench/portal.py --backend $(or $(BACKEND),sqlite)

system-deps:
	@bash .ci/system-deps.sh

keycloak: deps  ## fetch the pinned Keycloak from Maven Central once (var/keycloak, or MOTCUA_KEYCLOAK_HOME)
	@$(BIN)/motcua keycloak fetch >/dev/null

deps: $(STAMP)

assets: $(ASSETS) $(CATALOGS:.po=.mo)  ## build the portal's CSS/JS from npm packages and compile the Babel catalogs

# Installs run under a lock (flock, util-linux): two `make` in one checkout at once wait for each other, and the
# second finds the stamp instead of installing over a half-written node_modules or virtualenv.
$(NODE_STAMP): package.json
	@mkdir -p var && flock var/.npm-install.lock bash -c 'test -e $@ || { \
	  SCARF_ANALYTICS=false npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null \
	  && rm -f node_modules/.installed-* && touch $@; }'

$(ASSETS): $(ASSET_SOURCES)
	@node portal/assets/build.mjs

%.mo: %.po $(STAMP)
	@$(BIN)/python -m portal.i18n compile

messages: deps  ## add new portal strings to the catalogs (then write their English)
	$(BIN)/python -m portal.i18n update

$(STAMP): pyproject.toml
	@mkdir -p var && flock var/.pip-install.lock bash -c 'test -e $@ || { \
	  { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); } \
	  && $(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip \
	  && $(BIN)/python -m pip install -q --disable-pip-version-check -e ".[dev]" \
	  && rm -f $(VENV)/.installed-* && touch $@; }'

clean:  ## remove the virtualenv, caches and the embedded database
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis node_modules portal/static/dist
