import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings
from hypothesis.database import DirectoryBasedExampleDatabase

# Hypothesis: by hand (profile `dev`) failing examples are kept under .hypothesis/ (git-ignored) and
# replayed first on the next run; scripts/test.sh selects `ci`, a fixed seed (no database then), so a
# failure there reproduces anywhere, and print_blob prints the @reproduce_failure line either way.
_examples = DirectoryBasedExampleDatabase(str(Path(__file__).resolve().parent.parent / ".hypothesis" / "examples"))
hypothesis_settings.register_profile("dev", database=_examples, print_blob=True)
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("CXSMS_HYPOTHESIS_PROFILE", "dev"))

# Set by scripts/test.sh for its PostgreSQL + Redis pass, which must not go green having tested nothing.
REQUIRE_SERVICES = os.environ.get("CXSMS_TEST_REQUIRE_SERVICES") == "1"


def services_problem():
    """Why the configured database and channel layer are not a reachable PostgreSQL and Redis (None: they are)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return f"the database is {db['ENGINE'].rsplit('.', 1)[-1]}, not PostgreSQL (DATABASE_URL={os.environ.get('DATABASE_URL', 'unset')})"
    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if not layer.startswith("channels_redis."):
        return f"the channel layer is {layer}, not Redis (REDIS_URL={os.environ.get('REDIS_URL', 'unset')})"
    import psycopg
    import redis

    try:
        psycopg.connect(host=db["HOST"] or None, port=db["PORT"] or None, dbname=db["NAME"], user=db["USER"] or None,
                        password=db["PASSWORD"] or None, connect_timeout=5).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {db['HOST']}:{db['PORT']} does not answer: {exc}"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        return f"Redis at {settings.REDIS_URL} does not answer: {exc}"
    return None


def pytest_configure(config):
    # Under pytest-xdist (scripts/test.sh) each worker has its own test database (pytest-django adds
    # the worker's name); its Redis keys (channel layer, cache, queues) get the worker's name too, so
    # two workers' agent #1 never share a group and their rate-limit counters never add up.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        layer = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})
        if "prefix" in layer:
            layer["prefix"] = f"{layer['prefix']}-{worker}"
        cache = settings.CACHES["default"]
        if "KEY_PREFIX" in cache:
            cache["KEY_PREFIX"] = f"{cache['KEY_PREFIX']}-{worker}"
        settings.CXSMS_JOBS_PREFIX = f"{settings.CXSMS_JOBS_PREFIX}-{worker}"


def pytest_collection_modifyitems(config, items):
    # scripts/test.sh runs most tests on several workers, then these alone: the PostgreSQL
    # concurrency tests and the live-server tests start processes and assert timings that other
    # workers' load would blur.
    pg_dir = Path(__file__).resolve().parent / "pg"
    for item in items:
        if item.get_closest_marker("live") or pg_dir in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.serial)


def pytest_sessionstart(session):
    if REQUIRE_SERVICES:
        problem = services_problem()
        if problem:
            pytest.exit(f"PostgreSQL + Redis pass: {problem}", returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if REQUIRE_SERVICES and report.skipped and not hasattr(report, "wasxfail"):
        # In the PostgreSQL pass a skipped test is a test that did not run where it had to.
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in the PostgreSQL + Redis pass, which must run every test it selects: {reason}"
    return report


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Password hashing dominates test time otherwise; production keeps the default hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _reports_always_fresh(settings):
    """Every report in a test reads what the test just did. The catch-up window's mark lives in the
    cache, which outlives a test's rolled-back database: a later test's tenant that got the same id
    would read a report that skipped its catch-up (tests/reports/test_rollup.py tests the window)."""
    settings.CXSMS_REPORTS_FRESH_SECONDS = 0
    settings.CXSMS_REPORTS_LIVE_SECONDS = 0


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # The suite logs in and calls the API far more often than a person; the rate-limit tests
    # (tests/routing/test_ratelimits.py) switch the limits back on with the production values.
    settings.AXES_ENABLED = False
    settings.CXSMS_API_RATE_USER = settings.CXSMS_API_RATE_ANON = None
    settings.CXSMS_CHAT_START_RATE = settings.CXSMS_CHAT_MESSAGE_RATE = None


@pytest.fixture(autouse=True, scope="session")
def _jobs_run_when_enqueued():
    # In this process jobs run in the caller's thread when enqueued (Huey's immediate mode); timed
    # ones are fired by the tests through the sweeps (routing.jobs.sweep). Workers are tested as real
    # processes (tests/pg/test_workers.py, tests/live_tests/).
    from routing import jobs

    jobs.run_immediately(True)
    yield
    jobs.run_immediately(False)


@pytest.fixture
def artifacts_dir():
    import pathlib

    path = pathlib.Path(settings.BASE_DIR) / "tests" / "artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def _on_commit_as_in_production(request, monkeypatch):
    """pytest-django wraps each test in a transaction that never commits, so on_commit work
    (routing a new room, sending a text, pushing events) would never run. Run it when the
    outermost atomic block of the code under test exits, as it would in production."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if marker is None or transactional:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    from django.db import connection, transaction

    base = len(connection.atomic_blocks)
    original_exit = transaction.Atomic.__exit__
    original_on_commit = transaction.on_commit

    def flush(conn):
        while conn.run_on_commit and len(conn.atomic_blocks) == base:
            callbacks, conn.run_on_commit = conn.run_on_commit, []
            for _sids, func, _robust in callbacks:
                func()

    def exit_(self, exc_type, exc, tb):
        result = original_exit(self, exc_type, exc, tb)
        conn = transaction.get_connection(self.using)
        if exc_type is None and len(conn.atomic_blocks) == base and conn.run_on_commit:
            flush(conn)
        return result

    def on_commit(func, using=None, robust=False):
        conn = transaction.get_connection(using)
        if len(conn.atomic_blocks) <= base:
            func()
        else:
            original_on_commit(func, using=using, robust=robust)

    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_)
    monkeypatch.setattr(transaction, "on_commit", on_commit)
    yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """SQLite: the test database in a file (on tmpfs when there is one), as the product runs it, not
    Django's default shared-cache in-memory database: there, a socket's read in one thread and a
    write in another fail at once with "database table is locked" instead of waiting out the lock
    as the product's SQLite settings (timeout, IMMEDIATE transactions) make a file database do."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3" and not db.get("TEST", {}).get("NAME"):
        folder = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
        db.setdefault("TEST", {})["NAME"] = os.path.join(folder, f"cxsms-test-{os.getpid()}.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, plus: close the connections worker threads keep and the psycopg connection
    pools before the test databases are dropped (open connections keep PostgreSQL from dropping them)."""
    yield
    from django.db import connections

    from routing.threads import close_kept_connections

    with django_db_blocker.unblock():
        close_kept_connections()
        for conn in connections.all():
            if hasattr(conn, "close_pool"):
                conn.close_pool()
