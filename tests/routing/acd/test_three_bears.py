"""The brief's example (R3, R4, R13, R14), end to end through the real entry points: texts arrive
as signed Twilio webhooks, chats through POST /chat/<slug>/, agents accept and end through the
REST API and change state through PUT /api/v1/me/state/.

Team limit 5. Mama Bear (chat + SMS) holds 2 chats + 2 SMS: one more of either. Papa Bear (chat
only) holds 3 chats: never an SMS, up to 2 more chats. Baby Bear (SMS only) holds 4 SMS: never a
chat, exactly one more SMS. Once everyone is full the next interaction waits in the queue and is
offered the moment someone who may take it ends one.
"""
import itertools

import pytest
from django.test import Client

from routing.choices import AgentState, Channel, RoomState
from routing.models import Room, RoutingDecision, User
from tests import factories as f
from tests.api.conftest import client_for
from tests.hub import post_inbound

# Also run in the PostgreSQL + Redis pass of make test (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.pg]
_n = itertools.count(100)


class Forest:
    def __init__(self):
        self.tenant = f.tenant("Three Bears Porridge")
        self.team = f.team(self.tenant, "The Bears", session_limit=5)
        self.chat_skill = f.skill(self.tenant, "Porridge chat", channel=Channel.CHAT)
        self.sms_skill = f.skill(self.tenant, "Porridge SMS")
        self.sms_poc = f.sms_poc(self.tenant, "+12125550160", skill=self.sms_skill)
        self.chat_poc = f.chat_poc(self.tenant, "porridge", skill=self.chat_skill)
        self.mama = f.agent(self.tenant, username="mama", team=self.team, skills=[self.chat_skill, self.sms_skill])
        self.papa = f.agent(self.tenant, username="papa", team=self.team, skills=[self.chat_skill])
        self.baby = f.agent(self.tenant, username="baby", team=self.team, skills=[self.sms_skill])
        self.bears = {"mama": self.mama, "papa": self.papa, "baby": self.baby}
        self.api = {name: client_for(user) for name, user in self.bears.items()}
        self.contact = Client()

    # contacts ---------------------------------------------------------------------------------
    def sms(self, body="Someone's been eating my porridge"):
        number = "+1415555%04d" % next(_n)
        r = post_inbound(self.contact, self.sms_poc, number, body)
        assert r.status_code == 200, r.content
        return Room.objects.get(point_of_contact=self.sms_poc, contact_number=number)

    def chat(self, body="Who's been sitting in my chair?"):
        r = self.contact.post("/chat/porridge/", {"name": f"Goldilocks {next(_n)}", "body": body}, content_type="application/json")
        assert r.status_code == 201, r.content
        return Room.objects.get(pk=r.json()["room"])

    # agents -----------------------------------------------------------------------------------
    def set_state(self, name, state):
        r = self.api[name].put("/api/v1/me/state/", {"state": state}, format="json")
        assert r.status_code == 200, r.content

    def accept(self, name, room):
        r = self.api[name].post(f"/api/v1/rooms/{room.pk}/accept/")
        assert r.status_code == 200, r.content

    def end(self, name, room):
        r = self.api[name].post(f"/api/v1/rooms/{room.pk}/end/")
        assert r.status_code == 200, r.content

    def load(self, name):
        agent = self.bears[name]
        rooms = Room.objects.filter(agent=agent, state__in=[RoomState.OFFERED, RoomState.ACTIVE])
        return rooms.filter(channel=Channel.CHAT).count(), rooms.filter(channel=Channel.SMS).count()

    def give(self, name, chats=0, texts=0):
        """Only `name` is available while their interactions arrive; they accept each one."""
        for other in self.bears:
            self.set_state(other, AgentState.AVAILABLE if other == name else AgentState.UNAVAILABLE)
        rooms = [self.chat() for _ in range(chats)] + [self.sms() for _ in range(texts)]
        for room in rooms:
            room.refresh_from_db()
            assert room.agent == self.bears[name], (name, room.channel)
            self.accept(name, room)
        return rooms


def reasons(room):
    decision = RoutingDecision.objects.filter(room=room).last()
    return {s["username"]: s["reason"] for s in decision.skipped}


def fresh(room):
    room.refresh_from_db()
    return room


