"""R15 under real concurrency on PostgreSQL: 100 texts from 100 numbers at once against 5 agents with a
concurrent-case limit of 3 give exactly 15 cases to agents (3 each, none twice) and leave 85 waiting;
freeing places assigns the waiting cases in queue order (priority, then age). Each parallel request
dispatches waiting cases in its own transaction: only the agent row lock and the recount under it
keep them from over-assigning (digital/services.py)."""
import logging
from collections import Counter

import pytest
from django.test import Client

from digital import services as digital_services
from digital.models import Case, Filter, Queue
from routing import services
from routing.choices import AgentState
from tests import factories as f
from tests.hub import post_inbound
from tests.pg.test_routing_concurrency import ensure_us, run_parallel

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


def test_hundred_texts_at_once_never_put_an_agent_over_the_limit(caplog):
    caplog.set_level(logging.WARNING)
    ensure_us()
    tenant = f.tenant("Parallel Adventures", digital=True, delivery="digital", case_limit=3)
    poc = f.sms_poc(tenant, "+12125550177")
    agents = [f.agent(tenant, username=f"dx{i}", state=AgentState.AVAILABLE) for i in range(5)]
    vip = digital_services.queue_save(instance=Queue(tenant=tenant, name="VIP", priority=1), agents=agents)
    general = digital_services.queue_save(instance=Queue(tenant=tenant, name="General", priority=2, is_fallback=True), agents=agents)
    services.object_save(instance=Filter(tenant=tenant, queue=vip, position=1, keywords="#vip"))
    numbers = [f"+1415557{i:04d}" for i in range(100)]
    bodies = {n: ("#vip help" if i % 10 == 0 else "hello") for i, n in enumerate(numbers)}
    statuses = run_parallel([lambda n=n: post_inbound(Client(), poc, n, bodies[n]).status_code for n in numbers], workers=20)
    assert Counter(statuses) == {200: 100}
    cases = Case.objects.filter(tenant=tenant)
    assert cases.count() == 100 and cases.values("contact_number").distinct().count() == 100
    assigned = cases.filter(agent__isnull=False)
    assert assigned.count() == 15
    assert Counter(assigned.values_list("agent_id", flat=True)) == {a.pk: 3 for a in agents}
    assert cases.filter(agent__isnull=True, state="new").count() == 85
    assert [r.levelname for r in caplog.records if r.levelno >= logging.ERROR] == []

    # Resolving frees places: waiting cases follow in queue order (the VIP queue first, then the oldest).
    waiting_before = list(cases.filter(agent__isnull=True).order_by("queue__priority", "waiting_since", "id").values_list("id", flat=True))
    agent = agents[0]
    mine = list(Case.objects.filter(agent=agent))
    for case in mine:
        digital_services.case_accept(case=case, agent=agent)
    run_parallel([lambda c=c: digital_services.case_set_state(case=c, actor=agent, state="resolved").state for c in mine], workers=3)
    now_assigned = Case.objects.filter(agent=agent, state="new").order_by("assigned_at")
    assert sorted(now_assigned.values_list("id", flat=True)) == sorted(waiting_before[:3])
    assert Case.objects.filter(agent=agent, state__in=("new", "open", "escalated")).count() == 3
    assert Case.objects.filter(queue=general).exists()
