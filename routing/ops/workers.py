"""Background workers report in here; /readyz wants one seen recently.

A worker (the task engine's worker process, or the timer loop of a daphne process) calls
`worker_beat(name=...)` from its loop as often as it likes: the row is written at most every
BEAT_EVERY seconds per name and process, so a loop that turns every second costs one small
UPDATE every ten seconds.
"""
import os
import socket
import threading
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models import WorkerBeat

BEAT_EVERY = 10.0  # seconds between writes of one worker's row; well under the 30 s /readyz allows
_last_written = {}  # name -> time.monotonic() of this process's last write
_lock = threading.Lock()


def worker_name(kind):
    """A name unique to this process: `kind@host:pid` (a restarted worker gets a row of its own)."""
    return f"{kind}@{socket.gethostname()}:{os.getpid()}"


def worker_beat(*, name, now=None, force=False):
    """Record that the worker `name` is alive. Returns True when it wrote the row."""
    started = time.monotonic()
    with _lock:
        last = _last_written.get(name)
        if not force and last is not None and started - last < BEAT_EVERY:
            return False
        _last_written[name] = started
    with transaction.atomic():
        WorkerBeat.objects.update_or_create(name=name, defaults={"seen_at": now or timezone.now()})
    return True


def workers_seen(within, now=None):
    """Names of the workers that reported in within `within` (seconds or a timedelta), newest first."""
    if not isinstance(within, timedelta):
        within = timedelta(seconds=within)
    since = (now or timezone.now()) - within
    return list(WorkerBeat.objects.filter(seen_at__gte=since).order_by("-seen_at").values_list("name", flat=True))


@transaction.atomic
def worker_beats_prune(*, older_than=timedelta(days=1), now=None):
    """Forget workers not seen for a day (each restart leaves a row behind)."""
    return WorkerBeat.objects.filter(seen_at__lt=(now or timezone.now()) - older_than).delete()[0]


def beat_job(now=None):
    """The periodic job (routing.jobs `workers.beat`): this worker process reports in."""
    return worker_beat(name=worker_name("worker"), now=now)
