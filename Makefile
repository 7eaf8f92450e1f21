# The two set-up commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run install install-test test test-sqlite test-pg migrate demo serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

# Installs, migrates SQLite, loads the demo data and serves HTTP + websockets with daphne.
run: demo
	$(BIN)/python manage.py demo_banner --url http://$(HOST):$(PORT)/
	$(BIN)/daphne -b $(HOST) -p $(PORT) cxsms_site.asgi:application

# The whole suite on SQLite, then the concurrency/timer/websocket tests on PostgreSQL + Redis.
test: install-test
	scripts/test.sh

test-sqlite: install-test
	$(BIN)/pytest

clean:
	rm -rf $(VENV) db.sqlite3 tests/artifacts/*.png
