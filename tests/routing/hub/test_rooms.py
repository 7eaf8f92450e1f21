"""Rooms, the two-hour timer, restarts after expiry, transcripts, forced disconnect, outbound rooms (R6–R11)."""
from datetime import timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from routing import jobs
from routing.hub import optout, outbound, rooms as hub_rooms
from routing.acd import offers
from routing.acd import outbound as acd_outbound
from routing.choices import CloseReason, RoomState
from routing.models import Room, User
from tests import factories as f
from tests.hub import post_inbound

# Also run in the PostgreSQL + Redis pass of make test (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.pg]
CONTACT = "+12025550123"


@pytest.fixture
def bears(settings):
    settings.CXSMS_SMS_SESSION_TIMEOUT = 7200
    t = f.tenant("Three Bears Porridge")
    sms, out = f.skill(t, "SMS"), f.skill(t, "SMS out", direction="outbound")
    team = f.team(t, session_limit=1)
    poc = f.sms_poc(t, "+12125550160", skill=sms)
    mama = f.agent(t, username="mama", team=team, skills=[sms, out], state="available")
    return dict(tenant=t, poc=poc, mama=mama, team=team, sms=sms)


def accept_new(client, bears, contact=CONTACT, body="hello"):
    post_inbound(client, bears["poc"], contact, body)
    room = Room.objects.filter(contact_number=contact).latest("id")
    assert room.state == RoomState.OFFERED
    return offers.room_accept(room=room, agent=room.agent)


def test_timer_starts_on_accept_and_resets_on_each_direction(client, bears):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        post_inbound(client, bears["poc"], CONTACT, "hello")
        room = Room.objects.get()
        assert room.expires_at is None  # not before accept (R7)
        room = offers.room_accept(room=room, agent=bears["mama"])
        start = timezone.now()
        assert room.expires_at == start + timedelta(hours=2)
        clock.shift(timedelta(minutes=90))
        post_inbound(client, bears["poc"], CONTACT, "still there?")
        room.refresh_from_db()
        assert room.expires_at == start + timedelta(minutes=90 + 120)
        clock.shift(timedelta(minutes=100))
        outbound.message_send(room=room, author=bears["mama"], body="yes!")
        room.refresh_from_db()
        assert room.expires_at == start + timedelta(minutes=190 + 120)
        clock.shift(timedelta(minutes=119))
        assert jobs.sweep()["rooms.sweep"] == 0
        clock.shift(timedelta(minutes=1, seconds=1))
        assert jobs.sweep()["rooms.sweep"] == 1
    room.refresh_from_db()
    assert room.state == RoomState.CLOSED and room.close_reason == CloseReason.EXPIRED


def test_expiry_frees_capacity_and_offers_the_queued_room(client, bears):
    room = accept_new(client, bears)
    post_inbound(client, bears["poc"], "+12025550124", "me too")  # limit 1: waits
    waiting = Room.objects.get(contact_number="+12025550124")
    assert waiting.state == RoomState.QUEUED
    with time_machine.travel(room.expires_at + timedelta(seconds=1), tick=False):
        assert jobs.sweep()["rooms.sweep"] == 1
    waiting.refresh_from_db()
    assert waiting.state == RoomState.OFFERED and waiting.agent == bears["mama"]
    assert User.objects.get(pk=bears["mama"].pk).held == 1


def test_a_text_after_expiry_opens_a_new_room_routed_afresh(client, bears):
    first = accept_new(client, bears)
    hub_rooms.expire_rooms(first.expires_at + timedelta(seconds=1))
    post_inbound(client, bears["poc"], CONTACT, "I'm back")
    rooms = list(Room.objects.filter(contact_number=CONTACT).order_by("id"))
    assert len(rooms) == 2 and rooms[0].state == RoomState.CLOSED and rooms[1].state == RoomState.OFFERED
    assert [m.body for m in rooms[1].messages.all()] == ["I'm back"]
    assert rooms[1].decisions.count() == 1


def test_expiry_fires_once(client, bears):
    room = accept_new(client, bears)
    due = room.expires_at + timedelta(seconds=1)
    assert hub_rooms.expire_rooms(due) == 1
    assert hub_rooms.expire_rooms(due) == 0
    assert room.decisions.count() == 1


def test_agent_ends_a_room_and_only_the_right_people_can(client, bears):
    room = accept_new(client, bears)
    other = f.agent(bears["tenant"])
    with pytest.raises(PermissionDenied):
        hub_rooms.room_end(room=room, actor=other)
    hub_rooms.room_end(room=room, actor=bears["mama"])
    room.refresh_from_db()
    assert room.state == RoomState.CLOSED and room.close_reason == CloseReason.ENDED_BY_AGENT
    with pytest.raises(ValidationError):
        hub_rooms.room_end(room=room, actor=bears["mama"])


