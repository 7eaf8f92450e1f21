"""The text hub's public seams (docs/architecture.md): a text sent without an agent's room, the
inbound hand-off by delivery mode, and SMS Messaging switched off (R1) where texts are used."""
import pytest
from django.core.exceptions import ValidationError

from routing.acd import offers
from routing.choices import CloseReason, Direction, MessageStatus, RoomState, SmsDelivery
from routing.hub import delivery, optout, outbound
from routing.ops import erasure
from routing.models import Message, PointOfContact, Room, RoutingDecision, Tenant
from tests import factories as f
from tests.api.conftest import client_for
from tests.hub import post_inbound

pytestmark = [pytest.mark.django_db]
CONTACT = "+12025550123"


@pytest.fixture
def line():
    t = f.tenant("Tuppence Travel")
    sms = f.skill(t, "SMS")
    poc = f.sms_poc(t, "+12125550160", skill=sms)
    agent = f.agent(t, username="tuppence", skills=[sms], state="available")
    return t, poc, agent


def test_a_text_without_a_room_is_stored_sent_and_kept_on_its_thread(line):
    t, poc, _ = line
    message = outbound.text_send(point_of_contact=poc, to_number=CONTACT, body="New itinerary: Lisbon in May!")
    message.refresh_from_db()
    assert message.room is None and message.point_of_contact == poc and message.contact_number == CONTACT
    assert message.direction == Direction.OUTBOUND and message.status == MessageStatus.DELIVERED  # the simulator carrier
    assert message.carrier_sid


def test_the_contacts_answer_opens_a_room_that_shows_the_text_it_answers(client, line):
    t, poc, agent = line
    sent = outbound.text_send(point_of_contact=poc, to_number=CONTACT, body="New itinerary: Lisbon in May!")
    post_inbound(client, poc, CONTACT, "Sounds great, tell me more")
    room = Room.objects.get(contact_number=CONTACT)
    assert room.state == RoomState.OFFERED and room.agent == agent
    r = client_for(agent).get(f"/api/v1/rooms/{room.pk}/messages/")
    bodies = [(m["direction"], m["body"]) for m in r.json()["results"]]
    assert bodies == [("outbound", sent.body), ("inbound", "Sounds great, tell me more")]


def test_nothing_is_sent_to_an_opted_out_number_and_the_reason_is_given(line):
    t, poc, _ = line
    optout.contact_set_opt_out(tenant_id=t.pk, number=CONTACT, opted_out=True)
    with pytest.raises(ValidationError) as exc:
        outbound.text_send(point_of_contact=poc, to_number=CONTACT, body="Hello")
    assert "opted out" in exc.value.message_dict["body"][0] and "START" in exc.value.message_dict["body"][0]
    assert not Message.objects.exists()


@pytest.mark.parametrize("body,reason", [("", "Type a message"), ("x" * 1601, "at most"), ("a\x00b", "not text")])
def test_a_bad_body_is_refused_and_nothing_is_stored(line, body, reason):
    _, poc, _ = line
    with pytest.raises(ValidationError) as exc:
        outbound.text_send(point_of_contact=poc, to_number=CONTACT, body=body)
    assert reason in exc.value.message_dict["body"][0]
    assert not Message.objects.exists()


# --- the inbound hand-off by delivery mode ---------------------------------------------------------

class RecordingMode(delivery.Mode):
    """A delivery mode as another app would register it: it receives the rooms handed to it."""
    name = SmsDelivery.DIGITAL

    def __init__(self):
        self.handed = []

    def hand_off(self, room, message, trigger):
        self.handed.append((room.pk, message.body, trigger))


