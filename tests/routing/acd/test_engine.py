"""The ACD routing engine (R4, R13): decide() without a database, then the services that apply it."""
import itertools
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from routing import jobs, services
from routing.hub import rooms
from routing.acd import agents as acd_agents, candidates, capacity, decision as acd_decision, declines, offers, queues
from routing.choices import AgentState, Channel, RoomState, SkipReason
from routing.acd.decision import Candidate, decide
from routing.models import Room, RoutingDecision, User
from tests import factories as f
from tests.api.conftest import client_for
from tests.hub import post_inbound

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=dt_timezone.utc)
_contact = itertools.count(1000)


def cand(id, username=None, state=AgentState.AVAILABLE, proficiency=1, held=0, limit=5, idle=0, declined=False):
    return Candidate(id=id, username=username or f"a{id}", state=state, proficiency=proficiency, held=held, limit=limit,
                     idle_since=T0 + timedelta(minutes=idle), declined=declined)


def reasons(decision):
    return {username: reason for _id, username, reason in decision.skipped}


# --- decide(): pure, no database ----------------------------------------------------------------

def test_three_bears_snapshot_for_an_sms_and_a_chat():
    # Team limit 5. Mama: chat+SMS, holds 4; Papa: chat only, holds 3; Baby: SMS only, holds 4.
    mama = dict(id=1, username="mama", held=4, idle=0)
    papa = dict(id=2, username="papa", held=3, idle=1)
    baby = dict(id=3, username="baby", held=4, idle=2)
    sms = decide([cand(**mama), cand(**papa, proficiency=None), cand(**baby)])
    assert sms.agent_id == 1  # Mama and Baby are both eligible; Mama has been idle longer
    assert reasons(sms) == {"papa": SkipReason.NO_SKILL, "baby": SkipReason.LOWER_RANK}
    chat = decide([cand(**mama), cand(**papa), cand(**baby, proficiency=None)])
    assert chat.agent_id == 1 and reasons(chat) == {"papa": SkipReason.LOWER_RANK, "baby": SkipReason.NO_SKILL}
    # Once Mama holds 5, Papa gets the chat and Baby still gets the SMS.
    mama["held"] = 5
    assert decide([cand(**mama), cand(**papa), cand(**baby, proficiency=None)]).agent_id == 2
    assert decide([cand(**mama), cand(**papa, proficiency=None), cand(**baby)]).agent_id == 3
    # Papa at 5 chats: at the limit; Baby never gets a chat.
    papa["held"] = 5
    chat = decide([cand(**mama), cand(**papa), cand(**baby, proficiency=None)])
    assert chat.agent_id is None
    assert reasons(chat) == {"mama": SkipReason.AT_LIMIT, "papa": SkipReason.AT_LIMIT, "baby": SkipReason.NO_SKILL}


def test_best_proficiency_wins_over_idle_time():
    d = decide([cand(1, proficiency=3, idle=0), cand(2, proficiency=1, idle=50), cand(3, proficiency=2, idle=-10)])
    assert d.agent_id == 2
    assert [r for _i, _u, r in d.skipped] == [SkipReason.LOWER_RANK, SkipReason.LOWER_RANK]


def test_equal_proficiency_idle_longest_wins():
    assert decide([cand(1, idle=5), cand(2, idle=-5), cand(3, idle=0)]).agent_id == 2


def test_full_tie_lowest_id_wins_whatever_the_order():
    assert decide([cand(9), cand(4), cand(7)]).agent_id == 4


def test_unknown_idle_time_counts_as_idle_longest():
    never = Candidate(id=5, username="new", state=AgentState.AVAILABLE, proficiency=1, held=0, limit=5, idle_since=None)
    assert decide([cand(1, idle=-1000), never]).agent_id == 5


@pytest.mark.parametrize("kwargs,reason", [
    (dict(proficiency=None), SkipReason.NO_SKILL),
    (dict(state=AgentState.LOGGED_OUT), SkipReason.LOGGED_OUT),
    (dict(state=AgentState.UNAVAILABLE), SkipReason.UNAVAILABLE),
    (dict(declined=True), SkipReason.REJECTED),
    (dict(held=5, limit=5), SkipReason.AT_LIMIT),
    (dict(held=7, limit=5), SkipReason.AT_LIMIT),  # over after the limit was lowered
    (dict(proficiency=2), SkipReason.LOWER_RANK),
])
def test_every_skip_reason(kwargs, reason):
    d = decide([cand(1), cand(2, username="other", **kwargs)])
    assert d.agent_id == 1
    assert d.skipped == ((2, "other", reason),)