def test_history_is_the_last_ten_sessions_by_ani_or_dnis_newest_first(client, bears):
    from routing.selectors import room_history

    bears["team"].session_limit = 12
    bears["team"].save()
    other_poc = f.sms_poc(bears["tenant"], "+12125550161", skill=bears["sms"])
    for i in range(12):
        r = accept_new(client, bears, body=f"visit {i}")
        hub_rooms.room_end(room=r, actor=bears["mama"])
    # same POC, another contact (DNIS match) and same contact on another POC (ANI match)
    post_inbound(client, bears["poc"], "+12025550999", "dnis")
    r = Room.objects.get(contact_number="+12025550999")
    hub_rooms.room_end(room=offers.room_accept(room=r, agent=bears["mama"]), actor=bears["mama"])
    post_inbound(client, other_poc, CONTACT, "ani")
    r = Room.objects.get(poc_number="+12125550161")
    hub_rooms.room_end(room=offers.room_accept(room=r, agent=bears["mama"]), actor=bears["mama"])
    # another tenant with the same contact: never included
    t2 = f.tenant()
    Room.objects.create(tenant=t2, channel="sms", point_of_contact=f.sms_poc(t2, "+12125550162"), contact_number=CONTACT,
                        poc_number="+12125550162", state=RoomState.CLOSED, closed_at=timezone.now())
    current = accept_new(client, bears, body="now")
    history = list(room_history(current))
    assert len(history) == 10
    assert [h.closed_at for h in history] == sorted([h.closed_at for h in history], reverse=True)
    assert history[0].messages.first().body == "ani" and history[1].messages.first().body == "dnis"
    assert all(h.tenant_id == bears["tenant"].id for h in history)


def test_transcripts_not_kept_when_the_tenant_does_not_save_them(client, bears):
    from routing.selectors import room_history

    bears["tenant"].save_transcripts = False
    bears["tenant"].save()
    r = accept_new(client, bears)
    hub_rooms.room_end(room=r, actor=bears["mama"])
    r2 = accept_new(client, bears)
    assert list(room_history(r2)) == []


def test_forced_disconnect_ends_every_sms_room_and_keeps_transcripts(client, bears):
    from routing.selectors import room_history

    bears["team"].session_limit = 3
    bears["team"].save()
    bears["tenant"].save_transcripts = True
    a = accept_new(client, bears)
    post_inbound(client, bears["poc"], "+12025550124", "offered")
    for i in range(3):
        post_inbound(client, bears["poc"], f"+1202555013{i}", "queued")
    chat = Room.objects.create(tenant=bears["tenant"], channel="chat", point_of_contact=f.chat_poc(bears["tenant"]), state=RoomState.QUEUED)
    admin = f.admin(bears["tenant"])
    assert hub_rooms.forced_disconnect_count(bears["tenant"]) == 5
    with pytest.raises(PermissionDenied):
        hub_rooms.forced_disconnect(tenant=bears["tenant"], actor=bears["mama"])
    assert hub_rooms.forced_disconnect(tenant=bears["tenant"], actor=admin) == 5
    assert Room.objects.filter(channel="sms").exclude(state=RoomState.CLOSED).count() == 0
    assert set(Room.objects.filter(channel="sms").values_list("close_reason", flat=True)) == {CloseReason.FORCED_DISCONNECT}
    chat.refresh_from_db()
    assert chat.state == RoomState.QUEUED
    assert User.objects.get(pk=bears["mama"].pk).held == 0
    assert a.messages.count() == 1 and len(list(room_history(Room.objects.create(
        tenant=bears["tenant"], channel="sms", point_of_contact=bears["poc"], contact_number=CONTACT,
        poc_number=bears["poc"].number)))) == 5
    other = f.tenant()
    with pytest.raises(PermissionDenied):
        hub_rooms.forced_disconnect(tenant=bears["tenant"], actor=f.admin(other))


def test_outbound_room_is_assigned_counted_and_timed(client, bears, settings):
    mama = bears["mama"]
    room = acd_outbound.room_open_outbound(agent=mama, point_of_contact=bears["poc"], contact_number="(202) 555-0177",
                                           body="Your order is ready")
    assert room.state == RoomState.ACTIVE and room.agent == mama and room.contact_number == "+12025550177"
    assert room.expires_at is not None and room.messages.get().body == "Your order is ready"
    assert User.objects.get(pk=mama.pk).held == 1
    with pytest.raises(ValidationError) as exc:  # limit 1 reached
        acd_outbound.room_open_outbound(agent=mama, point_of_contact=bears["poc"], contact_number="+12025550178", body="hi")
    assert "end one first" in str(exc.value)


