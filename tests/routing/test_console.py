"""The administrators' console through the Django test client: CRUD, rules next to their fields,
delete confirmations, search/filter/pagination, tenant isolation, roles, API tokens."""
import html
import re

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from routing.choices import Channel, CodeType, Direction, Provider, Role, RoomState, SmsDelivery
from routing.models import AgentSkill, CarrierAccount, PointOfContact, Room, RoutingRule, Skill, Team, Tenant, User
from tests import factories as f

pytestmark = pytest.mark.django_db


# --- helpers -------------------------------------------------------------------------------------

def text(response):
    return html.unescape(response.content.decode())


def field_errors(response, name):
    """The error messages rendered next to form field `name` (empty string when none)."""
    match = re.search(r'<ul class="errorlist field-errors" id="id_%s_errors"[^>]*>(.*?)</ul>' % re.escape(name),
                      response.content.decode(), re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))) if match else ""


def table_text(response):
    body = re.search(r"<tbody>(.*?)</tbody>", response.content.decode(), re.S)
    return html.unescape(body.group(1)) if body else ""


def table_rows(response):
    body = re.search(r"<tbody>(.*?)</tbody>", response.content.decode(), re.S)
    return re.findall(r"<tr[ >]", body.group(1)) if body else []


@pytest.fixture
def bears():
    t = f.tenant("Three Bears Porridge", slug="three-bears")
    team = f.team(t, "The Bears", session_limit=5)
    sms = f.skill(t, "Porridge SMS")
    chat = f.skill(t, "Porridge Chat", channel=Channel.CHAT)
    carrier = f.carrier(t)
    admin = f.admin(t, username="tiffany", team=team)
    return dict(tenant=t, team=team, sms=sms, chat=chat, carrier=carrier, admin=admin)


@pytest.fixture
def other():
    """Another tenant with one of everything; its rows must never show up, its ids are 404."""
    t = f.tenant("Young Adventurers", slug="young-adventurers")
    team = f.team(t, "Adventurers")
    sms = f.skill(t, "Adventure SMS")
    carrier = f.carrier(t)
    poc = f.sms_poc(t, "+14155550199", skill=sms, carrier_account=carrier)
    rule = RoutingRule.objects.create(point_of_contact=poc, kind="keyword", pattern="ADVENTUREME", skill=sms)
    agent = f.agent(t, username="tommy", team=team, skills=[sms])
    Token.objects.create(user=agent)
    return dict(tenant=t, team=team, sms=sms, carrier=carrier, poc=poc, rule=rule, agent=agent)


@pytest.fixture
def console(client, bears):
    client.force_login(bears["admin"])
    return client


# --- access --------------------------------------------------------------------------------------

