import pytest


@pytest.fixture(autouse=True)
def _reports_always_fresh(settings):
    """Every report in a test reads what the script just did (no catch-up window)."""
    settings.CXSMS_REPORTS_FRESH_SECONDS = 0
