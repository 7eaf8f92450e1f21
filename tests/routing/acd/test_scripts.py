"""Routing scripts (R12): keyword, regex, business hours, fallback, default skill, the after-hours
reply through a signed webhook, rule validation, and the console's "try it" box."""
import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import NoReverseMatch, include, path, reverse

from routing import events, services
from routing.acd import scripts
from routing.choices import Channel, Direction, MessageStatus, RuleKind
from routing.console import tryit
from routing.models import Message, PointOfContact, Room, RoutingRule, Tenant
from tests import factories as f
from tests.hub import post_inbound

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
# Database tests need the marker (not only the `db` fixture) so that on_commit work runs as in production.
db_test = pytest.mark.django_db


# --- evaluate() on unsaved rules: no database -------------------------------------------------------

def poc_(skill_id=1, tz="America/New_York"):
    return PointOfContact(tenant=Tenant(name="t", slug="t", time_zone=tz), channel=Channel.SMS, skill_id=skill_id)


def rule(kind, position=1, skill_id=10, priority=5, **kw):
    return RoutingRule(kind=kind, position=position, skill_id=skill_id, priority=priority, **kw)


def hours(start, end, days="01234", tz="", **kw):
    return rule(RuleKind.HOURS, start_time=time(*start), end_time=time(*end), days=days, time_zone=tz, **kw)


def at(y, mo, d, h, mi=0, tz=NY):
    return datetime(y, mo, d, h, mi, tzinfo=tz)


MONDAY = (2025, 3, 3)  # Monday 3 March 2025 (New York on EST, UTC-5)
FRIDAY, SATURDAY, SUNDAY = (2025, 3, 7), (2025, 3, 8), (2025, 3, 9)


@pytest.mark.parametrize("body,hit", [
    ("I want #ADVENTUREME", True),
    ("#adventureme", True),
    ("Hi! #AdventureMe, please.", True),
    ("#ADVENTUREME\nthanks", True),
    ("#ADVENTUREMEs", False),
    ("x#ADVENTUREME", False),
    ("ADVENTUREME", False),
    ("#ADVENTURE ME", False),
    ("", False),
])
def test_keyword_is_a_whole_word_in_any_case(body, hit):
    out = scripts.evaluate(poc_(), body, at(*MONDAY, 10), rules=[rule(RuleKind.KEYWORD, pattern="#ADVENTUREME", skill_id=7, priority=8)])
    assert (out.skill_id, out.priority) == ((7, 8) if hit else (1, scripts.DEFAULT_PRIORITY))
    assert out.rule == ("#1 Keyword in the first message “#ADVENTUREME”" if hit else scripts.DEFAULT_RULE)


@pytest.mark.parametrize("body,hit", [("porridge", True), ("Hot-porridge!", True), ("PORRIDGE please", True), ("porridges", False),
                                      ("too hot porridge bowl", True)])
def test_keyword_word_boundaries(body, hit):
    assert scripts.evaluate(poc_(), body, rules=[rule(RuleKind.KEYWORD, pattern=" porridge ")]).skill_id == (10 if hit else 1)


def test_keyword_phrase():
    r = [rule(RuleKind.KEYWORD, pattern="free trial")]
    assert scripts.evaluate(poc_(), "about the FREE TRIAL?", rules=r).skill_id == 10
    assert scripts.evaluate(poc_(), "free  trial", rules=r).skill_id == 1


def test_regex_rule():
    r = [rule(RuleKind.REGEX, pattern=r"order\s*#?\d{6}\b", skill_id=3, priority=7)]
    assert scripts.evaluate(poc_(), "where is order #123456?", rules=r).skill_id == 3
    assert scripts.evaluate(poc_(), "where is order 12345?", rules=r).skill_id == 1
    assert scripts.evaluate(poc_(), "ORDER 123456", rules=r).skill_id == 1  # case-sensitive unless (?i)
    assert scripts.evaluate(poc_(), "ORDER 123456", rules=[rule(RuleKind.REGEX, pattern=r"(?i)order \d+")]).skill_id == 10


