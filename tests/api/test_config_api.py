"""Configuration resources through HTTP: CRUD, filters, the product's rules refused as 400 with the
services' own messages, write-only secrets, token and session authentication, the docs page."""
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from rest_framework.test import APIClient

from routing import services
from routing.choices import Channel, CodeType, RoomState
from routing.models import CarrierAccount, Country, PointOfContact, Skill, Team, Tenant, User
from tests import factories as f
from tests.api.conftest import API, client_for, make_room

pytestmark = pytest.mark.django_db


def service_errors(instance):
    """What the service layer (and so the console and the admin) says about `instance`."""
    with pytest.raises(ValidationError) as exc:
        services.object_save(instance=instance)
    return {("non_field_errors" if k == "__all__" else k): v for k, v in exc.value.message_dict.items()}


def rows(resp):
    assert resp.status_code == 200, resp.content
    return resp.json()["results"]


# --- CRUD per resource -------------------------------------------------------------------------

def test_teams_crud_and_filters(world_a):
    api = world_a.client("admin")
    r = api.post(API + "teams/", {"name": "Porridge", "session_limit": 3}, format="json")
    assert r.status_code == 201, r.content
    team = r.json()
    assert team["tenant"] == world_a.tenant.id and team["session_limit"] == 3 and isinstance(team["id"], int)
    assert api.get(API + f"teams/{team['id']}/").json() == team
    assert [t["name"] for t in rows(api.get(API + "teams/", {"name": "Porridge"}))] == ["Porridge"]
    assert [t["name"] for t in rows(api.get(API + "teams/", {"q": "porr"}))] == ["Porridge"]
    assert [t["name"] for t in rows(api.get(API + "teams/", {"ordering": "-name"}))] == ["Team A", "Porridge"]
    r = api.put(API + f"teams/{team['id']}/", {"name": "Oats", "session_limit": 12}, format="json")
    assert r.status_code == 200 and r.json()["name"] == "Oats" and r.json()["session_limit"] == 12
    r = api.patch(API + f"teams/{team['id']}/", {"session_limit": 1}, format="json")
    assert r.status_code == 200 and r.json() == {**team, "name": "Oats", "session_limit": 1}
    assert api.delete(API + f"teams/{team['id']}/").status_code == 204
    assert api.get(API + f"teams/{team['id']}/").status_code == 404
    assert not Team.objects.filter(pk=team["id"]).exists()


def test_skills_crud_and_filters(world_a):
    api = world_a.client("admin")
    r = api.post(API + "skills/", {"name": "Porridge chat", "channel": "chat", "direction": "inbound"}, format="json")
    assert r.status_code == 201, r.content
    skill = r.json()
    assert {s["name"] for s in rows(api.get(API + "skills/", {"channel": "chat"}))} == {"Chat A", "Porridge chat"}
    assert {s["name"] for s in rows(api.get(API + "skills/", {"direction": "outbound"}))} == {"SMS out A"}
    r = api.patch(API + f"skills/{skill['id']}/", {"direction": "outbound"}, format="json")
    assert r.status_code == 200 and r.json()["direction"] == "outbound"
    assert api.delete(API + f"skills/{skill['id']}/").status_code == 204


