"""The carrier webhooks' short way through the ASGI application (routing/hub_asgi.py): the same
answers and the same refusals as through Django's handler, nothing written when refused, and
every other request still handled by Django."""
import urllib.parse

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from twilio.request_validator import RequestValidator

from cxsms_site.asgi import application
from routing.choices import MessageStatus, RoomState
from routing.models import Message, Room
from tests.hub import SMS_URL, STATUS_URL, inbound_params, new_sid

pytest_plugins = ["tests.routing.hub.test_webhooks"]  # its `line` fixture: the same tenant, number and agent

# The view runs in a worker thread with its own connection: the data must be committed.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.pg]
CONTACT = "+12025550123"


async def _post(path, params, *, signature=None, host="testserver", body=None, method="POST"):
    body = urllib.parse.urlencode(params).encode() if body is None else body
    headers = [(b"host", host.encode()), (b"content-type", b"application/x-www-form-urlencoded")]
    if signature is not None:
        headers.append((b"x-twilio-signature", signature.encode()))
    communicator = HttpCommunicator(application, method, path, body=body, headers=headers)
    try:
        response = await communicator.get_response(timeout=10)
    finally:
        await communicator.wait()
    return response["status"], dict(response["headers"]), response["body"]


def post(*args, **kwargs):
    # The test's data stays on this thread's connection; the application runs on an event loop of its own.
    return async_to_sync(_post)(*args, **kwargs)


def _signed(url, params, token="secret-token"):
    return RequestValidator(token).compute_signature(url, params)


def _counts():
    return Message.objects.count(), Room.objects.count()


def test_signed_text_is_stored_routed_and_answered(line):
    _, poc, agent = line
    params = inbound_params(poc, CONTACT, "Is the porridge too hot?")
    status, headers, body = post("/hooks/twilio/sms/", params, signature=_signed(SMS_URL, params))
    assert status == 200 and headers[b"Content-Type"].startswith(b"text/xml") and b"<Response></Response>" in body
    message = Message.objects.select_related("room").get()
    assert message.body == "Is the porridge too hot?" and message.room.contact_number == CONTACT
    assert message.room.state == RoomState.OFFERED and message.room.agent_id == agent.pk


def test_a_repeated_message_sid_is_stored_once(line):
    _, poc, _ = line
    params = inbound_params(poc, CONTACT, "once", sid=new_sid())
    for _ in range(3):
        status, _headers, _body = post("/hooks/twilio/sms/", params, signature=_signed(SMS_URL, params))
        assert status == 200
    assert Message.objects.count() == 1 and Room.objects.count() == 1


@pytest.mark.parametrize("how", ["unsigned", "wrong token", "tampered", "unknown number"])
def test_forged_requests_are_refused_and_write_nothing(line, how):
    _, poc, _ = line
    params = inbound_params(poc, CONTACT, "hi")
    signature = None if how == "unsigned" else _signed(SMS_URL, params, "not-the-token" if how == "wrong token" else "secret-token")
    if how == "tampered":
        params["Body"] = "give me a refund"
    if how == "unknown number":
        params["To"] = "+12125550199"
    status, _headers, body = post("/hooks/twilio/sms/", params, signature=signature)
    assert status == 403 and body
    assert Message.objects.count() == 0 and Room.objects.count() == 0


def test_malformed_input_gets_a_clear_error_and_writes_nothing(line):
    _, poc, _ = line
    params = inbound_params(poc, "not a number", "hi")
    status, _headers, body = post("/hooks/twilio/sms/", params, signature=_signed(SMS_URL, params))
    assert status == 400 and b"E.164" in body
    assert Message.objects.count() == 0


def test_an_oversized_body_is_refused_before_it_is_read_whole(line, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    _, poc, _ = line
    params = inbound_params(poc, CONTACT, "x" * 5000)
    status, _headers, body = post("/hooks/twilio/sms/", params, signature=_signed(SMS_URL, params))
    assert status == 413 and b"4096 bytes" in body
    assert Message.objects.count() == 0


def test_a_host_not_allowed_is_refused(line):
    _, poc, _ = line
    params = inbound_params(poc, CONTACT, "hi")
    status, _headers, _body = post("/hooks/twilio/sms/", params, signature=_signed("http://evil.example/hooks/twilio/sms/", params),
                                          host="evil.example")
    assert status == 400
    assert Message.objects.count() == 0


def test_status_callback_moves_the_status_forward(line):
    _, poc, agent = line
    params = inbound_params(poc, CONTACT, "hello")
    post("/hooks/twilio/sms/", params, signature=_signed(SMS_URL, params))
    room = Room.objects.get()
    sid = "SM" + "9" * 32
    Message.objects.create(room=room, tenant_id=room.tenant_id, direction="outbound", body="hi", carrier_sid=sid,
                                  status=MessageStatus.SENT)
    callback = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC" + "1" * 32}
    status, _headers, _body = post("/hooks/twilio/status/", callback, signature=_signed(STATUS_URL, callback))
    assert status == 204
    assert Message.objects.get(carrier_sid=sid).status == MessageStatus.DELIVERED
    forged = dict(callback, MessageStatus="failed")
    status, _headers, _body = post("/hooks/twilio/status/", forged, signature=_signed(STATUS_URL, forged, "wrong"))
    assert status == 403
    assert Message.objects.get(carrier_sid=sid).status == MessageStatus.DELIVERED


def test_everything_else_still_goes_through_django(line):
    # A GET of the webhook: Django's require_POST answers 405; a POST elsewhere meets the CSRF check.
    status, _headers, _body = post("/hooks/twilio/sms/", {}, method="GET")
    assert status == 405
    status, _headers, _body = post("/login/", {"username": "x", "password": "y"})
    assert status == 403
