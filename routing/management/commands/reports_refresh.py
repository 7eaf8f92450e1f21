"""Bring the reports' rollups (RoomFact, the agents' state slots, the settled days' RoomDay rows) up to
date: the periodic job's body, runnable by hand."""
from django.core.management.base import BaseCommand

from routing.reports import day_rollup, rollup, state_rollup


class Command(BaseCommand):
    help = "Refresh the reports' per-room rollup (every tenant, or --tenant ID). Idempotent; run it every minute."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", type=int, action="append", help="only this tenant (repeatable)")
        parser.add_argument("--rebuild", action="store_true", help="recompute every row (after a time zone or definition change)")
        parser.add_argument("--batch-size", type=int, default=rollup.BATCH)

    def handle(self, *args, tenant=None, rebuild=False, batch_size=rollup.BATCH, **options):
        n = rollup.room_facts_refresh(tenant_ids=tenant, rebuild=rebuild, batch_size=batch_size)
        slots = state_rollup.agent_state_facts_refresh(tenant_ids=tenant, rebuild=rebuild)
        days = day_rollup.refresh(tenant_ids=tenant, rebuild=rebuild)
        self.stdout.write(f"{n} room rows, {slots} agent state slots, {days} day rows written")
