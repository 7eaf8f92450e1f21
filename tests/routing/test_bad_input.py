"""Issue 12, item 6: bad input gets a clear 4xx (never a 500) and changes nothing, through HTTP."""
import html
import re

import pytest
from django.urls import reverse
from twilio.request_validator import RequestValidator

from routing.choices import Channel
from routing.models import Message, PointOfContact, Room, Team
from tests import factories as f
from tests.api.conftest import client_for
from tests.hub import SMS_URL, inbound_params, post_inbound

pytestmark = [pytest.mark.django_db, pytest.mark.pg]  # also on PostgreSQL: it refuses what SQLite stores (a NUL in text)
DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"name": "G", "body": ' + "[" * 5000 + "]" * 5000 + "}"
CONTACT = "+12025550123"


@pytest.fixture
def line():
    t = f.tenant("Three Bears Porridge", slug="three-bears")
    sms, chat = f.skill(t, "Porridge SMS"), f.skill(t, "Porridge Chat", channel=Channel.CHAT)
    carrier = f.carrier(t, provider="twilio", account_sid="AC" + "1" * 32, auth_token="secret-token")
    poc = f.sms_poc(t, "+12125550160", skill=sms, carrier_account=carrier)
    chat_poc = f.chat_poc(t, "porridge", skill=chat)
    admin = f.admin(t, username="tiffany", team=f.team(t))
    return dict(tenant=t, sms=sms, chat=chat, carrier=carrier, poc=poc, chat_poc=chat_poc, admin=admin)


def counts():
    return Message.objects.count(), Room.objects.count()


def text(response):
    return html.unescape(response.content.decode())


# --- deeply nested JSON ----------------------------------------------------------------------------

@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
def test_deeply_nested_json_to_the_anonymous_chat_is_a_400(client, line, body):
    r = client.post("/chat/porridge/", body, content_type="application/json")
    assert r.status_code == 400 and r.json()["errors"] == {"__all__": ["The JSON body is nested too deeply."]}
    r = client.post("/chat/porridge/", '{"name": "G", "body": [[["hello"]]]}', content_type="application/json")
    assert r.status_code == 400 and r.json()["errors"] == {"body": ["The message must be text."]}
    assert counts() == (0, 0)
    token = client.post("/chat/porridge/", {"name": "G", "body": "hello"}, content_type="application/json").json()["token"]
    before = counts()
    r = client.post(f"/chat/porridge/{token}/messages/", DEEP, content_type="application/json")
    assert r.status_code == 400 and r.json()["errors"]["__all__"] == ["The JSON body is nested too deeply."]
    assert counts() == before


def test_deeply_nested_json_to_the_api_is_a_400(line):
    api = client_for(line["admin"])
    r = api.post("/api/v1/teams/", DEEP, content_type="application/json")
    assert r.status_code == 400 and r.json() == {"detail": "The JSON body is nested too deeply."}
    r = api.patch(f"/api/v1/points-of-contact/{line['poc'].pk}/", '{"name": ' + "[" * 5000 + "]" * 5000 + "}",
                  content_type="application/json")
    assert r.status_code == 400 and r.json() == {"detail": "The JSON body is nested too deeply."}
    assert Team.objects.count() == 1 and PointOfContact.objects.get(pk=line["poc"].pk).name == ""


# --- the signed webhook ----------------------------------------------------------------------------

@pytest.mark.parametrize("num_media", ["²", "١", "1.5", "-1", "abc", "9" * 40])
def test_signed_webhook_with_a_num_media_that_is_no_whole_number_is_a_400(client, line, num_media):
    params = {**inbound_params(line["poc"], CONTACT, "hello"), "NumMedia": num_media}
    r = post_inbound(client, line["poc"], CONTACT, "hello", params=params)
    assert r.status_code == 400 and r.json()["errors"] == {"NumMedia": ["NumMedia must be a whole number."]}
    assert counts() == (0, 0)
    assert post_inbound(client, line["poc"], CONTACT, "hello", params={**params, "NumMedia": "2"}).status_code == 200


def test_signed_webhook_with_fields_repeated_or_missing_is_a_4xx(client, line):
    params = inbound_params(line["poc"], CONTACT, "hello")
    del params["MessageSid"]
    assert post_inbound(client, line["poc"], CONTACT, "hello", params=params).status_code == 400
    params = {**inbound_params(line["poc"], CONTACT, "hello"), "From": "١٢٣"}
    assert post_inbound(client, line["poc"], CONTACT, "hello", params=params).status_code == 400
    assert counts() == (0, 0)


# --- the phone simulator ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["abc", "1.5", "²", "-1", ""])
def test_simulator_with_a_point_of_contact_that_is_no_id_is_a_400(client, line, value):
    client.force_login(line["admin"])
    r = client.post("/simulator/send/", {"point_of_contact": value, "from": CONTACT, "body": "hi"})
    assert r.status_code == 400 and r.json()["errors"] == {"point_of_contact": ["Choose one of the tenant's numbers to text."]}
    assert counts() == (0, 0)


def test_simulator_with_a_tenant_that_is_no_id_is_a_400(client, line):
    client.force_login(f.operator())
    r = client.get("/simulator/", {"tenant": "abc"})
    assert r.status_code == 400 and r.content.decode() == "Choose a tenant from the list."
    r = client.post("/simulator/send/", {"tenant": "1.5", "point_of_contact": line["poc"].pk, "from": CONTACT, "body": "hi"})
    assert r.status_code == 400 and r.json()["errors"] == {"tenant": ["Choose a tenant from the list."]}
    assert client.get("/simulator/", {"tenant": line["tenant"].pk}).status_code == 200
    assert counts() == (0, 0)