def test_skip_reasons_are_checked_in_a_fixed_order():
    # No skill explains more than being logged out, logged out more than being at the limit.
    d = decide([cand(1, proficiency=None, state=AgentState.LOGGED_OUT, held=9),
                cand(2, state=AgentState.LOGGED_OUT, held=9, declined=True),
                cand(3, state=AgentState.UNAVAILABLE, declined=True),
                cand(4, declined=True, held=9)])
    assert d.agent_id is None
    assert [r for _i, _u, r in d.skipped] == [SkipReason.NO_SKILL, SkipReason.LOGGED_OUT, SkipReason.UNAVAILABLE, SkipReason.REJECTED]


def test_nobody_and_nothing():
    assert decide([]) == acd_decision.Decision(None, ())


def test_just_below_the_limit_is_eligible():
    assert decide([cand(1, held=4, limit=5)]).agent_id == 1
    assert decide([cand(1, held=11, limit=12)]).agent_id == 1
    assert decide([cand(1, held=0, limit=1)]).agent_id == 1


# --- services ---------------------------------------------------------------------------------

class Acd:
    """One tenant wired for routing, and the real entry points to drive it."""

    def __init__(self, limit=2, n=0):
        self.tenant = f.tenant(f"Routing Co {n}")
        self.team = f.team(self.tenant, "Front line", session_limit=limit)
        self.sms = f.skill(self.tenant, "SMS support")
        self.chat = f.skill(self.tenant, "Chat support", channel=Channel.CHAT)
        self.poc = f.sms_poc(self.tenant, "+1212555%04d" % (160 + n), skill=self.sms)
        self.chat_poc = f.chat_poc(self.tenant, f"help-{n}", skill=self.chat)
        self.admin = f.admin(self.tenant, username=f"boss{n}")
        self.client = Client()

    def agent(self, username, skills=None, state=AgentState.AVAILABLE, **kw):
        skills = [self.sms] if skills is None else skills
        return f.agent(self.tenant, username=username, team=self.team, skills=skills, state=state, **kw)

    def text(self, body="Hello", contact=None):
        contact = contact or "+1415555%04d" % next(_contact)
        r = post_inbound(self.client, self.poc, contact, body)
        assert r.status_code == 200, r.content
        return Room.objects.get(point_of_contact=self.poc, contact_number=contact, state__in=["queued", "offered", "active"])

    def chat_in(self, name="Goldi", body="Hi"):
        r = self.client.post(f"/chat/{self.chat_poc.slug}/", {"name": name, "body": body}, content_type="application/json")
        assert r.status_code == 201, r.content
        return Room.objects.get(pk=r.json()["room"])


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def held_is_true(agent):
    agent = fresh(agent)
    return agent.held == Room.objects.filter(agent=agent, state__in=["offered", "active"]).count()


@pytest.fixture
def acd(db):
    return Acd()


pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_new_text_is_offered_to_the_best_agent_and_recorded(acd):
    expert = acd.agent("expert")
    novice = acd.agent("novice")
    services.user_set_skills(user=novice, skills=[(acd.sms, 5)])
    room = acd.text()
    assert room.state == RoomState.OFFERED and room.agent == expert
    assert room.offer_expires_at is not None and fresh(expert).held == 1
    decision = RoutingDecision.objects.get(room=room)
    assert decision.outcome == "offered" and decision.agent == expert and decision.trigger == "new text"
    assert {s["username"]: s["reason"] for s in decision.skipped} == {"novice": "lower_rank"}


@pytestmark_db
def test_no_agent_free_the_room_waits_in_the_queue(acd):
    away = acd.agent("away", state=AgentState.UNAVAILABLE)
    room = acd.text()
    assert room.state == RoomState.QUEUED and room.agent is None
    decision = RoutingDecision.objects.get(room=room)
    assert decision.outcome == "queued" and decision.skipped == [{"agent": away.pk, "username": "away", "reason": "unavailable"}]


