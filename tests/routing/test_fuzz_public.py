"""Fuzz pass over the endpoints anyone can reach (issue 12): the anonymous web chat and the carrier
webhooks, correctly signed, so the generated bodies get past the signature check to the parsing and
the services. Never a 5xx (the test client raises the view's exception if one escapes), and a
refused request (4xx) changes nothing. The REST API has its own schemathesis pass
(tests/api/test_schemathesis.py)."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from routing.hub import outbound
from routing.acd import offers
from routing.choices import Channel
from routing.models import Message, Room
from tests import factories as f
from tests.hub import SMS_URL, STATUS_URL, inbound_params, post_inbound

pytestmark = [pytest.mark.django_db, pytest.mark.pg]  # also on PostgreSQL: it refuses what SQLite stores (a NUL in text)
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ_MORE = settings(FUZZ, max_examples=150)  # the chat: cheap requests, and the widest input

# Values a careless or hostile client sends: other scripts' digits, control characters, empty, at and past the body limit.
ODD_STRINGS = st.sampled_from(["", " ", "١٢٣٤٥", "１２３４５", "²", "𝟙𝟚𝟛", "\x00", "\u202e", "a" * 1600, "a" * 1601, "😀" * 900,
                               "+12025550123", "+1202555012３", "STOP", "null", "[]", "{}", "-1", "1e309", "NaN"])
STRINGS = st.one_of(ODD_STRINGS, st.builds(str.__add__, st.text(max_size=20), ODD_STRINGS), st.text(max_size=40),
                    st.text(st.characters(codec="utf-8"), max_size=300))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), STRINGS)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(STRINGS, inner, max_size=4), max_leaves=12)


def nested(depth):
    return "[" * depth + "]" * depth


CHAT_JSON = st.one_of(
    st.fixed_dictionaries({"body": STRINGS}, optional={"name": STRINGS}).map(json.dumps),  # well-formed, odd text
    st.fixed_dictionaries({}, optional={"name": JSON_VALUES, "body": JSON_VALUES, "token": JSON_VALUES}).map(json.dumps),
    JSON_VALUES.map(json.dumps),
    st.sampled_from([nested(50), nested(5000), nested(100_000), '{"body": ' + nested(3000) + "}",
                     "{", "", "\xff\xfe", '{"body": "\ud800"}']),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)
FORM = st.one_of(st.fixed_dictionaries({"body": STRINGS}, optional={"name": STRINGS}),
                 st.dictionaries(st.sampled_from(["name", "body", "token", ""]) | STRINGS, STRINGS, max_size=4))
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded"])

# Whole-number fields: superscripts and other scripts' digits pass str.isdigit() and then int() fails or reads them.
NUMBERS = st.one_of(st.sampled_from(["²", "³", "١", "１", "𝟙", "-1", "1.5", "", " 1", "9" * 30]), st.integers(-5, 10**20).map(str), STRINGS)
TWILIO_KEYS = ["MessageSid", "SmsSid", "AccountSid", "From", "To", "Body", "NumMedia", "NumSegments",
               "MessageStatus", "SmsStatus", "ErrorCode"]


def twilio_params(data, valid):
    """The valid request with up to three fields dropped or fuzzed (more, and nearly every request would stop at the first check)."""
    params = dict(valid)
    for key in data.draw(st.lists(st.sampled_from(TWILIO_KEYS), max_size=3, unique=True)):
        value = data.draw(st.none() | (NUMBERS if key in ("NumMedia", "NumSegments", "ErrorCode") else STRINGS))
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params


@pytest.fixture
def hub():
    t = f.tenant("Three Bears Porridge", slug="three-bears")
    sms, chat = f.skill(t, "Porridge SMS"), f.skill(t, "Porridge Chat", channel=Channel.CHAT)
    poc = f.sms_poc(t, "+12125550160", skill=sms)
    f.chat_poc(t, "porridge", skill=chat)
    agent = f.agent(t, team=f.team(t, session_limit=12), skills=[sms, chat], state="available")
    return t, poc, agent


def snapshot():
    return (list(Room.objects.order_by("id").values_list("id", "state", "skill_id", "agent_id", "contact_name")),
            list(Message.objects.order_by("id").values_list("id", "status", "body", "carrier_sid")))


def check(response, before):
    assert response.status_code < 500, response.content[:500]
    if 400 <= response.status_code < 500:
        assert snapshot() == before, "a refused request changed something"


@FUZZ_MORE
@given(data=st.one_of(CHAT_JSON.map(lambda body: ("json", body)), FORM.map(lambda form: ("form", form))), content_type=CONTENT_TYPES)
def test_fuzz_chat_start(client, hub, data, content_type):
    kind, payload = data
    before = snapshot()
    if kind == "json":
        response = client.post("/chat/porridge/", payload.encode("utf-8", "surrogatepass"), content_type=content_type)
    else:
        response = client.post("/chat/porridge/", payload)
    check(response, before)
    if response.status_code == 201:
        assert Room.objects.filter(chat_token=response.json()["token"]).exists()


@FUZZ
@given(data=st.one_of(CHAT_JSON.map(lambda body: ("json", body)), FORM.map(lambda form: ("form", form))), content_type=CONTENT_TYPES,
       real_token=st.booleans(), token=st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=40))
def test_fuzz_chat_messages(client, hub, data, content_type, real_token, token):
    if real_token:
        token = Room.objects.filter(chat_token__gt="").values_list("chat_token", flat=True).first() or client.post(
            "/chat/porridge/", {"name": "G", "body": "hello"}, content_type="application/json").json()["token"]
    kind, payload = data
    before = snapshot()
    url = f"/chat/porridge/{token}/messages/"
    if kind == "json":
        response = client.post(url, payload.encode("utf-8", "surrogatepass"), content_type=content_type)
    else:
        response = client.post(url, payload)
    check(response, before)


def signed(client, url, account, params):
    signature = RequestValidator(account.auth_token).compute_signature(url, params)
    return client.post(url.removeprefix("http://testserver"), params, HTTP_X_TWILIO_SIGNATURE=signature)


@FUZZ
@given(data=st.data())
def test_fuzz_signed_inbound_sms(client, hub, data):
    _t, poc, _agent = hub
    params = twilio_params(data, inbound_params(poc, "+12025550123", "hello"))
    params.update(data.draw(st.dictionaries(st.text(st.characters(codec="ascii", categories=["L"]), min_size=1, max_size=12),
                                            STRINGS, max_size=2)))
    before = snapshot()
    check(signed(client, SMS_URL, poc.carrier_account, params), before)


@FUZZ
@given(data=st.data())
def test_fuzz_signed_status_callback(client, hub, data):
    _t, poc, agent = hub
    sent = Message.objects.filter(direction="outbound").exclude(carrier_sid="").first()
    if sent is None:
        post_inbound(client, poc, "+12025550123", "hello")
        room = offers.room_accept(room=Room.objects.get(channel=Channel.SMS), agent=agent)
        sent = outbound.message_send(room=room, author=agent, body="Hello from Three Bears")
        sent.refresh_from_db()
    valid = {"MessageSid": sent.carrier_sid, "AccountSid": poc.carrier_account.account_sid, "To": "+12025550123", "From": poc.number,
             "MessageStatus": "delivered", "SmsStatus": "delivered"}
    params = twilio_params(data, valid)
    params["MessageStatus"] = data.draw(st.sampled_from(["queued", "sent", "delivered", "undelivered", "failed", "read", ""]) | STRINGS)
    before = snapshot()
    check(signed(client, STATUS_URL, poc.carrier_account, params), before)
