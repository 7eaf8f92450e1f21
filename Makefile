# The two set-up commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# (bench-routing: cost of one routing decision, docs/routing.md; bench-service: CPU per text without the server)
.PHONY: bench-digital bench-campaigns bench-timers mutate bench-reports bench-routing bench-service run install install-test test test-sqlite test-pg migrate demo serve bench clean services-start services-stop run-cluster stop-cluster

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

# Benchmarks also need the profilers (pyinstrument, py-spy: the `bench` extra).
$(VENV)/.installed-bench: $(VENV)/.installed-test pyproject.toml
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

# Installs, migrates SQLite, loads the demo data and starts the Procfile's processes (honcho): the web
# process serves HTTP + websockets with daphne and runs the background jobs.
run: demo
	$(BIN)/python manage.py demo_banner --url http://$(HOST):$(PORT)/
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho start -f Procfile

# The whole suite on SQLite, then the concurrency/timer/websocket tests on PostgreSQL + Redis.
test: install-test
	scripts/test.sh

test-sqlite: install-test
	CXSMS_HYPOTHESIS_PROFILE=ci $(BIN)/pytest

# Breaks one concurrency guard at a time in a copy of the checkout and runs the PostgreSQL race tests (docs/testing.md).
mutate: install-test
	$(BIN)/python scripts/mutate.py $(MUTATE_ARGS)

# Only the second pass: tests marked pg on PostgreSQL + Redis.
test-pg: install-test
	scripts/test.sh --pg-only

# A private PostgreSQL 15 + Redis under ./var (installed with apt when missing); `scripts/services.sh env` prints their URLs.
services-start:
	scripts/services.sh start
services-stop:
	scripts/services.sh stop

# N daphne processes (default 2) on ports 8001..800N and W workers (default 2) against one PostgreSQL
# and one Redis (docs/deployment.md).
N ?= 2
W ?= 2
run-cluster: install
	scripts/cluster.sh start $(N) $(W)
stop-cluster:
	scripts/cluster.sh stop

# The scale-out benchmark (docs/benchmarks.md); not part of `make test`. BENCH_ARGS passes options to bench/run.py.
bench: $(VENV)/.installed-bench
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The same measure for a Digital tenant: texts until the case reaches the agent's socket, beside the bare pipeline (docs/benchmarks.md).
bench-digital: $(VENV)/.installed-bench
	$(BIN)/python bench/run.py --tenant digital --configs sqlite-1 $(BENCH_ARGS)

# Timer lateness on the task engine: 10,000 open rooms, 1,000 due in one second (docs/benchmarks.md).
bench-timers: $(VENV)/.installed-bench
	$(BIN)/python bench/timers_bench.py $(BENCH_ARGS)

# CPU per text of the product's own code, without daphne and sockets (docs/benchmarks.md).
bench-service: $(VENV)/.installed-bench
	$(BIN)/python bench/service_cpu.py $(BENCH_ARGS)

# The cost of one routing decision with 10 … 10,000 agents and 0 … 100,000 queued rooms (docs/routing.md).
bench-routing: $(VENV)/.installed-bench
	scripts/services.sh start
	env $$(scripts/services.sh env | xargs) $(BIN)/python bench/routing_bench.py $(BENCH_ARGS); status=$$?; scripts/services.sh stop; exit $$status

# Reports at a month of a 500-agent center (1,000,000 rooms, 10,000,000 messages by default) on the private PostgreSQL (docs/benchmarks.md).
bench-reports: $(VENV)/.installed-bench
	scripts/services.sh start
	env $$(scripts/services.sh env | xargs) $(BIN)/python bench/reports_bench.py $(BENCH_ARGS); status=$$?; scripts/services.sh stop; exit $$status

# Campaigns (docs/benchmarks.md): imports of 100,000 and 500,000 rows (rows/s, peak memory, CPU); dispatch on SQLite and on the
# private PostgreSQL with one and two workers beside a bare loop; the 100,000-recipient campaign (duplicates, window); the throttle.
bench-campaigns: $(VENV)/.installed-bench
	scripts/services.sh start
	env $$(scripts/services.sh env | xargs) $(BIN)/python bench/campaigns_bench.py $(BENCH_ARGS); status=$$?; scripts/services.sh stop; exit $$status

clean:
	-scripts/cluster.sh stop
	-scripts/services.sh stop --force
	rm -rf $(VENV) db.sqlite3 tests/artifacts/*.png var
