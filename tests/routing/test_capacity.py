"""R3/R4: the brief's Three Bears example is the first test of the shared chat/SMS limit."""
import pytest
from django.core.exceptions import ValidationError

from routing.capacity import agent_load, agent_may_receive
from routing.choices import Channel, RoomState
from routing.models import Room
from tests import factories as f

pytestmark = pytest.mark.django_db


def hold(agent, poc, channel, n):
    for i in range(n):
        Room.objects.create(tenant=agent.tenant, channel=channel, point_of_contact=poc, state=RoomState.ACTIVE, agent=agent,
                            contact_number=f"+1212555{1000 + Room.objects.count():04d}" if channel == Channel.SMS else "")


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
    return dict(tenant=t, team=team, mama=mama, papa=papa, baby=baby, sms_poc=sms_poc, chat_poc=chat_poc)


def test_mama_bear_gets_one_more_of_either(bears):
    mama = bears["mama"]
    assert agent_may_receive(mama, Channel.CHAT) and agent_may_receive(mama, Channel.SMS)
    hold(mama, bears["sms_poc"], Channel.SMS, 1)
    assert not agent_may_receive(mama, Channel.CHAT) and not agent_may_receive(mama, Channel.SMS)


def test_papa_bear_no_sms_and_two_more_chats(bears):
    papa = bears["papa"]
    assert not agent_may_receive(papa, Channel.SMS)
    assert agent_may_receive(papa, Channel.CHAT)
    hold(papa, bears["chat_poc"], Channel.CHAT, 1)
    assert agent_may_receive(papa, Channel.CHAT)
    hold(papa, bears["chat_poc"], Channel.CHAT, 1)
    assert not agent_may_receive(papa, Channel.CHAT)
    assert agent_load(papa).held == 5


def test_baby_bear_no_chat_and_one_more_sms(bears):
    baby = bears["baby"]
    assert not agent_may_receive(baby, Channel.CHAT)
    assert agent_may_receive(baby, Channel.SMS)
    hold(baby, bears["sms_poc"], Channel.SMS, 1)
    assert not agent_may_receive(baby, Channel.SMS)


def test_closed_rooms_free_capacity(bears):
    baby = bears["baby"]
    hold(baby, bears["sms_poc"], Channel.SMS, 1)
    Room.objects.filter(agent=baby).update(state=RoomState.CLOSED)
    assert agent_load(baby).held == 0 and agent_may_receive(baby, Channel.SMS)


@pytest.mark.parametrize("override,expected_free", [(None, 1), (4, 0), (6, 2), (12, 8), (1, 0)])
def test_user_override_wins_over_team(bears, override, expected_free):
    baby = bears["baby"]
    baby.session_limit = override
    baby.save()
    assert agent_load(baby).free == expected_free
    assert agent_may_receive(baby, Channel.SMS) is (expected_free > 0)


@pytest.mark.parametrize("limit", [1, 12])
def test_team_limit_edges(limit):
    t = f.tenant()
    sms = f.skill(t)
    team = f.team(t, session_limit=limit)
    a = f.agent(t, team=team, skills=[sms])
    poc = f.sms_poc(t, skill=sms)
    hold(a, poc, Channel.SMS, limit - 1)
    assert agent_may_receive(a, Channel.SMS)
    hold(a, poc, Channel.SMS, 1)
    assert not agent_may_receive(a, Channel.SMS)


@pytest.mark.parametrize("bad", [0, 13, 100])
def test_limit_out_of_range_is_refused_for_team_and_user(bad):
    t = f.tenant()
    with pytest.raises(ValidationError) as exc:
        f.team(t, session_limit=bad)
    assert "session_limit" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        f.agent(t, session_limit=bad)
    assert "session_limit" in exc.value.message_dict