@pytestmark_db
def test_reject_goes_to_the_next_agent(acd):
    first = acd.agent("first")
    second = acd.agent("second")
    User.objects.filter(pk=second.pk).update(idle_since=timezone.now() + timedelta(minutes=1))
    room = acd.text()
    assert room.agent == first
    declines.room_reject(room=room, agent=first)
    room = fresh(room)
    assert room.state == RoomState.OFFERED and room.agent == second and room.declined_by == [first.pk]
    assert held_is_true(first) and held_is_true(second) and fresh(first).held == 0
    last = RoutingDecision.objects.filter(room=room).last()
    assert last.outcome == "offered" and last.trigger == "offer rejected"
    assert {s["username"]: s["reason"] for s in last.skipped}["first"] == "rejected"
    # The second agent rejects too: nobody is left, the room waits with its place in the queue.
    declines.room_reject(room=room, agent=second)
    room = fresh(room)
    assert room.state == RoomState.QUEUED and sorted(room.declined_by) == sorted([first.pk, second.pk])
    assert [d.outcome for d in RoutingDecision.objects.filter(room=room)] == ["offered", "rejected", "offered", "rejected", "queued"]


@pytestmark_db
def test_a_rejecting_agent_gets_the_other_queued_rooms(acd):
    agent = acd.agent("solo", state=AgentState.UNAVAILABLE)
    a, b = acd.text("first"), acd.text("second")
    acd_agents.agent_set_state(agent=agent, state=AgentState.AVAILABLE)  # limit 2: offered both
    assert fresh(a).agent == agent and fresh(b).agent == agent
    declines.room_reject(room=a, agent=agent)
    c = acd.text("third")
    assert fresh(c).agent == agent and fresh(a).state == RoomState.QUEUED


@pytestmark_db
def test_lapsed_offer_goes_to_the_next_agent_and_the_lapser_becomes_unavailable(acd, settings):
    settings.CXSMS_OFFER_TIMEOUT = 45
    slow = acd.agent("slow")
    quick = acd.agent("quick")
    User.objects.filter(pk=quick.pk).update(idle_since=timezone.now() + timedelta(minutes=1))
    room = acd.text()
    assert room.agent == slow
    assert declines.lapse_offers(now=timezone.now() + timedelta(seconds=30)) == 0  # not yet
    assert declines.lapse_offers(now=timezone.now() + timedelta(seconds=46)) == 1
    room = fresh(room)
    assert room.state == RoomState.OFFERED and room.agent == quick
    assert fresh(slow).state == AgentState.UNAVAILABLE and fresh(slow).held == 0
    assert [d.outcome for d in RoutingDecision.objects.filter(room=room)] == ["offered", "lapsed", "offered"]


@pytestmark_db
def test_lapse_through_the_timer_sweep_with_time_travel(acd, settings):
    settings.CXSMS_OFFER_TIMEOUT = 45
    slow = acd.agent("slow")
    room = acd.text()
    with time_machine.travel(timezone.now() + timedelta(seconds=50), tick=False):
        assert jobs.sweep()["acd.lapse_sweep"] == 1
    room = fresh(room)
    assert room.state == RoomState.QUEUED and room.declined_by == [slow.pk]  # nobody else: it waits
    assert fresh(slow).state == AgentState.UNAVAILABLE


@pytestmark_db
def test_lapser_back_available_gets_the_room_after_the_reoffer_delay(acd, settings):
    settings.CXSMS_OFFER_TIMEOUT = 45
    settings.CXSMS_REOFFER_AFTER = 120
    solo = acd.agent("solo")
    room = acd.text()
    start = timezone.now()
    declines.lapse_offers(now=start + timedelta(seconds=46))
    acd_agents.agent_set_state(agent=solo, state=AgentState.AVAILABLE)
    assert fresh(room).state == RoomState.QUEUED  # declined recently: not offered again at once
    with time_machine.travel(start + timedelta(seconds=100), tick=False):
        jobs.sweep()
    assert fresh(room).state == RoomState.QUEUED
    with time_machine.travel(start + timedelta(seconds=200), tick=False):
        jobs.sweep()
    room = fresh(room)
    assert room.state == RoomState.OFFERED and room.agent == solo and room.declined_by == []
    assert RoutingDecision.objects.filter(room=room).last().trigger == "queue sweep; declines forgotten"


@pytestmark_db
def test_declines_are_kept_while_someone_else_can_take_the_room(acd, settings):
    settings.CXSMS_REOFFER_AFTER = 0
    a = acd.agent("a")
    b = acd.agent("b")
    User.objects.filter(pk=b.pk).update(idle_since=timezone.now() + timedelta(minutes=1))
    room = acd.text()
    declines.room_reject(room=room, agent=a)
    assert fresh(room).agent == b  # the other agent, not a again