@pytest.fixture
def forest():
    forest = Forest()
    forest.held = {
        "papa": forest.give("papa", chats=3),
        "mama": forest.give("mama", chats=2, texts=2),
        "baby": forest.give("baby", texts=4),
    }
    assert (forest.load("mama"), forest.load("papa"), forest.load("baby")) == ((2, 2), (3, 0), (0, 4))
    return forest


def available(forest, *names):
    for name in forest.bears:
        forest.set_state(name, AgentState.AVAILABLE if name in names else AgentState.UNAVAILABLE)


@pytest.mark.parametrize("first,second", [("sms", "chat"), ("chat", "sms"), ("sms", "sms"), ("chat", "chat")])
def test_mama_bear_gets_exactly_one_more_of_either(forest, first, second):
    available(forest, "mama")
    one = getattr(forest, first)()
    assert fresh(one).state == RoomState.OFFERED and one.agent == forest.mama
    two = getattr(forest, second)()
    assert fresh(two).state == RoomState.QUEUED and two.agent is None
    assert reasons(two)["mama"] == "at_limit"
    assert sum(forest.load("mama")) == 5


def test_papa_bear_never_gets_an_sms_and_tops_out_at_five_chats(forest):
    available(forest, "papa")
    text = forest.sms()
    assert fresh(text).state == RoomState.QUEUED
    assert reasons(text)["papa"] == "no_skill"
    chats = [forest.chat() for _ in range(3)]
    assert [fresh(c).agent for c in chats[:2]] == [forest.papa, forest.papa]
    assert fresh(chats[2]).state == RoomState.QUEUED and reasons(chats[2])["papa"] == "at_limit"
    assert forest.load("papa") == (5, 0)
    # Even with everyone else full and Papa freeing a slot, the text never reaches Papa.
    forest.accept("papa", chats[0])
    forest.end("papa", chats[0])
    assert fresh(chats[2]).agent == forest.papa  # the queued chat, not the older queued text
    assert fresh(text).state == RoomState.QUEUED


def test_baby_bear_never_gets_a_chat_and_exactly_one_more_sms(forest):
    available(forest, "baby")
    chat = forest.chat()
    assert fresh(chat).state == RoomState.QUEUED and reasons(chat)["baby"] == "no_skill"
    one, two = forest.sms(), forest.sms()
    assert fresh(one).agent == forest.baby
    assert fresh(two).state == RoomState.QUEUED and reasons(two)["baby"] == "at_limit"
    assert forest.load("baby") == (0, 5)


def test_everyone_available_fills_exactly_the_free_slots_then_the_queue_waits(forest):
    available(forest, "mama", "papa", "baby")
    texts = [forest.sms(), forest.sms()]  # one for Mama and one for Baby, in whichever order
    chats = [forest.chat(), forest.chat()]  # Mama is full: both to Papa
    assert {fresh(t).agent.username for t in texts} == {"mama", "baby"}
    assert [fresh(c).agent for c in chats] == [forest.papa, forest.papa]
    assert (sum(forest.load("mama")), forest.load("papa"), forest.load("baby")) == (5, (5, 0), (0, 5))

    # Everyone is full: the next interaction (an SMS) waits in the queue.
    waiting = forest.sms("Just right?")
    assert fresh(waiting).state == RoomState.QUEUED
    assert reasons(waiting) == {"mama": "at_limit", "papa": "no_skill", "baby": "at_limit"}

    # Papa ends a chat: he may not take an SMS, so it still waits.
    forest.end("papa", forest.held["papa"][0])
    assert fresh(waiting).state == RoomState.QUEUED
    # Baby ends one: the text is offered to her at once.
    forest.end("baby", forest.held["baby"][0])
    assert fresh(waiting).state == RoomState.OFFERED and waiting.agent == forest.baby
    forest.accept("baby", waiting)
    assert forest.load("baby") == (0, 5)

    for name, agent in forest.bears.items():
        agent = User.objects.get(pk=agent.pk)
        assert agent.held == sum(forest.load(name)) <= 5


def test_the_workspace_api_shows_the_bears_their_own_rooms(forest):
    rooms = forest.api["papa"].get("/api/v1/rooms/", {"state": "active"}).json()
    rows = rooms["results"] if isinstance(rooms, dict) else rooms
    assert len(rows) == 3 and {r["channel"] for r in rows} == {"chat"}