def test_users_crud_skills_and_password(world_a):
    api = world_a.client("admin")
    w = world_a
    r = api.post(API + "users/", {"username": "papa", "password": "Papa-bear-1234!", "role": "agent", "team": w.team.id,
                                  "skills": [w.chat_skill.id]}, format="json")
    assert r.status_code == 201, r.content
    papa = r.json()
    assert "password" not in papa
    assert papa["tenant"] == w.tenant.id and papa["skills"] == [w.chat_skill.id] and papa["effective_session_limit"] == 5
    assert papa["skill_proficiencies"] == [{"skill": w.chat_skill.id, "proficiency": 1}]
    user = User.objects.get(pk=papa["id"])
    assert user.check_password("Papa-bear-1234!") and user.tenant == w.tenant

    # proficiencies, then `skills` keeps the proficiency of a skill already held
    r = api.patch(API + f"users/{papa['id']}/", {"skill_proficiencies": [{"skill": w.chat_skill.id, "proficiency": 7}]}, format="json")
    assert r.status_code == 200 and r.json()["skill_proficiencies"] == [{"skill": w.chat_skill.id, "proficiency": 7}]
    r = api.patch(API + f"users/{papa['id']}/", {"skills": [w.chat_skill.id, w.sms_skill.id], "session_limit": 2}, format="json")
    assert r.status_code == 200, r.content
    assert sorted(map(tuple, (d.values() for d in r.json()["skill_proficiencies"]))) == sorted([(w.chat_skill.id, 7), (w.sms_skill.id, 1)])
    assert r.json()["effective_session_limit"] == 2
    r = api.patch(API + f"users/{papa['id']}/", {"session_limit": None}, format="json")
    assert r.json()["session_limit"] is None and r.json()["effective_session_limit"] == 5

    r = api.patch(API + f"users/{papa['id']}/", {"password": "Another-pass-987!"}, format="json")
    assert r.status_code == 200 and "password" not in r.json()
    user.refresh_from_db()
    assert user.check_password("Another-pass-987!")

    assert {u["username"] for u in rows(api.get(API + "users/", {"role": "agent"}))} == {"agent-a", "agent2-a", "papa"}
    assert {u["username"] for u in rows(api.get(API + "users/", {"team": w.team.id, "q": "papa"}))} == {"papa"}
    assert api.delete(API + f"users/{papa['id']}/").status_code == 204