# --- the room is offered the moment capacity frees --------------------------------------------

@pytest.fixture
def full(acd):
    """One agent at the limit (2 accepted texts) and a third text waiting."""
    agent = acd.agent("agent")
    held = [acd.text("one"), acd.text("two")]
    for room in held:
        offers.room_accept(room=room, agent=agent)
    waiting = acd.text("three")
    assert waiting.state == RoomState.QUEUED
    return agent, held, waiting


@pytestmark_db
def test_room_end_offers_the_queued_room(acd, full):
    agent, held, waiting = full
    rooms.room_end(room=held[0], actor=agent)
    waiting = fresh(waiting)
    assert waiting.state == RoomState.OFFERED and waiting.agent == agent
    assert RoutingDecision.objects.filter(room=waiting).last().trigger == "capacity freed"
    assert fresh(agent).held == 2 and held_is_true(agent)


@pytestmark_db
def test_expiry_offers_the_queued_room(acd, full):
    agent, held, waiting = full
    assert rooms.expire_rooms(now=timezone.now() + timedelta(hours=3)) == 2
    assert fresh(waiting).state == RoomState.OFFERED and fresh(waiting).agent == agent
    assert held_is_true(agent)


@pytestmark_db
def test_team_limit_raised_offers_the_queued_room(acd, full):
    agent, held, waiting = full
    team = fresh(acd.team)
    team.session_limit = 3
    services.object_save(instance=team)
    assert fresh(waiting).state == RoomState.OFFERED and fresh(waiting).agent == agent


@pytestmark_db
def test_user_override_raised_offers_the_queued_room(acd, full):
    agent, held, waiting = full
    agent = fresh(agent)
    agent.session_limit = 3
    services.user_save(user=agent)
    assert fresh(waiting).agent == agent


@pytestmark_db
def test_agent_becoming_available_gets_the_queued_room(acd):
    agent = acd.agent("late", state=AgentState.LOGGED_OUT)
    waiting = acd.text()
    assert waiting.state == RoomState.QUEUED
    acd_agents.agent_set_state(agent=agent, state=AgentState.AVAILABLE)
    waiting = fresh(waiting)
    assert waiting.state == RoomState.OFFERED and waiting.agent == agent


@pytestmark_db
def test_queue_order_is_priority_then_age(acd):
    from routing.models import RoutingRule

    services.object_save(instance=RoutingRule(point_of_contact=acd.poc, position=1, kind="keyword", pattern="URGENT",
                                              skill=acd.sms, priority=9))
    agent = acd.agent("agent", state=AgentState.UNAVAILABLE)
    old = acd.text("routine question")
    newer = acd.text("another question")
    urgent = acd.text("URGENT please")
    assert (old.priority, urgent.priority) == (5, 9)
    acd_agents.agent_set_state(agent=agent, state=AgentState.AVAILABLE)  # limit 2
    assert fresh(urgent).agent == agent and fresh(old).agent == agent
    assert fresh(newer).state == RoomState.QUEUED


@pytestmark_db
def test_a_room_declined_by_the_freed_agent_does_not_block_the_queue(acd, settings):
    settings.CXSMS_REOFFER_AFTER = 3600
    agent = acd.agent("agent", state=AgentState.AVAILABLE, session_limit=1)
    first = acd.text("first")
    declines.room_reject(room=first, agent=agent)
    second = acd.text("second")
    assert fresh(second).agent == agent and fresh(first).state == RoomState.QUEUED
    offers.room_accept(room=fresh(second), agent=agent)
    later = [acd.text(f"later {i}") for i in range(3)]
    rooms.room_end(room=fresh(second), actor=agent)
    assert fresh(later[0]).agent == agent and fresh(first).state == RoomState.QUEUED


@pytestmark_db
def test_queue_sweep_routes_past_a_room_the_only_free_agent_declined(acd, settings):
    settings.CXSMS_REOFFER_AFTER = 3600
    agent = acd.agent("agent", session_limit=1)
    declined = acd.text("declined")
    declines.room_reject(room=declined, agent=agent)
    acd_agents.agent_set_state(agent=agent, state=AgentState.UNAVAILABLE)
    behind = acd.text("behind")
    User.objects.filter(pk=agent.pk).update(state=AgentState.AVAILABLE)  # no dispatch: only the sweep can help
    assert queues.dispatch_queued() == 1
    assert fresh(behind).agent == agent and fresh(declined).state == RoomState.QUEUED


