"""The role matrix: every role x every route x every method -> the expected status.

Roles: the platform operator (superuser), a tenant's administrator, supervisor and agent, and an
anonymous client. Every request targets tenant A's own objects (isolation between tenants is
test_isolation.py's job), with a valid body, so the status says only what the role may do.
The table must list exactly the schema's operations.
"""
import io

import pytest
from django.db import transaction
from django.test import override_settings

from campaigns import services as campaigns_services
from campaigns.models import Campaign
from routing import services
from routing.audit.models import AuditEntry
from routing.choices import Channel
from routing.models import CannedResponse, Contact, Country, Disposition, Room, UnavailableReason
from tests import factories as f
from tests.api.conftest import API, build_tenant, changed, client_for
from tests.digital.test_roles import DIGITAL_MATRIX
from tests.digital.test_roles import PLACEHOLDERS as DIGITAL_PLACEHOLDERS

ROLES = ("operator", "admin", "supervisor", "agent", "anonymous")

#         method    path                              operator admin supervisor agent anonymous
MATRIX = [
    ("GET", "tenants/", (200, 200, 200, 200, 401)),
    ("POST", "tenants/", (201, 403, 403, 403, 401)),
    ("GET", "tenants/{tenant}/", (200, 200, 200, 200, 401)),
    ("PUT", "tenants/{tenant}/", (200, 403, 403, 403, 401)),
    ("PATCH", "tenants/{tenant}/", (200, 403, 403, 403, 401)),
    ("DELETE", "tenants/{tenant}/", (409, 403, 403, 403, 401)),  # the operator may, but the tenant has interactions
    ("GET", "users/", (200, 200, 200, 200, 401)),
    ("POST", "users/", (201, 201, 403, 403, 401)),
    ("GET", "users/{user}/", (200, 200, 200, 404, 401)),  # an agent sees only themself
    ("PUT", "users/{user}/", (200, 200, 403, 403, 401)),
    ("PATCH", "users/{user}/", (200, 200, 403, 403, 401)),
    ("DELETE", "users/{user}/", (204, 204, 403, 403, 401)),
    ("PUT", "users/{user}/state/", (403, 200, 200, 403, 401)),  # a supervisor sets an agent's state
    ("GET", "teams/", (200, 200, 200, 200, 401)),
    ("POST", "teams/", (201, 201, 403, 403, 401)),
    ("GET", "teams/{team}/", (200, 200, 200, 200, 401)),
    ("PUT", "teams/{team}/", (200, 200, 403, 403, 401)),
    ("PATCH", "teams/{team}/", (200, 200, 403, 403, 401)),
    ("DELETE", "teams/{team}/", (204, 204, 403, 403, 401)),
    ("GET", "skills/", (200, 200, 200, 200, 401)),
    ("POST", "skills/", (201, 201, 403, 403, 401)),
    ("GET", "skills/{skill}/", (200, 200, 200, 200, 401)),
    ("PUT", "skills/{skill}/", (200, 200, 403, 403, 401)),
    ("PATCH", "skills/{skill}/", (200, 200, 403, 403, 401)),
    ("DELETE", "skills/{skill}/", (204, 204, 403, 403, 401)),
    ("GET", "carrier-accounts/", (200, 200, 200, 403, 401)),
    ("POST", "carrier-accounts/", (201, 201, 403, 403, 401)),
    ("GET", "carrier-accounts/{carrier}/", (200, 200, 200, 403, 401)),
    ("PUT", "carrier-accounts/{carrier}/", (200, 200, 403, 403, 401)),
    ("PATCH", "carrier-accounts/{carrier}/", (200, 200, 403, 403, 401)),
    ("DELETE", "carrier-accounts/{carrier}/", (204, 204, 403, 403, 401)),
    ("GET", "points-of-contact/", (200, 200, 200, 200, 401)),
    ("POST", "points-of-contact/", (201, 201, 403, 403, 401)),
    ("GET", "points-of-contact/{poc}/", (200, 200, 200, 200, 401)),
    ("PUT", "points-of-contact/{poc}/", (200, 200, 403, 403, 401)),
    ("PATCH", "points-of-contact/{poc}/", (200, 200, 403, 403, 401)),
    ("DELETE", "points-of-contact/{poc}/", (204, 204, 403, 403, 401)),
    ("GET", "routing-rules/", (200, 200, 200, 403, 401)),
    ("POST", "routing-rules/", (201, 201, 403, 403, 401)),
    ("GET", "routing-rules/{rule}/", (200, 200, 200, 403, 401)),
    ("PUT", "routing-rules/{rule}/", (200, 200, 403, 403, 401)),
    ("PATCH", "routing-rules/{rule}/", (200, 200, 403, 403, 401)),
    ("DELETE", "routing-rules/{rule}/", (204, 204, 403, 403, 401)),
    ("GET", "countries/", (200, 200, 200, 200, 401)),
    ("POST", "countries/", (201, 403, 403, 403, 401)),
    ("GET", "countries/{country}/", (200, 200, 200, 200, 401)),
    ("PUT", "countries/{country}/", (200, 403, 403, 403, 401)),
    ("PATCH", "countries/{country}/", (200, 403, 403, 403, 401)),
    ("DELETE", "countries/{country}/", (204, 403, 403, 403, 401)),
    ("GET", "rooms/", (200, 200, 200, 200, 401)),
    ("GET", "rooms/{active}/", (200, 200, 200, 200, 401)),
    ("POST", "rooms/{offered}/accept/", (403, 403, 403, 200, 401)),
    ("POST", "rooms/{offered}/reject/", (403, 403, 403, 200, 401)),
    ("POST", "rooms/{active}/end/", (200, 200, 403, 200, 401)),
    ("GET", "rooms/{active}/messages/", (200, 200, 200, 200, 401)),
    ("POST", "rooms/{active}/messages/", (403, 403, 403, 201, 401)),
    ("GET", "rooms/{active}/history/", (200, 200, 200, 200, 401)),
    ("GET", "rooms/{active}/decisions/", (200, 200, 200, 403, 401)),
    ("GET", "rooms/{active}/notes/", (200, 200, 200, 200, 401)),
    ("POST", "rooms/{active}/notes/", (403, 201, 201, 201, 401)),  # its agent or a manager of the tenant; the operator is none
    ("POST", "rooms/outbound/", (403, 403, 403, 201, 401)),
    ("GET", "rooms/{active}/transfer/", (200, 200, 200, 200, 401)),
    ("POST", "rooms/{active}/transfer/", (200, 200, 200, 200, 401)),  # its agent, or a manager (here: to its skill's queue)
    ("GET", "canned-responses/", (200, 200, 200, 200, 401)),
    ("POST", "canned-responses/", (201, 201, 201, 201, 401)),  # a supervisor's or an agent's own
    ("GET", "canned-responses/{canned}/", (200, 200, 200, 200, 401)),  # a tenant-wide one
    ("PUT", "canned-responses/{canned}/", (200, 200, 403, 403, 401)),
    ("PATCH", "canned-responses/{canned}/", (200, 200, 403, 403, 401)),
    ("DELETE", "canned-responses/{canned}/", (204, 204, 403, 403, 401)),
    ("GET", "dispositions/", (200, 200, 200, 200, 401)),
    ("POST", "dispositions/", (201, 201, 403, 403, 401)),
    ("GET", "dispositions/{disposition}/", (200, 200, 200, 200, 401)),
    ("PUT", "dispositions/{disposition}/", (200, 200, 403, 403, 401)),
    ("PATCH", "dispositions/{disposition}/", (200, 200, 403, 403, 401)),
    ("DELETE", "dispositions/{disposition}/", (204, 204, 403, 403, 401)),
    ("GET", "unavailable-reasons/", (200, 200, 200, 200, 401)),
    ("POST", "unavailable-reasons/", (201, 201, 403, 403, 401)),
    ("GET", "unavailable-reasons/{reason}/", (200, 200, 200, 200, 401)),
    ("PUT", "unavailable-reasons/{reason}/", (200, 200, 403, 403, 401)),
    ("PATCH", "unavailable-reasons/{reason}/", (200, 200, 403, 403, 401)),
    ("DELETE", "unavailable-reasons/{reason}/", (204, 204, 403, 403, 401)),
    ("GET", "contacts/", (200, 200, 200, 200, 401)),
    ("POST", "contacts/", (201, 201, 201, 201, 401)),  # agents keep the card of the contact they talk to
    ("GET", "contacts/{card}/", (200, 200, 200, 200, 401)),
    ("PUT", "contacts/{card}/", (200, 200, 200, 200, 401)),
    ("PATCH", "contacts/{card}/", (200, 200, 200, 200, 401)),
    ("DELETE", "contacts/{card}/", (204, 204, 403, 403, 401)),
    ("GET", "me/", (200, 200, 200, 200, 401)),
    ("GET", "me/state/", (403, 403, 403, 200, 401)),
    ("PUT", "me/state/", (403, 403, 403, 200, 401)),
    ("GET", "activity/", (403, 200, 200, 403, 401)),
    ("GET", "forced-disconnect/", (403, 200, 403, 403, 401)),
    ("POST", "forced-disconnect/", (403, 200, 403, 403, 401)),
    ("GET", "audit-log/", (200, 200, 403, 403, 401)),
    ("GET", "audit-log/{audit}/", (200, 200, 403, 403, 401)),  # the entry of the spare team's creation, in tenant A
    ("GET", "reports/interactions/", (403, 200, 200, 403, 401)),
    ("GET", "reports/agents/", (403, 200, 200, 403, 401)),
    ("POST", "contacts/erase/", (403, 200, 403, 403, 401)),
    # Campaigns: managers read, tenant administrators write. A CSV comes as multipart (tests/campaigns/), so the
    # JSON bodies of this table get a 400 from the upload and the append.
    ("GET", "contact-lists/", (200, 200, 200, 403, 401)),
    ("POST", "contact-lists/", (403, 400, 403, 403, 401)),
    ("GET", "contact-lists/{list}/", (200, 200, 200, 403, 401)),
    ("DELETE", "contact-lists/{list}/", (403, 409, 403, 403, 401)),  # a campaign uses it
    ("POST", "contact-lists/{list}/append/", (403, 400, 403, 403, 401)),
    ("GET", "contact-lists/{list}/download/", (200, 200, 200, 403, 401)),
    ("GET", "contact-lists/{list}/entries/", (200, 200, 200, 403, 401)),
    ("GET", "campaigns/", (200, 200, 200, 403, 401)),
    ("POST", "campaigns/", (403, 201, 403, 403, 401)),
    ("POST", "campaigns/preview/", (403, 200, 403, 403, 401)),
    ("GET", "campaigns/{campaign}/", (200, 200, 200, 403, 401)),
    ("PUT", "campaigns/{campaign}/", (403, 200, 403, 403, 401)),
    ("PATCH", "campaigns/{campaign}/", (403, 200, 403, 403, 401)),
    ("DELETE", "campaigns/{campaign}/", (403, 204, 403, 403, 401)),
    ("POST", "campaigns/{campaign}/start/", (403, 200, 403, 403, 401)),
    ("POST", "campaigns/{campaign}/pause/", (403, 409, 403, 403, 401)),  # a draft is not running
    ("POST", "campaigns/{campaign}/resume/", (403, 409, 403, 403, 401)),  # nor paused
    ("POST", "campaigns/{campaign}/cancel/", (403, 200, 403, 403, 401)),
    ("GET", "campaigns/{campaign}/recipients/", (200, 200, 200, 403, 401)),
    ("GET", "campaigns/{campaign}/results/", (200, 200, 200, 403, 401)),
    ("GET", "send-rates/", (200, 200, 200, 403, 401)),
    ("GET", "send-rates/{sms_poc}/", (200, 200, 200, 403, 401)),
    ("PUT", "send-rates/{sms_poc}/", (403, 200, 403, 403, 401)),
    ("PATCH", "send-rates/{sms_poc}/", (403, 200, 403, 403, 401)),
]