def test_a_broken_regex_never_stops_a_text():
    r = [rule(RuleKind.REGEX, pattern="(unclosed", position=1, skill_id=3), rule(RuleKind.FALLBACK, position=2, skill_id=4)]
    assert scripts.evaluate(poc_(), "(unclosed", rules=r).skill_id == 4


@pytest.mark.parametrize("moment,inside", [
    (at(*MONDAY, 9, 0), True),
    (at(*MONDAY, 8, 59), False),
    (at(*MONDAY, 16, 59), True),
    (at(*MONDAY, 17, 0), False),  # the end is exclusive
    (at(*FRIDAY, 12), True),
    (at(*SATURDAY, 12), False),
    (at(*SUNDAY, 12), False),
    (datetime(2025, 3, 3, 14, 0, tzinfo=ZoneInfo("UTC")), True),  # 09:00 in New York
    (datetime(2025, 3, 3, 13, 59, tzinfo=ZoneInfo("UTC")), False),
    (datetime(2025, 7, 7, 13, 0, tzinfo=ZoneInfo("UTC")), True),  # 09:00 EDT in summer
    (datetime(2025, 7, 7, 12, 59, tzinfo=ZoneInfo("UTC")), False),
])
def test_business_hours_in_the_tenant_time_zone(moment, inside):
    r = [hours((9, 0), (17, 0), skill_id=5, priority=6)]
    out = scripts.evaluate(poc_(), "hi", moment, rules=r)
    assert out.skill_id == (5 if inside else 1)
    assert out.after_hours is (not inside)


def test_a_rule_time_zone_wins_over_the_tenant_one():
    r = [hours((9, 0), (17, 0), tz="Europe/Berlin")]
    assert scripts.evaluate(poc_(), "hi", at(*MONDAY, 9, tz=BERLIN), rules=r).skill_id == 10
    assert scripts.evaluate(poc_(), "hi", at(*MONDAY, 3, tz=NY), rules=r).skill_id == 10  # 09:00 in Berlin
    assert scripts.evaluate(poc_(), "hi", at(*MONDAY, 12, tz=NY), rules=r).skill_id == 1  # 18:00 in Berlin
    # The same moment with the tenant in Berlin and no zone on the rule.
    assert scripts.evaluate(poc_(tz="Europe/Berlin"), "hi", at(*MONDAY, 3, tz=NY), rules=[hours((9, 0), (17, 0))]).skill_id == 10


@pytest.mark.parametrize("moment,inside", [
    (at(*FRIDAY, 22, 0), True),
    (at(*FRIDAY, 23, 59), True),
    (at(*SATURDAY, 0, 0), True),   # Friday's shift, after midnight
    (at(*SATURDAY, 1, 59), True),
    (at(*SATURDAY, 2, 0), False),
    (at(*SATURDAY, 22, 30), False),  # Saturday is not a shift day
    (at(*FRIDAY, 1, 0), False),    # Thursday is not a shift day either
    (at(*FRIDAY, 21, 59), False),
])
def test_business_hours_across_midnight(moment, inside):
    r = [hours((22, 0), (2, 0), days="4")]  # Friday nights
    assert scripts.evaluate(poc_(), "hi", moment, rules=r).skill_id == (10 if inside else 1)


def test_sunday_night_shift_runs_into_monday():
    r = [hours((20, 0), (6, 0), days="6")]
    assert scripts.evaluate(poc_(), "hi", at(*MONDAY, 5, 30), rules=r).skill_id == 10
    assert scripts.evaluate(poc_(), "hi", at(*MONDAY, 20, 30), rules=r).skill_id == 1


def test_equal_start_and_end_is_the_whole_day():
    r = [hours((0, 0), (0, 0), days="56")]
    assert scripts.evaluate(poc_(), "hi", at(*SATURDAY, 3), rules=r).skill_id == 10
    assert scripts.evaluate(poc_(), "hi", at(*FRIDAY, 3), rules=r).skill_id == 1


def test_weekdays_only_and_several_hours_rules():
    r = [hours((9, 0), (17, 0), days="01234", skill_id=5), hours((10, 0), (14, 0), days="5", skill_id=6)]
    assert scripts.evaluate(poc_(), "hi", at(*SATURDAY, 11), rules=r).skill_id == 6
    out = scripts.evaluate(poc_(), "hi", at(*SUNDAY, 11), rules=r)
    assert out.skill_id == 1 and out.after_hours


