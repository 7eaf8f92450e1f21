"""Automatic replies (acknowledgement, after hours, HELP, opt-out and opt-in confirmations) are each
sent at most once per contact number in the tenant's window, so a contact's own auto-responder can
never loop with ours; and the point of contact's acknowledgement to a contact left waiting."""
from datetime import time, timedelta

import pytest
from django.utils import timezone

from routing import jobs
from routing.acd import acknowledge, offers
from routing.choices import Direction, RoomState, RuleKind
from routing.hub import rooms
from routing.models import Message, Room, RoutingRule
from tests import factories as f
from tests.hub import post_inbound

pytestmark = [pytest.mark.django_db, pytest.mark.pg]
CONTACT = "+12025550123"
HELP = "Porridge help: call 555-0100."
AWAY = "We are closed; we open at 8."
ACK = "Thanks — an agent will be with you shortly."


@pytest.fixture
def line():
    t = f.tenant(help_reply=HELP, opt_out_reply="Unsubscribed.", opt_in_reply="Welcome back.")
    sms = f.skill(t)
    poc = f.sms_poc(t, "+12125550160", skill=sms, after_hours_reply=AWAY)
    return t, poc, sms


def always_closed(poc, sms):
    # Business hours on no weekday: every moment is after hours.
    RoutingRule.objects.create(point_of_contact=poc, position=1, kind=RuleKind.HOURS, days="", start_time=time(0), end_time=time(23, 59),
                               skill=sms)


def ours(kind=None):
    qs = Message.objects.filter(direction=Direction.OUTBOUND, automatic=True, contact_number=CONTACT)
    return list(qs.values_list("body", flat=True)) if kind is None else qs.filter(auto_kind=kind).count()


def play(client, poc, responder, rounds=12):
    """Two auto-responders against each other: every text we send the contact is answered by
    `responder(text)` (the contact's bot), and whatever that makes us send goes back to the bot.
    Returns how many texts the bot sent before nothing more came back."""
    seen, sent_by_bot = set(), 0
    pending = [m for m in Message.objects.filter(direction=Direction.OUTBOUND, contact_number=CONTACT)]
    for _ in range(rounds):
        fresh = [m for m in Message.objects.filter(direction=Direction.OUTBOUND, contact_number=CONTACT).order_by("id") if m.pk not in seen]
        fresh = fresh or pending
        pending = []
        if not fresh:
            return sent_by_bot
        for m in fresh:
            seen.add(m.pk)
            assert post_inbound(client, poc, CONTACT, responder(m.body)).status_code == 200
            sent_by_bot += 1
    raise AssertionError(f"the auto-responders were still answering each other after {rounds} rounds: {ours()}")


def test_a_keyword_bot_cannot_loop_with_our_help_reply(client, line):
    _, poc, _ = line
    # A bot that answers every text with "HELP": each HELP alone opens and closes a room, which
    # without the limit would earn another help reply, forever.
    post_inbound(client, poc, CONTACT, "HELP")
    bot_texts = play(client, poc, lambda _body: "HELP")
    assert bot_texts == 1 and ours() == [HELP]
    assert Message.objects.filter(direction=Direction.INBOUND, contact_number=CONTACT).count() == 2  # every text still stored


def test_an_away_bot_gets_one_after_hours_reply_across_rooms(client, line):
    t, poc, sms = line
    always_closed(poc, sms)
    agent = f.agent(t, team=f.team(t), skills=[sms], state="available")
    post_inbound(client, poc, CONTACT, "Hello?")
    # Each room the agent ends makes the bot's next text open a new, after-hours room.
    for _ in range(3):
        room = Room.objects.exclude(state=RoomState.CLOSED).get()
        if room.state == RoomState.OFFERED:
            room = offers.room_accept(room=room, agent=agent)
        rooms.room_end(room=room, actor=agent)
        post_inbound(client, poc, CONTACT, "I am away from my phone (auto-reply)")
    assert Room.objects.count() == 4 and ours() == [AWAY]