CAMPAIGN_ACTIONS = ("preview/", "start/", "pause/", "resume/", "cancel/")


def body_for(method, path, t, role):
    """A valid request body for tenant A's objects (the operator names the tenant)."""
    resource = path.split("/")[0]
    tenant = {"tenant": t["tenant"]} if role == "operator" else {}
    n = f"{role}-{method.lower()}"
    if method == "PATCH":
        return {"tenants": {"save_transcripts": False}, "users": {"session_limit": 3}, "teams": {"session_limit": 7},
                "skills": {"name": "Renamed " + n}, "carrier-accounts": {"name": "Renamed"}, "points-of-contact": {"name": "Renamed"},
                "routing-rules": {"priority": 9}, "countries": {"short": True}, "campaigns": {"name": "Renamed " + n},
                "send-rates": {"rate": 5.0}, "canned-responses": {"body": "Patched " + n}, "dispositions": {"required": True},
                "unavailable-reasons": {"is_active": False},
                "contacts": {"notes": "Patched " + n}}[resource]
    if path == "rooms/{active}/messages/":
        return {"body": "How can I help?"}
    if path == "rooms/{active}/notes/":
        return {"body": "Internal: " + n} if method == "POST" else None
    if path == "rooms/outbound/":
        return {"point_of_contact": t["sms_poc"], "contact_number": "+12125550190", "body": "Your order is ready"}
    if path in ("me/state/", "users/{user}/state/"):
        return {"state": "available"}
    if path == "rooms/{active}/transfer/" and method == "POST":
        return {"skill": t["sms_skill"], "note": "Over to the queue"}
    if path == "contacts/erase/":
        return {"number": "+12125550191"}  # a contact with no live room
    if resource == "send-rates" and method in ("PUT", "PATCH"):
        return {"rate": 5.0}
    if path == "campaigns/preview/":
        return {"contact_list": t["list"], "template": "Hi {name|there}"}
    if resource == "campaigns" and method == "PATCH":
        return {"name": "Renamed " + n}
    if path in ("campaigns/", "campaigns/{campaign}/") and method in ("POST", "PUT"):
        return {"name": "Campaign " + n, "point_of_contact": t["sms_poc"], "contact_list": t["list"], "template": "Hi {name}"}
    if resource in ("campaigns", "contact-lists", "send-rates") and method != "POST" or path.endswith(CAMPAIGN_ACTIONS):
        return None
    if resource == "contact-lists":
        return {"name": "List " + n, "phone_column": "phone"}  # POST: the upload or the append, without a file
    if method not in ("POST", "PUT") or resource in ("rooms", "forced-disconnect"):
        return None
    bodies = {
        "tenants": {"name": "Tenant " + n, "slug": "tenant-" + n, "sms_messaging_enabled": True, "digital_experience_enabled": False,
                    "sms_delivery": "acd", "save_transcripts": True},
        "users": {**tenant, "username": "user-" + n, "password": "Role-pass-1234!", "role": "agent", "team": t["team"]},
        "teams": {**tenant, "name": "Team " + n, "session_limit": 4},
        "skills": {**tenant, "name": "Skill " + n, "channel": "chat", "direction": "inbound"},
        "carrier-accounts": {**tenant, "provider": "simulator", "name": "Carrier " + n},
        "points-of-contact": {**tenant, "channel": "chat", "slug": "chat-" + n, "skill": t["chat_skill"]},
        "routing-rules": {"point_of_contact": t["sms_poc"], "kind": "keyword", "pattern": "#ROLE", "skill": t["sms_skill"], "priority": 4},
        "countries": {"code": "QQ" if method == "POST" else "ZZ", "name": "Country " + n, "long": True},
        "canned-responses": {**tenant, "name": "Canned " + n, "shortcut": "c-" + n, "body": "Hello {contact_name}"},
        "dispositions": {**tenant, "name": "Disposition " + n, "required": False},
        "unavailable-reasons": {**tenant, "name": "Reason " + n, "is_active": True},
        "contacts": {**tenant, "number": "+12125550193" if method == "PUT" else "+12125550194", "name": "Card " + n, "tags": "vip"},
    }
    body = dict(bodies[resource])
    if method == "PUT" and resource == "users":
        body["username"] = "spare-user"
    return body


