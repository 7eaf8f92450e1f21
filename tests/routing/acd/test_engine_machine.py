"""A Hypothesis state machine over the routing services (R3, R4, R13).

Steps: SMS and chat arrivals, accept, reject, lapse, end (by the agent or an administrator),
expiry, agent state changes, team-limit and per-user-limit changes, the queue sweep, and the
re-offer delay passing. After every step the database must satisfy:

- capacity: no agent holds more offered + active rooms than their effective limit as the machine
  computes it from the limits it set (R3: the user's own, else the team's), new limits counting from
  the step that set them; only an agent whose limit was lowered under them may hold more, and then
  never more than they held when it was lowered;
- declines: a room an agent rejected or let lapse is never offered to that agent again before the
  re-offer delay has passed (the machine's own record of its rejects and lapses against the engine's
  decision records and the open offers, each step);
- one agent per room: queued rooms have no agent; offered and active rooms have exactly one agent,
  of the room's tenant, holding the room's skill; closed rooms keep the agent who last held them
  (none if they closed while queued), for the transcript history;
- every room is queued, offered, active or closed, with the timestamps of its state;
- User.held equals the true count of offered + active rooms;
- work conservation: no room waits in the queue while an agent who may take it is available,
  holds its skill, has a free slot and has not declined it (declines stay until the step
  `reoffer_delay_passes`: CXSMS_REOFFER_AFTER is an hour).

Coverage is recorded with hypothesis.event() (pytest --hypothesis-show-statistics) and target(), and
the test checks the runs reached an agent at their limit, a non-empty queue and a queued room whose
only free agent declined it. Failures reproduce: tests/conftest.py's profiles (kept examples; a fixed
seed under scripts/test.sh) and the printed @reproduce_failure blob.
"""
import itertools
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, event, target
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from routing import services
from routing.hub import inbound, rooms, webchat
from routing.acd import agents, capacity, declines, offers as acd_offers, queues
from routing.choices import AgentState, Channel, RoomState
from routing.models import AgentSkill, Room, RoutingDecision, Team, User
from tests import factories as f

CONTACTS = ["+14155550%03d" % i for i in range(1, 7)]
_example = itertools.count(1)
_sid = itertools.count(1)
REACHED = {"an agent at their limit": 0, "a non-empty queue": 0, "a queued room whose only free agent declined it": 0}


class RoutingMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        n = next(_example)
        self.tenant = f.tenant(f"Machine {n}")
        self.team = f.team(self.tenant, "Team", session_limit=2)
        self.sms = f.skill(self.tenant, "SMS")
        self.chat = f.skill(self.tenant, "Chat", channel=Channel.CHAT)
        self.sms_poc = f.sms_poc(self.tenant, "+1212555%04d" % (1000 + n), skill=self.sms)
        self.chat_poc = f.chat_poc(self.tenant, f"machine-{n}", skill=self.chat)
        self.admin = f.admin(self.tenant, username=f"admin{n}")
        self.agents = [
            f.agent(self.tenant, username=f"both{n}", team=self.team, skills=[self.sms, self.chat], state=AgentState.AVAILABLE),
            f.agent(self.tenant, username=f"chat{n}", team=self.team, skills=[self.chat], state=AgentState.AVAILABLE),
            f.agent(self.tenant, username=f"sms{n}", team=self.team, skills=[self.sms], state=AgentState.AVAILABLE),
            f.agent(self.tenant, username=f"sms2_{n}", team=self.team, skills=[(self.sms, 3)], state=AgentState.LOGGED_OUT),
        ]
        self.agent_ids = [a.pk for a in self.agents]
        self.skills = {a: set(AgentSkill.objects.filter(agent_id=a).values_list("skill_id", flat=True)) for a in self.agent_ids}
        # The machine's own model of the limits (R3) and of the declines it caused.
        self.team_limit = 2
        self.user_limits = {a: None for a in self.agent_ids}
        self.over_limit_allowance = {a: 0 for a in self.agent_ids}  # held when their limit was lowered under them
        self.declines = set()  # (room id, agent id) rejected or lapsed, the re-offer delay not yet passed
        self.seen_decision = RoutingDecision.objects.order_by("-id").values_list("id", flat=True).first() or 0
        self.most_queued = 0

    def teardown(self):
        target(float(self.most_queued), label="rooms queued at once")
        # Examples share the test's transaction; leave this tenant's data inert for the next ones.
        User.objects.filter(pk__in=self.agent_ids).update(state=AgentState.LOGGED_OUT)

    def limit(self, agent_id):
        own = self.user_limits[agent_id]
        return own if own is not None else self.team_limit

    def held(self):
        return dict(self.rooms(state__in=[RoomState.OFFERED, RoomState.ACTIVE]).values_list("agent_id").annotate(n=Count("id")))

    def set_limits(self, change):
        """Apply a limit change; an agent left above their new limit may keep what they hold now."""
        before = self.held()
        change()
        for a in self.agent_ids:
            self.over_limit_allowance[a] = max(self.over_limit_allowance[a], before.get(a, 0))

    # helpers ----------------------------------------------------------------------------------
    def rooms(self, **kw):
        return Room.objects.filter(tenant=self.tenant, **kw)

    def ids(self, **kw):
        return list(self.rooms(**kw).order_by("id").values_list("id", flat=True))

    def pick(self, data, **kw):
        return Room.objects.get(pk=data.draw(st.sampled_from(self.ids(**kw))))

    # steps ------------------------------------------------------------------------------------
    @rule(contact=st.sampled_from(CONTACTS), body=st.sampled_from(["hi", "hello again", "STOP", "START", "help me"]))
    def sms_arrives(self, contact, body):
        inbound.inbound_sms(poc=self.sms_poc, message_sid="SMmachine%012d" % next(_sid), from_number=contact, body=body)

    @rule()
    def chat_arrives(self):
        webchat.chat_start(poc=self.chat_poc, name="Visitor", body="hello")

    @precondition(lambda self: self.ids(state=RoomState.OFFERED))
    @rule(data=st.data())
    def accept(self, data):
        room = self.pick(data, state=RoomState.OFFERED)
        acd_offers.room_accept(room=room, agent=room.agent)

    @precondition(lambda self: self.ids(state=RoomState.OFFERED))
    @rule(data=st.data())
    def reject(self, data):
        room = self.pick(data, state=RoomState.OFFERED)
        self.declines.add((room.pk, room.agent_id))
        declines.room_reject(room=room, agent=room.agent)

    @precondition(lambda self: self.ids(state=RoomState.OFFERED))
    @rule(data=st.data())
    def offer_lapses(self, data):
        room = self.pick(data, state=RoomState.OFFERED)
        Room.objects.filter(pk=room.pk).update(offer_expires_at=timezone.now() - timedelta(seconds=1))
        self.declines.add((room.pk, room.agent_id))
        assert declines.lapse_offers() >= 1
        assert User.objects.get(pk=room.agent_id).state == AgentState.UNAVAILABLE

    @precondition(lambda self: self.ids(state=RoomState.ACTIVE))
    @rule(data=st.data())
    def agent_ends(self, data):
        room = self.pick(data, state=RoomState.ACTIVE)
        rooms.room_end(room=room, actor=room.agent)

    @precondition(lambda self: self.ids(state__in=[RoomState.QUEUED, RoomState.OFFERED, RoomState.ACTIVE]))
    @rule(data=st.data())
    def administrator_ends(self, data):
        room = self.pick(data, state__in=[RoomState.QUEUED, RoomState.OFFERED, RoomState.ACTIVE])
        rooms.room_end(room=room, actor=self.admin)

    @precondition(lambda self: self.ids(state=RoomState.ACTIVE, channel=Channel.SMS))
    @rule(data=st.data())
    def session_expires(self, data):
        room = self.pick(data, state=RoomState.ACTIVE, channel=Channel.SMS)
        Room.objects.filter(pk=room.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert rooms.expire_rooms() >= 1

    @rule(i=st.integers(0, 3), state=st.sampled_from(AgentState.values))
    def agent_state(self, i, state):
        agents.agent_set_state(agent=User.objects.get(pk=self.agent_ids[i]), state=state)

    @rule(limit=st.integers(1, 4))
    def team_limit(self, limit):
        team = Team.objects.get(pk=self.team.pk)
        team.session_limit = limit
        self.set_limits(lambda: services.object_save(instance=team))
        self.team_limit = limit

    @rule(i=st.integers(0, 3), limit=st.one_of(st.none(), st.integers(1, 4)))
    def user_limit(self, i, limit):
        user = User.objects.get(pk=self.agent_ids[i])
        user.session_limit = limit
        self.set_limits(lambda: services.user_save(user=user))
        self.user_limits[user.pk] = limit

    @rule()
    def queue_sweep(self):
        queues.dispatch_queued()

    @rule()
    def reoffer_delay_passes(self):
        # The engine dates a decline by its decision record: move this tenant's back past the delay.
        past = timedelta(seconds=acd_offers.reoffer_after().total_seconds() + 1)
        for d in RoutingDecision.objects.filter(room__tenant=self.tenant, outcome__in=acd_offers.RELEASE_OUTCOMES):
            RoutingDecision.objects.filter(pk=d.pk).update(created_at=d.created_at - past)
        self.declines.clear()
        queues.dispatch_queued()  # what the timer loop's sweep does meanwhile

    # invariants -------------------------------------------------------------------------------
    @invariant()
    def capacity_and_cache(self):
        counts = self.held()
        for agent in User.objects.select_related("team").filter(pk__in=self.agent_ids):
            n, limit = counts.get(agent.pk, 0), self.limit(agent.pk)
            assert agent.effective_session_limit == limit, (agent.username, agent.effective_session_limit, limit)
            assert n <= max(limit, self.over_limit_allowance[agent.pk]), (agent.username, n, limit, self.over_limit_allowance[agent.pk])
            # what a lowered limit allows shrinks with what they hold; it never grows back
            self.over_limit_allowance[agent.pk] = n if n > limit else 0
            if n >= limit:
                event("an agent at their limit")
                REACHED["an agent at their limit"] += 1
            assert agent.held == n, (agent.username, agent.held, n)
            # the engine finds candidates by this flag: it must never be stale after a step
            assert agent.routable == capacity.agent_routable(agent, n), (agent.username, agent.routable, agent.state, n)
            # ... nor its copies on the agent's skills, which the candidate query walks
            for link in AgentSkill.objects.filter(agent=agent):
                assert (link.agent_routable, link.agent_idle_since) == (agent.routable, agent.idle_since), (agent.username, link.skill_id)

    @invariant()
    def declined_rooms_are_not_reoffered_before_the_delay(self):
        offers = list(RoutingDecision.objects.filter(room__tenant=self.tenant, outcome="offered", id__gt=self.seen_decision)
                      .values_list("id", "room_id", "agent_id"))
        for _id, room_id, agent_id in offers:
            assert (room_id, agent_id) not in self.declines, f"room {room_id} offered again to agent {agent_id}, who declined it"
        self.seen_decision = max([self.seen_decision, *(o[0] for o in offers)])
        for room_id, agent_id in self.rooms(state__in=[RoomState.OFFERED, RoomState.ACTIVE]).values_list("id", "agent_id"):
            assert (room_id, agent_id) not in self.declines, f"room {room_id} held by agent {agent_id}, who declined it"

    @invariant()
    def one_agent_per_room(self):
        for room in self.rooms().values("id", "state", "agent_id", "skill_id", "offer_expires_at", "accepted_at", "expires_at",
                                        "closed_at", "channel"):
            assert room["state"] in RoomState.values
            if room["state"] == RoomState.QUEUED:
                assert room["agent_id"] is None and room["offer_expires_at"] is None, room
            elif room["state"] in (RoomState.OFFERED, RoomState.ACTIVE):
                assert room["agent_id"] in self.skills, room  # one agent, of this tenant
                assert room["skill_id"] in self.skills[room["agent_id"]], room
                if room["state"] == RoomState.OFFERED:
                    assert room["offer_expires_at"] is not None and room["accepted_at"] is None, room
                else:
                    assert room["accepted_at"] is not None, room
                    assert (room["expires_at"] is not None) == (room["channel"] == Channel.SMS), room
            else:
                assert room["closed_at"] is not None, room
                assert room["agent_id"] is None or room["agent_id"] in self.skills, room

    @invariant()
    def no_room_waits_while_someone_may_take_it(self):
        queued = list(self.rooms(state=RoomState.QUEUED).values("id", "skill_id", "declined_by"))
        self.most_queued = max(self.most_queued, len(queued))
        if not queued:
            return
        event("a non-empty queue")
        REACHED["a non-empty queue"] += 1
        free = [a for a in User.objects.select_related("team").filter(pk__in=self.agent_ids, state=AgentState.AVAILABLE)
                if a.held < self.limit(a.pk)]
        for room in queued:
            able = [a.pk for a in free if room["skill_id"] in self.skills[a.pk]]
            if able and all(a in room["declined_by"] for a in able):
                event("a queued room whose only free agents declined it")
                REACHED["a queued room whose only free agent declined it"] += 1
            for agent in free:
                assert not (room["skill_id"] in self.skills[agent.pk] and agent.pk not in room["declined_by"]), \
                    (room, agent.username, agent.held, agent.effective_session_limit)

    @invariant()
    def open_rooms_per_contact(self):
        dupes = (self.rooms(channel=Channel.SMS).exclude(state=RoomState.CLOSED).values("contact_number")
                 .annotate(n=Count("id")).filter(n__gt=1))
        assert not dupes.exists()


@pytest.mark.django_db
def test_routing_state_machine(settings):
    settings.CXSMS_REOFFER_AFTER = 3600
    settings.CXSMS_OFFER_TIMEOUT = 3600  # offers lapse only by the step that lapses one, not by a slow run's clock
    for key in REACHED:
        REACHED[key] = 0
    # The seed and the example database come from the profile tests/conftest.py loads.
    run_state_machine_as_test(RoutingMachine, settings=hsettings(
        max_examples=30, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    assert all(REACHED.values()), REACHED  # the situations the invariants are about were reached
