"""Delete transcripts past each tenant's retention period (routing/ops/retention.py).

Run it once a day. Until the task engine's schedule runs it, cron can:
    0 3 * * *  cd /srv/cxsms && .venv/bin/python manage.py transcripts_prune
"""
from django.core.management.base import BaseCommand

from routing.console.base import plural
from routing.ops.retention import BATCH_ROOMS, transcripts_prune


class Command(BaseCommand):
    help = "Delete messages of rooms closed longer ago than their tenant's retention period; reports keep their counts."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH_ROOMS, help="rooms per transaction (default %(default)s)")

    def handle(self, *args, batch_size, **options):
        runs = transcripts_prune(batch_size=max(1, batch_size))
        for run in runs:
            self.stdout.write(f"{run.tenant.slug}: {plural(run.rooms, 'conversation')}, {plural(run.messages, 'message')} deleted "
                              f"(closed before {run.cutoff:%Y-%m-%d %H:%M} UTC)")
        if not runs:
            self.stdout.write("No tenant has a retention period: nothing to delete.")
