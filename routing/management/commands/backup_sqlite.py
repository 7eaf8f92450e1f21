"""`manage.py backup_sqlite PATH`: a consistent copy of the SQLite database, safe while the server runs."""
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from routing.ops.backup import BackupError, sqlite_backup


class Command(BaseCommand):
    help = "Copy the SQLite database to PATH with SQLite's online backup API (the server may keep running)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="where to write the copy (default: backups/cxsms-<UTC time>.sqlite3)")

    def handle(self, *args, path=None, **options):
        path = path or f"backups/cxsms-{timezone.now():%Y%m%dT%H%M%SZ}.sqlite3"
        try:
            tables = sqlite_backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Backed up {tables} tables to {path}")
