"""Several processes' timer loops race on PostgreSQL: every expiry and every offer lapse fires once."""
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from routing.hub import rooms as hub_rooms
from routing.acd import capacity, declines
from routing.choices import RoomState
from routing.models import Room, User
from tests import factories as f

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and parallel workers need PostgreSQL (second pass of make test)")


def race(fn, workers=4):
    results, errors = [], []
    barrier = threading.Barrier(workers)

    def run():
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def setup_rooms(n, state):
    t = f.tenant()
    sms = f.skill(t)
    poc = f.sms_poc(t, "+12125550160", skill=sms)
    agents = [f.agent(t, team=f.team(t, session_limit=12), skills=[sms], state="available") for _ in range(5)]
    past = timezone.now() - timedelta(seconds=1)
    rooms = []
    for i in range(n):
        a = agents[i % 5]
        rooms.append(Room(tenant=t, channel="sms", point_of_contact=poc, poc_number=poc.number, contact_number=f"+1202555{1000 + i:04d}",
                          state=state, agent=a, expires_at=past if state == RoomState.ACTIVE else None,
                          offer_expires_at=past if state == RoomState.OFFERED else None))
    Room.objects.bulk_create(rooms)
    with transaction.atomic():
        for a in agents:
            capacity.recount(a.pk)
    return agents


def test_expiry_fires_once_with_four_racing_workers():
    agents = setup_rooms(60, RoomState.ACTIVE)
    fired = race(lambda: hub_rooms.expire_rooms())
    assert sum(fired) == 60, fired
    assert Room.objects.filter(state=RoomState.CLOSED, close_reason="expired").count() == 60
    assert all(User.objects.get(pk=a.pk).held == 0 for a in agents)


def test_offer_lapse_fires_once_with_four_racing_workers(settings):
    settings.CXSMS_OFFER_TIMEOUT = 3600
    agents = setup_rooms(40, RoomState.OFFERED)
    lapsed = race(lambda: declines.lapse_offers())
    assert sum(lapsed) == 40, lapsed
    # every lapser is unavailable, nobody holds more than their limit, no room has two agents
    assert all(User.objects.get(pk=a.pk).state == "unavailable" for a in agents)
    assert Room.objects.filter(state=RoomState.OFFERED).count() == 0
    assert Room.objects.filter(state=RoomState.QUEUED, agent__isnull=True).count() == 40