@pytest.mark.parametrize("case", ["no outbound skill", "bad number", "opted out", "already open", "other tenant poc"])
def test_outbound_room_refusals(client, bears, case):
    mama = bears["mama"]
    bears["team"].session_limit = 5
    bears["team"].save()
    kwargs = dict(agent=mama, point_of_contact=bears["poc"], contact_number="+12025550177", body="hi")
    error = ValidationError
    if case == "no outbound skill":
        kwargs["agent"] = f.agent(bears["tenant"], team=bears["team"], skills=[bears["sms"]])
    elif case == "bad number":
        kwargs["contact_number"] = "12"
    elif case == "opted out":
        optout.contact_set_opt_out(tenant_id=bears["tenant"].id, number="+12025550177", opted_out=True)
    elif case == "already open":
        acd_outbound.room_open_outbound(**kwargs)
    else:
        t2 = f.tenant()
        kwargs["point_of_contact"] = f.sms_poc(t2, "+12125550163")
        error = PermissionDenied
    before = Room.objects.count()
    with pytest.raises(error):
        acd_outbound.room_open_outbound(**kwargs)
    assert Room.objects.count() == before


def test_history_by_contact_or_by_number_through_the_api(client, bears):
    from tests.api.conftest import client_for

    bears["team"].session_limit = 12
    bears["team"].save()
    mine = accept_new(client, bears, body="mine")
    hub_rooms.room_end(room=mine, actor=bears["mama"])
    post_inbound(client, bears["poc"], "+12025550999", "someone else")
    other = offers.room_accept(room=Room.objects.get(contact_number="+12025550999"), agent=bears["mama"])
    hub_rooms.room_end(room=other, actor=bears["mama"])
    current = accept_new(client, bears, body="now")
    api = client_for(bears["mama"])
    url = f"/api/v1/rooms/{current.pk}/history/"
    assert [h["id"] for h in api.get(url + "?by=contact").json()] == [mine.pk]
    assert [h["id"] for h in api.get(url + "?by=number").json()] == [other.pk, mine.pk]
    assert [h["id"] for h in api.get(url).json()] == [other.pk, mine.pk]
    bad = api.get(url + "?by=everyone")
    assert bad.status_code == 400 and "by" in bad.json()


@pytest.mark.django_db(transaction=True)
def test_a_timer_already_due_is_queued_for_a_worker_at_once(client, bears):
    """A job whose due time has passed (a retry due now, a timer found late) is queued, not put on the
    schedule that Huey's scheduler reads once a second."""
    room = accept_new(client, bears)
    timers = jobs.queue("timers")
    jobs.run_immediately(False)
    try:
        timers.flush()
        jobs.enqueue_at("rooms.expire_room", timezone.now() - timedelta(seconds=1), room.pk)
        [task] = timers.pending()
        assert task.args == (room.pk,) and timers.scheduled() == []
    finally:
        timers.flush()
        jobs.run_immediately(True)


def test_an_expiry_woken_early_waits_for_the_room_s_due_time_and_a_sweep_schedules_nothing(client, bears):
    """A reset that committed first moves the timer: the job already queued for the old time finds
    the room not due and queues itself again for the new due time, on the task engine's real queue."""
    room = accept_new(client, bears)
    early = room.expires_at - timedelta(minutes=30)
    timers = jobs.queue("timers")
    jobs.run_immediately(False)
    try:
        timers.flush()
        assert hub_rooms.expire_room(room.pk, now=early, sweeping=True) is False
        assert timers.pending() == []  # the sweep comes back on its own
        assert hub_rooms.expire_room(room.pk, now=early) is False
        assert timers.pending() == []  # not queued for a worker to hold: on the schedule until its eta
        [task] = timers.scheduled()
        assert task.name.endswith("rooms.expire_room") and task.args == (room.pk,)
        assert task.eta == room.expires_at.astimezone(dt_timezone.utc).replace(tzinfo=None)
        room.refresh_from_db()
        assert room.state == RoomState.ACTIVE
        # Huey's scheduler hands it to the queue when due, and not before.
        assert timers.read_schedule(task.eta - timedelta(seconds=1)) == []
        [due] = timers.read_schedule(task.eta)
        assert due.id == task.id and timers.scheduled() == []
    finally:
        timers.flush()
        jobs.run_immediately(True)
