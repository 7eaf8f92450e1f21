"""Property-based run of the whole API against its own OpenAPI schema (schemathesis 4).

Every operation of /api/schema/ gets generated valid and invalid requests (the coverage phase's
boundary values, then MAX_EXAMPLES fuzzed ones), sent in-process through Django's WSGI handler as a
tenant administrator (as the operator or an agent for the few operations only they may call), and
every response goes through schemathesis' default checks: no 5xx, status codes, content types,
headers and bodies as documented, invalid input rejected, auth not ignored, deleted resources gone.

Bounds, to stay well under two minutes: no shrinking, no stateful phase, and the coverage phase
does not probe methods a path lacks (test_config_api checks 405 and the Allow header).

One check is tuned: `positive_data_acceptance` also accepts 400, because the product's rules
(R1-R5: number formats, code types per country, SMS enabled, unique names, proficiency of existing
skills...) refuse requests the schema alone cannot tell apart. Those 400s carry field errors and
are checked against the documented FieldErrors shape like every other response.
"""
import json
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig

from tests import factories as f
from tests.api.conftest import build_tenant

MAX_EXAMPLES = 6
STATS = Counter()
OPERATIONS = Counter()

CONFIG = {
    "generation": {"max-examples": MAX_EXAMPLES, "no-shrink": True, "database": "none"},
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409"]}},
    "phases": {"stateful": {"enabled": False}, "coverage": {"unexpected-methods": []}},
}


APP = WSGIHandler()
# Loaded at collection, through the app itself (the schema needs no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", APP, config=SchemathesisConfig.from_dict(CONFIG))


@pytest.fixture(autouse=True)
def keep_test_connection():
    # Django's test client does the same: the test transaction's connection must survive each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker):
    """Two tenants built once, inside a transaction; each operation's run is a savepoint rolled back after it."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            build_tenant("B", 170)  # a second tenant, so ids that exist elsewhere get generated too
            world = build_tenant("A", 160)
            yield {role: Token.objects.create(user=user).key
                   for role, user in (("admin", world.admin), ("agent", world.agent), ("operator", f.operator()))}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


AGENT_OPERATIONS = {("POST", "/api/v1/rooms/{id}/accept/"), ("POST", "/api/v1/rooms/{id}/reject/"),
                    ("POST", "/api/v1/rooms/{id}/messages/"), ("POST", "/api/v1/rooms/outbound/"), ("GET", "/api/v1/me/state/"),
                    ("PUT", "/api/v1/me/state/")}


def role_for(operation):
    """A tenant administrator, except where only the operator or an agent may act (so the run goes past the 403)."""
    method, path = operation.method.upper(), operation.path
    if method != "GET" and path.startswith(("/api/v1/tenants/", "/api/v1/countries/")):
        return "operator"
    if (method, path) in AGENT_OPERATIONS:
        return "agent"
    return "admin"


@pytest.fixture(scope="module", autouse=True)
def report(request):
    yield
    from django.conf import settings as dj

    summary = {"operations": len(OPERATIONS), "cases": STATS["cases"], "failures": STATS["failures"],
               "statuses": dict(sorted((k, v) for k, v in STATS.items() if isinstance(k, int)))}
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n[schemathesis] {summary}")
    (dj.BASE_DIR / "tests" / "artifacts").mkdir(exist_ok=True)
    (dj.BASE_DIR / "tests" / "artifacts" / "api_schemathesis.json").write_text(
        json.dumps({**summary, "cases_per_operation": dict(OPERATIONS.most_common())}, indent=1))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
def test_api_conforms_to_its_schema(case, tokens, db):
    OPERATIONS[case.operation.label] += 1
    STATS["cases"] += 1
    try:
        response = case.call_and_validate(headers={"Authorization": "Token " + tokens[role_for(case.operation)]})
    except Exception:
        STATS["failures"] += 1
        raise
    STATS[response.status_code] += 1
