"""R6 and the webhook contract under real concurrency on PostgreSQL: a carrier retrying the same
MessageSid in parallel stores one message, opens one room and routes it once; two texts of one
contact arriving at once end in one room (the second joins the first)."""
import logging
from collections import Counter

import pytest
from django.test import Client

from routing.choices import AgentState, RoomState
from routing.models import Message, Room, RoutingDecision, User
from tests import factories as f
from tests.hub import new_sid, post_inbound
from tests.pg.test_routing_concurrency import ensure_us, run_parallel

# tests/pg/conftest.py skips `pg` tests on SQLite (the first pass of make test).
pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hub(caplog):
    caplog.set_level(logging.WARNING)
    ensure_us()
    tenant = f.tenant("Retry Co")
    team = f.team(tenant, "Everyone", session_limit=5)
    sms = f.skill(tenant, "SMS")
    poc = f.sms_poc(tenant, "+12125550160", skill=sms)
    agents = [f.agent(tenant, username=f"agent{i}", team=team, skills=[sms], state=AgentState.AVAILABLE) for i in range(3)]
    errors = lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]  # noqa: E731
    return tenant, poc, agents, errors


def test_twenty_copies_of_one_message_sid(hub):
    tenant, poc, agents, errors = hub
    sid = new_sid()
    statuses = run_parallel([lambda: post_inbound(Client(), poc, "+14155550101", "Hello once", sid=sid).status_code] * 20, workers=20)
    assert Counter(statuses) == {200: 20}, statuses
    assert Message.objects.filter(carrier_sid=sid).count() == 1
    assert Message.objects.filter(tenant=tenant).count() == 1
    room = Room.objects.get(tenant=tenant)
    assert room.state == RoomState.OFFERED and room.agent_id in {a.pk for a in agents}
    assert RoutingDecision.objects.filter(room=room).count() == 1
    assert errors() == []


@pytest.mark.parametrize("round_", range(5))
def test_two_texts_of_one_contact_at_once_share_one_room(hub, round_):
    tenant, poc, agents, errors = hub
    contact = "+1415555%04d" % (200 + round_)
    statuses = run_parallel([lambda: post_inbound(Client(), poc, contact, "first?").status_code,
                             lambda: post_inbound(Client(), poc, contact, "second?").status_code], workers=2)
    assert statuses == [200, 200]
    room = Room.objects.get(tenant=tenant, contact_number=contact)  # exactly one
    assert sorted(room.messages.values_list("body", flat=True)) == ["first?", "second?"]
    assert room.state == RoomState.OFFERED
    assert RoutingDecision.objects.filter(room=room).count() == 1
    assert errors() == []


def test_many_contacts_each_texting_twice_at_once(hub):
    tenant, poc, agents, errors = hub
    contacts = ["+1415556%04d" % i for i in range(15)]
    jobs = [lambda c=c, n=n: post_inbound(Client(), poc, c, f"text {n}").status_code for c in contacts for n in (1, 2, 3)]
    assert set(run_parallel(jobs, workers=24)) == {200}
    rooms = Room.objects.filter(tenant=tenant)
    assert rooms.count() == len(contacts)
    assert all(r.messages.count() == 3 for r in rooms)
    assert Counter(rooms.values_list("state", flat=True)) == {RoomState.OFFERED: 15}  # 3 agents x 5
    # each agent at exactly the limit (15 offers in all could also be 7 + 5 + 3: scripts/mutate.py no-agent-lock)
    assert Counter(rooms.values_list("agent_id", flat=True)) == {a.pk: 5 for a in agents}
    assert all(a.held == 5 for a in User.objects.filter(pk__in=[a.pk for a in agents]))
    assert RoutingDecision.objects.filter(room__tenant=tenant).count() == 15
    assert errors() == []
