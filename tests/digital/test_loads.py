"""An agent's kept case load (User.case_load), which the choice of agents ranks and filters by, is their
count of cases in new, open or escalated after every change a person can make: texts in, offers, accept,
reject, lapse, transfer to an agent or a queue, each state change, pull, a case started by the agent, the
inactivity timer and a forced disconnect. Through the real entry points (webhook, REST API, timers)."""
from datetime import timedelta

import pytest

from digital.choices import COUNTING_STATES
from digital.models import Case
from routing import jobs
from routing.models import User
from tests import factories as f
from tests.digital.test_cases_api import API, as_user, text, the_case
from tests.digital.world import digital_world

pytestmark = [pytest.mark.django_db, pytest.mark.pg]


def loads(w):
    """{username: (kept load, counted load)} of the tenant's agents."""
    return {u.username: (u.case_load, Case.objects.filter(agent=u, state__in=COUNTING_STATES).count())
            for u in User.objects.filter(tenant=w.tenant, role="agent")}


def assert_kept(w, step):
    found = loads(w)
    assert all(kept == counted for kept, counted in found.values()), (step, found)
    return {name: kept for name, (kept, _) in found.items()}


def post(client, user, path, body=None):
    r = as_user(client, user).post(API + path, body or {}, content_type="application/json")
    assert r.status_code in (200, 201), (path, r.status_code, r.content)
    return r.json()


def test_the_kept_load_follows_every_change(client, settings):
    w = digital_world(case_limit=3)
    carl = f.agent(w.tenant, username=f"carl{w.tenant.pk}")  # on no queue: gets cases only by assignment
    for n in range(4):
        text(client, w, f"+1212555200{n}", "hello")
    assert sorted(assert_kept(w, "four texts").values()) == [0, 2, 2]  # two each, the fewest first

    first = the_case("+12125552000")
    holder, other = (w.tommy, w.ann) if first.agent_id == w.tommy.id else (w.ann, w.tommy)
    post(client, holder, f"cases/{first.id}/accept/")
    assert_kept(w, "accept")
    post(client, holder, f"cases/{first.id}/state/", {"state": "pending"})
    assert assert_kept(w, "pending")[holder.username] == 1
    post(client, holder, f"cases/{first.id}/state/", {"state": "escalated"})
    assert assert_kept(w, "back to a counting state")[holder.username] == 2
    post(client, holder, f"cases/{first.id}/state/", {"state": "resolved"})
    assert_kept(w, "resolved")

    second = Case.objects.filter(agent=holder, state="new").first()
    post(client, holder, f"cases/{second.id}/reject/")  # to the other agent, who has room
    assert_kept(w, "reject")
    post(client, w.supervisor, f"cases/{second.id}/assign/", {"agent": carl.id, "note": "for carl"})
    assert assert_kept(w, "transfer to an agent")[carl.username] == 1
    post(client, carl, f"cases/{second.id}/assign/", {"queue": w.general.id})
    assert_kept(w, "back to a queue")

    text(client, w, "+12125552000", "one more thing")  # the resolved case reopens and is routed again
    assert_kept(w, "reopened")

    waiting = Case.objects.filter(agent__isnull=False, state="new").first()
    jobs.sweep(waiting.offer_expires_at + timedelta(seconds=1))  # offers lapse
    assert_kept(w, "lapse")

    post(client, w.ann, "cases/outbound/", {"point_of_contact": w.poc.id, "contact_number": "+12125552099", "body": "Hi"})
    assert_kept(w, "a case the agent started")

    opened = Case.objects.filter(state="open").first()
    jobs.sweep(opened.expires_at + timedelta(seconds=1))  # the inactivity timer closes the open cases
    assert_kept(w, "expired")

    for number in ("+12125552100", "+12125552101", "+12125552102", "+12125552103", "+12125552104"):
        text(client, w, number, "more")
    assert_kept(w, "more texts")
    assert as_user(client, w.admin).post("/api/v1/forced-disconnect/").json()["ended"] > 0
    assert set(assert_kept(w, "forced disconnect").values()) == {0}


def test_pull_counts_too(client):
    w = digital_world(case_limit=2, available=False)
    for n in range(3):
        text(client, w, f"+1212555210{n}", "a")
    post(client, w.tommy, "cases/pull/")
    assert assert_kept(w, "pull")[w.tommy.username] == 1