@pytest.fixture(scope="module")
def targets(django_db_setup, django_db_blocker):
    """Tenant A, built once for the module inside a transaction; each case runs in a savepoint rolled back after it."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            w = build_tenant("A", 160)
            operator = f.operator()
            spare_team = f.team(w.tenant, "Team spare")
            spare_skill = f.skill(w.tenant, "Skill spare", channel=Channel.CHAT)
            spare_carrier = f.carrier(w.tenant)
            spare_user = f.agent(w.tenant, username="spare-user", team=spare_team)
            country = services.object_save(instance=Country(code="ZZ", name="Zedland"))
            canned = services.object_save(instance=CannedResponse(tenant=w.tenant, name="Spare", shortcut="spare", body="Hi"))
            disposition = services.disposition_save(disposition=Disposition(tenant=w.tenant, name="Spare"))
            reason = services.object_save(instance=UnavailableReason(tenant=w.tenant, name="Spare"))
            card = services.contact_save(instance=Contact(tenant=w.tenant, number="+12125550193", name="Spare card"))
            ids = {"tenant": w.tenant.id, "user": spare_user.id, "team": spare_team.id, "skill": spare_skill.id,
                   "carrier": spare_carrier.id, "poc": w.chat_poc.id, "rule": w.rule.id, "country": country.id,
                   "active": w.rooms["active"].id, "offered": w.rooms["offered"].id, "sms_poc": w.sms_poc.id, "team_a": w.team.id,
                   "chat_skill": w.chat_skill.id, "sms_skill": w.sms_skill.id, "canned": canned.id, "disposition": disposition.id,
                   "reason": reason.id,
                   "card": card.id,
                   "audit": AuditEntry.objects.get(content_type__model="team", object_pk=str(spare_team.id), action=0).id}
            contact_list = campaigns_services.contact_list_import(tenant=w.tenant, name="Prospects",
                                                                  file=io.BytesIO(b"phone,name\n2125550101,Ann\n2125550102,\n"))
            campaign = campaigns_services.campaign_save(campaign=Campaign(tenant=w.tenant, name="Lisbon", point_of_contact=w.sms_poc,
                                                                          contact_list=contact_list, template="Hi {name|there}"))
            ids.update({"list": contact_list.id, "campaign": campaign.id})
            users = {"operator": operator, "admin": w.admin, "supervisor": w.supervisor, "agent": w.agent, "anonymous": None}
            yield ids, users
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


CASES = [pytest.param(role, method, path, expected[i], id=f"{role}-{method}-{path}")
         for method, path, expected in MATRIX for i, role in enumerate(ROLES)]


@pytest.mark.parametrize("role, method, path, expected", CASES)
def test_role_matrix(targets, db, role, method, path, expected):
    ids, users = targets
    url = API + path.format(**ids)
    body = body_for(method, path, {**ids, "team": ids["team_a"]}, role)
    client = client_for(users[role])
    before = database()
    resp = getattr(client, method.lower())(url, body, format="json") if body is not None else getattr(client, method.lower())(url)
    assert resp.status_code == expected, (role, method, url, resp.content[:300])
    changes = changed(before, database())
    if method == "GET" or expected >= 400:
        assert changes == {}, (role, method, url, changes)  # a read or a refused write changes nothing
    else:
        assert_effect(method, path, ids, users[role], body, changes)


# --- what a request changed -----------------------------------------------------------------

MODELS = {"tenants": "routing.Tenant", "users": "routing.User", "teams": "routing.Team", "skills": "routing.Skill",
          "carrier-accounts": "routing.CarrierAccount", "points-of-contact": "routing.PointOfContact",
          "routing-rules": "routing.RoutingRule", "countries": "routing.Country", "campaigns": "campaigns.Campaign",
          "canned-responses": "routing.CannedResponse", "dispositions": "routing.Disposition",
          "unavailable-reasons": "routing.UnavailableReason", "contacts": "routing.Contact"}
WRITE_ONLY = {"password"}
ROLLUPS = {"routing.RoomFact", "routing.AgentStateFact", "routing.AgentReasonFact", "routing.AgentStateDay", "routing.AgentReasonDay",
           "routing.StateRollupMark"}


def database():
    """Every row of the product's models and of its audit trail, by model and id: what any request could change."""
    from django.apps import apps

    # The reports' rollups (rooms, agents' state slots), refreshed by a report's read: caches of data shown elsewhere.
    models = [m for m in [*apps.get_app_config("routing").get_models(), *apps.get_app_config("audit").get_models(),
                          *apps.get_app_config("campaigns").get_models()]
              if m._meta.label not in ROLLUPS]
    return {m._meta.label: {row[m._meta.pk.attname]: row for row in m.objects.values()} for m in models}


