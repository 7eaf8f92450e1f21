"""The PostgreSQL pass (`make test`'s second pass: `pytest -m pg` with DATABASE_URL and REDIS_URL set).

Tests marked `pg` need PostgreSQL: row locks, real parallel transactions, several server processes
sharing one database. On SQLite (the first pass) they are skipped, not run on the wrong database.
`requires_pg` is the fixture form; `requires_redis` skips when no REDIS_URL is set.
In the second pass those skips are failures: scripts/test.sh sets CXSMS_TEST_REQUIRE_SERVICES, and
tests/conftest.py then refuses to start unless PostgreSQL and Redis are configured and answer, and
reports any skipped test as failed (tests/pg/test_pass_guard.py shows both).
"""
import os

import pytest
from django.conf import settings


def on_postgresql():
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.fixture
def requires_pg():
    if not on_postgresql():
        pytest.skip("needs PostgreSQL: runs in the second pass of make test (scripts/test.sh)")


@pytest.fixture
def requires_redis():
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: runs in the second pass of make test (scripts/test.sh)")


def pytest_runtest_setup(item):
    # Runs for the tests under tests/pg only (a conftest's runtest hooks are scoped to its folder),
    # before any fixture, so SQLite never builds a test database for a test it will not run.
    if item.get_closest_marker("pg") and not on_postgresql():
        pytest.skip("needs PostgreSQL: runs in the second pass of make test (scripts/test.sh)")
