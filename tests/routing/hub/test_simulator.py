"""The phone simulator sends through the carrier path (a signed Twilio-format webhook) and shows replies."""
import pytest

from routing.hub import outbound
from routing.acd import offers
from routing.models import Message, Room
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(client):
    t = f.tenant()
    sms = f.skill(t)
    poc = f.sms_poc(t, "+12125550160", skill=sms)
    agent = f.agent(t, team=f.team(t), skills=[sms], state="available")
    admin = f.admin(t)
    client.force_login(admin)
    return t, poc, agent


def test_page_lists_the_tenants_numbers(client, line):
    _, poc, _ = line
    other = f.tenant()
    f.sms_poc(other, "+12125550169")
    r = client.get("/simulator/")
    assert r.status_code == 200 and poc.number.encode() in r.content and b"+12125550169" not in r.content


def test_texting_as_a_contact_takes_the_webhook_path(client, line):
    _, poc, agent = line
    r = client.post("/simulator/send/", {"point_of_contact": poc.pk, "from": "+12025550123", "body": "Hi from a phone"})
    assert r.status_code == 201, r.content
    m = Message.objects.get()
    assert m.carrier_sid.startswith("SMsim") and m.room.state == "offered" and m.room.agent == agent


def test_refusals_come_back_with_the_reason(client, line):
    _, poc, _ = line
    r = client.post("/simulator/send/", {"point_of_contact": poc.pk, "from": "nope", "body": "x"})
    assert r.status_code == 400 and "From" in r.json()["errors"]
    other = f.tenant()
    foreign = f.sms_poc(other, "+12125550168")
    assert client.post("/simulator/send/", {"point_of_contact": foreign.pk, "from": "+12025550123", "body": "x"}).status_code == 404
    assert Message.objects.count() == 0


def test_replies_reach_the_simulator_carrier(client, line):
    _, poc, agent = line
    client.post("/simulator/send/", {"point_of_contact": poc.pk, "from": "+12025550123", "body": "Hi"})
    room = offers.room_accept(room=Room.objects.get(), agent=agent)
    m = outbound.message_send(room=room, author=agent, body="Hello from Three Bears")
    m.refresh_from_db()
    assert m.status == "delivered" and m.carrier_sid == "SMsim" + m.send_key.hex


def test_anonymous_users_are_sent_to_login(client, line):
    client.logout()
    assert client.get("/simulator/").status_code == 302


def test_the_simulator_can_be_turned_off(client, line, settings):
    settings.CXSMS_SIMULATOR_ENABLED = False
    _, poc, _ = line
    assert client.get("/simulator/").status_code == 404
    assert client.post("/simulator/send/", {"point_of_contact": poc.pk, "from": "+12025550123", "body": "x"}).status_code == 404
