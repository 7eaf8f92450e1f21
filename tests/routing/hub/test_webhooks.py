"""Inbound webhook and status callbacks through HTTP, signed with the real twilio library."""
import pytest

from routing.choices import MessageStatus, RoomState
from routing.models import Message, Room
from tests import factories as f
from tests.hub import new_sid, post_inbound, post_status

# Also run in the PostgreSQL + Redis pass of make test (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.pg]
CONTACT = "+12025550123"


@pytest.fixture
def line():
    t = f.tenant()
    sms = f.skill(t, "SMS")
    poc = f.sms_poc(t, "+12125550160", skill=sms, carrier_account=f.carrier(t, provider="twilio", account_sid="AC" + "1" * 32,
                                                                                auth_token="secret-token"))
    agent = f.agent(t, team=f.team(t), skills=[sms], state="available")
    return t, poc, agent


def counts():
    return Message.objects.count(), Room.objects.count()


def test_signed_text_is_stored_routed_and_answered_with_empty_twiml(client, line):
    _, poc, agent = line
    r = post_inbound(client, poc, CONTACT, "Is the porridge too hot?")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/xml") and b"<Response></Response>" in r.content
    m = Message.objects.get()
    assert m.body == "Is the porridge too hot?" and m.room.contact_number == CONTACT and m.room.poc_number == poc.number
    assert m.room.state == RoomState.OFFERED and m.room.agent == agent


@pytest.mark.parametrize("how", ["unsigned", "wrong token", "tampered"])
def test_forged_requests_are_refused_and_write_nothing(client, line, how):
    _, poc, _ = line
    before = counts()
    if how == "unsigned":
        r = post_inbound(client, poc, CONTACT, "hi", sign=False)
    elif how == "wrong token":
        r = post_inbound(client, poc, CONTACT, "hi", token="not-the-token")
    else:
        from twilio.request_validator import RequestValidator
        from tests.hub import SMS_URL, inbound_params

        params = inbound_params(poc, CONTACT, "hi")
        sig = RequestValidator("secret-token").compute_signature(SMS_URL, params)
        params["Body"] = "changed after signing"
        r = client.post("/hooks/twilio/sms/", params, HTTP_X_TWILIO_SIGNATURE=sig)
    assert r.status_code == 403
    assert counts() == before


def test_unknown_number_is_refused(client, line):
    t, poc, _ = line
    from tests.hub import SMS_URL, inbound_params
    from twilio.request_validator import RequestValidator

    params = inbound_params(poc, CONTACT, "hi")
    params["To"] = "+12125550199"
    sig = RequestValidator("secret-token").compute_signature(SMS_URL, params)
    assert client.post("/hooks/twilio/sms/", params, HTTP_X_TWILIO_SIGNATURE=sig).status_code == 403
    assert counts() == (0, 0)


def test_another_tenants_token_cannot_sign_for_this_number(client, line):
    _, poc, _ = line
    other = f.tenant()
    f.sms_poc(other, "+12125550161",
              carrier_account=f.carrier(other, provider="twilio", account_sid="AC" + "2" * 32, auth_token="other-token"))
    assert post_inbound(client, poc, CONTACT, "hi", token="other-token").status_code == 403
    assert counts() == (0, 0)


def test_signature_uses_the_public_https_url_behind_a_proxy(client, line, settings):
    _, poc, _ = line
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    from tests.hub import inbound_params
    from twilio.request_validator import RequestValidator

    params = inbound_params(poc, CONTACT, "via proxy")
    sig = RequestValidator("secret-token").compute_signature("https://testserver/hooks/twilio/sms/", params)
    r = client.post("/hooks/twilio/sms/", params, HTTP_X_TWILIO_SIGNATURE=sig, HTTP_X_FORWARDED_PROTO="https")
    assert r.status_code == 200
    # the same signature over the internal http URL would not pass
    assert counts()[0] == 1


def test_repeated_message_sid_is_stored_and_routed_once(client, line):
    _, poc, _ = line
    sid = new_sid()
    for _ in range(3):
        assert post_inbound(client, poc, CONTACT, "once", sid=sid).status_code == 200
    assert counts() == (1, 1)
    assert Room.objects.get().decisions.count() == 1


@pytest.mark.parametrize("field,value", [("Body", "x" * 1601), ("From", "not-a-number"), ("MessageSid", ""), ("NumMedia", "two")])
def test_malformed_fields_get_400_and_write_nothing(client, line, field, value):
    _, poc, _ = line
    from tests.hub import inbound_params

    params = inbound_params(poc, CONTACT, "hi")
    params[field] = value
    r = post_inbound(client, poc, CONTACT, "hi", params=params)
    assert r.status_code == 400
    assert field in r.json()["errors"]
    assert counts() == (0, 0)


def test_messages_join_the_open_room_in_order(client, line):
    _, poc, _ = line
    for body in ["one", "two", "three"]:
        post_inbound(client, poc, CONTACT, body)
    room = Room.objects.get()
    assert [m.body for m in room.messages.all()] == ["one", "two", "three"]
    post_inbound(client, poc, "+12025550124", "other contact")
    assert Room.objects.count() == 2


def _sent_message(line):
    t, poc, agent = line
    room = Room.objects.create(tenant=t, channel="sms", point_of_contact=poc, contact_number=CONTACT, poc_number=poc.number,
                               state=RoomState.ACTIVE, agent=agent)
    return Message.objects.create(room=room, tenant=t, direction="outbound", body="hi", carrier_sid="SMout1", status=MessageStatus.QUEUED)


@pytest.mark.parametrize("order", [
    ["sent", "delivered", "read"], ["delivered", "sent", "queued"], ["read", "delivered", "sent"], ["sent", "failed", "delivered"],
    ["delivered", "queued", "sent", "read", "sent"],
])
def test_status_callbacks_only_move_forward(client, line, order):
    _, poc, _ = line
    m = _sent_message(line)
    rank = {"queued": 2, "sent": 3, "delivered": 4, "undelivered": 4, "failed": 4, "read": 5}
    best = "queued"
    for status in order:
        assert post_status(client, poc, "SMout1", status).status_code == 204
        if rank[status] > rank[best]:
            best = status
        m.refresh_from_db()
        assert m.status == best, (order, status)


def test_status_callback_must_be_signed(client, line):
    _, poc, _ = line
    m = _sent_message(line)
    r = post_status(client, poc, "SMout1", "delivered", token="forged")
    assert r.status_code == 403
    m.refresh_from_db()
    assert m.status == MessageStatus.QUEUED


def test_status_21610_marks_the_contact_opted_out(client, line):
    t, poc, _ = line
    _sent_message(line)
    post_status(client, poc, "SMout1", "failed", error_code="21610")
    from routing.models import Contact

    assert Contact.objects.get(tenant=t, number=CONTACT).opted_out
