"""Interactions through HTTP: room actions, messages, history (R9), outbound texts (R11), the
agent's availability, forced disconnect (R10). The rules themselves are routing.texthub's; these
tests check that the API reaches them and answers with their messages."""
import pytest

from routing.choices import CloseReason, RoomState
from routing.models import Contact, Room, User
from tests.api.conftest import API, client_for, make_room, needs_texthub

pytestmark = [pytest.mark.django_db, needs_texthub]


def test_accept_then_write_then_end(world_a):
    agent = world_a.client("agent")
    room = world_a.rooms["offered"]
    r = agent.post(API + f"rooms/{room.id}/accept/")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "active" and r.json()["expires_at"] and r.json()["id"] == room.id
    r = agent.post(API + f"rooms/{room.id}/accept/")
    assert r.status_code == 400 and "state" in r.json()

    r = agent.post(API + f"rooms/{room.id}/messages/", {"body": "Just right now."}, format="json")
    assert r.status_code == 201, r.content
    msg = r.json()
    assert msg["body"] == "Just right now." and msg["direction"] == "outbound" and msg["author"] == "agent-a" and msg["room"] == room.id
    page = agent.get(API + f"rooms/{room.id}/messages/").json()
    assert [m["body"] for m in page["results"]] == ["Offered hello", "Just right now."] and page["count"] == 2

    r = agent.post(API + f"rooms/{room.id}/end/")
    assert r.status_code == 200 and r.json()["state"] == "closed" and r.json()["close_reason"] == CloseReason.ENDED_BY_AGENT
    r = agent.post(API + f"rooms/{room.id}/end/")
    assert r.status_code == 400 and r.json() == {"state": ["This interaction has already ended."]}
    r = agent.post(API + f"rooms/{room.id}/messages/", {"body": "Still there?"}, format="json")
    assert r.status_code == 400 and "body" in r.json()


def test_message_rules_come_back_as_field_errors(world_a):
    agent = world_a.client("agent")
    offered, active = world_a.rooms["offered"], world_a.rooms["active"]
    r = agent.post(API + f"rooms/{offered.id}/messages/", {"body": "Too early"}, format="json")
    assert r.status_code == 400 and "accept it first" in r.json()["body"][0]
    r = agent.post(API + f"rooms/{active.id}/messages/", {"body": "   "}, format="json")
    assert r.status_code == 400 and "body" in r.json()
    r = agent.post(API + f"rooms/{active.id}/messages/", {}, format="json")
    assert r.status_code == 400 and r.json() == {"body": ["This field is required."]}
    Contact.objects.create(tenant=world_a.tenant, number=active.contact_number, opted_out=True)
    r = agent.post(API + f"rooms/{active.id}/messages/", {"body": "Hello?"}, format="json")
    assert r.status_code == 400 and "opted out" in r.json()["body"][0]
    assert active.messages.count() == 2


def test_reject_passes_the_offer_on(world_a):
    agent = world_a.client("agent")
    room = world_a.rooms["offered"]
    r = agent.post(API + f"rooms/{room.id}/reject/")
    assert r.status_code == 200, r.content
    room.refresh_from_db()
    assert not (room.state == RoomState.OFFERED and room.agent_id == world_a.agent.id)
    assert agent.post(API + f"rooms/{room.id}/reject/").status_code in (400, 404)


def test_agents_only_reach_their_own_rooms(world_a):
    other = world_a.client("agent2")
    mine = world_a.rooms["active"]
    for method, suffix in (("get", ""), ("post", "accept/"), ("post", "end/"), ("get", "messages/"), ("get", "history/")):
        assert getattr(other, method)(API + f"rooms/{mine.id}/{suffix}").status_code == 404
    r = other.post(API + f"rooms/{mine.id}/messages/", {"body": "not mine"}, format="json")
    assert r.status_code == 404
    assert {x["id"] for x in other.get(API + "rooms/").json()["results"]} == {world_a.rooms["other_agent"].id}


def test_administrator_ends_any_room_and_reads_decisions(world_a):
    admin = world_a.client("admin")
    room = world_a.rooms["other_agent"]
    r = admin.get(API + f"rooms/{room.id}/decisions/")
    assert r.status_code == 200 and r.json()[0]["outcome"] == "offered" and r.json()[0]["skipped"][0]["reason"] == "logged_out"
    assert world_a.client("agent").get(API + f"rooms/{world_a.rooms['active'].id}/decisions/").status_code == 403
    r = admin.post(API + f"rooms/{room.id}/end/")
    assert r.status_code == 200 and r.json()["state"] == "closed"