def first3(out):
    return out.skill_id, out.priority, out.rule


def test_first_matching_rule_wins_then_fallback_then_default():
    r = [rule(RuleKind.KEYWORD, position=1, pattern="#VIP", skill_id=2, priority=10),
         hours((9, 0), (17, 0), position=2, skill_id=3, priority=5),
         rule(RuleKind.FALLBACK, position=3, skill_id=4, priority=2)]
    assert first3(scripts.evaluate(poc_(), "#vip help", at(*SATURDAY, 12), rules=r)) == (2, 10, "#1 Keyword in the first message “#VIP”")
    assert first3(scripts.evaluate(poc_(), "help", at(*MONDAY, 12), rules=r)) == (3, 5, "#2 Inside business hours 09:00–17:00 Mon–Fri")
    out = scripts.evaluate(poc_(), "help", at(*SATURDAY, 12), rules=r)
    assert first3(out) == (4, 2, "#3 Fallback (always matches)") and out.after_hours
    # Without the fallback: the default skill of the point of contact at the default priority.
    out = scripts.evaluate(poc_(skill_id=9), "help", at(*SATURDAY, 12), rules=r[:2])
    assert (out.skill_id, out.priority, out.rule, out.rule_id) == (9, 5, scripts.DEFAULT_RULE, None)


def test_no_hours_rules_is_never_after_hours():
    assert not scripts.evaluate(poc_(), "hi", at(*SUNDAY, 3), rules=[rule(RuleKind.KEYWORD, pattern="x")]).after_hours
    assert not scripts.evaluate(poc_(), "hi", at(*SUNDAY, 3), rules=[]).after_hours


# --- through the database and the real entry points ----------------------------------------------

class Script:
    def __init__(self):
        self.tenant = f.tenant("Adventure Co", time_zone="America/New_York")
        self.team = f.team(self.tenant, "Guides", session_limit=5)
        self.general = f.skill(self.tenant, "General SMS")
        self.adventure = f.skill(self.tenant, "Adventure SMS")
        self.chat = f.skill(self.tenant, "General chat", channel=Channel.CHAT)
        self.vip_chat = f.skill(self.tenant, "VIP chat", channel=Channel.CHAT)
        self.poc = f.sms_poc(self.tenant, "+12125550160", skill=self.general,
                             after_hours_reply="We are closed: we answer from 9:00 to 17:00, Monday to Friday.")
        self.chat_poc = f.chat_poc(self.tenant, "adventure", skill=self.chat)
        self.keyword = self.add_rule(kind=RuleKind.KEYWORD, position=1, pattern="#ADVENTUREME", skill=self.adventure, priority=8)
        self.hours = self.add_rule(kind=RuleKind.HOURS, position=2, start_time=time(9), end_time=time(17), days="01234",
                                   skill=self.general, priority=5)
        self.admin = f.admin(self.tenant, username="chief")
        self.client = Client()

    def add_rule(self, poc=None, **kw):
        return services.object_save(instance=RoutingRule(point_of_contact=poc or self.poc, **kw))

    def text(self, contact, body):
        r = post_inbound(self.client, self.poc, contact, body)
        assert r.status_code == 200, r.content
        return Room.objects.filter(point_of_contact=self.poc, contact_number=contact).latest("id")


@pytest.fixture
def script(db):
    return Script()


def simulator_inbox(tenant):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(events.simulator_group(tenant.id), channel)

    def received():
        out = []
        while True:
            try:
                out.append(async_to_sync(_receive_nowait)(layer, channel))
            except TimeoutError:
                return out

    return received


async def _receive_nowait(layer, channel):
    import asyncio

    return await asyncio.wait_for(layer.receive(channel), timeout=0.2)


