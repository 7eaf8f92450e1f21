"""R17: opt-out keywords, one confirmation, START/HELP, and nothing sent to an opted-out number."""
import pytest
from django.core.exceptions import ValidationError

from routing.hub import outbound
from routing.acd import offers
from routing.acd import outbound as acd_outbound
from routing.choices import Direction, RoomState
from routing.models import Contact, Message, Room
from tests import factories as f
from tests.hub import post_inbound

# Also run in the PostgreSQL + Redis pass of make test (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.pg]
CONTACT = "+12025550123"


@pytest.fixture
def line():
    t = f.tenant(help_reply="Porridge help: call 555-0100.", opt_out_reply="Unsubscribed. Reply START to resubscribe.",
                 opt_in_reply="Welcome back.")
    sms, out = f.skill(t), f.skill(t, direction="outbound")
    poc = f.sms_poc(t, "+12125550160", skill=sms)
    agent = f.agent(t, team=f.team(t), skills=[sms, out], state="available")
    return t, poc, agent


def replies(body=None):
    qs = Message.objects.filter(direction=Direction.OUTBOUND, automatic=True)
    return [m.body for m in qs] if body is None else qs.filter(body=body).count()


def opted_out(t):
    c = Contact.objects.filter(tenant=t, number=CONTACT).first()
    return bool(c and c.opted_out)


@pytest.mark.parametrize("word", ["STOP", "stop", "  Stop  ", "STOPALL", "UNSUBSCRIBE", "cancel", "END", "QUIT", "REVOKE", "OPTOUT"])
def test_each_opt_out_keyword_opts_out_with_one_confirmation(client, line, word):
    t, poc, _ = line
    post_inbound(client, poc, CONTACT, word)
    assert opted_out(t)
    assert replies() == ["Unsubscribed. Reply START to resubscribe."]
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.body == word  # still stored and shown


@pytest.mark.parametrize("body", ["stop please", "STOP!", "don't stop", "S T O P", "unsubscribe me"])
def test_only_exact_single_words_count(client, line, body):
    t, poc, _ = line
    post_inbound(client, poc, CONTACT, body)
    assert not opted_out(t) and replies() == []


@pytest.mark.parametrize("word", ["START", "yes", "UNSTOP"])
def test_start_opts_back_in(client, line, word):
    t, poc, _ = line
    post_inbound(client, poc, CONTACT, "STOP")
    post_inbound(client, poc, CONTACT, word)
    assert not opted_out(t)
    assert replies("Welcome back.") == 1


@pytest.mark.parametrize("word", ["HELP", "info"])
def test_help_gets_the_tenants_help_reply(client, line, word):
    t, poc, _ = line
    post_inbound(client, poc, CONTACT, word)
    assert replies() == ["Porridge help: call 555-0100."] and not opted_out(t)


def test_a_lone_keyword_is_kept_in_transcripts_but_not_routed(client, line):
    _, poc, _ = line
    post_inbound(client, poc, CONTACT, "STOP")
    room = Room.objects.get()
    assert room.state == RoomState.CLOSED and room.decisions.count() == 0 and room.transcript_kept


def test_stop_inside_a_conversation_reaches_the_agent_and_blocks_replies(client, line):
    t, poc, agent = line
    post_inbound(client, poc, CONTACT, "Hi, about my order")
    room = offers.room_accept(room=Room.objects.get(), agent=agent)
    post_inbound(client, poc, CONTACT, "STOP")
    assert [m.body for m in room.messages.filter(direction=Direction.INBOUND)] == ["Hi, about my order", "STOP"]
    with pytest.raises(ValidationError) as exc:
        outbound.message_send(room=room, author=agent, body="Sorry to see you go")
    assert "opted out" in exc.value.message_dict["body"][0]
    with pytest.raises(ValidationError) as exc:
        acd_outbound.room_open_outbound(agent=agent, point_of_contact=poc, contact_number=CONTACT, body="Come back")
    assert "opted out" in str(exc.value)
    assert replies() == ["Unsubscribed. Reply START to resubscribe."]


def test_opt_out_is_per_tenant(client, line):
    t, poc, _ = line
    post_inbound(client, poc, CONTACT, "STOP")
    t2 = f.tenant()
    assert not Contact.objects.filter(tenant=t2, number=CONTACT, opted_out=True).exists()
