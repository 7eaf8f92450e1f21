"""Races between an agent, an administrator and the timer loop on PostgreSQL (R7, R10, R13).

Each race is two real parallel requests or sweeps (threads with their own database connections,
released together by a barrier) through the product's entry points: the REST API by token and the
timer loop's `routing.timers.sweep`. Each is repeated ITERATIONS times, each round on a new
contact's text (the previous round's rooms ended by a forced disconnect). Every fourth round lets
one side start 50 ms late, one way then the other, so both orders are seen whatever the machine's
speed; the other rounds start together or a few milliseconds apart and land either way. After every
round exactly one outcome holds, and the room, the agents' load (User.held, the routable flag and
its copies on AgentSkill, against the rooms they really hold) and the transcript agree with it.
The orders seen are printed (`-s`) and both must occur.
"""
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import connections
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from routing import timers
from routing.hub import rooms
from routing.acd import agents as acd_agents, capacity
from routing.choices import CAPACITY_ROOM_STATES, AgentState, CloseReason, Direction, RoomState
from routing.models import AgentSkill, Message, Room, RoutingDecision, User
from tests import factories as f
from tests.hub import FakeTwilio, post_inbound

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]

ITERATIONS = 20
LATE = 0.05  # seconds one side waits in a staggered round


def stagger(i):
    """Round i's head start (> 0: the second side starts late; < 0: the first). Every fourth round one
    side is LATE, one way then the other, so both orders occur; the others spread 0-16 ms either way,
    so the narrow windows (one side holds the room's lock just as the other reads) are hit too."""
    return (0.004 * (i // 4 % 5), -0.004 * (i // 4 % 5), LATE, -LATE)[i % 4]
HELLO = "Hello, is anyone there?"


@dataclass
class Line:
    tenant: object
    poc: object
    agents: list  # two available agents of the line's SMS skill
    admin: object
    holder: object = None  # this round: the agent the contact's text was offered to
    other: object = None  # this round: the other one

    def api(self, user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.get_or_create(user=user)[0].key)
        return client


@pytest.fixture
def carrier(settings):
    fake = FakeTwilio()
    settings.CXSMS_TWILIO_API_BASE = fake.url
    yield fake
    fake.close()


@pytest.fixture
def errors(caplog):
    caplog.set_level(logging.WARNING)
    return lambda: [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture
def line(carrier):
    """A tenant with two agents of one SMS skill (session limit 3) and a number on the fake Twilio."""
    tenant = f.tenant("Race Co")
    team = f.team(tenant, session_limit=3)
    sms = f.skill(tenant)
    account = f.carrier(tenant, provider="twilio", account_sid="AC" + "7" * 32, auth_token="race-token")
    poc = f.sms_poc(tenant, number="+12125551000", skill=sms, carrier_account=account)
    agents = [f.agent(tenant, team=team, skills=[sms]) for _ in range(2)]
    return Line(tenant, poc, agents, f.admin(tenant))


def new_round(line, i):
    """Start a round: the previous round's rooms ended (a forced disconnect), both agents available,
    and a new contact's first text offered to one of them (the holder). Returns the room."""
    rooms.forced_disconnect(tenant=line.tenant, actor=line.admin)
    for agent in line.agents:
        acd_agents.agent_set_state(agent=User.objects.get(pk=agent.pk), state=AgentState.AVAILABLE)
    assert_load_consistent(*line.agents)
    # A MessageSid of its own kind: the fake Twilio numbers the texts it sends SM000…1, SM000…2, … as tests.hub.new_sid does.
    assert post_inbound(Client(), line.poc, f"+1415555{i:04d}", HELLO, sid=f"SMrace{i:028d}").status_code == 200
    room = Room.objects.get(tenant=line.tenant, contact_number=f"+1415555{i:04d}")
    assert room.state == RoomState.OFFERED
    line.holder = next(a for a in line.agents if a.pk == room.agent_id)
    line.other = next(a for a in line.agents if a.pk != room.agent_id)
    return room


def race(first, second, stagger):
    """Run both callables at once, each in its own thread and database connection; (result, result).
    An exception is returned as the result (the caller's assertions show it)."""
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(k, fn, delay):
        try:
            barrier.wait(timeout=30)
            if delay > 0:
                time.sleep(delay)
            results[k] = fn()
        except Exception as exc:  # noqa: BLE001 (reported by the caller)
            results[k] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(0, first, -stagger)), threading.Thread(target=run, args=(1, second, stagger))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a side of the race is stuck (deadlock?)"
    return results


def status_of(response):
    return response if isinstance(response, Exception) else response.status_code


def assert_load_consistent(*agents):
    """Each agent's cached load is the true count of the rooms they hold, within their limit, and
    the routable flag (and its copies on AgentSkill) follows from it."""
    for agent in User.objects.filter(pk__in=[a.pk for a in agents]):
        held = Room.objects.filter(agent_id=agent.pk, state__in=CAPACITY_ROOM_STATES).count()
        assert agent.held == held, (agent.username, agent.held, held)
        assert held <= agent.effective_session_limit
        assert agent.routable == capacity.agent_routable(agent, held)
        assert set(AgentSkill.objects.filter(agent=agent).values_list("agent_routable", flat=True)) == {agent.routable}


def transcript(room):
    return list(Message.objects.filter(room=room).order_by("created_at", "id").values_list("direction", "body"))


def accept(line, room):
    return line.api(line.holder).post(f"/api/v1/rooms/{room.pk}/accept/")


def accept_now(line, room, settings, session_timeout):
    """The holder accepts, the inactivity timer set to `session_timeout` (0: due at once); then the default again."""
    settings.CXSMS_SMS_SESSION_TIMEOUT = session_timeout
    assert accept(line, room).status_code == 200
    settings.CXSMS_SMS_SESSION_TIMEOUT = 7200


def report(name, orders):
    print(f"\n[race] {name}: {dict(orders)}")
    assert len(orders) == 2, f"{name}: only one order was seen in {ITERATIONS} rounds: {dict(orders)}"


def test_accept_against_offer_lapse(settings, line, errors):
    """The agent accepts just as the offer lapses: either the room is theirs (active, timer started)
    or it went to the other agent and the lapser became unavailable; never both, never neither."""
    orders = Counter()
    for i in range(ITERATIONS):
        settings.CXSMS_OFFER_TIMEOUT = 0  # the offer is due to lapse as soon as it is made
        room = new_round(line, i)
        settings.CXSMS_OFFER_TIMEOUT = 3600  # the next agent's offer does not lapse during the round
        accepted, swept = race(lambda room=room: accept(line, room), timers.sweep, stagger(i))
        room.refresh_from_db()
        holder = User.objects.get(pk=line.holder.pk)
        assert not isinstance(swept, Exception), swept
        if status_of(accepted) == 200:
            orders["accept first"] += 1
            assert swept["lapsed"] == 0
            assert room.state == RoomState.ACTIVE and room.agent_id == holder.pk and room.expires_at is not None
            assert holder.state == AgentState.AVAILABLE
            assert list(RoutingDecision.objects.filter(room=room).values_list("outcome", "agent_id")) == [("offered", holder.pk)]
        else:
            orders["lapse first"] += 1
            # refused: 400 when the request found the room still offered to them, 404 once it was offered to the other agent
            assert status_of(accepted) in (400, 404), accepted
            assert swept["lapsed"] == 1
            assert room.state == RoomState.OFFERED and room.agent_id == line.other.pk and room.accepted_at is None
            assert holder.state == AgentState.UNAVAILABLE
            assert list(RoutingDecision.objects.filter(room=room).order_by("id").values_list("outcome", "agent_id")) == [
                ("offered", holder.pk), ("lapsed", holder.pk), ("offered", line.other.pk)]
        assert_load_consistent(*line.agents)
        assert transcript(room) == [(Direction.INBOUND, HELLO)]
    report("accept against offer lapse", orders)
    assert errors() == []


def test_end_against_expiry(settings, line, errors):
    """The agent ends the room as its inactivity timer runs out: it closes once, for one reason."""
    orders = Counter()
    for i in range(ITERATIONS):
        room = new_round(line, i)
        accept_now(line, room, settings, session_timeout=0)
        ended, swept = race(lambda room=room: line.api(line.holder).post(f"/api/v1/rooms/{room.pk}/end/"), timers.sweep, stagger(i))
        room.refresh_from_db()
        assert not isinstance(swept, Exception), swept
        assert room.state == RoomState.CLOSED and room.agent_id == line.holder.pk and room.transcript_kept
        if status_of(ended) == 200:
            orders["end first"] += 1
            assert swept["expired"] == 0 and room.close_reason == CloseReason.ENDED_BY_AGENT
        else:
            orders["expiry first"] += 1
            assert status_of(ended) == 400, ended
            assert ended.json() == {"state": ["This interaction has already ended."]}
            assert swept["expired"] == 1 and room.close_reason == CloseReason.EXPIRED
        assert_load_consistent(*line.agents)
        assert transcript(room) == [(Direction.INBOUND, HELLO)]
    report("end against expiry", orders)
    assert errors() == []


def test_reject_against_accept(line, errors):
    """The agent's accept and reject (two tabs, one click each) arrive together: one of them wins."""
    orders = Counter()
    for i in range(ITERATIONS):
        room = new_round(line, i)
        rejected, accepted = race(lambda room=room: line.api(line.holder).post(f"/api/v1/rooms/{room.pk}/reject/"),
                                  lambda room=room: accept(line, room),
                                  stagger(i))
        room.refresh_from_db()
        holder = User.objects.get(pk=line.holder.pk)
        # the loser is refused: 400, or 404 when the room had already gone to the other agent
        assert sorted([status_of(rejected), status_of(accepted)]) in ([200, 400], [200, 404]), (rejected, accepted)
        if status_of(accepted) == 200:
            orders["accept first"] += 1
            assert room.state == RoomState.ACTIVE and room.agent_id == holder.pk
            assert list(RoutingDecision.objects.filter(room=room).values_list("outcome", flat=True)) == ["offered"]
        else:
            orders["reject first"] += 1
            assert room.state == RoomState.OFFERED and room.agent_id == line.other.pk and room.declined_by == [holder.pk]
            assert list(RoutingDecision.objects.filter(room=room).order_by("id").values_list("outcome", "agent_id")) == [
                ("offered", holder.pk), ("rejected", holder.pk), ("offered", line.other.pk)]
        assert holder.state == AgentState.AVAILABLE  # a reject does not make the agent unavailable
        assert_load_consistent(*line.agents)
        assert transcript(room) == [(Direction.INBOUND, HELLO)]
    report("reject against accept", orders)
    assert errors() == []


def test_send_against_expiry(settings, line, carrier, errors):
    """The agent sends as the room expires: the text is either stored in the active room (its timer
    reset) and sent to the contact once, or refused with the room closed; it is never stored in a
    closed room, nor stored without being sent, nor lost without an answer."""
    orders = Counter()
    for i in range(ITERATIONS):
        room = new_round(line, i)
        accept_now(line, room, settings, session_timeout=0)
        body = f"Still there? ({i})"
        sent, swept = race(lambda room=room, body=body: line.api(line.holder).post(f"/api/v1/rooms/{room.pk}/messages/", {"body": body},
                                                                                format="json"),
                           timers.sweep, stagger(i))
        room.refresh_from_db()
        assert not isinstance(swept, Exception), swept
        to_contact = [m["Body"] for m in carrier.to(room.contact_number)]
        if status_of(sent) == 201:
            orders["send first"] += 1
            assert swept["expired"] == 0
            assert room.state == RoomState.ACTIVE and room.expires_at > room.last_message_at  # the timer was reset
            assert transcript(room) == [(Direction.INBOUND, HELLO), (Direction.OUTBOUND, body)]
            message = Message.objects.get(room=room, direction=Direction.OUTBOUND)
            assert to_contact == [body] and message.carrier_sid and message.status == "queued"
        else:
            orders["expiry first"] += 1
            assert status_of(sent) == 400, sent
            assert "ended" in sent.json()["body"][0]  # the agent is told why
            assert swept["expired"] == 1 and room.state == RoomState.CLOSED and room.close_reason == CloseReason.EXPIRED
            assert transcript(room) == [(Direction.INBOUND, HELLO)] and to_contact == []
        assert_load_consistent(*line.agents)
    report("send against expiry", orders)
    assert errors() == []


def test_forced_disconnect_against_accept(line, errors):
    """An administrator's forced disconnect meets the agent's accept: the room ends either way, once,
    its transcript kept; the accept either came first (and the room was active) or is refused."""
    orders = Counter()
    for i in range(ITERATIONS):
        room = new_round(line, i)
        disconnected, accepted = race(lambda: line.api(line.admin).post("/api/v1/forced-disconnect/"), lambda room=room: accept(line, room),
                                      stagger(i))
        room.refresh_from_db()
        assert status_of(disconnected) == 200 and disconnected.json() == {"ended": 1}, disconnected
        assert room.state == RoomState.CLOSED and room.close_reason == CloseReason.FORCED_DISCONNECT and room.transcript_kept
        if status_of(accepted) == 200:
            orders["accept first"] += 1
            assert room.accepted_at is not None
        else:
            orders["disconnect first"] += 1
            assert status_of(accepted) == 400, accepted
            assert room.accepted_at is None
        assert_load_consistent(*line.agents)
        assert transcript(room) == [(Direction.INBOUND, HELLO)]
    report("forced disconnect against accept", orders)
    assert errors() == []