def test_carrier_accounts_and_points_of_contact(world_a):
    api = world_a.client("admin")
    r = api.post(API + "carrier-accounts/", {"provider": "twilio", "account_sid": "AC" + "1" * 32, "auth_token": "s3cret-token"},
                 format="json")
    assert r.status_code == 201, r.content
    acct = r.json()
    assert CarrierAccount.objects.get(pk=acct["id"]).auth_token == "s3cret-token"

    r = api.post(API + "points-of-contact/", {"channel": "sms", "number": "(212) 555-0199", "country": "us", "code_type": "long",
                                              "carrier_account": acct["id"], "skill": world_a.sms_skill.id, "name": "Main line",
                                              "after_hours_reply": "We are closed."}, format="json")
    assert r.status_code == 201, r.content
    poc = r.json()
    assert poc["number"] == "+12125550199" and poc["country"] == "US" and poc["code_type"] == "long"  # stored in E.164

    r = api.post(API + "points-of-contact/", {"channel": "chat", "slug": "porridge-chat", "skill": world_a.chat_skill.id}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["number"] == "" and r.json()["country"] is None

    assert {p["number"] for p in rows(api.get(API + "points-of-contact/", {"channel": "sms"}))} == {"+12125550160", "+12125550199"}
    assert {p["id"] for p in rows(api.get(API + "points-of-contact/", {"carrier_account": acct["id"]}))} == {poc["id"]}
    assert {p["id"] for p in rows(api.get(API + "points-of-contact/", {"country": "US", "q": "main"}))} == {poc["id"]}
    assert rows(api.get(API + "carrier-accounts/", {"provider": "twilio"}))[0]["id"] == acct["id"]

    # a carrier account in use cannot go: 409 with the service's message
    r = api.delete(API + f"carrier-accounts/{acct['id']}/")
    assert r.status_code == 409 and "still used" in r.json()["detail"]
    assert api.delete(API + f"points-of-contact/{poc['id']}/").status_code == 204
    assert api.delete(API + f"carrier-accounts/{acct['id']}/").status_code == 204


def test_routing_rules_crud(world_a):
    api = world_a.client("admin")
    r = api.post(API + "routing-rules/", {"point_of_contact": world_a.sms_poc.id, "position": 0, "kind": "hours", "days": "01234",
                                          "start_time": "08:00", "end_time": "17:00", "skill": world_a.sms_skill.id, "priority": 3},
                 format="json")
    assert r.status_code == 201, r.content
    rule = r.json()
    assert {x["id"] for x in rows(api.get(API + "routing-rules/", {"kind": "hours"}))} == {rule["id"]}
    assert len(rows(api.get(API + "routing-rules/", {"point_of_contact": world_a.sms_poc.id}))) == 2
    r = api.patch(API + f"routing-rules/{rule['id']}/", {"kind": "regex", "pattern": "(unclosed"}, format="json")
    assert r.status_code == 400 and r.json()["pattern"][0].startswith("Not a valid regular expression")
    assert api.delete(API + f"routing-rules/{rule['id']}/").status_code == 204


def test_operator_tenants_and_countries(operator, world_a):
    api = client_for(operator)
    r = api.post(API + "tenants/", {"name": "Goldilocks Inc", "slug": "goldilocks", "sms_messaging_enabled": True,
                                    "digital_experience_enabled": False, "sms_delivery": "acd", "save_transcripts": True}, format="json")
    assert r.status_code == 201, r.content
    tenant = r.json()
    assert {t["slug"] for t in rows(api.get(API + "tenants/"))} == {"tenant-a", "goldilocks"}
    assert rows(api.get(API + "tenants/", {"sms_messaging_enabled": "true", "q": "goldi"}))[0]["id"] == tenant["id"]
    # the operator names the tenant of every new tenant object
    r = api.post(API + "users/", {"tenant": tenant["id"], "username": "goldi-admin", "password": "Adm-pass-1234!", "role": "admin"},
                 format="json")
    assert r.status_code == 201 and r.json()["tenant"] == tenant["id"]
    r = api.post(API + "teams/", {"name": "No tenant"}, format="json")
    assert r.status_code == 400 and "tenant" in r.json()
    r = api.post(API + "teams/", {"name": "Cross", "tenant": tenant["id"]}, format="json")
    assert r.status_code == 201
    # ...and cannot mix tenants: the model rule refuses another tenant's team
    r = api.post(API + "users/", {"tenant": tenant["id"], "username": "mixed", "role": "agent", "team": world_a.team.id}, format="json")
    assert r.status_code == 400 and r.json()["team"] == ["Select a valid choice. That choice is not one of the available choices."]
    # ...nor move an object to another tenant
    r = api.patch(API + f"teams/{world_a.team.id}/", {"tenant": tenant["id"]}, format="json")
    assert r.status_code == 400 and r.json()["tenant"] == ["An object cannot move to another tenant."]

    r = api.post(API + "countries/", {"code": "zz", "name": "Zedland", "long": True}, format="json")
    assert r.status_code == 201 and r.json()["code"] == "ZZ"
    assert rows(api.get(API + "countries/", {"code": "ZZ"}))[0]["name"] == "Zedland"
    r = api.patch(API + "countries/%d/" % r.json()["id"], {"short": True}, format="json")
    assert r.status_code == 200 and r.json()["short"] is True
    r = api.delete(API + "countries/%d/" % Country.objects.get(code="US").id)
    assert r.status_code == 409  # used by points of contact
    assert api.delete(API + f"tenants/{tenant['id']}/").status_code == 204


def test_tenant_admin_reads_own_tenant_and_stays_in_it(world_a, world_b):
    api = world_a.client("admin")
    assert [t["id"] for t in rows(api.get(API + "tenants/"))] == [world_a.tenant.id]
    r = api.post(API + "teams/", {"name": "Explicit", "tenant": world_a.tenant.id}, format="json")
    assert r.status_code == 201 and r.json()["tenant"] == world_a.tenant.id
    r = api.post(API + "teams/", {"name": "Elsewhere", "tenant": world_b.tenant.id}, format="json")
    assert r.status_code == 400 and "does not exist" in r.json()["tenant"][0]
    assert not Team.objects.filter(name="Elsewhere").exists()


# --- rules refused with the services' messages ---------------------------------------------------

def test_session_limit_range(world_a):
    api = world_a.client("admin")
    expected = service_errors(Team(tenant=world_a.tenant, name="Too many", session_limit=13))
    for body in ({"name": "Too many", "session_limit": 13}, {"name": "Too few", "session_limit": 0}):
        r = api.post(API + "teams/", body, format="json")
        assert r.status_code == 400 and r.json() == expected == {"session_limit": ["The chat/SMS session limit is 1 to 12."]}
    r = api.patch(API + f"users/{world_a.agent.id}/", {"session_limit": 13}, format="json")
    assert r.status_code == 400 and r.json() == expected


def test_duplicate_names_same_message_as_console(world_a):
    api = world_a.client("admin")
    expected = service_errors(Team(tenant=world_a.tenant, name="Team A"))
    r = api.post(API + "teams/", {"name": "Team A"}, format="json")
    assert r.status_code == 400 and r.json() == expected
    r = api.post(API + "users/", {"username": "agent-a", "role": "agent"}, format="json")
    assert r.status_code == 400 and r.json()["username"] == ["A user with that username already exists."]


def test_sms_needs_sms_messaging_enabled_r1():
    t = f.tenant("No SMS", sms=False)
    api = client_for(f.admin(t))
    expected = service_errors(Skill(tenant=t, name="SMS", channel=Channel.SMS))
    r = api.post(API + "skills/", {"name": "SMS", "channel": "sms"}, format="json")
    assert r.status_code == 400 and r.json() == expected
    assert "SMS Messaging is not enabled" in r.json()["channel"][0]
    r = api.post(API + "carrier-accounts/", {"provider": "simulator"}, format="json")
    assert r.status_code == 400 and "SMS Messaging is not enabled" in r.json()["provider"][0]
    assert api.post(API + "skills/", {"name": "Chat", "channel": "chat"}, format="json").status_code == 201


def test_delivery_mode_r2(operator, world_a):
    api = client_for(operator)
    r = api.patch(API + f"tenants/{world_a.tenant.id}/", {"sms_delivery": "digital"}, format="json")
    assert r.status_code == 400
    assert r.json()["sms_delivery"] == ["Delivery to the Digital Experience inbox needs both SMS Messaging and Digital Experience "
                                        "enabled on the tenant."]
    # with both enabled, the switch is still refused while interactions are open, saying how many
    r = api.patch(API + f"tenants/{world_a.tenant.id}/", {"sms_delivery": "digital", "digital_experience_enabled": True}, format="json")
    assert r.status_code == 400 and "cannot change while 4 conversations are open" in r.json()["sms_delivery"][0]
    assert Tenant.objects.get(pk=world_a.tenant.id).sms_delivery == "acd"


def test_codes_and_countries_r5(world_a, operator):
    api = world_a.client("admin")
    gb = Country.objects.get(code="GB")
    base = {"channel": "sms", "carrier_account": world_a.carrier.id}
    cases = [
        ({"number": "72345", "country": "GB", "code_type": "short"},
         PointOfContact(tenant=world_a.tenant, channel=Channel.SMS, number="72345", country=gb, code_type=CodeType.SHORT,
                        carrier_account=world_a.carrier), "code_type"),
        ({"number": "+12125550123", "country": "GB", "code_type": "long"}, None, "number"),
        ({"number": "not a number", "country": "US", "code_type": "long"}, None, "number"),
        ({"number": "+18005550123", "country": "US", "code_type": "long"}, None, "number"),
        ({"number": "12", "country": "US", "code_type": "short"}, None, "number"),
        ({"number": "+12125550123", "code_type": "long"}, None, "country"),
        ({"number": "+12125550123", "country": "US"}, None, "code_type"),
        ({"number": "+12125550124", "country": "US", "code_type": "long", "carrier_account": None}, None, "carrier_account"),
        ({"number": "+12125550125", "country": "US", "code_type": "long", "skill": world_a.chat_skill.id}, None, "skill"),
        ({"number": "+12125550126", "country": "XX", "code_type": "long"}, None, "country"),
    ]
    for body, instance, field in cases:
        r = api.post(API + "points-of-contact/", {**base, **body}, format="json")
        assert r.status_code == 400 and field in r.json(), (body, r.content)
        if instance is not None:
            assert r.json() == service_errors(instance)
    assert api.post(API + "points-of-contact/", {**base, "number": "72345", "country": "US", "code_type": "short"},
                    format="json").status_code == 201
    assert api.post(API + "points-of-contact/", {**base, "number": "+18005550123", "country": "US", "code_type": "toll_free"},
                    format="json").status_code == 201
    r = api.post(API + "points-of-contact/", {**base, "number": "+12125550160", "country": "US", "code_type": "long"}, format="json")
    assert r.status_code == 400 and r.json() == {"number": ["This number is already a point of contact."]}
    r = api.post(API + "points-of-contact/", {"channel": "chat"}, format="json")
    assert r.status_code == 400 and r.json() == {"slug": ["A chat point of contact needs an address (slug)."]}

    # Digital Experience mode: US long codes only
    t = f.tenant("Digital", digital=True, delivery="digital")
    dapi = client_for(f.admin(t))
    acct = f.carrier(t)
    r = dapi.post(API + "points-of-contact/", {**base, "carrier_account": acct.id, "number": "72346", "country": "US",
                                               "code_type": "short"},
                  format="json")
    assert r.status_code == 400 and r.json() == {"code_type": ["In Digital Experience mode SMS Messaging "
                                                               "supports United States long codes only."]}


def test_twilio_carrier_rules_and_password_rules(world_a):
    api = world_a.client("admin")
    r = api.post(API + "carrier-accounts/", {"provider": "twilio", "account_sid": "XX123"}, format="json")
    assert r.status_code == 400
    assert r.json() == {"account_sid": ["A Twilio account SID starts with AC."],
                        "auth_token": ["Twilio needs the account's auth token to sign and verify requests."]}
    r = api.post(API + "users/", {"username": "weak", "password": "123", "role": "agent"}, format="json")
    assert r.status_code == 400 and "password" in r.json() and not User.objects.filter(username="weak").exists()
    r = api.post(API + "users/", {"username": "norole"}, format="json")
    assert r.status_code == 400 and "role" in r.json()
    r = api.post(API + "users/", {"username": "both", "role": "agent", "skills": [world_a.sms_skill.id],
                                  "skill_proficiencies": [{"skill": world_a.sms_skill.id, "proficiency": 2}]}, format="json")
    assert r.status_code == 400 and "skills" in r.json()
    r = api.post(API + "users/", {"username": "badprof", "role": "agent",
                                  "skill_proficiencies": [{"skill": world_a.sms_skill.id, "proficiency": 21}]}, format="json")
    assert r.status_code == 400 and "skill_proficiencies" in r.json()


def test_delivery_switch_allowed_once_rooms_closed(operator, world_a):
    from routing.models import Room

    Room.objects.filter(tenant=world_a.tenant).update(state=RoomState.CLOSED)
    r = client_for(operator).patch(API + f"tenants/{world_a.tenant.id}/", {"sms_delivery": "digital", "digital_experience_enabled": True},
                                   format="json")
    assert r.status_code == 200 and r.json()["sms_delivery"] == "digital"


# --- secrets --------------------------------------------------------------------------------

def test_secrets_are_write_only(world_a, operator):
    api = world_a.client("admin")
    r = api.post(API + "carrier-accounts/", {"provider": "twilio", "account_sid": "AC" + "2" * 32, "auth_token": "very-secret-token"},
                 format="json")
    acct = r.json()
    r2 = api.post(API + "users/", {"username": "secretive", "password": "Very-secret-pass-1", "role": "agent"}, format="json")
    responses = [r, r2, api.get(API + "carrier-accounts/"), api.get(API + f"carrier-accounts/{acct['id']}/"),
                 api.patch(API + f"carrier-accounts/{acct['id']}/", {"name": "Renamed"}, format="json"),
                 api.put(API + f"carrier-accounts/{acct['id']}/", {"provider": "twilio", "account_sid": "AC" + "2" * 32,
                                                                  "auth_token": "very-secret-token-2"}, format="json"),
                 api.get(API + "users/"), api.get(API + f"users/{r2.json()['id']}/"), client_for(operator).get(API + "users/")]
    for resp in responses:
        assert resp.status_code in (200, 201), resp.content
        text = resp.content.decode()
        assert "auth_token" not in text and "very-secret" not in text and "Very-secret-pass" not in text
        assert '"password"' not in text and "md5$" not in text and "pbkdf2" not in text
    assert CarrierAccount.objects.get(pk=acct["id"]).auth_token == "very-secret-token-2"
    # a PATCH without the token keeps it
    assert CarrierAccount.objects.get(pk=acct["id"]).name == "Renamed"
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    assert schema["CarrierAccountRequest"]["properties"]["auth_token"]["writeOnly"] is True
    assert "auth_token" not in schema["CarrierAccount"]["properties"]
    assert schema["UserRequest"]["properties"]["password"]["writeOnly"] is True
    assert "password" not in schema["User"]["properties"]


# --- authentication -------------------------------------------------------------------------

def test_token_auth(world_a):
    out = io.StringIO()
    call_command("drf_create_token", world_a.admin.username, stdout=out)
    key = re.search(r"token ([0-9a-f]{20,})", out.getvalue()).group(1)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + key)
    assert api.get(API + "me/").json()["username"] == world_a.admin.username
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    r = api.get(API + "me/")
    assert r.status_code == 401 and r.json() == {"detail": "Invalid token."}
    r = APIClient().get(API + "teams/")
    assert r.status_code == 401 and r["WWW-Authenticate"] == "Token"
    assert APIClient().post(API + "teams/", {"name": "x"}, format="json").status_code == 401