# --- the routing "try it" box ----------------------------------------------------------------------

@pytest.mark.parametrize("moment", ["9999-12-31T23:59", "0001-01-01T00:00"])
def test_try_it_at_the_edge_of_the_calendar_is_a_form_error(client, line, moment):
    line["tenant"].time_zone = "America/Los_Angeles"  # behind UTC: 9999-12-31 23:59 there is past the year 9999 in UTC
    line["tenant"].save()
    client.force_login(line["admin"])
    r = client.get(reverse("console:routing-try", args=[line["poc"].pk]), {"body": "hi", "at": moment})
    assert r.status_code == 200 and r.context["result"] is None
    assert "Choose a date between the years 1900 and 9998." in text(r)


# --- short codes in other scripts' digits ----------------------------------------------------------

def test_short_codes_in_arabic_indic_or_fullwidth_digits_are_stored_in_ascii_digits(line):
    api = client_for(line["admin"])
    base = {"channel": "sms", "country": "US", "code_type": "short", "carrier_account": line["carrier"].pk, "skill": line["sms"].pk}
    r = api.post("/api/v1/points-of-contact/", {**base, "number": "١٢٣٤٥"}, format="json")
    assert r.status_code == 201 and r.json()["number"] == "12345"
    r = api.post("/api/v1/points-of-contact/", {**base, "number": "１２３４５"}, format="json")
    assert r.status_code == 400 and r.json()["number"] == ["This number is already a point of contact."]
    r = api.post("/api/v1/points-of-contact/", {**base, "number": "12³45"}, format="json")
    assert r.status_code == 400 and r.json()["number"] == ["A short code is 3 to 8 digits, for example 72345."]
    assert sorted(PointOfContact.objects.filter(channel="sms").values_list("number", flat=True)) == ["+12125550160", "12345"]


def test_short_codes_in_other_digits_through_the_console_and_the_admin(client, line):
    client.force_login(line["admin"])
    data = {"channel": "sms", "name": "Short", "number": "７２３ ４５", "country": "US", "code_type": "short",
            "carrier_account": line["carrier"].pk, "skill": line["sms"].pk, "slug": "", "after_hours_reply": "", "is_active": "on"}
    assert client.post(reverse("console:poc_add"), data).status_code == 302
    assert PointOfContact.objects.filter(number="72345").exists()
    client.force_login(f.operator())
    admin_data = {**data, "tenant": line["tenant"].pk, "number": "٧٢٣٤٦", "rules-TOTAL_FORMS": 0, "rules-INITIAL_FORMS": 0,
                  "rules-MIN_NUM_FORMS": 0, "rules-MAX_NUM_FORMS": 1000}
    assert client.post("/admin/routing/pointofcontact/add/", admin_data).status_code == 302
    assert PointOfContact.objects.filter(number="72346").exists()
    r = client.post("/admin/routing/pointofcontact/add/", {**admin_data, "number": "٧٢٣٤٦"})
    assert r.status_code == 200 and "This number is already a point of contact." in text(r)


def test_a_text_to_a_normalised_short_code_arrives(client, line):
    """The carrier's To is ASCII: the stored short code must be too, or the text would find no number."""
    api = client_for(line["admin"])
    r = api.post("/api/v1/points-of-contact/", {"channel": "sms", "country": "US", "code_type": "short", "number": "٧٢٣٤٥",
                                                "carrier_account": line["carrier"].pk, "skill": line["sms"].pk}, format="json")
    poc = PointOfContact.objects.get(pk=r.json()["id"])
    params = inbound_params(poc, CONTACT, "hello")
    assert params["To"] == "72345"
    signature = RequestValidator("secret-token").compute_signature(SMS_URL, params)
    assert client.post("/hooks/twilio/sms/", params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 200
    assert Message.objects.get().room.poc_number == "72345"
    assert re.fullmatch(r"[0-9]+", poc.number)


# --- a NUL or a lone surrogate: SQLite stores them, PostgreSQL refuses them (a NUL even in a lookup) -----

def test_a_nul_or_a_lone_surrogate_in_public_input_is_a_4xx(client, line):
    for body in ('{"name": "G", "body": "hel\\u0000lo"}', '{"name": "G", "body": "\\ud800 hello"}'):
        r = client.post("/chat/porridge/", body, content_type="application/json")
        assert r.status_code == 400
        assert r.json()["errors"] == {"body": ["The message contains a character that is not text (a NUL or half of a surrogate pair)."]}
    r = client.post("/chat/porridge/", '{"name": "G\\u0000\\udfff", "body": "hello"}', content_type="application/json")
    assert r.status_code == 201 and Room.objects.get().contact_name == "Web visitor"  # a name is only a label: not refused
    token = r.json()["token"]
    r = client.post(f"/chat/porridge/{token}/messages/", {"body": "\x00"}, content_type="application/json")
    assert r.status_code == 400
    assert client.post("/chat/porridge/ab%00cd/messages/", {"body": "hi"}, content_type="application/json").status_code == 404
    before = counts()
    for key, value in (("Body", "hel\x00lo"), ("MessageSid", "SM\x00"), ("To", line["poc"].number + "\x00")):
        params = {**inbound_params(line["poc"], CONTACT, "hello"), key: value}
        r = post_inbound(client, line["poc"], CONTACT, "hello", params=params)
        assert r.status_code == 400 and r.json()["errors"] == {"__all__": ["The request contains a NUL character."]}
    r = client.post("/hooks/twilio/status/", {"MessageSid": "SM\x00", "MessageStatus": "delivered"})
    assert r.status_code == 400
    assert counts() == before
