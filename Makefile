# RadCase — every set-up step lives here, so a fresh machine needs only:
#   make demo   (venv, install, migrate, demo users, server on :8000)
#   make test   (venv, install, Chromium for browser tests, the whole suite)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# The Django project package `config` lives in platform/ (a plain folder, so
# it never hides the stdlib `platform` module).
export PYTHONPATH := $(CURDIR):$(CURDIR)/platform
PYTEST_ARGS ?=

.PHONY: help install demo test lint test-tools bench migrate worker clean

help:
	@echo "make demo   - install, migrate, create demo users, serve http://127.0.0.1:8000"
	@echo "make test   - install what tests need and run the whole suite"
	@echo "make lint   - ruff, import contracts, migrations check, deploy check"
	@echo "make bench  - run the benchmarks in bench/ and print their figures"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstalls whenever pyproject.toml (the pinned dependencies) changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable ".[test]"
	touch $@

# A .pth file puts the checkout and platform/ on the venv's sys.path, so every
# tool in .venv/bin (lint-imports, celery, gunicorn, python) finds `apps`, `ml`
# and `config` without PYTHONPATH.
$(VENV)/.paths: Makefile | $(BIN)/python
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "radcase-checkout.pth").write_text("$(CURDIR)\n$(CURDIR)/platform\n")'
	touch $@

install: $(VENV)/.installed $(VENV)/.paths

demo: install
	$(PY) manage.py demo 127.0.0.1:8000

# Tools some tests drive, from Debian: Chromium (browser tests), nginx (serves
# nginx.conf for real), shellcheck and docker-compose (deployment files).
# Installed when missing and we can (root with apt-get); otherwise those tests
# skip and say why.
TEST_TOOLS := /usr/bin/chromium:chromium /usr/sbin/nginx:nginx-light \
	/usr/bin/shellcheck:shellcheck /usr/bin/docker-compose:docker-compose
test-tools:
	@missing=""; for pair in $(TEST_TOOLS); do \
	  [ -x "$${pair%%:*}" ] || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing test tools from Debian:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || \
	      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null); \
	  else echo "Not installed and cannot install here:$$missing (those tests will skip)."; fi; \
	fi

test: install test-tools
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	JWT_SIGNING_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	ALLOWED_HOSTS=radcase.example.org \
	RADCASE_DEID_UID_SECRET="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')" \
	$(PY) manage.py check --deploy --fail-level WARNING

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

migrate: install
	$(PY) manage.py migrate

worker: install
	$(BIN)/celery -A config worker -Q default,inference,reports --concurrency 1 --loglevel INFO

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
