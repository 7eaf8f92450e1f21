"""A Hypothesis state machine over the routing services (R3, R4, R13).

Steps: SMS and chat arrivals, accept, reject, lapse, end (by the agent or an administrator),
expiry, agent state changes, team-limit and per-user-limit changes, and the queue sweep. After
every step the database must satisfy:

- capacity: no agent holds more offered + active rooms than their effective limit, unless the
  limit was lowered under them, and then their count never grows;
- one agent per room: queued rooms have no agent; offered and active rooms have exactly one agent,
  of the room's tenant, holding the room's skill; closed rooms keep the agent who last held them
  (none if they closed while queued), for the transcript history;
- every room is queued, offered, active or closed, with the timestamps of its state;
- User.held equals the true count of offered + active rooms;
- work conservation: no room waits in the queue while an agent who may take it is available,
  holds its skill, has a free slot and has not declined it (declines stay for the test:
  CXSMS_REOFFER_AFTER is an hour).
"""
import itertools
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, settings as hsettings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from routing import engine, services, texthub
from routing.choices import AgentState, Channel, RoomState
from routing.models import AgentSkill, Room, Team, User
from tests import factories as f

CONTACTS = ["+14155550%03d" % i for i in range(1, 7)]
_example = itertools.count(1)
_sid = itertools.count(1)


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
        self.previous = {a: 0 for a in self.agent_ids}

    def teardown(self):
        # Examples share the test's transaction; leave this tenant's data inert for the next ones.
        User.objects.filter(pk__in=self.agent_ids).update(state=AgentState.LOGGED_OUT)

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
        texthub.inbound_sms(poc=self.sms_poc, message_sid="SMmachine%012d" % next(_sid), from_number=contact, body=body)

    @rule()
    def chat_arrives(self):
        texthub.chat_start(poc=self.chat_poc, name="Visitor", body="hello")

    @precondition(lambda self: self.ids(state=RoomState.OFFERED))
    @rule(data=st.data())
    def accept(self, data):
        room = self.pick(data, state=RoomState.OFFERED)
        texthub.room_accept(room=room, agent=room.agent)

    @precondition(lambda self: self.ids(state=RoomState.OFFERED))
    @rule(data=st.data())
    def reject(self, data):
        room = self.pick(data, state=RoomState.OFFERED)
        texthub.room_reject(room=room, agent=room.agent)

    @precondition(lambda self: self.ids(state=RoomState.OFFERED))
    @rule(data=st.data())
    def offer_lapses(self, data):
        room = self.pick(data, state=RoomState.OFFERED)
        Room.objects.filter(pk=room.pk).update(offer_expires_at=timezone.now() - timedelta(seconds=1))
        assert engine.lapse_offers() >= 1
        assert User.objects.get(pk=room.agent_id).state == AgentState.UNAVAILABLE

    @precondition(lambda self: self.ids(state=RoomState.ACTIVE))
    @rule(data=st.data())
    def agent_ends(self, data):
        room = self.pick(data, state=RoomState.ACTIVE)
        texthub.room_end(room=room, actor=room.agent)

    @precondition(lambda self: self.ids(state__in=[RoomState.QUEUED, RoomState.OFFERED, RoomState.ACTIVE]))
    @rule(data=st.data())
    def administrator_ends(self, data):
        room = self.pick(data, state__in=[RoomState.QUEUED, RoomState.OFFERED, RoomState.ACTIVE])
        texthub.room_end(room=room, actor=self.admin)

    @precondition(lambda self: self.ids(state=RoomState.ACTIVE, channel=Channel.SMS))
    @rule(data=st.data())
    def session_expires(self, data):
        room = self.pick(data, state=RoomState.ACTIVE, channel=Channel.SMS)
        Room.objects.filter(pk=room.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert texthub.expire_rooms() >= 1

    @rule(i=st.integers(0, 3), state=st.sampled_from(AgentState.values))
    def agent_state(self, i, state):
        services.agent_set_state(agent=User.objects.get(pk=self.agent_ids[i]), state=state)

    @rule(limit=st.integers(1, 4))
    def team_limit(self, limit):
        team = Team.objects.get(pk=self.team.pk)
        team.session_limit = limit
        services.object_save(instance=team)

    @rule(i=st.integers(0, 3), limit=st.one_of(st.none(), st.integers(1, 4)))
    def user_limit(self, i, limit):
        user = User.objects.get(pk=self.agent_ids[i])
        user.session_limit = limit
        services.user_save(user=user)

    @rule()
    def queue_sweep(self):
        engine.dispatch_queued()

    # invariants -------------------------------------------------------------------------------
    @invariant()
    def capacity_and_cache(self):
        counts = dict(self.rooms(state__in=[RoomState.OFFERED, RoomState.ACTIVE]).values_list("agent_id").annotate(n=Count("id")))
        for agent in User.objects.select_related("team").filter(pk__in=self.agent_ids):
            n = counts.get(agent.pk, 0)
            assert n <= max(agent.effective_session_limit, self.previous[agent.pk]), (agent.username, n, agent.effective_session_limit)
            assert agent.held == n, (agent.username, agent.held, n)
            # the engine finds candidates by this flag: it must never be stale after a step
            assert agent.routable == engine.agent_routable(agent, n), (agent.username, agent.routable, agent.state, n)
            # ... nor its copies on the agent's skills, which the candidate query walks
            for link in AgentSkill.objects.filter(agent=agent):
                assert (link.agent_routable, link.agent_idle_since) == (agent.routable, agent.idle_since), (agent.username, link.skill_id)
            self.previous[agent.pk] = n

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
        if not queued:
            return
        free = [a for a in User.objects.select_related("team").filter(pk__in=self.agent_ids, state=AgentState.AVAILABLE)
                if a.held < a.effective_session_limit]
        for room in queued:
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
    run_state_machine_as_test(RoutingMachine, settings=hsettings(
        max_examples=30, stateful_step_count=30, deadline=None, derandomize=False, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