@db_test
def test_keyword_rule_routes_a_text_to_its_skill_and_priority(script):
    with time_machine.travel(at(*MONDAY, 11), tick=False):
        room = script.text("+14155550101", "Sign me up #adventureme")
        plain = script.text("+14155550102", "Just a question")
    assert (room.skill, room.priority, room.routed_by) == (script.adventure, 8, "#1 Keyword in the first message “#ADVENTUREME”")
    assert (plain.skill, plain.priority) == (script.general, 5)
    assert room.decisions.get().rule == room.routed_by


@db_test
def test_only_the_first_message_is_routed(script):
    with time_machine.travel(at(*MONDAY, 11), tick=False):
        room = script.text("+14155550101", "Hello")
        again = script.text("+14155550101", "#ADVENTUREME")
    assert again.pk == room.pk and again.skill == script.general


@db_test
def test_after_hours_reply_is_stored_and_delivered_by_the_simulator(script):
    with time_machine.travel(at(*SATURDAY, 11), tick=False):  # the in-memory layer expires pushes by the clock
        inbox = simulator_inbox(script.tenant)
        room = script.text("+14155550101", "Anyone there?")
        script.text("+14155550101", "Hello??")  # same room: the reply is not sent twice
        pushed = [e["event"] for e in inbox() if e["event"]["type"] == "simulator.text"]
    assert room.skill == script.general  # no rule matched: the default skill, and the room is still routed
    replies = list(Message.objects.filter(room=room, direction=Direction.OUTBOUND))
    assert len(replies) == 1
    reply = replies[0]
    assert reply.body == script.poc.after_hours_reply and reply.automatic
    assert reply.status == MessageStatus.DELIVERED and reply.carrier_sid.startswith("SMsim")
    assert list(Message.objects.filter(room=room).values_list("direction", flat=True)) == ["inbound", "outbound", "inbound"]
    assert [(e["to"], e["from"], e["body"]) for e in pushed] == [("+14155550101", "+12125550160", script.poc.after_hours_reply)]


@db_test
def test_no_after_hours_reply_inside_business_hours_or_without_a_reply(script):
    with time_machine.travel(at(*MONDAY, 16, 59), tick=False):
        room = script.text("+14155550101", "Hi")
    assert not Message.objects.filter(room=room, direction=Direction.OUTBOUND).exists()
    script.poc.after_hours_reply = ""
    services.object_save(instance=script.poc)
    with time_machine.travel(at(*MONDAY, 17, 0), tick=False):
        room = script.text("+14155550102", "Hi")
    assert not Message.objects.filter(room=room, direction=Direction.OUTBOUND).exists()


@db_test
def test_after_hours_reply_not_sent_to_an_opted_out_contact(script):
    from routing.hub import optout

    optout.contact_set_opt_out(tenant_id=script.tenant.id, number="+14155550101", opted_out=True)
    with time_machine.travel(at(*SUNDAY, 11), tick=False):
        room = script.text("+14155550101", "Hi")
    assert not Message.objects.filter(room=room, direction=Direction.OUTBOUND).exists()


@db_test
def test_a_keyword_after_hours_still_picks_its_skill_and_gets_the_reply(script):
    with time_machine.travel(at(*SUNDAY, 23), tick=False):
        room = script.text("+14155550101", "#ADVENTUREME")
    assert room.skill == script.adventure
    assert Message.objects.filter(room=room, direction=Direction.OUTBOUND, automatic=True).count() == 1


@db_test
def test_chat_entry_point_uses_the_chat_script(script):
    script.add_rule(poc=script.chat_poc, kind=RuleKind.KEYWORD, position=1, pattern="VIP", skill=script.vip_chat, priority=9)
    r = script.client.post("/chat/adventure/", {"name": "Goldi", "body": "I am a vip"}, content_type="application/json")
    assert r.status_code == 201
    room = Room.objects.get(pk=r.json()["room"])
    assert (room.skill, room.priority, room.channel) == (script.vip_chat, 9, Channel.CHAT)
    r = script.client.post("/chat/adventure/", {"name": "Baby", "body": "hello"}, content_type="application/json")
    assert Room.objects.get(pk=r.json()["room"]).skill == script.chat


