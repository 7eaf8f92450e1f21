"""Print where to log in and the demo accounts (run by `make run` before the server starts)."""
from django.core.management.base import BaseCommand

from .load_demo import DEMO_ACCOUNTS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print the URL to open and the demo accounts with their roles and password."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="The URL the server answers on.")

    def handle(self, *args, url, **options):
        base = url.rstrip("/")
        width = max(len(u) for u, _, _ in DEMO_ACCOUNTS)
        lines = [
            "",
            "cxsms is starting.",
            f"  Log in at   {base}/login/",
            f"  Console     {base}/console/   (tenant administrators)",
            f"  Admin       {base}/admin/     (platform operator)",
            f"  API docs    {base}/api/docs/",
            "",
            f"Demo accounts (password for all: {DEMO_PASSWORD}):",
            *[f"  {u.ljust(width)}  {role:<22}  {where}" for u, role, where in DEMO_ACCOUNTS],
            "",
        ]
        self.stdout.write("\n".join(lines))
