#!/usr/bin/env bash
# `make test`: the whole suite on the embedded defaults (SQLite, in-memory layer), then the
# tests marked `pg` again on PostgreSQL + Redis started by scripts/services.sh (stopped on exit,
# also on failure). Exits non-zero when either pass fails. Extra arguments go to both pytest runs.
# The second pass cannot go green having tested nothing: no test collected (pytest's exit 5),
# a skipped test, or a database/channel layer that is not the PostgreSQL/Redis started here each
# fail it (CXSMS_TEST_REQUIRE_SERVICES, checked in tests/conftest.py). docs/testing.md.
set -uo pipefail
cd "$(dirname "$0")/.."

# --pg-only (make test-pg): skip the first pass.
pg_only=0
if [ "${1:-}" = "--pg-only" ]; then pg_only=1; shift; fi

# Lint and the architecture's import contracts first (pyproject.toml; docs/architecture.md).
echo "=== lint: ruff, import contracts ==="
.venv/bin/ruff check . || { echo "ruff found problems (above)" >&2; exit 1; }
PYTHONPATH=. .venv/bin/lint-imports --no-cache || { echo "an import contract is broken (above)" >&2; exit 1; }

scripts/ensure-chromium.sh || exit 1

# Property tests: Hypothesis's fixed-seed profile (tests/conftest.py), so a failure reproduces.
export CXSMS_HYPOTHESIS_PROFILE="${CXSMS_HYPOTHESIS_PROFILE:-ci}"

# Each pass runs most tests on several pytest-xdist workers (each with its own database and Redis
# keys, tests/conftest.py), then the tests marked `serial` alone: the PostgreSQL concurrency tests and
# the live-server tests, which start processes and assert timings. CXSMS_TEST_WORKERS=1: no workers.
workers="${CXSMS_TEST_WORKERS:-$(( $(nproc) + 1 > 4 ? 4 : $(nproc) + 1 ))}"
parallel=()
[ "$workers" -gt 1 ] && parallel=(-n "$workers")

# Both parts of a pass; the worse exit status wins (5, nothing collected, counts as a failure later).
# $1: the pass's marker expression ("" for all).
run_pass() {
    local only="${1:+$1 and }"; shift
    # --durations: the slowest tests of each part are named at the end (what to shorten first).
    .venv/bin/pytest "${parallel[@]}" --durations=15 -m "${only}not serial" "$@"
    local a=$?
    .venv/bin/pytest --durations=15 -m "${only}serial" "$@"
    local b=$?
    [ $a -eq 5 ] && [ $b -eq 0 ] && a=0  # one part may select nothing; the pass as a whole may not
    [ $b -eq 5 ] && b=0
    return $(( a > b ? a : b ))
}

first=0
if [ $pg_only -eq 0 ]; then
    echo "=== pass 1/2: the whole suite on SQLite + the in-memory channel layer ($workers workers, then the serial tests) ==="
    (unset DATABASE_URL REDIS_URL; run_pass "" "$@")
    first=$?
fi

echo "=== pass 2/2: tests marked pg on PostgreSQL + Redis ==="
# Our lease keeps the servers up while we use them, even if another run in this checkout stops.
export CXSMS_SERVICES_LEASE=$$
cleanup() { scripts/services.sh stop || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
if scripts/services.sh start; then
    env_lines=$(scripts/services.sh env) || exit 1
    while IFS= read -r line; do export "$line"; done <<<"$env_lines"
    # pytest-django creates (and drops) this database on the private server; the name is ours alone.
    export CXSMS_TEST_DATABASE_NAME="test_cxsms_$$"
    # Keys of this run in the shared Redis do not meet another run's.
    export CXSMS_CHANNEL_PREFIX="cxsms-test-$$"
    # In this pass a skip is a failure and the configured backends must be PostgreSQL and Redis, reachable.
    export CXSMS_TEST_REQUIRE_SERVICES=1
    run_pass pg "$@"
    second=$?
    if [ $second -eq 5 ]; then
        echo "the PostgreSQL pass collected no test: that is a failure (nothing was tested on PostgreSQL + Redis)" >&2
    fi
else
    echo "could not start PostgreSQL/Redis (scripts/services.sh start)" >&2
    second=1
fi

echo "=== SQLite pass: exit $first; PostgreSQL pass: exit $second ==="
[ $first -eq 0 ] && [ $second -eq 0 ]