@db_test
def test_default_skill_when_nothing_matches_and_no_hours(script):
    RoutingRule.objects.filter(pk=script.hours.pk).delete()
    room = script.text("+14155550101", "hello")
    assert (room.skill, room.priority, room.routed_by) == (script.general, 5, scripts.DEFAULT_RULE)
    assert not Message.objects.filter(room=room, direction=Direction.OUTBOUND).exists()


# --- rule validation messages -------------------------------------------------------------------

@pytest.mark.parametrize("kw,field,message", [
    (dict(kind=RuleKind.KEYWORD, pattern=""), "pattern", "This rule needs a keyword or pattern."),
    (dict(kind=RuleKind.REGEX, pattern=""), "pattern", "This rule needs a keyword or pattern."),
    (dict(kind=RuleKind.REGEX, pattern="(oops"), "pattern", "Not a valid regular expression: an opening ( has no closing ) at “(oops”."),
    (dict(kind=RuleKind.HOURS), "start_time", "Business hours need a start and an end time."),
    (dict(kind=RuleKind.HOURS, start_time=time(9)), "end_time", "Business hours need a start and an end time."),
    (dict(kind=RuleKind.HOURS, start_time=time(9), end_time=time(17), days="0189"), "days",
     "Days are digits 0 (Monday) to 6 (Sunday), for example 01234."),
    (dict(kind=RuleKind.HOURS, start_time=time(9), end_time=time(17), days=""), "days",
     "Days are digits 0 (Monday) to 6 (Sunday), for example 01234."),
    (dict(kind=RuleKind.FALLBACK, priority=0), "priority", "Priority is 1 to 10."),
    (dict(kind=RuleKind.FALLBACK, priority=11), "priority", "Priority is 1 to 10."),
    (dict(kind=RuleKind.FALLBACK, time_zone="Mars/Olympus"), "time_zone",
     "“Mars/Olympus” is not a time zone name such as America/New_York."),
])
@db_test
def test_rule_validation_messages(script, kw, field, message):
    kw.setdefault("skill", script.general)
    with pytest.raises(ValidationError) as exc:
        script.add_rule(position=5, **kw)
    assert message in exc.value.message_dict[field]


@db_test
def test_rule_skill_must_match_the_channel_and_the_tenant(script):
    with pytest.raises(ValidationError) as exc:
        script.add_rule(kind=RuleKind.FALLBACK, position=5, skill=script.chat)
    assert exc.value.message_dict["skill"] == [f"An SMS number routes to an SMS skill: “{script.chat.name}” is a chat skill."]
    other = f.skill(f.tenant("Other"), "Theirs")
    with pytest.raises(ValidationError) as exc:
        script.add_rule(kind=RuleKind.FALLBACK, position=5, skill=other)
    assert "Select a valid choice" in exc.value.message_dict["skill"][0]


@db_test
def test_rule_validation_through_the_rest_api(script):
    from tests.api.conftest import client_for

    r = client_for(script.admin).post("/api/v1/routing-rules/", {"point_of_contact": script.poc.pk, "kind": "regex", "pattern": "[a-",
                                                                  "skill": script.general.pk, "priority": 5}, format="json")
    assert r.status_code == 400
    assert r.json()["pattern"][0].startswith("Not a valid regular expression")


# --- the "try it" box ---------------------------------------------------------------------------

def _urlpatterns():
    """The project's URLs plus the try-it page, until routing/console/urls.py carries its line."""
    from cxsms_site import urls as root
    from routing.console import urls as console_urls

    console = [path("points-of-contact/<int:pk>/try/", tryit.try_script, name="routing-try"),
               *[p for p in console_urls.urlpatterns if getattr(p, "name", None) != "routing-try"]]
    rest = [p for p in root.urlpatterns if getattr(p, "namespace", None) != "console"]
    return [path("console/", include((console, "console"))), *rest]


urlpatterns = _urlpatterns()


@pytest.fixture
def try_url(settings):
    try:
        reverse("console:routing-try", args=[1])
    except NoReverseMatch:
        settings.ROOT_URLCONF = __name__
    return lambda poc: reverse("console:routing-try", args=[poc.pk])


def login(user):
    c = Client()
    c.force_login(user)
    return c


