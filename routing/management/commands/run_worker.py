"""`manage.py run_worker`: a worker process for the background jobs (routing/jobs.py): every queue,
or the ones named. Scaled out (REDIS_URL) the web processes do no background work; run one or more
of these beside them (docs/deployment.md). Stops on SIGTERM or SIGINT after the running jobs finish."""
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from routing import jobs, workers


class Command(BaseCommand):
    help = "Run the background jobs (timers, outbox, campaigns) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--queues", default=",".join(jobs.QUEUES),
                            help=f"comma-separated queues to work on (default: all of {', '.join(jobs.QUEUES)})")

    def handle(self, *args, queues, **options):
        names = [q.strip() for q in queues.split(",") if q.strip()]
        unknown = sorted(set(names) - set(jobs.QUEUES))
        if unknown:
            raise CommandError(f"unknown queue(s) {', '.join(unknown)}; the queues are {', '.join(jobs.QUEUES)}")
        if not settings.REDIS_URL:
            self.stderr.write("REDIS_URL is not set: the queues are in this process's memory, so this worker only runs the "
                              "periodic sweeps (the web process runs the embedded deployment's jobs itself).")
        stopping = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.set())
        workers.start_pump_thread()
        workers.start(names)
        self.stdout.write(f"worker {workers.worker_name()} running {', '.join(names)}")
        stopping.wait()
        self.stdout.write("stopping: waiting for the running jobs")
        workers.stop(graceful=True)
