"""Property-based run of the whole API against its own OpenAPI schema (schemathesis 4).

Two parts, both sent in-process through Django's WSGI handler with a token of the role an
operation is meant for (a tenant administrator; the operator or an agent where only they may act):

- Every operation of /api/schema/ on its own: the coverage phase's boundary values, then
  MAX_EXAMPLES fuzzed requests. Generated valid (positive) requests get real references of the
  caller's tenant (VALID_IDS: the path's `id` and the `team`, `skill`, `skills`, `point_of_contact`,
  `carrier_account`, `agent` fields), so they reach the product's rules instead of a 404.
- The stateful phase: schemathesis chains operations along the links it infers from the schema
  (200: a list or a create feeds the id of what it returned to the read, update, delete and
  actions of that object), STATEFUL_EXAMPLES scenarios of up to STATEFUL_STEPS calls.

Every response goes through schemathesis' checks (no 5xx, status codes, content types, headers
and bodies as documented, invalid input rejected, auth not ignored, deleted resources gone), and
a valid request must end in a 2xx or a 400: a 400 is the product's rules refusing what the schema
cannot tell apart (R1-R5: number formats, code types per country, SMS enabled, unique names...)
with field errors in the documented shape. 401, 403, 404 and 409 fail a valid request except
where JUSTIFIED says why. How many requests reached a 2xx is printed and written to
tests/artifacts/api_schemathesis.json.

Bounds, to stay near a minute: no shrinking, and the coverage phase does not probe methods a path
lacks (test_config_api checks 405 and the Allow header).
"""
import io
import json
import re
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NotSet

from digital import services as digital_services
from digital.models import Filter
from campaigns import services as campaigns_services
from campaigns.models import Campaign
from routing.audit.models import AuditEntry
from routing import services as routing_services
from routing.models import Contact, Country, UnavailableReason
from tests import factories as f
from tests.api.conftest import build_tenant
from tests.digital.world import digital_world

MAX_EXAMPLES = 6
STATEFUL_EXAMPLES, STATEFUL_STEPS = 60, 6
STATS = {"stateless": Counter(), "stateful": Counter()}
OPERATIONS = Counter()

# Checks as configured below; positive_data_acceptance is narrowed further in `narrow` (per operation).
CONFIG = {
    "generation": {"max-examples": MAX_EXAMPLES, "no-shrink": True, "database": "none"},
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409"]}},
    "phases": {"coverage": {"unexpected-methods": []}},
}

