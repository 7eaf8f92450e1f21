"""The audit trail through its real entry points: changes made from the console, the Django admin, the REST API and a
management command are recorded with who, from where and what changed; secrets never; tenants see only their own."""
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from routing.audit.models import AuditEntry
from routing import services
from routing.acd import agents
from routing.choices import AgentState
from routing.models import CarrierAccount, RoutingRule, Team
from tests import factories as f
from tests.api.conftest import client_for

# Also run in the PostgreSQL + Redis pass of make test (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.pg]
API = "/api/v1/audit-log/"


@pytest.fixture
def world():
    t1, t2 = f.tenant(name="Bears"), f.tenant(name="Wolves")
    return {"t1": t1, "t2": t2, "admin1": f.admin(t1, username="mama"), "admin2": f.admin(t2, username="wolf"),
            "agent1": f.agent(t1, username="baby")}


def entries(client, **params):
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_api_change_is_recorded_with_actor_source_and_diff(world):
    api = client_for(world["admin1"])
    team = api.post("/api/v1/teams/", {"name": "Porridge", "session_limit": 4}, format="json").json()
    response = api.patch(f"/api/v1/teams/{team['id']}/", {"session_limit": 7}, format="json", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    got = entries(api, object_type="team")
    assert [e["action"] for e in got] == ["update", "create"]
    change = got[0]
    assert change["source"] == "api" and change["actor"] == world["admin1"].pk and change["actor_username"] == "mama"
    assert change["changes"] == {"session_limit": ["4", "7"]}
    assert change["object_id"] == str(team["id"]) and change["object_repr"] == "Porridge" and change["tenant"] == world["t1"].pk
    assert change["remote_addr"] == "203.0.113.9"
    api.delete(f"/api/v1/teams/{team['id']}/")
    assert entries(api, object_type="team", action="delete")[0]["object_repr"] == "Porridge"


def test_console_change_is_recorded_as_console(world, client):
    client.force_login(world["admin1"])
    response = client.post("/console/teams/add/", {"name": "Cubs", "session_limit": 3})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(content_type__model="team", object_repr="Cubs")
    assert (entry.source, entry.actor, entry.tenant_id) == ("console", world["admin1"], world["t1"].pk)
    assert entry.changes["session_limit"] == ["None", "3"]
    page = client.get("/console/audit-log/").content.decode()
    assert "Cubs" in page and "Console" in page


def test_admin_change_is_recorded_as_admin_and_secrets_never_appear(world, client):
    operator = f.operator()
    client.force_login(operator)
    sid = "AC" + "7" * 32
    response = client.post("/admin/routing/carrieraccount/add/", {"tenant": world["t1"].pk, "name": "Twilio", "provider": "twilio",
                                                                  "account_sid": sid, "auth_token": "very-secret-token"})
    assert response.status_code == 302
    carrier = CarrierAccount.objects.get(account_sid=sid)
    client.post(f"/admin/routing/carrieraccount/{carrier.pk}/change/", {"tenant": world["t1"].pk, "name": "Twilio", "provider": "twilio",
                                                                          "account_sid": sid, "auth_token": "another-secret-token"})
    got = entries(client_for(world["admin1"]), object_type="carrier_account")
    assert [(e["action"], e["source"], e["actor_username"]) for e in got] == [("update", "admin", "operator"),
                                                                               ("create", "admin", "operator")]
    assert got[0]["changes"] == {"auth_token": ["••••••••", "••••••••"]}  # it changed; the values are never stored
    # a password change through the API: recorded as changed, the hash never stored
    api = client_for(world["admin1"])
    assert api.patch(f"/api/v1/users/{world['agent1'].pk}/", {"password": "Another-sturdy-pass-99"}, format="json").status_code == 200
    user_change = entries(api, object_type="user", action="update")[0]
    assert user_change["changes"] == {"password": ["••••••••", "••••••••"]}
    stored = json.dumps(list(AuditEntry.objects.values()), default=str)
    for secret in ("very-secret-token", "another-secret-token", "Another-sturdy-pass-99", world["agent1"].password.split("$")[-1]):
        assert secret not in stored
    for key in Token.objects.values_list("key", flat=True):
        assert key not in stored
    page = client_for(world["admin1"]).get(API).content.decode()
    assert "very-secret-token" not in page


def test_tokens_and_forced_disconnect_are_recorded_as_events(world, client):
    client.force_login(world["admin1"])
    api = client_for(world["agent1"])  # creates the agent's token: an event on the agent, with no key in it
    assert api.get("/api/v1/me/").status_code == 200
    response = client.post(f"/console/api-tokens/{world['agent1'].pk}/revoke/")
    assert response.status_code == 302 and not Token.objects.filter(user=world["agent1"]).exists()
    admin_api = client_for(world["admin1"])
    assert admin_api.post("/api/v1/forced-disconnect/").json() == {"ended": 0}
    got = entries(admin_api)
    events = ("token_created", "token_revoked", "forced_disconnect")
    actions = [(e["action"], e["object_repr"], e["source"]) for e in got if e["action"] in events]
    assert ("token_revoked", "baby", "console") in actions and ("forced_disconnect", "Bears", "api") in actions
    forced = next(e for e in got if e["action"] == "forced_disconnect")
    assert forced["changes"] == {"ended": [None, "0"]} and forced["actor_username"] == "mama"
    assert entries(admin_api, action="token_revoked")[0]["actor_username"] == "mama"


def test_a_management_command_is_recorded_as_command(world):
    call_command("drf_create_token", "baby")
    entry = AuditEntry.objects.filter(event="token_created", object_pk=str(world["agent1"].pk)).latest("timestamp")
    assert entry.source == "command" and entry.actor is None and entry.tenant_id == world["t1"].pk


def test_another_tenants_entries_are_invisible(world):
    services.object_save(instance=Team(tenant=world["t2"], name="Pack", session_limit=3))
    wolves_entry = AuditEntry.objects.get(content_type__model="team", object_repr="Pack")
    bears = client_for(world["admin1"])
    assert "Pack" not in json.dumps(entries(bears))
    assert bears.get(f"{API}{wolves_entry.pk}/").status_code == 404
    assert bears.get(API, {"actor": world["admin2"].pk}).status_code == 400  # another tenant's user is not a choice
    assert client_for(world["admin2"]).get(f"{API}{wolves_entry.pk}/").status_code == 200
    operator = client_for(f.operator())
    assert {e["tenant"] for e in entries(operator)} >= {world["t1"].pk, world["t2"].pk}


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_other_roles_are_refused(world, client, role):
    user = f.user(world["t1"], role=role)
    assert client_for(user).get(API).status_code == 403
    client.force_login(user)
    assert client.get("/console/audit-log/").status_code == 403
    assert client_for().get(API).status_code == 401


def test_filters_and_bad_filter_values(world):
    api = client_for(world["admin1"])
    services.object_save(instance=Team(tenant=world["t1"], name="Cubs", session_limit=3))
    assert {e["object_type"] for e in entries(api, object_type="team")} == {"team"}
    assert entries(api, source="command", object_type="team")[0]["object_repr"] == "Cubs"
    assert entries(api, source="api") == []
    assert entries(api, start="2000-01-01", end="2000-01-02") == []
    for bad in ({"object_type": "room"}, {"start": "yesterday"}, {"source": "phone"}, {"actor": "x"}):
        assert api.get(API, bad).status_code == 400, bad
    assert api.post(API, {}, format="json").status_code == 405
    assert api.get(f"{API}abc/").status_code == 404


def test_hot_path_state_is_not_audited_and_costs_no_query(world):
    """Availability and the engine's cached routing state change on every text: no entries, no extra queries."""
    agent = world["agent1"]
    before = AuditEntry.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        agents.agent_set_state(agent=agent, state=AgentState.AVAILABLE)
    assert AuditEntry.objects.count() == before
    assert not any("audit" in q["sql"] for q in ctx.captured_queries)
    # the receiver returned before reading the old row: a save of excluded fields only is one UPDATE
    agent.refresh_from_db()
    with CaptureQueriesContext(connection) as ctx:
        agent.save(update_fields=["held", "routable", "idle_since"])
    assert len(ctx.captured_queries) == 1 and AuditEntry.objects.count() == before


def test_schema_lists_the_endpoint(world):
    schema = client_for(world["admin1"]).get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/audit-log/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/v1/audit-log/"]["get"]["parameters"]}
    assert {"object_type", "actor", "source", "start", "end", "action"} <= params


def test_a_texts_life_writes_no_audit_entry_and_costs_no_query(client):
    """Interaction data is not audited: the signed webhook, the offer, accept, a reply and the end write no entry, and
    take exactly the queries they take with auditing switched off (no receiver reads an old row on the way)."""
    from auditlog.context import disable_auditlog

    from routing.hub import outbound, rooms
    from routing.acd import offers
    from routing.models import Room
    from tests.hub import post_inbound

    t = f.tenant("Three Bears Porridge")
    sms = f.skill(t, "SMS")
    poc = f.sms_poc(t, "+12125550160", skill=sms)
    mama = f.agent(t, username="mama", team=f.team(t, session_limit=2), skills=[sms], state="available")

    def life(contact):
        with CaptureQueriesContext(connection) as ctx:
            assert post_inbound(client, poc, contact, "Porridge?").status_code == 200
            room = Room.objects.get(contact_number=contact)
            offers.room_accept(room=room, agent=mama)
            outbound.message_send(room=room, author=mama, body="Yes, hot.")
            rooms.room_end(room=room, actor=mama)
        assert Room.objects.get(contact_number=contact).state == "closed"
        return [q["sql"] for q in ctx.captured_queries]

    life("+12025550100")  # warm caches (content types, the point of contact's script)
    before = AuditEntry.objects.count()
    audited = life("+12025550101")
    with disable_auditlog():
        unaudited = life("+12025550102")
    assert AuditEntry.objects.count() == before
    assert not [q for q in audited if "audit_" in q]
    assert len(audited) == len(unaudited)


def test_date_range_is_in_the_tenants_time_zone(world):
    """A change at 23:30 in Los Angeles on March 3 is March 4 in UTC; the tenant's administrator finds it on March 3."""
    from datetime import UTC, datetime

    import time_machine

    tenant = world["t1"]
    tenant.time_zone = "America/Los_Angeles"
    services.object_save(instance=tenant)
    moment = datetime(2026, 3, 4, 7, 30, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        services.object_save(instance=Team(tenant=tenant, name="Night owls", session_limit=2))
    api = client_for(world["admin1"])
    assert [e["object_repr"] for e in entries(api, start="2026-03-03", end="2026-03-03")] == ["Night owls"]
    assert entries(api, start="2026-03-04", end="2026-03-04") == []


def test_the_operator_reads_the_trail_read_only_in_the_django_admin(world, client):
    services.object_save(instance=Team(tenant=world["t2"], name="Pack", session_limit=3))
    client.force_login(f.operator())
    page = client.get("/admin/audit/auditentry/?source__exact=command")
    assert page.status_code == 200 and "Pack" in page.content.decode() and "Wolves" in page.content.decode()
    entry = AuditEntry.objects.get(object_repr="Pack")
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    client.force_login(world["admin1"])  # a tenant administrator is not staff
    assert client.get("/admin/audit/auditentry/").status_code == 302


def test_deleting_a_tenant_keeps_its_trail_for_the_operator(world):
    t = world["t2"]
    sms = f.skill(t, "SMS")
    f.agent(t, username="cub", skills=[sms])
    poc = f.sms_poc(t, "+12125550177", skill=sms)
    services.object_save(instance=RoutingRule(point_of_contact=poc, kind="keyword", pattern="#HOWL", skill=sms, priority=3))
    services.object_delete(instance=poc)  # its carrier account is protected while the number uses it
    tenant_id = t.pk
    services.object_delete(instance=t)
    deleted = AuditEntry.objects.filter(tenant_id=tenant_id, action=AuditEntry.Action.DELETE)
    assert {e.content_type.model for e in deleted} >= {"tenant", "user", "skill", "agentskill", "pointofcontact", "routingrule"}
    assert deleted.get(content_type__model="agentskill").object_repr == "cub: SMS"
    operator = client_for(f.operator())
    assert any(e["object_repr"] == "Wolves" and e["action"] == "delete" for e in entries(operator, object_type="tenant"))


@pytest.mark.django_db(transaction=True)
def test_an_administrator_deleting_their_own_account_is_recorded_by_name(client):
    """The entry outlives its actor: committed for real (PostgreSQL checks the reference at commit),
    and the trail still says who did it, also for that user's earlier entries."""
    tenant = f.tenant(name="Bears")
    leaving, staying = f.admin(tenant, username="goldilocks"), f.admin(tenant, username="mama")
    api = client_for(leaving)
    assert api.patch(f"/api/v1/teams/{f.team(tenant).pk}/", {"session_limit": 4}, format="json").status_code == 200
    response = api.delete(f"/api/v1/users/{leaving.pk}/")
    assert response.status_code == 204, response.content
    got = entries(client_for(staying), object_type="user")
    deleted = [e for e in got if e["action"] == "delete"]
    assert [(e["actor"], e["actor_username"], e["object_repr"]) for e in deleted] == [(None, "goldilocks", "goldilocks")]
    earlier = [e for e in entries(client_for(staying), object_type="team") if e["action"] == "update"]
    assert [(e["actor"], e["actor_username"]) for e in earlier] == [(None, "goldilocks")]
