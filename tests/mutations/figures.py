"""A pytest plugin for scripts/mutate.py: after each test's body (passed or failed, before its
database is flushed) it records how the agents' load stands, so a mutation's run reports how far
a guard's absence went, not only that a test failed.

Per test: `held` (rooms holding an agent's slot: offered or active), `capacity` (the agents'
effective session limits added up), `over` (slots held beyond an agent's limit, summed over the
agents) and `cache_wrong` (agents whose User.held differs from the rooms they hold). Written as
JSON lines to $CXSMS_MUTATION_FIGURES. Loaded only with `-p tests.mutations.figures`.
"""
import json
import os

import pytest


def _figures():
    from django.db.models import Count

    from routing.choices import CAPACITY_ROOM_STATES, Role
    from routing.models import Room, User

    held = dict(Room.objects.filter(state__in=CAPACITY_ROOM_STATES, agent__isnull=False).values_list("agent_id")
                .annotate(n=Count("id")).order_by())
    agents = list(User.objects.filter(role=Role.AGENT).select_related("team"))
    return {"held": sum(held.values()), "capacity": sum(a.effective_session_limit for a in agents),
            "over": sum(max(0, held.get(a.pk, 0) - a.effective_session_limit) for a in agents),
            "cache_wrong": sum(1 for a in agents if a.held != held.get(a.pk, 0))}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    outcome = yield
    path = os.environ.get("CXSMS_MUTATION_FIGURES")
    if not path or item.get_closest_marker("django_db") is None:
        return
    try:
        figures = _figures()
    except Exception as exc:  # noqa: BLE001 (a figure that cannot be read is reported as such)
        figures = {"error": f"{type(exc).__name__}: {exc}"[:200]}
    with open(path, "a") as out:
        out.write(json.dumps({"test": item.nodeid, "passed": outcome.excinfo is None, **figures}) + "\n")