@db_test
def test_try_it_form_defaults_to_now_in_the_tenant_time_zone(script, try_url):
    with time_machine.travel(datetime(2025, 3, 3, 2, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        r = login(script.admin).get(try_url(script.poc))
    assert r.status_code == 200
    html = r.content.decode()
    assert 'value="2025-03-02T21:30"' in html  # Sunday 21:30 in New York
    assert "America/New_York" in html and 'data-testid="try-result"' not in html
    assert r.templates[0].name == "console/routing_try.html" and "base.html" in [t.name for t in r.templates]


@db_test
def test_try_it_shows_rule_skill_priority_and_the_after_hours_reply(script, try_url):
    c = login(script.admin)
    r = c.get(try_url(script.poc), {"body": "hi #AdventureMe", "at": "2025-03-08T11:00"})  # Saturday
    result = r.context["result"]
    assert result["outcome"].rule_id == script.keyword.pk and result["skill"] == script.adventure
    assert result["outcome"].priority == 8 and result["outcome"].after_hours and result["reply_sent"]
    html = r.content.decode()
    assert "#1 Keyword in the first message “#ADVENTUREME”" in html and "Adventure SMS" in html and "would be sent" in html
    assert script.poc.after_hours_reply in html

    r = c.get(try_url(script.poc), {"body": "hello", "at": "2025-03-03T09:00"})  # Monday 09:00 New York
    result = r.context["result"]
    assert result["outcome"].rule_id == script.hours.pk and result["skill"] == script.general and not result["reply_sent"]
    assert "Not sent: this moment is inside business hours." in r.content.decode()
    assert result["at"] == at(*MONDAY, 9)

    r = c.get(try_url(script.poc), {"body": "hello", "at": "2025-03-03T08:59"})
    result = r.context["result"]
    assert result["default"] and result["skill"] == script.general and result["outcome"].priority == 5 and result["reply_sent"]
    assert "No rule matches" in r.content.decode()


@db_test
def test_try_it_shows_the_moment_in_the_tenant_time_zone_and_in_utc(script, try_url):
    """Monday 11:30 typed for a New York tenant reads back as 11:30 New York (16:30 UTC), not the UTC time under the zone's name."""
    r = login(script.admin).get(try_url(script.poc), {"body": "hello", "at": "2025-03-03T11:30"})
    moment = re.search(r'data-testid="try-moment">(.*?)</dd>', r.content.decode()).group(1)
    assert moment == "Monday 3 March 2025, 11:30 (America/New_York) · 16:30 UTC"


@db_test
def test_try_it_explains_keywords_and_bad_input(script, try_url):
    c = login(script.admin)
    r = c.get(try_url(script.poc), {"body": "STOP", "at": "2025-03-08T11:00"})
    assert r.context["result"]["keyword"].startswith("This is an opt-out keyword") and not r.context["result"]["reply_sent"]
    r = c.get(try_url(script.poc), {"body": "hi", "at": "yesterday"})
    assert r.status_code == 200 and r.context["result"] is None
    assert "Enter a valid date/time." in r.content.decode()
    r = c.get(try_url(script.poc), {"body": "", "at": "2025-03-08T11:00"})
    assert r.context["result"] is None and "This field is required." in r.content.decode()


@db_test
def test_try_it_is_for_this_tenant_administrators_only(script, try_url):
    url = try_url(script.poc)
    assert Client().get(url).status_code == 302  # the login page
    assert login(f.agent(script.tenant, username="guide")).get(url).status_code == 403
    assert login(f.user(script.tenant, username="super", role="supervisor")).get(url).status_code == 403
    other_admin = f.admin(f.tenant("Rival Co"), username="rival")
    assert login(other_admin).get(url).status_code == 404
    assert login(other_admin).get(url, {"body": "hi", "at": "2025-03-08T11:00"}).status_code == 404


@db_test
def test_try_it_on_a_chat_point_of_contact(script, try_url):
    r = login(script.admin).get(try_url(script.chat_poc), {"body": "hello", "at": "2025-03-08T11:00"})
    result = r.context["result"]
    assert result["skill"] == script.chat and not result["reply_sent"]
    assert "Chat points of contact send no after-hours reply." in r.content.decode()
