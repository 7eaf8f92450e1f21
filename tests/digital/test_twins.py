"""The hand-written SQL of the Digital path against the Python rules it mirrors, on random data: who may
get a case and in which order (selectors.candidates, rules.under_limit and rules.candidate_order), and
an agent's load (selectors.case_load); a new case behind a waiting one (queue order)."""
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from digital import rules, selectors
from digital.choices import COUNTING_STATES, CaseState
from digital.models import Case, Queue
from routing.choices import AgentState
from routing.models import User
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.pg]  # also on PostgreSQL, whose NULL ordering differs


@pytest.mark.parametrize("seed", range(12))
def test_candidates_in_sql_follow_the_python_rules(seed):
    rnd = random.Random(seed)
    tenant = f.tenant(digital=True, delivery="digital", case_limit=rnd.randint(1, 4))
    poc = f.sms_poc(tenant)
    queue = Queue.objects.create(tenant=tenant, name="Q", is_fallback=True)
    other = Queue.objects.create(tenant=tenant, name="Other")
    start = timezone.now() - timedelta(hours=5)
    agents = []
    for i in range(rnd.randint(3, 16)):
        a = f.agent(tenant, username=f"a{seed}-{i}", state=rnd.choice([AgentState.AVAILABLE, AgentState.AVAILABLE, AgentState.UNAVAILABLE]))
        # ties on idle time too: the lowest id decides them
        User.objects.filter(pk=a.pk).update(idle_since=start + timedelta(minutes=rnd.choice([5, 10, 20, 40, 80])))
        if rnd.random() < 0.3:
            User.objects.filter(pk=a.pk).update(case_limit=rnd.randint(0, 5))
        if rnd.random() < 0.1:
            User.objects.filter(pk=a.pk).update(is_active=False)
        (queue if rnd.random() < 0.8 else other).agents.add(a)
        for j in range(rnd.randint(0, 6)):
            assigned = start + timedelta(minutes=rnd.choice([5, 10, 20, 40, 80])) if rnd.random() < 0.85 else None
            Case.objects.create(tenant=tenant, point_of_contact=poc, contact_number=f"+1212{seed:02d}{i:02d}{j}00", poc_number=poc.number,
                                state=rnd.choice(list(CaseState)) if j else CaseState.CLOSED, agent=a, assigned_at=assigned)
        # the load as the services keep it on the agent's row (tests/digital/test_loads.py shows they do)
        User.objects.filter(pk=a.pk).update(case_load=Case.objects.filter(agent=a, state__in=COUNTING_STATES).count())
        agents.append(a)
    ids = [a.pk for a in agents]
    case = Case(tenant=tenant, queue=queue, preferred_agent_id=rnd.choice(ids + [None, None]))
    excluded = set(rnd.sample(ids, rnd.randint(0, 2)))

    expected = []
    for a in User.objects.filter(pk__in=ids).select_related("tenant"):
        cases = Case.objects.filter(agent=a)
        load = sum(c.state in COUNTING_STATES for c in cases)
        assert selectors.case_load(a) == load
        if (a.pk in excluded or not a.is_active or a.state != AgentState.AVAILABLE or not queue.agents.filter(pk=a.pk).exists()
                or not rules.under_limit(load, a.case_limit, a.tenant.case_limit)):
            continue
        expected.append(rules.candidate_order(a.pk, load, a.idle_since, case.preferred_agent_id))
    expected = [key[-1] for key in sorted(expected)][:selectors.CANDIDATES]
    assert selectors.candidates(case, excluded) == expected
    # A new case, first in line: the same agents while no case waits on its queue, nobody once one does.
    assert selectors.candidates(case, excluded, first_in_line=True) == expected
    Case.objects.create(tenant=tenant, point_of_contact=poc, contact_number=f"+1213{seed:02d}0000", poc_number=poc.number, queue=other)
    assert selectors.candidates(case, excluded, first_in_line=True) == expected  # waiting on another queue
    Case.objects.create(tenant=tenant, point_of_contact=poc, contact_number=f"+1213{seed:02d}0001", poc_number=poc.number, queue=queue)
    assert selectors.candidates(case, excluded, first_in_line=True) == []
