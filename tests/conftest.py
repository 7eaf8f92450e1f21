import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Password hashing dominates test time otherwise; production keeps the default hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
