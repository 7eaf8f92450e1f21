"""Background work, registered by the app that owns it. Public.

    jobs.register("outbox.deliver", outbox.outbox_deliver, queue="outbox")       # a job, enqueued by name
    jobs.register("rooms.expire", rooms.expire_rooms, queue="timers", every=1.0)  # a periodic sweep

`enqueue(name, *args)` runs a job after the current transaction commits. Due times live in the
database rows (Room.expires_at, Room.offer_expires_at, Message.next_attempt_at), so the periodic
sweeps find whatever a lost job left behind.
"""
import logging
from dataclasses import dataclass

from django.db import transaction

log = logging.getLogger("cxsms.jobs")
QUEUES = ("timers", "outbox", "campaigns", "maintenance")


@dataclass(frozen=True)
class Job:
    name: str
    func: object
    queue: str
    every: float | None  # seconds between runs of a periodic sweep; None: run when enqueued


_jobs = {}


def register(name, func, *, queue, every=None):
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; one of {', '.join(QUEUES)}")
    _jobs[name] = Job(name, func, queue, every)
    return func


def job(name):
    return _jobs[name]


def periodic():
    return [j for j in _jobs.values() if j.every is not None]


def run(name, *args, **kwargs):
    """Run a job here and now (a worker, or a test)."""
    return _jobs[name].func(*args, **kwargs)


def enqueue(name, *args):
    """Run the job once the current transaction commits (at once outside one)."""
    _jobs[name]  # an unknown name fails here, in the caller's transaction
    transaction.on_commit(lambda: _run_logged(name, args), robust=True)


def enqueue_at(name, eta, *args):
    """Run the job at `eta` (a timer: an offer's lapse, a room's expiry). The row holds the due time;
    the job checks it when it runs, so a timer reset or cancelled meanwhile makes it do nothing."""
    _jobs[name]
    # Until the task engine: the periodic sweep of the same queue fires every due row.


def _run_logged(name, args):
    try:
        run(name, *args)
    except Exception:
        log.exception("job %s%r failed; its sweep will pick the work up", name, args)
