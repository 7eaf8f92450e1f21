"""R14: the contacts' web chat entry point; chat rooms route by skill like SMS."""
import pytest

from routing.hub import outbound, rooms
from routing.acd import offers
from routing.choices import RoomState
from routing.models import Room
from tests import factories as f

# Also run in the PostgreSQL + Redis pass of make test (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.pg]


@pytest.fixture
def chat():
    t = f.tenant()
    skill = f.skill(t, "Chat", channel="chat")
    poc = f.chat_poc(t, "porridge", skill=skill)
    agent = f.agent(t, team=f.team(t), skills=[skill], state="available")
    return t, poc, agent


def test_page_renders_for_a_contact_without_login(client, chat):
    r = client.get("/chat/porridge/")
    assert r.status_code == 200 and b"Start chat" in r.content
    assert client.get("/chat/no-such-chat/").status_code == 404


def test_start_a_chat_routes_it_and_messages_flow_both_ways(client, chat):
    _, _, agent = chat
    r = client.post("/chat/porridge/", {"name": "Goldilocks", "body": "hello"}, content_type="application/json")
    assert r.status_code == 201
    token = r.json()["token"]
    room = Room.objects.get(chat_token=token)
    assert room.channel == "chat" and room.state == RoomState.OFFERED and room.agent == agent and room.contact_name == "Goldilocks"
    offers.room_accept(room=room, agent=agent)
    assert room.expires_at is None  # the SMS timer is not a chat rule
    outbound.message_send(room=room, author=agent, body="Hi Goldilocks")
    r = client.post(f"/chat/porridge/{token}/messages/", {"body": "too hot"}, content_type="application/json")
    assert r.status_code == 201
    r = client.get(f"/chat/porridge/{token}/messages/")
    assert [m["body"] for m in r.json()["messages"]] == ["hello", "Hi Goldilocks", "too hot"]


def test_bad_input_is_refused(client, chat):
    assert client.post("/chat/porridge/", {"name": "x", "body": ""}, content_type="application/json").status_code == 400
    assert client.post("/chat/porridge/", "{not json", content_type="application/json").status_code == 400
    assert client.post("/chat/porridge/", "[1, 2]", content_type="application/json").status_code == 400
    assert client.post("/chat/porridge/", {"name": "x", "body": 5}, content_type="application/json").status_code == 400
    assert client.post("/chat/porridge/not-a-token/messages/", {"body": "hi"}, content_type="application/json").status_code == 404
    assert Room.objects.count() == 0


def test_a_closed_chat_takes_no_more_messages(client, chat):
    _, _, agent = chat
    token = client.post("/chat/porridge/", {"name": "G", "body": "hello"}, content_type="application/json").json()["token"]
    room = offers.room_accept(room=Room.objects.get(), agent=agent)
    rooms.room_end(room=room, actor=agent)
    r = client.post(f"/chat/porridge/{token}/messages/", {"body": "hello?"}, content_type="application/json")
    assert r.status_code == 400 and "ended" in r.json()["errors"]["body"][0]
