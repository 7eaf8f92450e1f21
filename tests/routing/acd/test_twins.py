"""Each rule that the hot path also runs as SQL is defined once in Python with its SQL twin beside it;
here the two are compared on random data (Hypothesis): the effective session limit (R3), the
routable condition (R4), the queue order (R13) and an agent's room scope (selectors.rooms_for's
agent branch against the socket's one-statement check)."""
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from routing import rules, selectors, sql
from routing.acd import capacity, queues
from routing.choices import AgentState, Role, RoomState
from routing.models import Room, User
from tests import factories as f

pytestmark = [pytest.mark.django_db]
SETTINGS = dict(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
limits = st.integers(rules.SESSION_LIMIT_MIN, rules.SESSION_LIMIT_MAX)


class Rollback(Exception):
    pass


def rolled_back(test):
    """Run one example in a transaction that is undone afterwards (examples share the test's database)."""
    try:
        with transaction.atomic():
            test()
            raise Rollback
    except Rollback:
        pass


@hsettings(**SETTINGS)
@given(people=st.lists(st.tuples(st.one_of(st.none(), limits), st.one_of(st.none(), limits)), min_size=1, max_size=8))
def test_effective_limit_python_and_sql_agree(people):
    def check():
        t = f.tenant()
        users = []
        for override, team_limit in people:
            team = f.team(t, session_limit=team_limit) if team_limit is not None else None
            users.append(f.agent(t, team=team, session_limit=override))
        in_sql = dict(sql.rows(f"SELECT u.id, {capacity.limit_sql()} FROM {sql.tables()['user']} u WHERE u.tenant_id = %s", [t.pk]))
        for user, (override, team_limit) in zip(users, people):
            user = User.objects.get(pk=user.pk)
            expected = override if override is not None else team_limit if team_limit is not None else 1
            assert user.effective_session_limit == rules.effective_session_limit(override, team_limit) == expected
            assert in_sql[user.pk] == expected
            assert capacity.agent_row(user.pk, lock=False)[0].effective_session_limit == expected
    rolled_back(check)


@hsettings(**SETTINGS)
@given(agents=st.lists(st.tuples(st.sampled_from([Role.AGENT, Role.SUPERVISOR]), st.booleans(), st.sampled_from(AgentState.values),
                                 st.integers(0, 13), limits), min_size=1, max_size=8))
def test_routable_python_and_sql_agree(agents):
    def check():
        t = f.tenant()
        made = []
        for role, active, state, held, limit in agents:
            u = f.user(t, role=role, session_limit=limit)
            User.objects.filter(pk=u.pk).update(is_active=active, state=state, held=held)
            made.append(u.pk)
        in_sql = dict(sql.rows(f"SELECT u.id, {capacity.routable_sql()} FROM {sql.tables()['user']} u WHERE u.tenant_id = %s", [t.pk]))
        for pk in made:
            u = User.objects.get(pk=pk)
            assert capacity.agent_routable(u, u.held) == bool(in_sql[pk]), (u.role, u.is_active, u.state, u.held, u.session_limit)
        # refresh_routable writes what the twin says, for all of them
        capacity.refresh_routable(agent_ids=made)
        for pk in made:
            u = User.objects.get(pk=pk)
            assert u.routable == capacity.agent_routable(u, u.held)
    rolled_back(check)


@hsettings(**SETTINGS)
@given(rooms=st.lists(st.tuples(st.integers(1, 9), st.integers(0, 5)), min_size=1, max_size=12))
def test_queue_order_python_and_sql_agree(rooms):
    def check():
        t = f.tenant()
        skill = f.skill(t)
        poc = f.sms_poc(t, skill=skill)
        base = timezone.now()
        for n, (priority, minutes) in enumerate(rooms):
            Room.objects.create(tenant=t, channel="sms", point_of_contact=poc, contact_number=f"+1202555{n:04d}", skill=skill,
                                state=RoomState.QUEUED, priority=priority, queued_at=base - timedelta(minutes=minutes))
        orm = list(queues.queue_order(Room.objects.filter(skill=skill, state=RoomState.QUEUED)).values_list("id", flat=True))
        raw = [r[0] for r in sql.rows(f"SELECT r.id FROM {sql.tables()['room']} r WHERE r.skill_id = %s AND r.state = %s "
                                      f"ORDER BY {queues.QUEUE_ORDER_SQL}", [skill.pk, RoomState.QUEUED])]
        assert orm == raw
    rolled_back(check)


@hsettings(**SETTINGS)
@given(rooms=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(RoomState.values), st.booleans()), min_size=1, max_size=10))
def test_room_scope_python_and_sql_agree(rooms):
    """Which rooms an agent may act on: the tenant's rooms offered or assigned to them."""
    def check():
        t, other = f.tenant(), f.tenant()
        skill = f.skill(t)
        poc, other_poc = f.sms_poc(t, skill=skill), f.sms_poc(other, skill=f.skill(other))
        agents = [f.agent(t), f.agent(t), f.agent(other)]
        made = []
        for n, (holder, state, own_tenant) in enumerate(rooms):
            made.append(Room.objects.create(
                tenant=t if own_tenant else other, channel="chat", point_of_contact=poc if own_tenant else other_poc,
                contact_name=f"c{n}", state=state, agent=agents[holder] if state != RoomState.QUEUED else None))
        for agent in agents:
            scoped = set(selectors.rooms_for(agent).values_list("id", flat=True))
            for room in made:
                _sign_in, theirs = selectors.sign_in_and_room(user_id=agent.pk, token_key="", session_key="", room_id=room.pk)
                assert theirs == (room.pk in scoped), (agent.pk, room.pk, room.state, room.agent_id)
    rolled_back(check)


@hsettings(**SETTINGS)
@given(dispositions=st.lists(st.tuples(st.booleans(), st.booleans(), st.sets(st.integers(0, 2), max_size=3)), max_size=6),
       room_skill=st.one_of(st.none(), st.integers(0, 2)))
def test_applicable_dispositions_python_and_sql_agree(dispositions, room_skill):
    from routing.models import Disposition

    def check():
        t, other = f.tenant(), f.tenant()
        skills = [f.skill(t) for _ in range(3)]
        for n, (active, required, for_skills) in enumerate(dispositions):
            d = Disposition.objects.create(tenant=t, name=f"code {n}", is_active=active, required=required)
            d.skills.set([skills[i] for i in for_skills])
        Disposition.objects.create(tenant=other, name="another company's", required=True)
        room = Room(tenant=t, skill=skills[room_skill] if room_skill is not None else None)
        python = dict(selectors.dispositions_for_room(room).values_list("pk", "required"))
        assert selectors.disposition_rows_for_room(room) == python
        expected = {n for n, (active, _, for_skills) in enumerate(dispositions)
                    if active and (not for_skills or room_skill in for_skills)}
        assert len(python) == len(expected)
    rolled_back(check)
