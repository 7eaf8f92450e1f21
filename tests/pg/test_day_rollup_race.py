"""The day rollup against a room rolled up late, at the same moment, on PostgreSQL: the day is never
kept without it (day_rollup._lock orders `forget` and `store`)."""
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from routing.choices import Direction, RoomState
from routing.models import Message, Room, RoomDay
from routing.reports import day_rollup, rollup
from tests import factories as f

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two transactions need PostgreSQL (second pass of make test)")


def closed_room(tenant, poc, number, opened):
    room = Room.objects.create(tenant=tenant, channel="sms", point_of_contact=poc, poc_number=poc.number, contact_number=number,
                               state=RoomState.CLOSED, opened_at=opened, closed_at=opened + timedelta(minutes=5))
    Message.objects.create(tenant=tenant, room=room, point_of_contact=poc, contact_number=number, direction=Direction.INBOUND,
                           body="porridge?", created_at=opened)
    return room


def test_a_late_room_rolled_up_while_its_day_is_kept_is_counted():
    t = f.tenant("Late Porridge", time_zone="UTC")
    poc = f.sms_poc(t, "+12125550170")
    yesterday = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    closed_room(t, poc, "+12025550171", yesterday)
    rollup.room_facts_refresh(tenant_ids=[t.pk])  # the first room's row; the day is not kept yet
    closed_room(t, poc, "+12025550172", yesterday + timedelta(hours=1))  # committed late, not rolled up yet

    rolled, release, errors = threading.Event(), threading.Event(), []

    def roll_up_late_room():  # the rollup job: the late room's row and its day's `forget`, committed after a while
        try:
            with transaction.atomic():
                rollup.room_facts_refresh(tenant_ids=[t.pk])
                rolled.set()
                release.wait(10)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    def keep_days():  # a report's catch-up, at the same moment
        try:
            rolled.wait(10)
            day_rollup.refresh(tenant_ids=[t.pk])
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=roll_up_late_room), threading.Thread(target=keep_days)]
    for thread in threads:
        thread.start()
    assert rolled.wait(10)
    threading.Event().wait(1.0)  # the catch-up is under way (or, without the lock, already done)
    release.set()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    day_rollup.refresh(tenant_ids=[t.pk])  # whatever the race left, a later refresh must not need to repair it
    kept = RoomDay.objects.get(tenant=t, dim="", day=yesterday.date())
    assert kept.messages_in == 2