# (method, path) -> (statuses a valid request may also get, why)
JUSTIFIED = {
    ("POST", "/api/v1/rooms/{id}/accept/"): ({404}, "an earlier request rejected the offer: the room went to another agent, out of sight"),
    ("POST", "/api/v1/rooms/{id}/reject/"): ({404}, "an earlier request rejected the offer: the room went to another agent, out of sight"),
    ("POST", "/api/v1/rooms/{id}/messages/"): ({404}, "in the stateful phase the agent may get the id of another agent's room "
                                                      + "from the administrator's list: out of the agent's sight"),
    ("DELETE", "/api/v1/skills/{id}/"): ({409}, "a skill still used by a point of contact, rule or room cannot be deleted"),
    ("DELETE", "/api/v1/teams/{id}/"): ({409}, "a team with members cannot be deleted"),
    ("DELETE", "/api/v1/carrier-accounts/{id}/"): ({409}, "an account that sends for a point of contact cannot be deleted"),
    ("DELETE", "/api/v1/points-of-contact/{id}/"): ({409}, "a number with rooms cannot be deleted"),
    ("DELETE", "/api/v1/countries/{id}/"): ({409}, "a country of a point of contact cannot be deleted"),
    ("DELETE", "/api/v1/tenants/{id}/"): ({409}, "a tenant with data cannot be deleted"),
    ("DELETE", "/api/v1/users/{id}/"): ({409}, "a user who holds rooms cannot be deleted"),
    ("DELETE", "/api/v1/contact-lists/{id}/"): ({409}, "a list a campaign uses cannot be deleted"),
    ("DELETE", "/api/v1/campaigns/{id}/"): ({409}, "a started campaign is cancelled before it is deleted"),
    ("POST", "/api/v1/campaigns/{id}/start/"): ({409}, "a campaign starts once: an earlier request of the run started it"),
    ("POST", "/api/v1/campaigns/{id}/pause/"): ({409}, "only a running or scheduled campaign can be paused"),
    ("POST", "/api/v1/campaigns/{id}/resume/"): ({409}, "only a paused campaign can be resumed"),
    ("POST", "/api/v1/campaigns/{id}/cancel/"): ({409}, "a cancelled or completed campaign cannot be cancelled again"),
    ("POST", "/api/v1/rooms/{id}/transfer/"): ({404}, "an earlier request transferred the room: out of the agent's sight"),
    ("GET", "/api/v1/rooms/{id}/transfer/"): ({404}, "an earlier request transferred the room: out of the agent's sight"),
    ("POST", "/api/v1/rooms/{id}/end/"): ({404}, "an earlier request transferred the room: out of the agent's sight"),
    ("POST", "/api/v1/canned-responses/"): ({403}, "only administrators write tenant-wide responses (owner null) or name another owner"),
    ("PUT", "/api/v1/canned-responses/{id}/"): ({403}, "a tenant-wide response is the administrators' to change"),
    ("PATCH", "/api/v1/canned-responses/{id}/"): ({403}, "a tenant-wide response is the administrators' to change"),
    ("DELETE", "/api/v1/canned-responses/{id}/"): ({403}, "a tenant-wide response is the administrators' to delete"),
}
REFERENCE_FIELDS = ("team", "skill", "point_of_contact", "carrier_account", "agent", "contact_list", "owner", "disposition")


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
def world(django_db_setup, django_db_blocker):
    """Two tenants built once, inside a transaction; each operation's run is a savepoint rolled back
    after it. Returns the tokens by role and the ids valid references take (tenant A's)."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            build_tenant("B", 170)  # a second tenant, so ids that exist elsewhere get generated too
            w = build_tenant("A", 160)
            tokens = {role: Token.objects.create(user=user).key for role, user in (("admin", w.admin), ("agent", w.agent),
                                                                                   ("operator", f.operator()))}
            contact_list = campaigns_services.contact_list_import(tenant=w.tenant, name="Prospects",
                                                                  file=io.BytesIO(b"phone,name\n2125550101,Ann\n2125550102,\n"))
            campaign = campaigns_services.campaign_save(campaign=Campaign(tenant=w.tenant, name="Lisbon", point_of_contact=w.sms_poc,
                                                                          contact_list=contact_list, template="Hi {name|there}"))
            ids = {"team": w.team.pk, "skill": w.sms_skill.pk, "point_of_contact": w.sms_poc.pk, "carrier_account": w.carrier.pk,
                   "agent": w.agent.pk, "contact_list": contact_list.pk, "owner": w.agent.pk, "disposition": w.disposition.pk}
            paths = {"/api/v1/teams/": w.team.pk, "/api/v1/skills/": w.sms_skill.pk, "/api/v1/points-of-contact/": w.sms_poc.pk,
                     "/api/v1/carrier-accounts/": w.carrier.pk, "/api/v1/routing-rules/": w.rule.pk, "/api/v1/users/": w.agent2.pk,
                     "/api/v1/tenants/": w.tenant.pk, "/api/v1/countries/": Country.objects.get(code="FR").pk,
                     "/api/v1/rooms/{id}/accept/": w.rooms["offered"].pk, "/api/v1/rooms/{id}/reject/": w.rooms["offered"].pk,
                     "/api/v1/rooms/": w.rooms["active"].pk, "/api/v1/canned-responses/": w.canned.pk,
                     "/api/v1/dispositions/": w.disposition.pk,
                     "/api/v1/audit-log/": AuditEntry.objects.filter(tenant=w.tenant).values_list("pk", flat=True).first(),
                     "/api/v1/contact-lists/": contact_list.pk, "/api/v1/campaigns/": campaign.pk, "/api/v1/send-rates/": w.sms_poc.pk,
                     "/api/v1/contacts/": routing_services.contact_save(instance=Contact(tenant=w.tenant, number="+12125550199")).pk,
                     "/api/v1/unavailable-reasons/": routing_services.object_save(instance=UnavailableReason(tenant=w.tenant,
                                                                                                            name="Coffee")).pk}
            paths.update(_digital_world(tokens))
            TOKENS.update(tokens)
            yield {"ids": ids, "paths": paths}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _digital_world(tokens):
    """A Digital Experience tenant: its administrator and agent act on /api/v1/digital/ with ids of its own
    (an open case of the agent's, and a case offered to them for accept/reject)."""
    d = digital_world()
    open_case = digital_services.case_outbound(agent=d.tommy, point_of_contact=d.poc, contact_number="+12025550161", body="Hello")
    offered = digital_services.case_outbound(agent=d.ann, point_of_contact=d.poc, contact_number="+12025550162", body="Hi")
    digital_services.case_assign(case=offered, actor=d.supervisor, agent=d.tommy)
    tokens.update({"digital_admin": Token.objects.create(user=d.admin).key, "digital_agent": Token.objects.create(user=d.tommy).key})
    return {"/api/v1/digital/queues/": d.general.pk, "/api/v1/digital/filters/": Filter.objects.filter(tenant=d.tenant).first().pk,
            "/api/v1/digital/contacts/": routing_services.contact_save(instance=Contact(tenant=d.tenant, number="+12025550161")).pk,
            "/api/v1/digital/cases/": open_case.pk, "/api/v1/digital/cases/{id}/accept/": offered.pk,
            "/api/v1/digital/cases/{id}/reject/": offered.pk}


DIGITAL_AGENT_OPERATIONS = {("POST", "/api/v1/digital/cases/{id}/accept/"), ("POST", "/api/v1/digital/cases/{id}/reject/"),
                            ("POST", "/api/v1/digital/cases/{id}/messages/"), ("POST", "/api/v1/digital/cases/outbound/"),
                            ("POST", "/api/v1/digital/cases/pull/")}
AGENT_OPERATIONS = {("POST", "/api/v1/rooms/{id}/accept/"), ("POST", "/api/v1/rooms/{id}/reject/"),
                    ("POST", "/api/v1/rooms/{id}/messages/"), ("POST", "/api/v1/rooms/outbound/"), ("GET", "/api/v1/me/state/"),
                    ("PUT", "/api/v1/me/state/")}


def role_for(operation):
    """A tenant administrator, except where only the operator or an agent may act (so the run goes past the 403)."""
    method, path = operation.method.upper(), operation.path
    if path.startswith(("/api/v1/tenants/", "/api/v1/countries/")):
        return "operator"  # reads too: what the operator creates, a tenant administrator does not see
    if (method, path) in AGENT_OPERATIONS:
        return "agent"
    if path.startswith("/api/v1/digital/"):
        return "digital_agent" if (method, path) in DIGITAL_AGENT_OPERATIONS else "digital_admin"
    return "admin"


TOKENS = {}  # role -> token key, filled by the `world` fixture
DELETED = set()  # (path up to the id, id) deleted by a request of the current run


@pytest.fixture(autouse=True)
def _forget_deletions():
    # Each operation's stateless run starts from the world as built (its savepoint is rolled back after it).
    DELETED.clear()


@schema.auth(refresh_interval=None)
class RoleToken:
    """Each request carries the token of the role its operation is for (role_for); declared as the
    run's auth, so the checks that send a copy without it or with a wrong one know what to take away."""

    def get(self, case, ctx):
        return TOKENS.get(role_for(case.operation))  # None while collecting, before the fixture made the tokens

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


def is_positive(case):
    """Generated as a valid request. Not one whose path id a stateful link could not fill (sent as "not set")."""
    if isinstance((case.path_parameters or {}).get("id"), NotSet):
        return False
    return case.meta is None or not case.meta.generation.mode.is_negative


def with_valid_references(case, world):
    """A valid request refers to objects of the caller's tenant: the path's id and the body's references."""
    if not is_positive(case):
        return
    path = case.operation.path
    if "id" in (case.path_parameters or {}):
        key = path if path in world["paths"] else re.sub(r"\{id\}/.*$", "", path)
        if key in world["paths"]:
            # The schema types the id as any string (drf-spectacular's default for these viewsets): a valid one is an id of ours.
            case.path_parameters["id"] = str(world["paths"][key])
    if isinstance(case.body, dict):
        for name in REFERENCE_FIELDS:
            if isinstance(case.body.get(name), int):
                case.body[name] = world["ids"][name]
        if isinstance(case.body.get("skills"), list) and case.body["skills"]:
            case.body["skills"] = [world["ids"]["skill"]]


def narrow(case, response):
    """A valid request may end in a 2xx or a 400 (the product's rules), and in JUSTIFIED's statuses."""
    if not is_positive(case):
        return
    method, path = case.operation.method.upper(), case.operation.path
    obj = (path.split("{id}")[0], (case.path_parameters or {}).get("id"))
    if method == "DELETE" and response.status_code == 204:
        DELETED.add(obj)
    if response.status_code == 404 and obj in DELETED:
        return  # deleted by an earlier request of this run (schemathesis' use_after_free checks that it stays gone)
    extra, _why = JUSTIFIED.get((method, path), (set(), ""))
    if response.status_code == 404 and "page" in (case.query or {}) and response.text == '{"detail":"Invalid page."}':
        return  # a page past the last one: the paginator's documented answer
    assert response.status_code < 300 or response.status_code == 400 or response.status_code in extra, (
        f"a valid request to {case.operation.label} got {response.status_code}: {response.text[:300]}")


def count(part, case, response):
    stats = STATS[part]
    stats["cases"] += 1
    stats[response.status_code] += 1
    if 200 <= response.status_code < 300:
        stats["2xx"] += 1
        if is_positive(case):
            stats["2xx valid"] += 1
    stats["valid" if is_positive(case) else "invalid"] += 1


@pytest.fixture(scope="module", autouse=True)
def report(request):
    yield
    from django.conf import settings as dj

    summary = {part: {"cases": c["cases"], "2xx": c["2xx"], "valid": c["valid"], "2xx of valid": c["2xx valid"],
                      "failures": c["failures"], "statuses": dict(sorted((k, v) for k, v in c.items() if isinstance(k, int)))}
               for part, c in STATS.items()}
    summary["operations"] = len(OPERATIONS)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        for part in STATS:
            s = summary[part]
            print(f"\n[schemathesis] {part}: {s['cases']} requests, {s['2xx']} reached a 2xx ({s['2xx of valid']} of {s['valid']} valid "
                  f"ones); statuses {s['statuses']}; failures {s['failures']}")
    (dj.BASE_DIR / "tests" / "artifacts").mkdir(exist_ok=True)
    (dj.BASE_DIR / "tests" / "artifacts" / "api_schemathesis.json").write_text(
        json.dumps({**summary, "cases_per_operation": dict(OPERATIONS.most_common())}, indent=1))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
def test_api_conforms_to_its_schema(case, world, db):
    OPERATIONS[case.operation.label] += 1
    with_valid_references(case, world)
    try:
        # Explicit here: the stateless cases were built at collection, before the tokens existed (RoleToken gave none).
        response = case.call_and_validate(headers={"Authorization": f"Token {TOKENS[role_for(case.operation)]}"})
        narrow(case, response)
    except Exception:
        STATS["stateless"]["failures"] += 1
        raise
    count("stateless", case, response)


class Workflow(schema.as_state_machine()):
    """Scenarios along the inferred links, each in a savepoint rolled back after it: every scenario
    starts from the world as built, so Hypothesis sees the same answers when it replays one."""

    def setup(self):
        DELETED.clear()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    def step(self, input):
        # A path id no link filled (a scenario's first call, or a list that came back empty) is a random string:
        # its 404 says nothing, so such a request is not held to `narrow`.
        self.id_from_link = "{id}" not in input.case.operation.path or any(name == "id" for _location, name in input.applied_parameters)
        return super().step(input)


    def validate_response(self, response, case, additional_checks=None, **kwargs):
        try:
            super().validate_response(response, case, additional_checks=additional_checks, **kwargs)
            if self.id_from_link:
                narrow(case, response)
        except Exception:
            STATS["stateful"]["failures"] += 1
            raise
        count("stateful", case, response)


def test_api_stateful_scenarios(world, db):
    Workflow.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS, deadline=None, derandomize=True,
                                   database=None, phases=[Phase.generate],
                                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]))
    assert STATS["stateful"]["2xx"] > 0