def test_a_batch_is_checked_text_by_text_and_what_may_go_is_stored_and_sent(line):
    """texts_send (a campaign's batch): each text refused or sent as text_send would, in order; an
    erased opted-out contact is still refused (the opt-out is asked under the number's hash too)."""
    t, poc, _ = line
    optout.contact_set_opt_out(tenant_id=t.pk, number="+12025550124", opted_out=True)
    optout.contact_set_opt_out(tenant_id=t.pk, number="+12025550125", opted_out=True)
    erasure.contact_erase(tenant=t, number="+12025550125", actor=None)
    texts = [(CONTACT, "Lisbon in May!"), ("+12025550124", "Lisbon in May!"), ("+12025550125", "Lisbon in May!"),
             ("+12025550126", "  "), ("+12025550127", "x" * 1601), ("+12025550128", "Lisbon in May 🌞")]
    results = outbound.texts_send(point_of_contact=poc, texts=texts)
    refused = {texts[i][0]: r.message_dict["body"][0] for i, r in enumerate(results) if isinstance(r, ValidationError)}
    assert set(refused) == {"+12025550124", "+12025550125", "+12025550126", "+12025550127"}
    assert "opted out" in refused["+12025550124"] and "opted out" in refused["+12025550125"]
    assert "Type a message" in refused["+12025550126"] and "at most" in refused["+12025550127"]
    sent = {m.contact_number: m for m in Message.objects.all()}
    assert set(sent) == {CONTACT, "+12025550128"} and [results[0].pk, results[5].pk] == [sent[CONTACT].pk, sent["+12025550128"].pk]
    assert sent["+12025550128"].encoding == "ucs2" and sent[CONTACT].encoding == "gsm7"
    assert all(m.status == MessageStatus.DELIVERED and m.carrier_sid and m.room is None for m in sent.values())  # the outbox sent them


def test_a_batch_while_sms_is_off_stores_nothing(line):
    t, poc, _ = line
    Tenant.objects.filter(pk=t.pk).update(sms_messaging_enabled=False)
    poc.tenant.refresh_from_db()
    results = outbound.texts_send(point_of_contact=poc, texts=[(CONTACT, "Hello"), ("+12025550124", "Hello")])
    assert all("switched off" in r.message_dict["body"][0] for r in results) and not Message.objects.exists()


@pytest.fixture
def digital_mode(monkeypatch):
    mode = RecordingMode()
    monkeypatch.setitem(delivery._modes, SmsDelivery.DIGITAL, mode)
    return mode


def test_the_hub_hands_a_new_thread_to_the_tenants_delivery_mode(client, digital_mode):
    t = f.tenant("Young Adventurers", digital=True, delivery=SmsDelivery.DIGITAL)
    poc = f.sms_poc(t, "+12125550170")
    post_inbound(client, poc, CONTACT, "#ADVENTUREME hello")
    post_inbound(client, poc, CONTACT, "anyone?")  # the same thread: not handed again
    room = Room.objects.get(tenant=t)
    assert digital_mode.handed == [(room.pk, "#ADVENTUREME hello", "new text")]
    assert room.messages.count() == 2 and not RoutingDecision.objects.filter(room=room).exists()  # the ACD never saw it


def test_without_an_app_for_the_mode_the_text_is_kept_and_waits(client):
    t = f.tenant("Young Adventurers", digital=True, delivery=SmsDelivery.DIGITAL)
    poc = f.sms_poc(t, "+12125550170")
    assert post_inbound(client, poc, CONTACT, "hello").status_code == 200
    room = Room.objects.get(tenant=t)
    assert room.state == RoomState.QUEUED and room.messages.get().body == "hello"


# --- SMS Messaging switched off (R1) -------------------------------------------------------------

def test_a_text_while_sms_is_off_is_kept_but_neither_routed_nor_answered(client, line):
    t, poc, agent = line
    Tenant.objects.filter(pk=t.pk).update(sms_messaging_enabled=False)
    assert post_inbound(client, poc, CONTACT, "HELP").status_code == 200
    assert post_inbound(client, poc, "+12025550999", "is anyone there?").status_code == 200
    rooms = Room.objects.filter(tenant=t)
    assert {r.close_reason for r in rooms} == {CloseReason.SMS_OFF} and all(r.agent_id is None for r in rooms)
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()  # not even the HELP reply
    assert not RoutingDecision.objects.exists()
    client.force_login(f.admin(t))
    page = client.get("/console/")
    assert "2 texts arrived while SMS Messaging was off" in page.content.decode()


def test_an_agent_cannot_answer_once_sms_is_off(client, line):
    t, poc, agent = line
    post_inbound(client, poc, CONTACT, "hello")
    room = offers.room_accept(room=Room.objects.get(), agent=agent)
    Tenant.objects.filter(pk=t.pk).update(sms_messaging_enabled=False)
    r = client_for(agent).post(f"/api/v1/rooms/{room.pk}/messages/", {"body": "hi"}, format="json")
    assert r.status_code == 400 and "SMS Messaging is switched off" in r.json()["body"][0]
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    poc = PointOfContact.objects.select_related("tenant").get(pk=poc.pk)
    with pytest.raises(ValidationError):
        outbound.text_send(point_of_contact=poc, to_number=CONTACT, body="campaign")
