"""R13 under real concurrency on PostgreSQL: 200 inbound texts from 200 contacts, posted at once by
parallel clients (threads, each with its own database connection, through the signed Twilio
webhook), against 10 agents with a session limit of 5 and one SMS skill.

Every request answers 200; 200 rooms are stored; exactly 50 are offered (10 agents x 5), none
twice and none to an agent over the limit; the other 150 wait in the queue; User.held matches the
rooms; no routing error (deadlock, serialization failure) was logged.
"""
import logging
import threading
from collections import Counter

import pytest
from django.db import connections
from django.db.models import Count
from django.test import Client

from routing.choices import AgentState, RoomState
from routing.models import Country, Message, Room, RoutingDecision, User
from tests import factories as f
from tests.hub import post_inbound

# tests/pg/conftest.py skips `pg` tests on SQLite (the first pass of make test).
pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]

AGENTS, LIMIT, TEXTS, WORKERS = 10, 5, 200, 24


def ensure_us():
    Country.objects.get_or_create(code="US", defaults={"name": "United States", "long": True, "toll_free": True, "short": True,
                                                       "digital": True})


def run_parallel(jobs, workers=WORKERS):
    """Run callables from `workers` threads released together by a barrier; each thread has its own
    database connection (Django's are per thread) and closes it at the end. Results in job order."""
    workers = min(workers, len(jobs))
    results = [None] * len(jobs)
    barrier = threading.Barrier(workers)

    def worker(k):
        try:
            barrier.wait(timeout=60)
            for i in range(k, len(jobs), workers):
                try:
                    results[i] = jobs[i]()
                except Exception as exc:  # reported by the caller's assertions
                    results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a worker is stuck (deadlock?)"
    return results


@pytest.fixture
def errors(caplog):
    caplog.set_level(logging.WARNING)
    yield lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_200_texts_10_agents_limit_5(errors):
    ensure_us()
    tenant = f.tenant("Concurrent Co")
    team = f.team(tenant, "Everyone", session_limit=LIMIT)
    sms = f.skill(tenant, "SMS")
    poc = f.sms_poc(tenant, "+12125550160", skill=sms)
    agents = [f.agent(tenant, username=f"agent{i}", team=team, skills=[sms], state=AgentState.AVAILABLE) for i in range(AGENTS)]

    def post(i):
        def job():
            return post_inbound(Client(), poc, "+1415555%04d" % i, f"text {i}").status_code
        return job

    statuses = run_parallel([post(i) for i in range(TEXTS)])
    assert Counter(statuses) == {200: TEXTS}, Counter(statuses)  # nothing deadlocked or failed

    rooms = Room.objects.filter(tenant=tenant)
    assert rooms.count() == TEXTS  # none lost
    assert Message.objects.filter(tenant=tenant).count() == TEXTS
    states = Counter(rooms.values_list("state", flat=True))
    assert states == {RoomState.OFFERED: AGENTS * LIMIT, RoomState.QUEUED: TEXTS - AGENTS * LIMIT}, states

    per_agent = dict(rooms.filter(state=RoomState.OFFERED).values_list("agent_id").annotate(n=Count("id")))
    assert per_agent == {a.pk: LIMIT for a in agents}  # 0 over the limit, everyone filled
    assert not rooms.filter(state=RoomState.OFFERED, agent__isnull=True).exists()
    assert not rooms.filter(state=RoomState.QUEUED, agent__isnull=False).exists()
    for agent in User.objects.filter(pk__in=[a.pk for a in agents]):
        assert agent.held == LIMIT

    offers = Counter(RoutingDecision.objects.filter(room__tenant=tenant, outcome="offered").values_list("room_id", flat=True))
    assert len(offers) == AGENTS * LIMIT and max(offers.values()) == 1  # no room offered twice
    assert RoutingDecision.objects.filter(room__tenant=tenant, outcome="queued").count() == TEXTS - AGENTS * LIMIT
    assert errors() == []


def test_capacity_freed_under_load_never_overfills(errors):
    """Texts keep arriving while agents end rooms: every end offers a queued room, never above the limit."""
    from routing.hub import rooms as hub_rooms
    from routing.acd import offers as acd_offers

    ensure_us()
    tenant = f.tenant("Churn Co")
    team = f.team(tenant, "Everyone", session_limit=2)
    sms = f.skill(tenant, "SMS")
    poc = f.sms_poc(tenant, "+12125550161", skill=sms)
    agents = [f.agent(tenant, username=f"churn{i}", team=team, skills=[sms], state=AgentState.AVAILABLE) for i in range(4)]
    first = run_parallel([lambda i=i: post_inbound(Client(), poc, "+1415556%04d" % i, "first").status_code for i in range(8)])
    assert set(first) == {200}
    held = list(Room.objects.filter(tenant=tenant, state=RoomState.OFFERED))
    assert len(held) == 8
    for room in held:
        acd_offers.room_accept(room=room, agent=room.agent)

    def end(room):
        def job():
            hub_rooms.room_end(room=Room.objects.get(pk=room.pk), actor=User.objects.get(pk=room.agent_id))
            return 200
        return job

    def text(i):
        return lambda: post_inbound(Client(), poc, "+1415557%04d" % i, "more").status_code

    jobs = [end(r) for r in held] + [text(i) for i in range(40)]
    jobs = [j for pair in zip(jobs[:8], jobs[8:16]) for j in pair] + jobs[16:]
    assert set(run_parallel(jobs)) == {200}

    rooms = Room.objects.filter(tenant=tenant)
    per_agent = dict(rooms.filter(state__in=[RoomState.OFFERED, RoomState.ACTIVE]).values_list("agent_id").annotate(n=Count("id")))
    assert per_agent == {a.pk: 2 for a in agents}, per_agent  # refilled to exactly the limit
    assert rooms.filter(state=RoomState.QUEUED).count() == 40 - 8
    for agent in User.objects.filter(pk__in=[a.pk for a in agents]):
        assert agent.held == 2
    assert errors() == []