def test_session_auth_with_csrf(world_a):
    api = APIClient(enforce_csrf_checks=True)
    assert api.login(username=world_a.admin.username, password=f.PASSWORD)
    assert api.get(API + "teams/").status_code == 200
    r = api.post(API + "teams/", {"name": "No CSRF"}, format="json")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    # what a browser page does: the csrftoken cookie plus the X-CSRFToken header
    from django.middleware.csrf import _get_new_csrf_string

    token_value = _get_new_csrf_string()
    api.cookies["csrftoken"] = token_value
    r = api.post(API + "teams/", {"name": "With CSRF"}, format="json", HTTP_X_CSRFTOKEN=token_value)
    assert r.status_code == 201, r.content


def test_inactive_user_is_refused(world_a):
    api = world_a.client("agent")
    User.objects.filter(pk=world_a.agent.pk).update(is_active=False)
    assert api.get(API + "me/").status_code == 401


# --- schema and docs ------------------------------------------------------------------------

def test_schema_and_docs_page_use_no_cdn(world_a):
    r = APIClient().get("/api/schema/", {"format": "json"})
    assert r.status_code == 200 and str(r.json()["openapi"]).startswith("3")
    r = APIClient().get("/api/docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger-ui" in html
    hosts = re.findall(r"""(?:src|href)\s*=\s*["'](https?:)?//([^/"']+)""", html)
    assert hosts == [], hosts
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
    for asset in re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", html):
        assert asset.startswith("/static/drf_spectacular_sidecar/") or asset.startswith("/static/"), asset


def test_rooms_filters(world_a):
    api = world_a.client("admin")
    assert {r["id"] for r in rows(api.get(API + "rooms/", {"state": "active"}))} == {world_a.rooms["active"].id,
                                                                                     world_a.rooms["other_agent"].id}
    assert {r["id"] for r in rows(api.get(API + "rooms/", {"agent": world_a.agent2.id}))} == {world_a.rooms["other_agent"].id}
    assert {r["id"] for r in rows(api.get(API + "rooms/", {"q": "0113"}))} == {world_a.rooms["active"].id, world_a.rooms["closed"].id}
    r = api.get(API + "rooms/", {"ordering": "-id"})
    assert [x["id"] for x in rows(r)] == sorted((x["id"] for x in rows(r)), reverse=True)
    make_room(world_a.tenant, world_a.chat_poc)
    assert len(rows(api.get(API + "rooms/", {"channel": "chat"}))) == 1


# --- HTTP details ---------------------------------------------------------------------------

def test_methods_pages_filters_and_media_types(world_a):
    api = world_a.client("admin")
    r = api.delete(API + "teams/")
    assert r.status_code == 405 and set(r["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    r = api.post(API + f"rooms/{world_a.rooms['active'].id}/")
    assert r.status_code == 405 and "POST" not in r["Allow"]
    # pages
    assert api.get(API + "skills/", {"page": 1}).json()["count"] == 3
    for page in ("2", "x", ""):
        r = api.get(API + "skills/", {"page": page})
        assert r.status_code == 404 and r.json() == {"detail": "Invalid page."}
    # strict filters: never silently ignored
    for query, field in ((("channel", "sms"), ("channel", "chat")), "channel"), \
            ((("sms_messaging_enabled", "null"),), "sms_messaging_enabled"), \
            ((("session_limit", "2.5"),), "session_limit"), ((("channel", ""),), "channel"):
        resource = {"channel": "skills/", "sms_messaging_enabled": "tenants/", "session_limit": "teams/"}[field]
        qs = "&".join(f"{k}={v}" for k, v in query)
        r = api.get(API + resource + "?" + qs)
        assert r.status_code == 400 and field in r.json(), (qs, r.content)
    assert api.get(API + "teams/?q=").status_code == 200  # an empty search is no search
    # JSON bodies only
    r = api.post(API + "teams/", {"name": "Form"})  # multipart
    assert r.status_code == 415
    r = api.post(API + "teams/", "{not json", content_type="application/json")
    assert r.status_code == 400 and "JSON parse error" in r.json()["detail"]
    # ids that are not numbers are just missing objects (a JSON 404)
    r = api.get(API + "teams/0.5/")
    assert r.status_code == 404 and r["Content-Type"] == "application/json"