PAGES = ["console:dashboard", "console:user_list", "console:user_add", "console:team_list", "console:skill_list", "console:carrier_list",
         "console:poc_list", "console:poc_add", "console:settings", "console:tokens"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
@pytest.mark.parametrize("name", PAGES)
def test_supervisors_and_agents_get_403(client, bears, role, name):
    client.force_login(f.user(bears["tenant"], role=role))
    response = client.get(reverse(name))
    assert response.status_code == 403
    assert "This page is for tenant administrators" in text(response)


def test_posts_by_an_agent_are_refused(client, bears):
    client.force_login(f.agent(bears["tenant"]))
    response = client.post(reverse("console:team_add"), {"name": "Sneaky", "session_limit": 5})
    assert response.status_code == 403
    assert not Team.objects.filter(name="Sneaky").exists()


def test_operator_is_pointed_to_the_admin(client):
    client.force_login(f.operator())
    response = client.get(reverse("console:dashboard"))
    assert response.status_code == 403
    assert "/admin/" in text(response)


def test_home_sends_admins_to_the_dashboard(console):
    response = console.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("console:dashboard")


def test_login_page_and_logout_button(client, bears):
    response = client.get("/login/")
    assert response.status_code == 200
    assert 'name="username"' in text(response) and 'type="submit"' in text(response)
    response = client.post("/login/", {"username": "tiffany", "password": f.PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("console:dashboard")
    page = text(response)
    assert "Tiffany" in page or "tiffany" in page
    assert "Three Bears Porridge" in page
    assert 'action="/logout/"' in page
    response = client.post("/logout/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")
    assert client.get(reverse("console:dashboard")).status_code == 302


def test_wrong_password_is_refused(client, bears):
    response = client.post("/login/", {"username": "tiffany", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in text(response)


# --- dashboard ---------------------------------------------------------------------------------

def test_dashboard_counts_and_links(console, bears, other):
    f.agent(bears["tenant"], skills=[bears["sms"]])
    poc = f.sms_poc(bears["tenant"], "+12125550100", carrier_account=bears["carrier"])
    Room.objects.create(tenant=bears["tenant"], channel=Channel.SMS, point_of_contact=poc, state=RoomState.QUEUED,
                        contact_number="+12125550111")
    response = console.get(reverse("console:dashboard"))
    page = text(response)
    assert response.status_code == 200
    assert re.search(r'data-testid="rooms-queued">1<', page)
    assert "1 administrator · 0 supervisors · 1 agent" in page
    for name in ("user_list", "team_list", "skill_list", "poc_list", "carrier_list", "tokens"):
        assert reverse(f"console:{name}") in page
    assert "Young Adventurers" not in page


# --- teams -------------------------------------------------------------------------------------

def test_team_create_edit_delete(console, bears):
    response = console.post(reverse("console:team_add"), {"name": "Night shift", "session_limit": 3}, follow=True)
    team = Team.objects.get(name="Night shift")
    assert team.tenant == bears["tenant"] and team.session_limit == 3
    assert "Team “Night shift” created." in text(response)

    response = console.post(reverse("console:team_edit", args=[team.pk]), {"name": "Night owls", "session_limit": 12}, follow=True)
    team.refresh_from_db()
    assert (team.name, team.session_limit) == ("Night owls", 12)
    assert "saved" in text(response)

    f.agent(bears["tenant"], username="owl", team=team)
    response = console.get(reverse("console:team_delete", args=[team.pk]))
    assert "Delete team “Night owls”?" in text(response)
    assert "1 user will have no team" in text(response)
    response = console.post(reverse("console:team_delete", args=[team.pk]), follow=True)
    assert not Team.objects.filter(pk=team.pk).exists()
    assert User.objects.get(username="owl").team is None
    assert "Team “Night owls” deleted." in text(response)


@pytest.mark.parametrize("limit", [0, 13])
def test_team_limit_refused_next_to_field(console, bears, limit):
    response = console.post(reverse("console:team_edit", args=[bears["team"].pk]), {"name": "The Bears", "session_limit": limit})
    assert response.status_code == 200
    assert "1 to 12" in field_errors(response, "session_limit")
    assert Team.objects.get(pk=bears["team"].pk).session_limit == 5


def test_duplicate_team_name_shown_next_to_name(console, bears, other):
    response = console.post(reverse("console:team_add"), {"name": "The Bears", "session_limit": 4})
    assert response.status_code == 200
    assert "A team with this name already exists." in field_errors(response, "name")
    assert Team.objects.filter(name="The Bears").count() == 1
    # another tenant's team name is free to use
    console.post(reverse("console:team_add"), {"name": "Adventurers", "session_limit": 4})
    assert Team.objects.filter(name="Adventurers").count() == 2


# --- skills ------------------------------------------------------------------------------------

def test_skill_create_edit_delete(console, bears):
    console.post(reverse("console:skill_add"), {"name": "Porridge SMS outbound", "channel": "sms", "direction": "outbound"})
    skill = Skill.objects.get(name="Porridge SMS outbound")
    assert (skill.tenant, skill.channel, skill.direction) == (bears["tenant"], Channel.SMS, Direction.OUTBOUND)
    console.post(reverse("console:skill_edit", args=[skill.pk]), {"name": "Porridge texts out", "channel": "sms", "direction": "outbound"})
    assert Skill.objects.get(pk=skill.pk).name == "Porridge texts out"
    response = console.get(reverse("console:skill_delete", args=[skill.pk]))
    assert "Porridge texts out" in text(response)
    console.post(reverse("console:skill_delete", args=[skill.pk]))
    assert not Skill.objects.filter(pk=skill.pk).exists()


def test_sms_skill_refused_when_sms_messaging_is_off(client):
    t = f.tenant(sms=False)
    client.force_login(f.admin(t))
    response = client.post(reverse("console:skill_add"), {"name": "Texts", "channel": "sms", "direction": "inbound"})
    assert response.status_code == 200
    assert "SMS Messaging is not enabled on this tenant: SMS skills cannot be configured." in field_errors(response, "channel")
    assert not Skill.objects.filter(name="Texts").exists()


def test_delete_confirmation_names_what_else_goes(console, bears):
    agent = f.agent(bears["tenant"], skills=[bears["sms"]])
    response = console.get(reverse("console:skill_delete", args=[bears["sms"].pk]))
    page = text(response)
    assert "Porridge SMS" in page and "1 agent skill" in page
    console.post(reverse("console:skill_delete", args=[bears["sms"].pk]))
    assert not AgentSkill.objects.filter(agent=agent).exists()


# --- users -------------------------------------------------------------------------------------

def user_data(bears, **kw):
    data = {"username": "mama", "first_name": "Mama", "last_name": "Bear", "email": "mama@example.com", "role": "agent",
            "team": bears["team"].pk, "session_limit": "", "is_active": "on",
            "password1": "Porridge-pass-99", "password2": "Porridge-pass-99",
            f"skill_{bears['sms'].pk}": "on", f"proficiency_{bears['sms'].pk}": 2,
            f"skill_{bears['chat'].pk}": "on", f"proficiency_{bears['chat'].pk}": 1}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def test_user_create_with_password_and_skills(console, bears, client):
    response = console.post(reverse("console:user_add"), user_data(bears), follow=True)
    assert "User “mama” created." in text(response)
    mama = User.objects.get(username="mama")
    assert (mama.tenant, mama.role, mama.team, mama.session_limit) == (bears["tenant"], Role.AGENT, bears["team"], None)
    assert mama.check_password("Porridge-pass-99")
    assert dict(mama.agent_skills.values_list("skill__name", "proficiency")) == {"Porridge SMS": 2, "Porridge Chat": 1}
    page = text(console.get(reverse("console:user_list")))
    assert "Porridge SMS (2)" in page and "5 (team)" in page


def test_user_edit_keeps_password_when_empty_and_changes_skills(console, bears):
    mama = f.agent(bears["tenant"], username="mama", team=bears["team"], skills=[(bears["sms"], 3)])
    data = user_data(bears, password1="", password2="", session_limit=7, **{f"skill_{bears['chat'].pk}": None})
    data[f"proficiency_{bears['sms'].pk}"] = 20
    response = console.post(reverse("console:user_edit", args=[mama.pk]), data)
    assert response.status_code == 302, field_errors(response, "password1")
    mama.refresh_from_db()
    assert mama.check_password(f.PASSWORD)
    assert mama.session_limit == 7 and mama.effective_session_limit == 7
    assert dict(mama.agent_skills.values_list("skill__name", "proficiency")) == {"Porridge SMS": 20}
    # the edit page never renders a password
    page = text(console.get(reverse("console:user_edit", args=[mama.pk])))
    assert mama.password not in page


def test_user_edit_sets_new_password(console, bears):
    mama = f.agent(bears["tenant"], username="mama")
    console.post(reverse("console:user_edit", args=[mama.pk]), user_data(bears, password1="Honey-pass-2024", password2="Honey-pass-2024"))
    mama.refresh_from_db()
    assert mama.check_password("Honey-pass-2024")


@pytest.mark.parametrize("changes,field,message", [
    ({"password1": "", "password2": ""}, "password1", "This field is required."),
    ({"password2": "Other-pass-1234"}, "password2", "The two passwords differ."),
    ({"password1": "short", "password2": "short"}, "password1", "too short"),
    ({"session_limit": 13}, "session_limit", "1 to 12"),
    ({"role": ""}, "role", "This field is required."),
    ({"username": "tiffany"}, "username", "already exists"),
])
def test_user_refusals_next_to_field(console, bears, changes, field, message):
    before = User.objects.count()
    response = console.post(reverse("console:user_add"), user_data(bears, **changes))
    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert User.objects.count() == before


def test_user_proficiency_out_of_range(console, bears):
    response = console.post(reverse("console:user_add"), user_data(bears, **{f"proficiency_{bears['sms'].pk}": 21}))
    assert response.status_code == 200
    assert "less than or equal to 20" in field_errors(response, f"proficiency_{bears['sms'].pk}")
    assert not User.objects.filter(username="mama").exists()


def test_user_form_offers_only_own_teams_and_skills(console, bears, other):
    page = text(console.get(reverse("console:user_add")))
    assert "The Bears" in page and "Adventurers" not in page and "Adventure SMS" not in page
    response = console.post(reverse("console:user_add"), user_data(bears, team=other["team"].pk,
                                                                   **{f"skill_{other['sms'].pk}": "on"}))
    assert "Select a valid choice" in field_errors(response, "team")
    assert not User.objects.filter(username="mama").exists()
    # a smuggled skill id of another tenant is simply not a field of this form
    console.post(reverse("console:user_add"), user_data(bears, **{f"skill_{other['sms'].pk}": "on"}))
    assert not AgentSkill.objects.filter(agent__username="mama", skill=other["sms"]).exists()


def test_admin_cannot_lock_themselves_out(console, bears):
    me = bears["admin"]
    response = console.post(reverse("console:user_edit", args=[me.pk]), user_data(bears, username="tiffany", role="agent", is_active="",
                                                                                   password1="", password2=""))
    assert "You cannot remove your own administrator role." in field_errors(response, "role")
    assert "You cannot deactivate your own account." in field_errors(response, "is_active")
    me.refresh_from_db()
    assert me.role == Role.ADMIN and me.is_active


def test_user_delete_and_not_self(console, bears):
    papa = f.agent(bears["tenant"], username="papa")
    response = console.get(reverse("console:user_delete", args=[papa.pk]))
    assert "Delete user “papa”?" in text(response)
    console.post(reverse("console:user_delete", args=[papa.pk]))
    assert not User.objects.filter(pk=papa.pk).exists()
    response = console.post(reverse("console:user_delete", args=[bears["admin"].pk]))
    assert "You cannot delete your own account" in text(response)
    assert User.objects.filter(pk=bears["admin"].pk).exists()


# --- carrier accounts --------------------------------------------------------------------------

def test_carrier_create_edit_delete_and_token_is_write_only(console, bears):
    sid = "AC" + "1" * 32
    response = console.post(reverse("console:carrier_add"), {"name": "Twilio prod", "provider": "twilio", "account_sid": sid,
                                                            "auth_token": "s3cret-token-value"}, follow=True)
    assert "Carrier account “Twilio prod” created." in text(response)
    carrier = CarrierAccount.objects.get(account_sid=sid)
    assert carrier.auth_token == "s3cret-token-value" and carrier.tenant == bears["tenant"]
    assert "s3cret-token-value" not in text(console.get(reverse("console:carrier_edit", args=[carrier.pk])))
    assert "s3cret-token-value" not in text(console.get(reverse("console:carrier_list")))

    console.post(reverse("console:carrier_edit", args=[carrier.pk]),
                 {"name": "Twilio", "provider": "twilio", "account_sid": sid, "auth_token": ""})
    carrier.refresh_from_db()
    assert carrier.name == "Twilio" and carrier.auth_token == "s3cret-token-value"
    console.post(reverse("console:carrier_edit", args=[carrier.pk]), {"name": "Twilio", "provider": "twilio", "account_sid": sid,
                                                                      "auth_token": "rotated-token"})
    carrier.refresh_from_db()
    assert carrier.auth_token == "rotated-token"

    response = console.get(reverse("console:carrier_delete", args=[carrier.pk]))
    assert "Delete carrier account “Twilio”?" in text(response)
    console.post(reverse("console:carrier_delete", args=[carrier.pk]))
    assert not CarrierAccount.objects.filter(pk=carrier.pk).exists()


def test_twilio_carrier_refusals(console, bears):
    response = console.post(reverse("console:carrier_add"), {"name": "T", "provider": "twilio", "account_sid": "XX12", "auth_token": ""})
    assert "A Twilio account SID starts with AC." in field_errors(response, "account_sid")
    assert "auth token" in field_errors(response, "auth_token")
    assert not CarrierAccount.objects.filter(name="T").exists()


def test_carrier_refused_without_sms_messaging(client):
    client.force_login(f.admin(f.tenant(sms=False)))
    response = client.post(reverse("console:carrier_add"), {"name": "Sim", "provider": "simulator", "account_sid": "", "auth_token": ""})
    assert "carrier accounts cannot be configured" in field_errors(response, "provider")
    assert not CarrierAccount.objects.filter(name="Sim").exists()


def test_carrier_in_use_cannot_be_deleted(console, bears):
    f.sms_poc(bears["tenant"], "+12125550100", carrier_account=bears["carrier"])
    response = console.get(reverse("console:carrier_delete", args=[bears["carrier"].pk]))
    assert "+12125550100" in text(response)
    response = console.post(reverse("console:carrier_delete", args=[bears["carrier"].pk]))
    assert response.status_code == 200
    assert "is still used by" in text(response)
    assert CarrierAccount.objects.filter(pk=bears["carrier"].pk).exists()


# --- points of contact -------------------------------------------------------------------------

def poc_data(bears, **kw):
    data = {"channel": "sms", "name": "Porridge line", "number": "(212) 555-0100", "country": "US", "code_type": "long",
            "carrier_account": bears["carrier"].pk, "skill": bears["sms"].pk, "slug": "", "after_hours_reply": "We open at 8.",
            "is_active": "on"}
    data.update(kw)
    return data


def test_sms_poc_create_edit_delete(console, bears):
    response = console.post(reverse("console:poc_add"), poc_data(bears), follow=True)
    assert "Point of contact “Porridge line +12125550100” created." in text(response)
    poc = PointOfContact.objects.get(number="+12125550100")
    assert (poc.tenant, poc.country_id, poc.code_type, poc.skill, poc.after_hours_reply) == (
        bears["tenant"], "US", CodeType.LONG, bears["sms"], "We open at 8.")

    console.post(reverse("console:poc_edit", args=[poc.pk]), poc_data(bears, code_type="short", number="72345"))
    poc.refresh_from_db()
    assert (poc.number, poc.code_type) == ("72345", CodeType.SHORT)

    RoutingRule.objects.create(point_of_contact=poc, kind="keyword", pattern="lumpy", skill=bears["sms"])
    response = console.get(reverse("console:poc_delete", args=[poc.pk]))
    page = text(response)
    assert "Delete point of contact “Porridge line 72345”?" in page and "1 routing rule" in page
    console.post(reverse("console:poc_delete", args=[poc.pk]))
    assert not PointOfContact.objects.filter(pk=poc.pk).exists() and not RoutingRule.objects.exists()


def test_chat_poc_create(console, bears):
    console.post(reverse("console:poc_add"), poc_data(bears, channel="chat", name="Web chat", slug="porridge", skill=bears["chat"].pk,
                                                      country="", code_type="", carrier_account=""))
    poc = PointOfContact.objects.get(slug="porridge")
    assert (poc.channel, poc.number, poc.skill) == (Channel.CHAT, "", bears["chat"])


@pytest.mark.parametrize("changes,field,message", [
    ({"country": "GB", "code_type": "short", "number": "72345"}, "code_type",
     "United Kingdom allows long codes only: a short code is not supported there."),
    ({"country": "GB", "code_type": "toll_free", "number": "+448001234567"}, "code_type", "United Kingdom allows long codes only"),
    ({"number": "porridge"}, "number", "is not a phone number"),
    ({"number": "+442071838750"}, "number", "+442071838750 is a number of GB, not of US."),
    ({"code_type": "short", "number": "12"}, "number", "A short code is 3 to 8 digits"),
    ({"country": ""}, "country", "Choose the country of the number."),
    ({"code_type": ""}, "code_type", "Choose the code type"),
    ({"carrier_account": ""}, "carrier_account", "An SMS point of contact sends through a carrier account."),
    ({"channel": "chat", "slug": ""}, "slug", "A chat point of contact needs an address (slug)."),
])
def test_poc_refusals_next_to_field(console, bears, changes, field, message):
    response = console.post(reverse("console:poc_add"), poc_data(bears, **changes))
    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert not PointOfContact.objects.exists()


def test_poc_refused_outside_us_long_codes_in_digital_mode(client):
    t = f.tenant(sms=True, digital=True, delivery=SmsDelivery.DIGITAL)
    client.force_login(f.admin(t))
    carrier = f.carrier(t)
    data = {"channel": "sms", "name": "", "number": "+14165550123", "country": "CA", "code_type": "long", "carrier_account": carrier.pk,
            "skill": "", "slug": "", "after_hours_reply": ""}
    response = client.post(reverse("console:poc_add"), data)
    assert "In Digital Experience mode SMS Messaging supports United States long codes only." in field_errors(response, "code_type")
    data.update(number="+14155550199", country="US")
    assert client.post(reverse("console:poc_add"), data).status_code == 302


def test_duplicate_number_shown_next_to_number(console, bears, other):
    response = console.post(reverse("console:poc_add"), poc_data(bears, number="+1 415 555 0199"))
    assert response.status_code == 200
    assert "This number is already a point of contact." in field_errors(response, "number")
    assert PointOfContact.objects.count() == 1


def test_poc_form_offers_only_own_carriers_and_skills(console, bears, other):
    page = text(console.get(reverse("console:poc_add")))
    assert "Adventure SMS" not in page
    response = console.post(reverse("console:poc_add"), poc_data(bears, carrier_account=other["carrier"].pk, skill=other["sms"].pk))
    assert "Select a valid choice" in field_errors(response, "carrier_account")
    assert "Select a valid choice" in field_errors(response, "skill")
    assert PointOfContact.objects.count() == 1


def test_poc_with_interactions_cannot_be_deleted(console, bears):
    poc = f.sms_poc(bears["tenant"], "+12125550100", carrier_account=bears["carrier"])
    Room.objects.create(tenant=bears["tenant"], channel=Channel.SMS, point_of_contact=poc, state=RoomState.CLOSED,
                        contact_number="+12125550111")
    response = console.post(reverse("console:poc_delete", args=[poc.pk]))
    assert "“+12125550100” is still used by 1 conversation: remove those first or deactivate it instead." in text(response)
    assert PointOfContact.objects.filter(pk=poc.pk).exists()


# --- routing rules -----------------------------------------------------------------------------

def test_routing_rules_create_edit_move_delete(console, bears):
    poc = f.sms_poc(bears["tenant"], "+12125550100", carrier_account=bears["carrier"], skill=bears["sms"])
    urgent = f.skill(bears["tenant"], "Urgent porridge")
    add = reverse("console:rule_add", args=[poc.pk])
    assert "No routing rules yet" in text(console.get(reverse("console:rule_list", args=[poc.pk])))
    console.post(add, {"position": 1, "kind": "keyword", "pattern": "lumpy", "days": [], "time_zone": "", "skill": urgent.pk,
                       "priority": 9})
    console.post(add, {"position": 2, "kind": "hours", "pattern": "", "days": list("01234"), "start_time": "08:00", "end_time": "18:00",
                       "time_zone": "America/New_York", "skill": bears["sms"].pk, "priority": 5})
    first, second = RoutingRule.objects.order_by("position")
    assert (first.kind, first.pattern, first.skill, first.priority) == ("keyword", "lumpy", urgent, 9)
    assert (second.kind, str(second.start_time), second.time_zone) == ("hours", "08:00:00", "America/New_York")
    page = text(console.get(reverse("console:rule_list", args=[poc.pk])))
    assert "lumpy" in page and "08:00–18:00" in page
    assert reverse("console:routing-try", args=[poc.pk]) in page

    console.post(reverse("console:rule_edit", args=[poc.pk, first.pk]), {"position": 1, "kind": "regex", "pattern": r"\blump(y|s)\b",
                                                                         "days": [], "time_zone": "", "skill": urgent.pk, "priority": 10})
    first.refresh_from_db()
    assert (first.kind, first.priority) == ("regex", 10)

    console.post(reverse("console:rule_move", args=[poc.pk, second.pk, "up"]))
    assert list(RoutingRule.objects.order_by("position").values_list("pk", flat=True)) == [second.pk, first.pk]

    response = console.get(reverse("console:rule_delete", args=[poc.pk, first.pk]))
    assert "Delete routing rule" in text(response)
    console.post(reverse("console:rule_delete", args=[poc.pk, first.pk]))
    assert list(RoutingRule.objects.values_list("pk", flat=True)) == [second.pk]


@pytest.mark.parametrize("data,field,message", [
    ({"kind": "regex", "pattern": "(unclosed"}, "pattern", "Not a valid regular expression"),
    ({"kind": "keyword", "pattern": ""}, "pattern", "This rule needs a keyword or pattern."),
    ({"kind": "hours", "pattern": "", "start_time": ""}, "start_time", "Business hours need a start and an end time."),
    ({"kind": "fallback", "priority": 11}, "priority", "Priority is 1 to 10."),
    ({"kind": "fallback", "time_zone": "Mars/Olympus"}, "time_zone", "Choose a time zone from the list."),
])
def test_routing_rule_refusals_next_to_field(console, bears, data, field, message):
    poc = f.sms_poc(bears["tenant"], "+12125550100", carrier_account=bears["carrier"])
    base = {"position": 1, "pattern": "x", "days": list("01234"), "start_time": "08:00", "end_time": "17:00", "time_zone": "",
            "skill": bears["sms"].pk,
            "priority": 5}
    response = console.post(reverse("console:rule_add", args=[poc.pk]), {**base, **data})
    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert not RoutingRule.objects.exists()


def test_rule_skill_must_match_the_poc_channel(console, bears):
    poc = f.sms_poc(bears["tenant"], "+12125550100", carrier_account=bears["carrier"])
    page = text(console.get(reverse("console:rule_add", args=[poc.pk])))
    assert "Porridge Chat" not in page
    response = console.post(reverse("console:rule_add", args=[poc.pk]),
                            {"position": 1, "kind": "fallback", "skill": bears["chat"].pk, "priority": 5})
    assert "An SMS number routes to an SMS skill: “Porridge Chat” is a chat skill." in field_errors(response, "skill")
    assert not RoutingRule.objects.exists()


# --- settings ------------------------------------------------------------------------------------

def settings_data(**kw):
    data = {"time_zone": "America/Chicago", "save_transcripts": "on", "sms_delivery": "acd", "help_reply": "Help!", "opt_out_reply": "Bye.",
            "opt_in_reply": "Hi again.", "case_limit": 5}
    data.update(kw)
    return data


def test_settings_save(console, bears):
    response = console.post(reverse("console:settings"), settings_data(sms_messaging_enabled="", digital_experience_enabled="on"),
                            follow=True)
    assert "Tenant settings saved." in text(response)
    t = Tenant.objects.get(pk=bears["tenant"].pk)
    assert (t.time_zone, t.help_reply, t.opt_out_reply, t.opt_in_reply) == ("America/Chicago", "Help!", "Bye.", "Hi again.")
    # feature flags are the operator's: the console shows them but never changes them
    assert t.sms_messaging_enabled and not t.digital_experience_enabled
    page = text(console.get(reverse("console:settings")))
    assert 'name="sms_messaging_enabled"' not in page and "SMS Messaging" in page


def test_settings_refusals_next_to_field(console, bears):
    response = console.post(reverse("console:settings"), settings_data(time_zone="Porridge/Bowl"))
    assert field_errors(response, "time_zone").strip() == "Choose a time zone from the list."
    response = console.post(reverse("console:settings"), settings_data(sms_delivery="digital"))
    assert "needs both SMS Messaging and Digital Experience" in field_errors(response, "sms_delivery")
    assert Tenant.objects.get(pk=bears["tenant"].pk).time_zone == "America/New_York"


def test_delivery_switch_refused_while_interactions_are_active(client):
    t = f.tenant(sms=True, digital=True)
    client.force_login(f.admin(t))
    poc = f.sms_poc(t, "+12125550100")
    Room.objects.create(tenant=t, channel=Channel.SMS, point_of_contact=poc, state=RoomState.ACTIVE, contact_number="+12125550111")
    response = client.post(reverse("console:settings"), settings_data(sms_delivery="digital"))
    assert response.status_code == 200
    assert "cannot change while 1 conversation is open" in field_errors(response, "sms_delivery")
    assert Tenant.objects.get(pk=t.pk).sms_delivery == SmsDelivery.ACD
    Room.objects.update(state=RoomState.CLOSED)
    assert client.post(reverse("console:settings"), settings_data(sms_delivery="digital")).status_code == 302
    assert Tenant.objects.get(pk=t.pk).sms_delivery == SmsDelivery.DIGITAL


# --- API tokens -----------------------------------------------------------------------------------

def test_token_create_shows_key_once_and_revoke(console, bears, other):
    mama = f.agent(bears["tenant"], username="mama")
    page = text(console.get(reverse("console:tokens")))
    assert "mama (Agent)" in page and "tommy" not in page
    response = console.post(reverse("console:tokens"), {"user": mama.pk})
    token = Token.objects.get(user=mama)
    assert response.status_code == 200 and token.key in text(response)
    assert "not shown again" in text(response)
    listing = text(console.get(reverse("console:tokens")))
    assert "mama" in listing and token.key not in listing

    response = console.get(reverse("console:token_revoke", args=[mama.pk]))
    assert "Revoke the API token of “mama”?" in text(response)
    response = console.post(reverse("console:token_revoke", args=[mama.pk]), follow=True)
    assert not Token.objects.filter(user=mama).exists()
    assert "revoked" in text(response)


def test_token_for_another_tenants_user_refused(console, other):
    response = console.post(reverse("console:tokens"), {"user": other["agent"].pk})
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert console.get(reverse("console:token_revoke", args=[other["agent"].pk])).status_code == 404
    assert console.post(reverse("console:token_revoke", args=[other["agent"].pk])).status_code == 404
    assert Token.objects.filter(user=other["agent"]).exists()


def test_created_token_authenticates_its_user(console, bears):
    from rest_framework.authentication import TokenAuthentication

    response = console.post(reverse("console:tokens"), {"user": bears["admin"].pk})
    key = Token.objects.get(user=bears["admin"]).key
    assert key in text(response)
    user, _ = TokenAuthentication().authenticate_credentials(key)
    assert user == bears["admin"]


# --- search, filters, pagination ---------------------------------------------------------------

def test_search_filter_and_pagination(console, bears, other):
    for i in range(28):
        f.skill(bears["tenant"], f"Skill {i:02d}", channel=Channel.CHAT if i % 2 else Channel.SMS)
    url = reverse("console:skill_list")
    page1 = console.get(url)
    assert len(table_rows(page1)) == 25
    assert "1–25 of 30" in text(page1) and "Page 1 of 2" in text(page1)
    page2 = console.get(url, {"page": 2})
    assert len(table_rows(page2)) == 5
    assert "Adventure SMS" not in text(page1) + text(page2)

    found = console.get(url, {"q": "skill 0"})
    assert len(table_rows(found)) == 10
    chats = console.get(url, {"channel": "chat"})
    assert len(table_rows(chats)) == 15  # 14 odd skills + Porridge Chat
    both = console.get(url, {"channel": "chat", "q": "porridge"})
    assert len(table_rows(both)) == 1 and "Porridge Chat" in text(both)
    # pagination links keep the filters
    filtered = console.get(url, {"q": "skill"})
    assert "q=skill&page=2" in text(filtered)
    nothing = console.get(url, {"q": "zzz"})
    assert "No skills match these filters." in text(nothing)


def test_user_list_filters_by_role_and_team(console, bears, other):
    night = f.team(bears["tenant"], "Night")
    f.agent(bears["tenant"], username="papa", team=night)
    f.user(bears["tenant"], username="sam", role=Role.SUPERVISOR, team=bears["team"])
    page = table_text(console.get(reverse("console:user_list"), {"role": "agent"}))
    assert "papa" in page and "sam" not in page and "tommy" not in page
    page = table_text(console.get(reverse("console:user_list"), {"team": night.pk}))
    assert "papa" in page and "tiffany" not in page
    # the team filter offers only this tenant's teams; another tenant's team id filters nothing in
    filter_page = text(console.get(reverse("console:user_list")))
    assert "Adventurers" not in filter_page
    page = text(console.get(reverse("console:user_list"), {"team": other["team"].pk}))
    assert "tommy" not in page


def test_poc_list_filters(console, bears):
    f.sms_poc(bears["tenant"], "+12125550100", carrier_account=bears["carrier"])
    f.sms_poc(bears["tenant"], "72345", code_type=CodeType.SHORT, carrier_account=bears["carrier"])
    f.chat_poc(bears["tenant"], "porridge")
    url = reverse("console:poc_list")
    assert len(table_rows(console.get(url))) == 3
    assert len(table_rows(console.get(url, {"code_type": "short"}))) == 1
    assert len(table_rows(console.get(url, {"channel": "chat"}))) == 1
    assert len(table_rows(console.get(url, {"q": "0100"}))) == 1


@pytest.mark.parametrize("name,empty", [
    ("user_list", None), ("team_list", "No teams yet — create the first one."), ("skill_list", "No skills yet — create the first one."),
    ("carrier_list", "No carrier accounts yet"), ("poc_list", "No points of contact yet — create the first one."),
    ("tokens", "No API tokens yet"),
])
def test_empty_states(client, name, empty):
    client.force_login(f.admin(f.tenant()))
    response = client.get(reverse(f"console:{name}"))
    assert response.status_code == 200
    if empty:
        assert empty in text(response)


# --- tenant isolation --------------------------------------------------------------------------

def test_other_tenants_objects_are_404(console, bears, other):
    pairs = [("user", other["agent"]), ("team", other["team"]), ("skill", other["sms"]), ("carrier", other["carrier"]),
             ("poc", other["poc"])]
    for prefix, obj in pairs:
        for action in ("edit", "delete"):
            url = reverse(f"console:{prefix}_{action}", args=[obj.pk])
            assert console.get(url).status_code == 404, url
            assert console.post(url, {"name": "hacked"}).status_code == 404, url
    poc, rule = other["poc"], other["rule"]
    for url in (reverse("console:rule_list", args=[poc.pk]), reverse("console:rule_add", args=[poc.pk]),
                reverse("console:rule_edit", args=[poc.pk, rule.pk]), reverse("console:rule_delete", args=[poc.pk, rule.pk])):
        assert console.get(url).status_code == 404, url
    assert console.post(reverse("console:rule_move", args=[poc.pk, rule.pk, "up"])).status_code == 404
    # another tenant's rule under one's own point of contact is a 404 too
    own = f.sms_poc(bears["tenant"], "+12125550100", carrier_account=bears["carrier"])
    assert console.get(reverse("console:rule_edit", args=[own.pk, rule.pk])).status_code == 404
    # nothing changed
    assert Team.objects.get(pk=other["team"].pk).name == "Adventurers"
    assert PointOfContact.objects.filter(pk=poc.pk).exists() and RoutingRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize("name,secret", [
    ("user_list", "tommy"), ("team_list", "Adventurers"), ("skill_list", "Adventure SMS"), ("poc_list", "+14155550199"),
    ("tokens", "tommy"),
])
def test_lists_never_show_other_tenants_rows(console, other, name, secret):
    assert secret not in text(console.get(reverse(f"console:{name}")))


def test_carrier_list_never_shows_other_tenants_rows(console, bears, other):
    page = text(console.get(reverse("console:carrier_list")))
    assert other["carrier"].account_sid not in page and bears["carrier"].account_sid in page


def test_base_template_shows_user_tenant_and_messages(console, bears):
    response = console.post(reverse("console:team_add"), {"name": "Day", "session_limit": 2}, follow=True)
    page = text(response)
    assert 'data-testid="current-user"' in page and "Three Bears Porridge" in page
    assert 'class="messages"' in page
    assert "/static/css/app.css" in page


def test_twilio_provider_choice_is_offered(console):
    page = text(console.get(reverse("console:carrier_add")))
    assert Provider.TWILIO.label in page and Provider.SIMULATOR.label in page


def test_forced_disconnect_page_confirms_the_count_then_ends_every_sms_room(client):
    from routing.choices import RoomState
    from routing.models import Room

    t = f.tenant()
    admin = f.admin(t)
    poc = f.sms_poc(t, "+12125550160")
    for i in range(3):
        Room.objects.create(tenant=t, channel="sms", point_of_contact=poc, poc_number=poc.number, contact_number=f"+1202555012{i}",
                            state=RoomState.QUEUED)
    other = f.tenant()
    other_poc = f.sms_poc(other, "+12125550161")
    Room.objects.create(tenant=other, channel="sms", point_of_contact=other_poc, poc_number=other_poc.number,
                        contact_number="+12025550129", state=RoomState.QUEUED)
    client.force_login(admin)
    page = client.get("/console/forced-disconnect/")
    assert page.status_code == 200 and b"3 SMS interactions" in page.content
    stale = client.post("/console/forced-disconnect/", {"expected": "2"}, follow=True)
    assert b"changed to 3" in stale.content and Room.objects.filter(tenant=t, state="closed").count() == 0
    done = client.post("/console/forced-disconnect/", {"expected": "3"}, follow=True)
    assert b"3 SMS interactions ended" in done.content
    assert Room.objects.filter(tenant=t, state="closed", close_reason="forced_disconnect").count() == 3
    assert Room.objects.get(tenant=other).state == "queued"


def test_forced_disconnect_page_is_for_administrators_only(client):
    t = f.tenant()
    for role in ("supervisor", "agent"):
        client.force_login(f.user(t, role=role))
        assert client.get("/console/forced-disconnect/").status_code == 403
        assert client.post("/console/forced-disconnect/", {"expected": "0"}).status_code == 403
