import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Password hashing dominates test time otherwise; production keeps the default hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # The suite logs in and calls the API far more often than a person; the rate-limit tests
    # (tests/routing/test_ratelimits.py) switch the limits back on with the production values.
    settings.AXES_ENABLED = False
    settings.CXSMS_API_RATE_USER = settings.CXSMS_API_RATE_ANON = None
    settings.CXSMS_CHAT_START_RATE = settings.CXSMS_CHAT_MESSAGE_RATE = None


@pytest.fixture(autouse=True)
def _no_timer_loop(settings):
    # Tests drive timers explicitly (routing.timers.sweep) or start a real server.
    settings.CXSMS_RUN_TIMERS = False


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
