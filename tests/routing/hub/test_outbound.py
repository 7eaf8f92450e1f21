"""Outbound texts through the Twilio protocol against a fake Twilio on loopback: retries never
make a second SMS, permanent refusals reach the agent, encodings and segments are known."""
import base64
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from routing.hub import outbound, outbox, rooms
from routing.choices import Encoding, MessageStatus, RoomState
from routing.models import Contact, Room
from routing.sms import encoding_and_segments
from tests import factories as f
from tests.hub import FakeTwilio

# Also run in the PostgreSQL + Redis pass of make test (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.pg]
CONTACT = "+12025550123"
SID = "AC" + "3" * 32


@pytest.fixture
def fake(settings):
    fake = FakeTwilio()
    settings.CXSMS_TWILIO_API_BASE = fake.url
    settings.CXSMS_TWILIO_TIMEOUT = 0.5
    settings.CXSMS_PUBLIC_URL = "https://cxsms.example.com"
    yield fake
    fake.close()


@pytest.fixture
def room():
    t = f.tenant()
    sms = f.skill(t)
    poc = f.sms_poc(t, "+12125550160", skill=sms, carrier_account=f.carrier(t, provider="twilio", account_sid=SID, auth_token="tok"))
    agent = f.agent(t, team=f.team(t), skills=[sms], state="available")
    return Room.objects.create(tenant=t, channel="sms", point_of_contact=poc, contact_number=CONTACT, poc_number=poc.number,
                               state=RoomState.ACTIVE, agent=agent, expires_at=timezone.now() + timedelta(hours=2))


def later(seconds=120):
    return timezone.now() + timedelta(seconds=seconds)


def test_send_posts_twilios_protocol(fake, room):
    m = outbound.message_send(room=room, author=room.agent, body="Just right now.")
    m.refresh_from_db()
    assert m.status == MessageStatus.QUEUED and m.carrier_sid.startswith("SM")
    [req] = fake.requests
    assert req["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert base64.b64decode(req["auth"].split()[1]).decode() == f"{SID}:tok"
    assert (req["From"], req["To"], req["Body"]) == ("+12125550160", CONTACT, "Just right now.")
    assert req["StatusCallback"] == "https://cxsms.example.com/hooks/twilio/status/"


def test_5xx_is_retried_and_makes_one_sms(fake, room):
    fake.script = ["500", "500"]
    m = outbound.message_send(room=room, author=room.agent, body="retry me")
    m.refresh_from_db()
    assert m.status == MessageStatus.PENDING and m.error_code == "20500"
    outbox.outbox_retry(later())
    outbox.outbox_retry(later(240))
    m.refresh_from_db()
    assert m.status == MessageStatus.QUEUED
    assert len(fake.to(CONTACT)) == 1 and len(fake.requests) == 3


def test_timeout_is_checked_before_a_retry_so_no_second_sms(fake, room):
    fake.script = ["timeout"]  # Twilio creates the message but answers too late
    m = outbound.message_send(room=room, author=room.agent, body="did it go?")
    m.refresh_from_db()
    assert m.status == MessageStatus.PENDING and m.error_code == "timeout"
    outbox.outbox_retry(later())
    m.refresh_from_db()
    assert m.status == MessageStatus.QUEUED and m.carrier_sid == fake.sent[0]["sid"]
    assert len(fake.to(CONTACT)) == 1 and len(fake.requests) == 1


def test_timeout_that_never_reached_twilio_is_sent_again(fake, room, settings):
    settings.CXSMS_TWILIO_API_BASE = "http://127.0.0.1:9"  # nothing listens: the first attempt cannot reach Twilio
    m = outbound.message_send(room=room, author=room.agent, body="second chance")
    m.refresh_from_db()
    assert m.status == MessageStatus.PENDING
    settings.CXSMS_TWILIO_API_BASE = fake.url
    outbox.outbox_retry(later())
    m.refresh_from_db()
    assert m.status == MessageStatus.QUEUED and len(fake.to(CONTACT)) == 1


def test_permanent_refusal_21610_is_shown_and_opts_the_contact_out(fake, room):
    fake.script = ["21610"]
    m = outbound.message_send(room=room, author=room.agent, body="hello?")
    m.refresh_from_db()
    assert m.status == MessageStatus.FAILED and m.error_code == "21610" and "opted out" in m.error_message
    assert Contact.objects.get(number=CONTACT).opted_out
    with pytest.raises(ValidationError) as exc:
        outbound.message_send(room=room, author=room.agent, body="again")
    assert "opted out" in exc.value.message_dict["body"][0]
    assert len(fake.requests) == 1


def test_a_text_is_retried_a_bounded_number_of_times(fake, room):
    fake.script = ["500"] * 20
    m = outbound.message_send(room=room, author=room.agent, body="never")
    for i in range(1, 10):
        outbox.outbox_retry(later(120 * i))
    m.refresh_from_db()
    assert m.status == MessageStatus.FAILED and len(fake.requests) == outbox.MAX_SEND_ATTEMPTS


@pytest.mark.parametrize("body,encoding,segments", [
    ("a" * 160, Encoding.GSM7, 1), ("a" * 161, Encoding.GSM7, 2), ("a" * 306, Encoding.GSM7, 2), ("a" * 307, Encoding.GSM7, 3),
    ("{}" * 40, Encoding.GSM7, 1), ("{" * 81, Encoding.GSM7, 2), ("é ü ñ £ €", Encoding.GSM7, 1),
    ("🍯" * 35, Encoding.UCS2, 1), ("ç" * 70, Encoding.UCS2, 1), ("ç" * 71, Encoding.UCS2, 2), ("ç" * 135, Encoding.UCS2, 3),
])
def test_encoding_and_segments(body, encoding, segments):
    assert encoding_and_segments(body) == (encoding, segments)


def test_stored_messages_know_their_encoding(fake, room):
    m = outbound.message_send(room=room, author=room.agent, body="Porridge 🥣 ready")
    assert (m.encoding, m.segments) == (Encoding.UCS2, 1)


def test_only_the_rooms_agent_sends_and_only_in_an_active_room(fake, room):
    from django.core.exceptions import PermissionDenied

    other = f.agent(room.tenant)
    with pytest.raises(PermissionDenied):
        outbound.message_send(room=room, author=other, body="not mine")
    with pytest.raises(ValidationError):
        outbound.message_send(room=room, author=room.agent, body="   ")
    rooms.room_end(room=room, actor=room.agent)
    with pytest.raises(ValidationError) as exc:
        outbound.message_send(room=room, author=room.agent, body="too late")
    assert "ended" in exc.value.message_dict["body"][0]
    assert fake.requests == []