def as_stored(row, body):
    """The body's fields as the row stores them (a reference is stored as <name>_id)."""
    return {k: row[k] if k in row else row[f"{k}_id"] for k in body if k not in WRITE_ONLY}


def assert_effect(method, path, ids, user, body, changes):
    """An allowed write changed what it says, and only that kind of thing."""
    resource = path.split("/")[0]
    if resource in MODELS and not path.endswith(CAMPAIGN_ACTIONS) and path != "contacts/erase/":
        label = MODELS[resource]
        mine = changes.get(label, {})
        if method == "POST":
            assert len(mine.get("added", [])) == 1, (path, changes)
            row = mine["added"][0]
            assert as_stored(row, body) == {k: v for k, v in body.items() if k not in WRITE_ONLY}, (row, body)
        elif method in ("PUT", "PATCH"):
            target = ids[path.split("{")[1].split("}")[0]]
            row = (mine.get("changed", {}).get(target) or (None, None))[1]
            assert row is not None, (path, changes)  # every body here differs from what is stored
            assert as_stored(row, body) == {k: v for k, v in body.items() if k not in WRITE_ONLY}, (row, body)
        else:  # DELETE
            target = ids[path.split("{")[1].split("}")[0]]
            assert [r["id"] for r in mine.get("removed", [])] == [target], (path, changes)
        assert not any(c.get("removed") for label_, c in changes.items() if label_ != label), changes  # nothing else deleted
        return
    rooms = changes.get("routing.Room", {})
    messages = changes.get("routing.Message", {})
    if path == "campaigns/{campaign}/start/":
        _old, new = changes["campaigns.Campaign"]["changed"][ids["campaign"]]
        assert new["state"] in ("running", "scheduled"), new
        assert len(changes["campaigns.Recipient"]["added"]) == 2, changes
    elif path == "campaigns/{campaign}/cancel/":
        _old, new = changes["campaigns.Campaign"]["changed"][ids["campaign"]]
        assert new["state"] == "cancelled", new
    elif path == "campaigns/preview/":
        assert changes == {}, changes  # a preview writes nothing
    elif path.startswith("send-rates/"):
        assert [r["rate"] for r in changes["campaigns.SendRate"]["added"]] == [body["rate"]], changes
    elif path == "rooms/{offered}/accept/":
        _old, new = rooms["changed"][ids["offered"]]
        assert (new["state"], new["agent_id"]) == ("active", user.id), new
    elif path == "rooms/{offered}/reject/":
        _old, new = rooms["changed"][ids["offered"]]
        assert new["agent_id"] != user.id and user.id in new["declined_by"], new
    elif path == "rooms/{active}/end/":
        _old, new = rooms["changed"][ids["active"]]
        assert new["state"] == "closed" and new["closed_at"] is not None, new
    elif path == "rooms/{active}/notes/":
        notes = changes["routing.RoomNote"]["added"]
        assert [(r["room_id"], r["body"], r["author_id"]) for r in notes] == [(ids["active"], body["body"], user.id)], changes
        assert "routing.Message" not in changes, changes  # never texted
    elif path == "rooms/{active}/messages/":
        assert [(m["room_id"], m["body"], m["author_id"]) for m in messages["added"]] == [(ids["active"], body["body"], user.id)]
    elif path == "rooms/outbound/":
        assert [r["contact_number"] for r in rooms["added"]] == [body["contact_number"]], rooms
        assert [m["body"] for m in messages["added"]] == [body["body"]], messages
    elif path == "me/state/":
        _old, new = changes["routing.User"]["changed"][user.id]
        assert new["state"] == body["state"], new
    elif path == "forced-disconnect/":
        closed = [new for _old, new in rooms.get("changed", {}).values() if new["state"] == "closed"]
        assert ids["active"] in [r["id"] for r in closed], rooms
        assert not Room.objects.filter(tenant_id=ids["tenant"], channel=Channel.SMS).exclude(state="closed").exists()
    elif path == "rooms/{active}/transfer/":
        _old, new = rooms["changed"][ids["active"]]
        got = (new["state"], new["agent_id"], new["transferred_by_id"], new["transfer_note"])
        assert got == ("queued", None, user.id, body["note"]), new
    elif path == "contacts/erase/":
        # Nothing of that number was held: the erasure is recorded, and nothing else changes.
        assert set(changes) == {"audit.AuditEntry"} and len(changes["audit.AuditEntry"]["added"]) == 1, changes
    else:
        raise AssertionError(f"no expected effect written for {method} {path}")


def test_matrix_lists_every_operation_of_the_schema(db):
    schema = client_for().get("/api/schema/", {"format": "json"}).json()
    in_schema = {(m.upper(), p[len("/api/v1/"):]) for p, ops in schema["paths"].items() for m in ops
                 if m in ("get", "post", "put", "patch", "delete")}
    placeholder = {"{tenant}", "{user}", "{team}", "{skill}", "{carrier}", "{poc}", "{rule}", "{country}", "{active}", "{offered}",
                   "{audit}", "{list}", "{campaign}", "{sms_poc}", "{canned}", "{disposition}", "{reason}", "{card}"}
    placeholder |= DIGITAL_PLACEHOLDERS
    in_matrix = set()
    for method, path, _ in MATRIX + DIGITAL_MATRIX:  # digital/: tests/digital/test_roles.py, on a Digital tenant
        for ph in placeholder:
            path = path.replace(ph, "{id}")
        in_matrix.add((method, path))
    assert in_schema == in_matrix, {"not in the matrix": in_schema - in_matrix, "not in the schema": in_matrix - in_schema}