# --- why did Papa Bear not get this text? ------------------------------------------------------

@pytestmark_db
def test_decisions_explain_why_papa_bear_did_not_get_the_text(acd):
    mama = acd.agent("mama", skills=[acd.sms, acd.chat])
    papa = acd.agent("papa", skills=[acd.chat])
    acd.agent("baby", skills=[acd.sms], state=AgentState.LOGGED_OUT)
    room = acd.text("Someone's been eating my porridge")
    assert room.agent == mama
    r = client_for(acd.admin).get(f"/api/v1/rooms/{room.pk}/decisions/")
    assert r.status_code == 200
    (decision,) = r.json()
    assert decision["outcome"] == "offered" and decision["agent"] == mama.pk and decision["skill"] == acd.sms.pk
    why = {s["username"]: s["reason"] for s in decision["skipped"]}
    assert why == {"papa": "no_skill", "baby": "logged_out"}
    assert papa.pk in {s["agent"] for s in decision["skipped"]}
    # An agent may not read the decisions; another tenant's administrator gets a 404.
    assert client_for(mama).get(f"/api/v1/rooms/{room.pk}/decisions/").status_code == 403
    other = f.admin(f.tenant("Other Co"))
    assert client_for(other).get(f"/api/v1/rooms/{room.pk}/decisions/").status_code == 404


@pytestmark_db
def test_room_without_a_skill_waits_and_says_why(acd):
    poc = f.sms_poc(acd.tenant, "+12125550199")  # no default skill, no rules
    acd.agent("someone")
    post_inbound(acd.client, poc, "+14155550000", "hi")
    room = Room.objects.get(point_of_contact=poc)
    assert room.state == RoomState.QUEUED and room.skill is None
    assert RoutingDecision.objects.get(room=room).skipped[0]["reason"] == "no_skill"


@pytestmark_db
def test_chat_and_sms_share_the_limit(acd):
    both = acd.agent("both", skills=[acd.sms, acd.chat])
    chat = acd.chat_in()
    sms = acd.text()
    assert chat.agent == both and sms.agent == both
    third = acd.chat_in()
    assert third.state == RoomState.QUEUED  # limit 2 reached by one chat + one SMS


# --- races and the cache ------------------------------------------------------------------------

@pytestmark_db
def test_a_stale_cache_never_exceeds_the_limit(acd):
    a = acd.agent("a")
    b = acd.agent("b")
    User.objects.filter(pk=b.pk).update(idle_since=timezone.now() + timedelta(minutes=1))
    acd.text(), acd.text()  # a and b get one each (a first: idle longest; then b)
    acd.text()
    assert fresh(a).held + fresh(b).held == 3
    # Someone else's process offered `a` a room the cache does not know about yet.
    User.objects.filter(pk=a.pk).update(held=0)
    User.objects.filter(pk=b.pk).update(held=0)
    room = acd.text()
    assert Room.objects.filter(agent=a, state__in=["offered", "active"]).count() <= 2
    assert Room.objects.filter(agent=b, state__in=["offered", "active"]).count() <= 2
    assert held_is_true(b)  # corrected under b's lock; `a` (full, so not routable) is never locked nor offered
    assert fresh(room).state == RoomState.OFFERED and fresh(room).agent == b  # the one free slot, found under the locks


@pytestmark_db
def test_route_room_ignores_rooms_that_are_not_queued(acd):
    agent = acd.agent("agent")
    room = acd.text()
    assert offers.route_room(room.pk) is None and fresh(room).agent == agent
    assert offers.route_room(999999) is None


@pytestmark_db
def test_repeated_queued_decisions_are_recorded_once(acd):
    room = acd.text()
    for _ in range(3):
        offers.route_room(room.pk, "queue sweep")
    assert list(RoutingDecision.objects.filter(room=room).values_list("outcome", flat=True)) == ["queued"]


# --- a constant number of queries per decision ----------------------------------------------------

