# Agora's commands. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed-dev

.DEFAULT_GOAL := help
.PHONY: help install system vendor run serve test test-postgres integration baseline lint format requirements messages demo clean

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install the pinned development requirements

# hls.js for the live watch page, committed as static/live/hls.min.js (the image has no
# npm); this re-derives it from the committed lockfile: `npm ci`, copy, clean up.
vendor:  ## Re-vendor hls.js into static/live/ from static/live/package-lock.json (npm), without its source map line
	cd static/live && npm ci --no-audit --no-fund --loglevel=error \
		&& sed '/^\/\/# sourceMappingURL=/d' node_modules/hls.js/dist/hls.min.js > hls.min.js \
		&& rm -rf node_modules

system:  ## Install the Debian packages beside Python when missing (ffmpeg; Chromium for browser tests)
	sh deploy/system-packages.sh

# Development tooling: the settings need DEBUG (or a SECRET_KEY) to load.
messages: install  ## Compile the translations under locale/
	DEBUG=true LOG_LEVEL=WARNING $(MANAGE) compile_translations

run: export DEBUG := $(or $(DEBUG),true)
# The URLs Agora writes name the port it serves on, unless AGORA_DOMAIN says otherwise.
run: export AGORA_DOMAIN := $(or $(AGORA_DOMAIN),localhost:$(or $(AGORA_PORT),8000))
# Without ffmpeg the platform still serves, and /readyz reports media processing unavailable.
run: install messages  ## Migrate, load demo data and serve on http://127.0.0.1:8000 with a worker and beat
	-sh deploy/system-packages.sh
	mkdir -p var
	$(MANAGE) baseline --restore
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	$(BIN)/honcho --procfile deploy/Procfile.dev start

# The Debian package step never stops the suite: without root or the apt lock it says what
# to install, and the tests that need ffmpeg or Chromium fail naming what is missing.
# masto.js for tests/clients/test_masto_js.py: `npm ci` from the committed lockfile, only
# when node_modules is older than the lockfile (so offline after the first install).
test: install messages  ## Run the test suite (embedded defaults; no servers needed)
	-@sh deploy/system-packages.sh
	-@cd tests/clients/js && { [ node_modules/.package-lock.json -nt package-lock.json ] || \
		npm ci --no-audit --no-fund --loglevel=error; }
	@$(BIN)/pytest -m "not integration" $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no tests were collected" >&2; fi; \
	exit $$status

# The unit suite on PostgreSQL, as CI runs it after `make test`: SQLite has neither
# PostgreSQL's row locks nor its constraints. No Redis: the unit suite needs none.
test-postgres: install messages  ## Run the unit suite on PostgreSQL (set DATABASE_URL=postgres://...)
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; \
	*) echo "make test-postgres: set DATABASE_URL=postgres://user@host:5432/name (got '$$DATABASE_URL')" >&2; exit 2;; esac
	@env -u REDIS_URL -u CELERY_BROKER_URL $(BIN)/pytest -m "not integration" --create-db --timeout 900 $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test-postgres: no tests were collected" >&2; fi; \
	exit $$status

# A fresh test database each run (--create-db), so the migrations really run on
# PostgreSQL. They take minutes (dj-stripe) and count towards the first test's
# timeout, hence --timeout. Exit code 5 (nothing collected) must never pass.
integration: install messages  ## Run the integration suite against PostgreSQL and Redis (see README)
	@$(BIN)/pytest -m integration --create-db --timeout 900 tests/integration $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make integration: no integration tests were collected" >&2; fi; \
	exit $$status

baseline: install  ## Regenerate the shipped migrated SQLite database (core/baseline) after editing a migration
	DEBUG=true LOG_LEVEL=WARNING $(MANAGE) baseline --write

lint: install  ## ruff, the import-linter contracts, mypy (django-stubs) and makemigrations --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=platform:. $(BIN)/lint-imports --no-cache
	DEBUG=true LOG_LEVEL=WARNING $(BIN)/mypy
	DEBUG=true LOG_LEVEL=WARNING $(MANAGE) makemigrations --check --dry-run

format: install  ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

requirements: install  ## Re-pin requirements/*.txt from requirements/*.in
	cd requirements && for set in base dev prod; do \
		../$(BIN)/pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links --output-file $$set.txt $$set.in; done

clean:  ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var
