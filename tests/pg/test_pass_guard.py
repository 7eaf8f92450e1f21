"""The PostgreSQL + Redis pass cannot go green having tested nothing (docs/testing.md): run pytest as
scripts/test.sh runs its second pass, with the backends missing or wrong, and see it fail."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SMOKE = "tests/pg/test_smoke.py"


def second_pass(*args, **env):
    """pytest as scripts/test.sh's second pass runs it; `env`: variables to set (None: unset)."""
    full = dict(os.environ, CXSMS_TEST_REQUIRE_SERVICES="1")
    for name, value in env.items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    return subprocess.run([sys.executable, "-m", "pytest", "-m", "pg", "-q", "-p", "no:cacheprovider", *args], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=120, check=False)


def test_without_database_url_the_pass_fails_instead_of_skipping():
    done = second_pass(SMOKE, DATABASE_URL=None, REDIS_URL=None)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout[-2000:]
    assert "the database is sqlite3, not PostgreSQL" in done.stdout + done.stderr


def test_with_a_database_that_does_not_answer_the_pass_fails():
    done = second_pass(SMOKE, DATABASE_URL="postgres://cxsms:x@127.0.0.1:9/cxsms", REDIS_URL="redis://127.0.0.1:9/0")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout[-2000:]
    assert "PostgreSQL at 127.0.0.1:9 does not answer" in done.stdout + done.stderr


@pytest.mark.pg
def test_with_redis_missing_or_not_answering_the_pass_fails(requires_pg):
    done = second_pass(SMOKE, REDIS_URL=None)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR and "not Redis" in done.stdout + done.stderr, done.stdout[-2000:]
    done = second_pass(SMOKE, REDIS_URL="redis://127.0.0.1:9/0")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR and "Redis at redis://127.0.0.1:9/0 does not answer" in done.stdout, \
        done.stdout[-2000:]


@pytest.mark.pg
def test_a_skipped_test_fails_the_pass(requires_pg, requires_redis, tmp_path):
    # A test file of its own in the project's test tree (its conftest hooks apply), removed afterwards.
    probe = ROOT / "tests" / "pg" / f"test_probe_{os.getpid()}.py"
    probe.write_text(textwrap.dedent("""
        import pytest

        @pytest.mark.pg
        def test_skips():
            pytest.skip("PostgreSQL is not there")

        @pytest.mark.pg
        def test_runs():
            assert True
    """))
    try:
        done = second_pass(str(probe.relative_to(ROOT)), "-rA")
    finally:
        probe.unlink()
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout[-2000:]
    assert "1 failed, 1 passed" in done.stdout and "skipped in the PostgreSQL + Redis pass" in done.stdout, done.stdout[-2000:]


@pytest.mark.pg
def test_a_pass_that_collects_nothing_fails(requires_pg):
    # scripts/test.sh's own second pass (its servers are already up in this pass: it only takes a lease).
    # One pytest process per part (no xdist workers, each collecting the whole suite again): what is
    # checked is the script's verdict on an empty pass, not the workers.
    done = subprocess.run(["scripts/test.sh", "--pg-only", "-k", "no_test_has_this_name", "-p", "no:cacheprovider"], cwd=ROOT,
                          env=dict(os.environ, CXSMS_TEST_WORKERS="1"), capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode != 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "the PostgreSQL pass collected no test" in done.stderr and "PostgreSQL pass: exit 5" in done.stdout, done.stdout[-2000:]
