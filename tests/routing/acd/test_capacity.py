"""R3/R4 through the engine that routes: the brief's Three Bears example of the shared chat/SMS limit.

Texts and chats arrive through the text hub (routing.texthub) and the engine offers them or queues
them; what a bear may still receive is what the engine gives them (its limit rule, capacity.agent_routable,
over the model's effective limit)."""
import itertools

import pytest
from django.core.exceptions import ValidationError

from routing import services
from routing.hub import inbound, rooms, webchat
from routing.acd import agents, capacity
from routing.choices import AgentState, Channel, RoomState
from routing.models import Room, User
from tests import factories as f

pytestmark = pytest.mark.django_db
_sid = itertools.count(1)
_contact = itertools.count(1000)


def hold(agent, poc, channel, n):
    """`n` active rooms held by the agent (test data), counted by the engine as it counts under its lock."""
    for _ in range(n):
        Room.objects.create(tenant=agent.tenant, channel=channel, point_of_contact=poc, state=RoomState.ACTIVE, agent=agent,
                            skill=poc.skill, contact_number=f"+1212555{next(_contact):04d}" if channel == Channel.SMS else "")
    capacity.recount(agent.pk)


def sms_arrives(w):
    """A new contact texts the tenant; returns the agent it was offered to, or None (queued)."""
    message, _ = inbound.inbound_sms(poc=w["sms_poc"], message_sid=f"SMcap{next(_sid):028d}", from_number=f"+1415555{next(_contact):04d}",
                                     body="Is the porridge too hot?")
    return Room.objects.get(pk=message.room_id).agent


def chat_arrives(w):
    room = webchat.chat_start(poc=w["chat_poc"], name="Goldilocks", body="Hello")
    return Room.objects.get(pk=room.pk).agent


def only_available(w, name):
    for bear in ("mama", "papa", "baby"):
        w[bear] = agents.agent_set_state(agent=User.objects.get(pk=w[bear].pk),
                                           state=AgentState.AVAILABLE if bear == name else AgentState.UNAVAILABLE)
    return w[name]


@pytest.fixture
def bears():
    t = f.tenant("Three Bears Porridge")
    team = f.team(t, "The Bears", session_limit=5)
    chat, sms = f.skill(t, "Chat", channel=Channel.CHAT), f.skill(t, "SMS")
    sms_poc, chat_poc = f.sms_poc(t, "+12125550160", skill=sms), f.chat_poc(t, "porridge", skill=chat)
    mama = f.agent(t, username="mama", team=team, skills=[chat, sms])
    papa = f.agent(t, username="papa", team=team, skills=[chat])
    baby = f.agent(t, username="baby", team=team, skills=[sms])
    hold(mama, chat_poc, Channel.CHAT, 2)
    hold(mama, sms_poc, Channel.SMS, 2)
    hold(papa, chat_poc, Channel.CHAT, 3)
    hold(baby, sms_poc, Channel.SMS, 4)
    return {"tenant": t, "team": team, "mama": mama, "papa": papa, "baby": baby, "sms_poc": sms_poc, "chat_poc": chat_poc}


def test_mama_bear_gets_one_more_of_either(bears):
    mama = only_available(bears, "mama")
    assert sms_arrives(bears) == mama
    assert chat_arrives(bears) is None and sms_arrives(bears) is None  # 5 of 5, chats and texts together
    assert User.objects.get(pk=mama.pk).held == 5


def test_mama_bears_fifth_can_be_a_chat(bears):
    mama = only_available(bears, "mama")
    assert chat_arrives(bears) == mama
    assert sms_arrives(bears) is None


def test_papa_bear_no_sms_and_two_more_chats(bears):
    papa = only_available(bears, "papa")
    assert sms_arrives(bears) is None
    assert [chat_arrives(bears) for _ in range(3)] == [papa, papa, None]


def test_baby_bear_no_chat_and_one_more_sms(bears):
    baby = only_available(bears, "baby")
    assert chat_arrives(bears) is None
    assert [sms_arrives(bears) for _ in range(2)] == [baby, None]


def test_an_ended_room_frees_a_slot_for_the_queued_one(bears):
    baby = only_available(bears, "baby")
    assert [sms_arrives(bears) for _ in range(2)] == [baby, None]
    waiting = Room.objects.get(tenant=bears["tenant"], state=RoomState.QUEUED, channel=Channel.SMS)
    rooms.room_end(room=Room.objects.filter(agent=baby, state=RoomState.ACTIVE).first(), actor=baby)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.agent_id) == (RoomState.OFFERED, baby.pk)


@pytest.mark.parametrize("override,expected_free", [(None, 1), (4, 0), (6, 2), (12, 8), (1, 0)])
def test_user_override_wins_over_team(bears, override, expected_free):
    baby = User.objects.get(pk=bears["baby"].pk)
    baby.session_limit = override
    services.user_save(user=baby)
    baby = only_available(bears, "baby")
    offered = [sms_arrives(bears) for _ in range(expected_free + 1)]
    assert offered == [baby] * expected_free + [None]


@pytest.mark.parametrize("limit", [1, 12])
def test_team_limit_edges(limit):
    t = f.tenant()
    sms = f.skill(t)
    team = f.team(t, session_limit=limit)
    a = f.agent(t, team=team, skills=[sms], state=AgentState.AVAILABLE)
    w = {"sms_poc": f.sms_poc(t, skill=sms)}
    hold(a, w["sms_poc"], Channel.SMS, limit - 1)
    assert [sms_arrives(w) for _ in range(2)] == [a, None]


@pytest.mark.parametrize("bad", [0, 13, 100])
def test_limit_out_of_range_is_refused_for_team_and_user(bad):
    t = f.tenant()
    with pytest.raises(ValidationError) as exc:
        f.team(t, session_limit=bad)
    assert "session_limit" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        f.agent(t, session_limit=bad)
    assert "session_limit" in exc.value.message_dict