def test_each_kind_is_limited_on_its_own_and_comes_back_after_the_window(client, line):
    t, poc, _ = line
    t.auto_reply_window_minutes = 10
    t.save()
    for word in ["STOP", "STOP", "START", "HELP", "HELP", "START"]:
        post_inbound(client, poc, CONTACT, word)
    assert ours() == ["Unsubscribed.", "Welcome back.", HELP]
    Message.objects.filter(automatic=True).update(created_at=timezone.now() - timedelta(minutes=11))
    post_inbound(client, poc, CONTACT, "HELP")
    assert ours("help") == 2


def test_the_limit_is_per_contact_number(client, line):
    _, poc, _ = line
    post_inbound(client, poc, CONTACT, "HELP")
    post_inbound(client, poc, "+12025550199", "HELP")
    assert Message.objects.filter(automatic=True, auto_kind="help").count() == 2


# ---- the acknowledgement --------------------------------------------------------------------

def test_no_acknowledgement_by_default(client, line):
    _, poc, _ = line
    post_inbound(client, poc, CONTACT, "Anyone there?")
    jobs.sweep(timezone.now() + timedelta(hours=1))
    assert ours() == []


def test_a_waiting_contact_is_acknowledged_once_when_due(client, line):
    _, poc, _ = line
    poc.ack_after_seconds, poc.ack_reply = 30, ACK
    poc.save()
    post_inbound(client, poc, CONTACT, "Anyone there?")  # no agent: the room waits in the queue
    jobs.sweep(timezone.now() + timedelta(seconds=10))
    assert ours() == []
    jobs.sweep(timezone.now() + timedelta(seconds=31))
    jobs.sweep(timezone.now() + timedelta(seconds=40))
    post_inbound(client, poc, CONTACT, "Hello??")
    assert ours() == [ACK]
    room = Room.objects.get()
    assert room.acknowledged_at is not None and room.state == RoomState.QUEUED
    assert [m.body for m in room.messages.order_by("id")] == ["Anyone there?", ACK, "Hello??"]


def test_no_acknowledgement_once_an_agent_accepted(client, line):
    t, poc, sms = line
    poc.ack_after_seconds = 30
    poc.save()
    agent = f.agent(t, team=f.team(t), skills=[sms], state="available")
    post_inbound(client, poc, CONTACT, "Hi")
    offers.room_accept(room=Room.objects.get(), agent=agent)
    jobs.sweep(timezone.now() + timedelta(minutes=5))
    assert ours() == []


def test_the_acknowledgement_job_itself_sends_when_due(line):
    _, poc, _ = line
    poc.ack_after_seconds = 30
    poc.save()
    room = Room.objects.create(tenant=poc.tenant, channel="sms", point_of_contact=poc, contact_number=CONTACT, poc_number=poc.number,
                               state=RoomState.QUEUED)
    room.opened_at = timezone.now() - timedelta(seconds=31)
    room.save()
    assert acknowledge.acknowledge(room.pk) is True
    assert acknowledge.acknowledge(room.pk) is False and ours("ack") == 1


# ---- configured through HTTP ----------------------------------------------------------------

def test_the_acknowledgement_and_the_window_are_set_through_the_api(line):
    from tests.api.conftest import client_for
    t, poc, _ = line
    api = client_for(f.admin(t))
    bad = api.patch(f"/api/v1/points-of-contact/{poc.pk}/", {"ack_after_seconds": 2}, format="json")
    assert bad.status_code == 400 and "ack_after_seconds" in bad.json()
    ok = api.patch(f"/api/v1/points-of-contact/{poc.pk}/", {"ack_after_seconds": 45, "ack_reply": "Hang on!"}, format="json")
    assert ok.status_code == 200 and (ok.json()["ack_after_seconds"], ok.json()["ack_reply"]) == (45, "Hang on!")
    assert api.patch(f"/api/v1/tenants/{t.pk}/", {"auto_reply_window_minutes": 0}, format="json").status_code in (400, 403)
    poc.refresh_from_db()
    assert poc.ack_after_seconds == 45


def test_the_window_is_a_console_setting(client, line):
    t, _, _ = line
    client.force_login(f.admin(t))
    page = client.get("/console/settings/")
    assert b"At most one of each kind per contact every (minutes)" in page.content