def _queries_for_one_decision(acd, n_agents, busy):
    agents = [acd.agent(f"agent{n_agents}_{i}") for i in range(n_agents)]
    User.objects.filter(pk__in=[a.pk for a in agents[:busy]]).update(state=AgentState.UNAVAILABLE)
    capacity.refresh_routable(agent_ids=[a.pk for a in agents])  # what the service (or the sweep) does with the flags
    room = Room.objects.create(tenant=acd.tenant, channel=Channel.SMS, point_of_contact=acd.poc, contact_number="+14155559999",
                               poc_number=acd.poc.number, skill=acd.sms)
    with CaptureQueriesContext(connection) as ctx:
        assert offers.route_room(room.pk) is not None
    return len(ctx.captured_queries)


@pytestmark_db
@pytest.mark.parametrize("n_agents", [10, 200])
def test_queries_per_decision_do_not_grow_with_agents(acd, n_agents, django_assert_max_num_queries):
    agents = [acd.agent(f"agent{i}") for i in range(n_agents)]
    User.objects.filter(pk__in=[a.pk for a in agents[: n_agents // 2]]).update(state=AgentState.UNAVAILABLE)
    capacity.refresh_routable(agent_ids=[a.pk for a in agents])  # what the service (or the sweep) does with the flags
    room = Room.objects.create(tenant=acd.tenant, channel=Channel.SMS, point_of_contact=acd.poc, contact_number="+14155559999",
                               poc_number=acd.poc.number, skill=acd.sms)
    with django_assert_max_num_queries(16):
        assert offers.route_room(room.pk) is not None


@pytestmark_db
def test_same_number_of_queries_for_10_and_200_agents():
    counts = []
    for n in (10, 200):
        counts.append(_queries_for_one_decision(Acd(n=n), n, busy=n // 2))
    assert counts[0] == counts[1], counts


@pytestmark_db
def test_queue_sweep_routes_a_room_whose_routing_never_ran(acd):
    """A process that dies between storing a text and routing it leaves a queued room without a
    decision; with nobody free the ordinary sweep would not touch it, the orphan sweep does."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    acd.agent("agent", state=AgentState.UNAVAILABLE)
    room = Room.objects.create(tenant=acd.tenant, channel="sms", point_of_contact=acd.poc, contact_number="+12025550999",
                               poc_number=acd.poc.number, skill=acd.sms, state=RoomState.QUEUED)
    queues.dispatch_queued()
    assert not fresh(room).decisions.exists()  # too recent: its own routing may still be on the way
    with time_machine.travel(timezone.now() + timedelta(seconds=queues.ORPHAN_AFTER + 1)):
        queues.dispatch_queued()
    decision = fresh(room).decisions.get()
    assert (decision.outcome, decision.trigger) == ("queued", "recovered") and fresh(room).state == RoomState.QUEUED
    assert [d["reason"] for d in decision.skipped] == ["unavailable"]


@pytestmark_db
def test_the_only_free_agent_is_found_beyond_the_decision_records_first_agents(acd):
    """Candidates come from the skill's index of routable agents, not from the record's first
    RECORD_AGENTS agents: with 105 agents and only the last one free, the text still goes to them."""
    busy = [acd.agent(f"busy{i:03d}", state=AgentState.UNAVAILABLE) for i in range(candidates.RECORD_AGENTS + 4)]
    last = acd.agent("last-free")
    assert last.pk > max(a.pk for a in busy)
    room = acd.text()
    assert fresh(room).state == RoomState.OFFERED and fresh(room).agent == last
    decision = RoutingDecision.objects.get(room=room)
    assert decision.agent_id == last.pk and len(decision.skipped) == candidates.RECORD_AGENTS


@pytestmark_db
def test_services_keep_the_skill_copies_of_routable_and_idle_time(acd):
    from routing.models import AgentSkill

    agent = acd.agent("copycat")

    def copies():
        fresh_agent = fresh(agent)
        return {(link.agent_routable, link.agent_idle_since) == (fresh_agent.routable, fresh_agent.idle_since)
                for link in AgentSkill.objects.filter(agent=agent)}

    assert copies() == {True} and fresh(agent).routable
    acd_agents.agent_set_state(agent=fresh(agent), state=AgentState.UNAVAILABLE)
    assert copies() == {True} and not fresh(agent).routable
    acd_agents.agent_set_state(agent=fresh(agent), state=AgentState.AVAILABLE)
    services.user_set_skills(user=fresh(agent), skills=[acd.sms, acd.chat])  # a new skill row gets the copies too
    assert copies() == {True} and AgentSkill.objects.filter(agent=agent).count() == 2
    acd.text(), acd.text()  # limit 2: full
    assert copies() == {True} and not fresh(agent).routable
