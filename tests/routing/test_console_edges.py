"""The console's rough edges (issue 17, item 5), through HTTP: what a routing target may be, names in
any case, every missing field at once, pickers for weekdays and time zones, plain words."""
import html
import re

import pytest
from django.urls import reverse

from routing.choices import Channel, Direction
from routing.models import PointOfContact, RoutingRule, Skill
from tests import factories as f
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def text(response):
    return html.unescape(response.content.decode())


def field_errors(response, name):
    match = re.search(r'<ul class="errorlist field-errors" id="id_%s_errors"[^>]*>(.*?)</ul>' % re.escape(name),
                      response.content.decode(), re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def options(response, name):
    """{label: data-channel} of the options a select offers."""
    select = re.search(r'<select name="%s"[^>]*>(.*?)</select>' % re.escape(name), response.content.decode(), re.S).group(1)
    found = re.findall(r'<option value="(\d+)"([^>]*)>(.*?)</option>', select)
    return {html.unescape(label): (re.search(r'data-channel="(\w+)"', attrs) or [None, None])[1] for _v, attrs, label in found}


@pytest.fixture
def center():
    t = f.tenant("Three Bears Porridge")
    return dict(tenant=t, admin=f.admin(t), carrier=f.carrier(t),
                sms=f.skill(t, "Porridge SMS"), chat=f.skill(t, "Porridge Chat", channel=Channel.CHAT),
                out=f.skill(t, "Reminders", direction=Direction.OUTBOUND))


@pytest.fixture
def console(client, center):
    client.force_login(center["admin"])
    return client


def poc_data(c, **kw):
    return {"channel": "sms", "name": "Porridge line", "number": "+12125550100", "country": "US", "code_type": "long",
            "carrier_account": c["carrier"].pk, "skill": c["sms"].pk, "slug": "", "after_hours_reply": "", "is_active": "on", **kw}


# --- a routing target is an inbound skill of the point of contact's channel ---------------------------

def test_the_default_skill_select_offers_inbound_skills_tagged_with_their_channel(console, center):
    offered = options(console.get(reverse("console:poc_add")), "skill")
    assert offered == {"Porridge Chat (Chat inbound)": "chat", "Porridge SMS (SMS inbound)": "sms"}


@pytest.mark.parametrize("channel,skill,message", [
    ("sms", "out", "“Reminders” is an outbound skill: it only starts texts. Choose an inbound skill to receive conversations."),
    ("sms", "chat", "An SMS number routes to an SMS skill: “Porridge Chat” is a chat skill."),
    ("chat", "sms", "A web chat routes to a chat skill: “Porridge SMS” is an SMS skill."),
])
def test_a_point_of_contact_refuses_a_skill_it_cannot_route_to_in_console_and_api(console, center, channel, skill, message):
    extra = {"channel": "chat", "slug": "porridge", "number": "", "country": "", "code_type": "", "carrier_account": ""} \
        if channel == "chat" else {}
    response = console.post(reverse("console:poc_add"), poc_data(center, skill=center[skill].pk, **extra))
    assert response.status_code == 200 and field_errors(response, "skill") == message
    api = client_for(center["admin"]).post("/api/v1/points-of-contact/", {
        "channel": channel, "number": "+12125550100" if channel == "sms" else "", "country": "US" if channel == "sms" else None,
        "code_type": "long" if channel == "sms" else "", "carrier_account": center["carrier"].pk if channel == "sms" else None,
        "slug": "porridge" if channel == "chat" else "", "skill": center[skill].pk}, format="json")
    assert api.status_code == 400 and api.json()["skill"] == [message]
    assert not PointOfContact.objects.exists()


def test_a_routing_rule_offers_and_accepts_only_inbound_skills_of_its_channel(console, center):
    poc = f.sms_poc(center["tenant"], "+12125550100", carrier_account=center["carrier"], skill=center["sms"])
    assert list(options(console.get(reverse("console:rule_add", args=[poc.pk])), "skill")) == ["Porridge SMS (SMS inbound)"]
    response = console.post(reverse("console:rule_add", args=[poc.pk]), {"position": 1, "kind": "fallback", "skill": center["out"].pk,
                                                                         "priority": 5})
    assert field_errors(response, "skill").startswith("“Reminders” is an outbound skill")
    api = client_for(center["admin"]).post("/api/v1/routing-rules/", {"point_of_contact": poc.pk, "kind": "fallback",
                                                                      "skill": center["out"].pk, "priority": 5}, format="json")
    assert api.status_code == 400 and api.json()["skill"][0].startswith("“Reminders” is an outbound skill")
    assert not RoutingRule.objects.exists()


def test_the_django_admin_refuses_an_outbound_default_skill(client, center):
    client.force_login(f.operator())
    data = {"tenant": center["tenant"].pk, "name": "NY", "channel": "sms", "number": "+12125550100", "country": "US", "code_type": "long",
            "carrier_account": center["carrier"].pk, "skill": center["out"].pk, "slug": "", "after_hours_reply": "", "is_active": "on",
            "ack_reply": "Thanks", "rules-TOTAL_FORMS": 0, "rules-INITIAL_FORMS": 0, "rules-MIN_NUM_FORMS": 0, "rules-MAX_NUM_FORMS": 1000}
    response = client.post("/admin/routing/pointofcontact/add/", data)
    assert response.status_code == 200
    assert "“Reminders” is an outbound skill: it only starts texts." in text(response)
    assert not PointOfContact.objects.exists()


# --- names are one in any case -----------------------------------------------------------------

def test_team_and_skill_names_in_another_case_are_refused_in_the_console_and_the_admin(console, client, center):
    f.team(center["tenant"], "Night Shift")
    response = console.post(reverse("console:team_add"), {"name": "night shift", "session_limit": 3})
    assert response.status_code == 200 and field_errors(response, "name") == "A team with this name already exists."
    response = console.post(reverse("console:skill_add"), {"name": "PORRIDGE sms", "channel": "sms", "direction": "inbound"})
    assert response.status_code == 200 and field_errors(response, "name") == "A skill with this name already exists."
    assert Skill.objects.filter(name__iexact="porridge sms").count() == 1
    client.force_login(f.operator())
    response = client.post("/admin/routing/team/add/", {"tenant": center["tenant"].pk, "name": "NIGHT SHIFT", "session_limit": 3})
    assert response.status_code == 200 and "A team with this name already exists." in text(response)
    # Renaming a team to its own name in another case is no clash.
    team = center["tenant"].teams.get()
    console.force_login(center["admin"])
    assert console.post(reverse("console:team_edit", args=[team.pk]), {"name": "NIGHT shift", "session_limit": 3}).status_code == 302


# --- every missing field at once, required fields marked ---------------------------------------------

def starred(response):
    """The fields shown with the required star (a single input's label, or a group's legend)."""
    page = response.content.decode()
    single = re.findall(r'<label for="id_(\w+)">[^<]*<span class="req"', page)
    groups = re.findall(r'<fieldset class="check-group" id="id_(\w+)">\s*<legend>[^<]*<span class="req"', page)
    return set(single) | set(groups)


def errors(response):
    return set(re.findall(r'id="id_(\w+)_errors"', response.content.decode()))


def test_an_empty_point_of_contact_form_names_every_missing_field_at_once_and_stars_them(console, center):
    page = console.get(reverse("console:poc_add"))
    assert {"channel", "country", "code_type", "number", "carrier_account", "slug"} <= starred(page)
    response = console.post(reverse("console:poc_add"), {"channel": "sms"})
    assert errors(response) == {"country", "code_type", "number", "carrier_account"}
    assert field_errors(response, "number") == "An SMS point of contact needs a number."
    response = console.post(reverse("console:poc_add"), {})
    assert "channel" in errors(response) and len(errors(response)) > 1
    assert not PointOfContact.objects.exists()


def test_one_message_per_missing_field(console, center):
    response = console.post(reverse("console:user_add"), {})
    assert field_errors(response, "role") == "This field is required."
    assert errors(response) == {"username", "password1", "password2", "role"}


def test_business_hours_missing_every_part_say_so_at_once(console, center):
    poc = f.sms_poc(center["tenant"], "+12125550100", carrier_account=center["carrier"], skill=center["sms"])
    response = console.post(reverse("console:rule_add", args=[poc.pk]), {"position": 1, "kind": "hours", "skill": center["sms"].pk,
                                                                         "priority": 5})
    assert errors(response) == {"days", "start_time"}
    assert field_errors(response, "days") == "Choose the weekdays the business hours apply to."
    form = console.get(reverse("console:rule_add", args=[poc.pk]))
    assert {"days", "start_time", "end_time", "pattern", "kind", "skill"} <= starred(form)


# --- pickers: weekdays as checkboxes, time zones from a list -------------------------------------------

def weekday_boxes(page):
    """[(value, checked)] of the weekday checkboxes."""
    tags = re.findall(r'<input type="checkbox" name="days"[^>]*>', page)
    return [(re.search(r'value="(\d)"', tag).group(1), " checked" in tag) for tag in tags]


def test_weekdays_are_checkboxes_and_time_zones_a_list(console, center):
    poc = f.sms_poc(center["tenant"], "+12125550100", carrier_account=center["carrier"], skill=center["sms"])
    page = console.get(reverse("console:rule_add", args=[poc.pk])).content.decode()
    boxes = weekday_boxes(page)
    assert [v for v, _ in boxes] == list("0123456") and [v for v, c in boxes if c] == list("01234")  # weekdays by default
    zones = html.unescape(re.search(r'<select name="time_zone"[^>]*>(.*?)</select>', page, re.S).group(1))
    assert '<option value="" selected>The tenant\'s time zone (America/New_York)</option>' in zones
    assert '<optgroup label="Europe">' in zones and '<option value="Europe/Lisbon">Europe/Lisbon</option>' in zones
    assert "Etc/GMT+5" not in zones
    console.post(reverse("console:rule_add", args=[poc.pk]), {"position": 1, "kind": "hours", "days": ["5", "6", "0"],
                                                              "start_time": "10:00", "end_time": "14:00", "time_zone": "Europe/Lisbon",
                                                              "skill": center["sms"].pk, "priority": 5})
    rule = RoutingRule.objects.get()
    assert (rule.days, rule.time_zone) == ("056", "Europe/Lisbon")
    page = console.get(reverse("console:rule_edit", args=[poc.pk, rule.pk])).content.decode()
    assert [v for v, c in weekday_boxes(page) if c] == ["0", "5", "6"]
    assert '<option value="Europe/Lisbon" selected>' in page


def settings_data(**kw):
    return {"time_zone": "America/Chicago", "save_transcripts": "on", "sms_delivery": "acd", "help_reply": "Help!", "opt_out_reply": "Bye.",
            "opt_in_reply": "Hi again.", **kw}


def test_settings_pick_a_time_zone_and_ask_no_case_limit_outside_digital_mode(console, center):
    page = console.get(reverse("console:settings")).content.decode()
    assert '<select name="time_zone"' in page and 'name="case_limit"' not in page
    response = console.post(reverse("console:settings"), settings_data())
    assert response.status_code == 302, errors(response)
    center["tenant"].refresh_from_db()
    assert (center["tenant"].time_zone, center["tenant"].case_limit) == ("America/Chicago", 5)
    response = console.post(reverse("console:settings"), settings_data(time_zone="Porridge/Bowl"))
    assert field_errors(response, "time_zone") == "Choose a time zone from the list."


def test_a_digital_tenant_sets_its_case_limit_and_keeps_it_when_left_empty(client):
    t = f.tenant(digital=True)
    client.force_login(f.admin(t))
    assert 'name="case_limit"' in client.get(reverse("console:settings")).content.decode()
    assert client.post(reverse("console:settings"), settings_data(case_limit=7)).status_code == 302
    assert client.post(reverse("console:settings"), settings_data(case_limit="")).status_code == 302
    t.refresh_from_db()
    assert t.case_limit == 7


# --- favicon -------------------------------------------------------------------------------------

def test_favicon_is_served_to_anyone(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00" and len(body) > 1000  # an icon resource
    assert "max-age=86400" in response["Cache-Control"]
    assert client.post("/favicon.ico").status_code == 405


def test_migrating_names_that_clash_in_case_stops_with_the_names_and_what_to_do(center):
    """Data from before the constraint: the check before `migrate` names the clash instead of an integrity error."""
    from django.core.management.base import CommandError
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from routing.migrate_checks import CASE_MIGRATION, refuse_clashing_names
    f.team(center["tenant"], "Night Shift")
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX team_unique_name")  # as before the constraint; rolled back with the test's transaction
        cursor.execute("INSERT INTO routing_team (tenant_id, name, session_limit) VALUES (%s, 'night shift', 5)", [center["tenant"].pk])
    plan = [(MigrationLoader(connection).graph.nodes[CASE_MIGRATION], False)]
    with pytest.raises(CommandError) as exc:
        refuse_clashing_names(None, plan=plan, using="default")
    assert f"tenant {center['tenant'].pk}: teams “Night Shift”, “night shift”" in str(exc.value)
    assert "Rename one of each" in str(exc.value) and "Nothing was migrated" in str(exc.value)
    refuse_clashing_names(None, plan=[], using="default")  # a plan without that step is not checked


# --- plain words on every console page ------------------------------------------------------------

# What must never reach a reader: a rule number "(R3)", an address with its slug missing "/chat//",
# a plural hedge "interaction(s)", a field's code name "contact_number: …".
LEAKS = re.compile(r"\(R\d|/chat//|\w\(s\)|\b[a-z]+_[a-z_]+: ")


def readable(response):
    """The words a person reads on a page: its text, titles and labels, without scripts, styles or attribute names."""
    page = response.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    shown = re.findall(r'(?:title|aria-label|placeholder|data-confirm)="([^"]*)"', page)
    return html.unescape(" ".join([re.sub(r"<[^>]+>", " ", page), *shown]))


def test_every_console_page_and_its_refusals_read_in_plain_words(console, center):
    t = center["tenant"]
    sms = f.sms_poc(t, "+12125550100", carrier_account=center["carrier"], skill=center["sms"])
    chat = f.chat_poc(t, slug="porridge", skill=center["chat"])
    rule = RoutingRule.objects.create(point_of_contact=sms, position=1, kind="fallback", skill=center["sms"], priority=5)
    pages = ["console:dashboard", "console:settings", "console:tokens", "console:forced_disconnect", "console:erase_contact"]
    for prefix in ("user", "team", "skill", "canned", "disposition", "unavailable_reason", "carrier", "poc"):
        pages += [f"console:{prefix}_list", f"console:{prefix}_add"]
    urls = [reverse(name) for name in pages] + [
        reverse("console:poc_edit", args=[sms.pk]), reverse("console:poc_edit", args=[chat.pk]),
        reverse("console:rule_list", args=[sms.pk]), reverse("console:rule_add", args=[chat.pk]),
        reverse("console:rule_edit", args=[sms.pk, rule.pk]), reverse("console:routing-try", args=[sms.pk]),
        reverse("console:team_edit", args=[f.team(t, "Night Shift").pk])]
    for url in urls:
        response = console.get(url)
        assert response.status_code == 200, url
        assert not LEAKS.findall(readable(response)), (url, LEAKS.findall(readable(response)))
    # The chat point of contact's help names a whole address.
    assert "/chat/porridge/" in readable(console.get(reverse("console:poc_edit", args=[chat.pk])))
    # Refusals: an empty form, and values each rule refuses.
    refused = [
        (reverse("console:poc_add"), {}),
        (reverse("console:poc_add"), poc_data(center, number="+12125550100", skill=center["out"].pk)),
        (reverse("console:poc_add"), {"channel": "chat", "slug": "porridge", "skill": center["sms"].pk}),
        (reverse("console:team_add"), {"name": "night shift", "session_limit": 13}),
        (reverse("console:user_add"), {"username": "x", "role": "agent", "session_limit": 0}),
        (reverse("console:skill_add"), {"name": "porridge SMS", "channel": "sms", "direction": "inbound"}),
        (reverse("console:rule_add", args=[sms.pk]), {"position": 1, "kind": "regex", "pattern": "(a)\\1", "skill": center["chat"].pk,
                                                      "priority": 11}),
        (reverse("console:settings"), settings_data(sms_delivery="digital", time_zone="Mars/Olympus")),
    ]
    for url, data in refused:
        response = console.post(url, data)
        assert response.status_code == 200 and 'class="errorlist' in response.content.decode(), url
        assert not LEAKS.findall(readable(response)), (url, LEAKS.findall(readable(response)))
    assert PointOfContact.objects.count() == 2 and not Skill.objects.filter(name="porridge SMS").exists()