def test_history_is_the_last_ten_sessions_of_the_contact_or_number_r9(world_a, world_b):
    agent = world_a.client("agent")
    active = world_a.rooms["active"]
    for i in range(12):
        make_room(world_a.tenant, world_a.sms_poc, agent=world_a.agent, contact=f"+1212555{200 + i:04d}", messages=[f"old {i}"],
                  closed=True)
    r = agent.get(API + f"rooms/{active.id}/history/")
    assert r.status_code == 200
    hist = r.json()
    assert len(hist) == 10 and active.id not in {h["id"] for h in hist}
    assert all(h["state"] == "closed" and h["messages"] for h in hist)
    closed_at = [h["closed_at"] for h in hist]
    assert closed_at == sorted(closed_at, reverse=True)
    assert not {h["id"] for h in hist} & set(Room.objects.filter(tenant=world_b.tenant).values_list("id", flat=True))


def test_outbound_text_r11(world_a):
    agent = world_a.client("agent")
    r = agent.post(API + "rooms/outbound/", {"point_of_contact": world_a.sms_poc.id, "contact_number": "(212) 555-0190",
                                             "body": "Your order is ready"}, format="json")
    assert r.status_code == 201, r.content
    room = r.json()
    assert room["state"] == "active" and room["agent"] == world_a.agent.id and room["direction"] == "outbound"
    assert room["contact_number"] == "+12125550190" and room["expires_at"]
    assert [m["body"] for m in agent.get(API + f"rooms/{room['id']}/messages/").json()["results"]] == ["Your order is ready"]
    # the same pair again, a bad number, a chat point of contact, an agent without an outbound skill
    r = agent.post(API + "rooms/outbound/", {"point_of_contact": world_a.sms_poc.id, "contact_number": "+12125550190", "body": "x"},
                   format="json")
    assert r.status_code == 400 and "contact_number" in r.json()
    r = agent.post(API + "rooms/outbound/", {"point_of_contact": world_a.sms_poc.id, "contact_number": "12", "body": "x"}, format="json")
    assert r.status_code == 400 and "contact_number" in r.json()
    r = agent.post(API + "rooms/outbound/", {"point_of_contact": world_a.chat_poc.id, "contact_number": "+12125550191", "body": "x"},
                   format="json")
    assert r.status_code == 400 and "point_of_contact" in r.json()
    r = world_a.client("agent2").post(API + "rooms/outbound/", {"point_of_contact": world_a.sms_poc.id, "contact_number": "+12125550192",
                                                                "body": "x"}, format="json")
    assert r.status_code == 400 and r.json() == {"point_of_contact": ["You need an outbound SMS skill to start a text."]}
    r = agent.post(API + "rooms/outbound/", {"point_of_contact": world_a.sms_poc.id}, format="json")
    assert r.status_code == 400 and set(r.json()) == {"contact_number", "body"}


def test_me_and_my_state(world_a, operator):
    agent = world_a.client("agent")
    me = agent.get(API + "me/").json()
    assert (me["role"] == "agent" and me["tenant"] == world_a.tenant.id and me["effective_session_limit"] == 5
            and me["team"] == world_a.team.id)
    assert client_for(operator).get(API + "me/").json()["role"] == "operator"
    assert client_for(operator).get(API + "me/").json()["tenant"] is None
    assert agent.get(API + "me/state/").json() == {"state": "logged_out"}
    r = agent.put(API + "me/state/", {"state": "available"}, format="json")
    assert r.status_code == 200 and r.json() == {"state": "available"}
    assert agent.get(API + "me/state/").json() == {"state": "available"}
    assert User.objects.get(pk=world_a.agent.pk).state == "available"
    for bad in ("busy", "logged_out", ""):
        r = agent.put(API + "me/state/", {"state": bad}, format="json")
        assert r.status_code == 400 and "state" in r.json()
    assert world_a.client("supervisor").put(API + "me/state/", {"state": "available"}, format="json").status_code == 403


def test_forced_disconnect_r10(world_a, world_b):
    admin = world_a.client("admin")
    chat_room = make_room(world_a.tenant, world_a.chat_poc)
    assert admin.get(API + "forced-disconnect/").json() == {"active": 4}
    assert world_a.client("supervisor").post(API + "forced-disconnect/").status_code == 403
    r = admin.post(API + "forced-disconnect/")
    assert r.status_code == 200 and r.json() == {"ended": 4}
    ended = Room.objects.filter(tenant=world_a.tenant, close_reason=CloseReason.FORCED_DISCONNECT)
    assert ended.count() == 4 and all(r.transcript_kept for r in ended)
    assert all(r.messages.exists() for r in ended)  # no transcript is lost
    chat_room.refresh_from_db()
    assert chat_room.state == RoomState.QUEUED  # chat is not SMS
    assert admin.get(API + "forced-disconnect/").json() == {"active": 0}
    assert Room.objects.filter(tenant=world_b.tenant, state__in=["queued", "offered", "active"]).count() == 4
