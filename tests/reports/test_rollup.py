"""The rollup job: idempotent, catches up, rebuilds after a time zone change."""
import pytest
import time_machine
from django.core.management import call_command

from routing.hub import rooms
from routing.models import Room, RoomDay, RoomFact
from tests.hub import post_inbound
from tests.reports.scripted import DAY, at, play_day

pytestmark = [pytest.mark.django_db, pytest.mark.pg]


def test_the_command_rolls_up_once_and_rebuilds_on_demand(client, settings, capsys):
    day = play_day(client, settings)
    call_command("reports_refresh")
    # two agents, 08:00-17:00; the day rows: the scripted day by every grouping, and a row for each day since (no rooms)
    assert capsys.readouterr().out.strip().startswith("4 room rows, 72 agent state slots, ")
    assert RoomDay.objects.filter(day=DAY, dim="").values_list("offered", flat=True).get() == 3
    call_command("reports_refresh")
    assert capsys.readouterr().out.strip() == "0 room rows, 0 agent state slots, 0 day rows written"  # nothing to redo
    assert set(RoomFact.objects.values_list("hour", flat=True).distinct()) and RoomFact.objects.filter(final=True).count() == 4
    tenant = day["tenant"]
    tenant.time_zone = "Asia/Kolkata"
    tenant.save(update_fields=["time_zone"])
    call_command("reports_refresh", "--rebuild", "--tenant", str(tenant.pk))
    assert capsys.readouterr().out.strip().startswith("4 room rows, 72 agent state slots, ")
    # 09:00 in New York (13:00 UTC) is 18:30 in Kolkata: the room's hour is now the one that starts at 18:00 there (12:30 UTC).
    first = RoomFact.objects.order_by("opened_at").first()
    assert first.slot.isoformat() == "2026-03-10T13:00:00+00:00" and first.hour.isoformat() == "2026-03-10T12:30:00+00:00"


def test_an_open_room_is_recomputed_until_it_closes(client, settings):
    day = play_day(client, settings)
    with time_machine.travel(at(18, 0), tick=False):
        post_inbound(client, day["poc"], "+12025550199", "late question")
        call_command("reports_refresh")
        room = Room.objects.get(contact_number="+12025550199")
        assert RoomFact.objects.get(room=room).final is False
        rooms.room_end(room=room, actor=day["admin"])
        call_command("reports_refresh")
    fact = RoomFact.objects.get(room=room)
    assert fact.final and fact.offered and fact.abandoned
    assert fact.day == DAY


def test_a_report_catches_up_at_most_once_per_window(client, settings):
    """A page that asks several figures, or a supervisor's page polling, recomputes the open rooms once
    per CXSMS_REPORTS_FRESH_SECONDS (a mark in the cache, shared by the processes), not every time."""
    from django.core.cache import cache

    from routing.reports.rollup import refresh_for_report

    day = play_day(client, settings)
    tenant_id = day["tenant"].pk
    cache.delete(f"cxsms:reports:fresh:{tenant_id}")  # a mark left by another test's tenant of the same id
    settings.CXSMS_REPORTS_FRESH_SECONDS = 60
    assert refresh_for_report(tenant_id) > 0
    assert refresh_for_report(tenant_id) == 0  # inside the window: the catch-up is skipped
    cache.delete(f"cxsms:reports:fresh:{tenant_id}")  # the window over
    settings.CXSMS_REPORTS_FRESH_SECONDS = 0
    RoomFact.objects.all().delete()
    assert refresh_for_report(tenant_id) > 0
