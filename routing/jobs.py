"""Background work on a task engine (Huey), registered by the app that owns it. Public.

    jobs.register("outbox.deliver", outbox.outbox_deliver, queue="outbox")          # run when enqueued
    jobs.register("rooms.sweep", rooms.expire_rooms, queue="timers", every=5)        # a periodic sweep

    jobs.enqueue("outbox.deliver", message.pk)                  # after the transaction commits
    jobs.enqueue_at("rooms.expire_room", room.expires_at, room.pk)  # a timer, at its due time

Each queue has worker threads of its own (settings.CXSMS_WORKER_THREADS), so a carrier outage that
holds every outbox thread delays no expiry and no offer lapse. Due times live in the database rows
(Room.expires_at, Room.offer_expires_at, Message.next_attempt_at): a job reads its row and does
nothing when the row says it is not due (a timer reset meanwhile), and the periodic sweeps find
whatever a lost job left behind (a worker killed mid-job, a process that died between commit and
enqueue). Jobs must therefore be idempotent; every job here is, by a conditional update or a read
under the row's lock.

Where the jobs run (docs/deployment.md): with REDIS_URL, in `manage.py run_worker` processes, the
queues in Redis; on the embedded defaults, in threads of the web process (routing.workers), the
queues in memory: its in-memory channel layer reaches only its own sockets, so only code inside it
can push an expiry to a page.
"""
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey import MemoryHuey, RedisHuey
from huey.utils import normalize_time

from . import threads
from .ops import logs

log = logging.getLogger("cxsms.jobs")
QUEUES = ("timers", "outbox", "campaigns", "maintenance")
PERIODS = (1, 2, 3, 5, 10, 15, 20, 30, 60)  # seconds; divisors of a minute, so every worker's sweeps fall on the same seconds


@dataclass(frozen=True)
class Job:
    name: str
    func: object
    queue: str
    every: int | None  # seconds between runs of a periodic sweep; None: run when enqueued
    task: object  # Huey's task wrapper


_jobs = {}
_queues = {}


class _Unrevoked:
    """Huey without revocation: nothing here revokes a job (a job reads its row and does nothing when
    the row says so), and asking Redis whether each job was revoked, then clearing the flag, cost two
    round trips per job."""

    def is_revoked(self, task, timestamp=None, peek=True):
        return False

    def delete(self, key):
        if not key.startswith("r:"):  # Task.revoke_id
            return super().delete(key)
        return None


class _RedisQueue(_Unrevoked, RedisHuey):
    pass


class _MemoryQueue(_Unrevoked, MemoryHuey):
    pass


def queue(name):
    """The Huey instance of a queue (made on first use: settings are read then)."""
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}; one of {', '.join(QUEUES)}")
    if name not in _queues:
        if settings.CXSMS_JOBS_IMMEDIATE:
            _queues[name] = _MemoryQueue(name, immediate=True, results=False, utc=True)
        elif settings.REDIS_URL:
            _queues[name] = _RedisQueue(f"{settings.CXSMS_JOBS_PREFIX}.jobs.{name}", url=settings.REDIS_URL, results=False, utc=True)
        else:
            _queues[name] = _MemoryQueue(name, results=False, utc=True)
    return _queues[name]


def run_immediately(on=True):
    """Huey's immediate mode on every queue: a job runs in the caller's thread when enqueued (after
    commit); a timed one is kept until a sweep fires it. For tests in one process."""
    settings.CXSMS_JOBS_IMMEDIATE = on
    for huey in [queue(name) for name in QUEUES]:
        huey.immediate = on


def _in_a_worker(name, func):
    """A job as a worker thread runs it: the thread keeps its database connection from job to job
    unless one errs or leaves a transaction open (routing.threads.settle, as the web's worker threads
    do). In immediate mode the job runs in its caller's thread, on the caller's connection."""
    def run(*args, request_id=None):
        if settings.CXSMS_JOBS_IMMEDIATE:
            return func(*args)
        try:
            with logs.request_context(request_id):  # the id of the request that queued it: one trail in the logs
                return func(*args)
        finally:
            threads.settle()

    run.__name__ = run.__qualname__ = name.replace(".", "_")
    return run


def _every(seconds):
    return lambda ts: (ts.minute * 60 + ts.second) % seconds == 0


def register(name, func, *, queue, every=None):
    """Make `func` the job `name` on `queue`; `every`: run it as a sweep every so many seconds.
    Called from an AppConfig.ready(). Returns `func`."""
    if every is not None and every not in PERIODS:
        raise ValueError(f"a sweep runs every {', '.join(map(str, PERIODS))} seconds, not {every}")
    if name in _jobs:
        return func
    huey = globals()["queue"](queue)
    body = _in_a_worker(name, func)
    task = huey.periodic_task(_every(every), name=name)(body) if every else huey.task(name=name)(body)
    _jobs[name] = Job(name, func, queue, every, task)
    return func


def job(name):
    return _jobs[name]


def jobs():
    return list(_jobs.values())


def periodic():
    return [j for j in _jobs.values() if j.every is not None]


def enqueue(name, *args):
    """Run the job on its queue once the current transaction commits (at once outside one)."""
    task = _jobs[name].task  # an unknown name fails here, in the caller's transaction
    rid = logs.request_id()
    transaction.on_commit(lambda: task(*args, request_id=rid), robust=True)


def enqueue_at(name, eta, *args):
    """Run the job at `eta` (an aware datetime), once the current transaction commits. The job reads
    its row then: a timer reset or cancelled meanwhile makes it do nothing (or schedule itself again)."""
    task = _jobs[name].task
    if settings.CXSMS_JOBS_IMMEDIATE:
        return  # immediate mode runs nothing later: a sweep fires the due row (run_immediately)
    # Aware, so Huey converts it exactly: a naive one it reads as the machine's local time and cuts to
    # the second, and a job woken a fraction early would queue itself again and again until due.
    rid = logs.request_id()
    transaction.on_commit(lambda: _schedule(task, args, {"request_id": rid}, eta), robust=True)


def _schedule(task, args, kwargs, eta):
    """Straight onto the queue's schedule (Huey's scheduler enqueues it when due): Huey's own
    schedule() queues it first, so a worker takes it, finds it early, and puts it on the schedule,
    two round trips and a worker's wake-up more for every timer. A job already due is queued."""
    if eta <= timezone.now():
        return task.schedule(args=args, kwargs=kwargs, eta=eta)
    huey = task.huey
    return huey.add_schedule(task.task_class(args, kwargs, eta=normalize_time(eta, None, huey.utc)))


def not_yet_due(name, row_id, due_at, now, sweeping):
    """A timer job's check, made under its row's lock: True when the row is not due yet (woken early,
    or its timer was reset by a transaction that committed first). The job then schedules itself again
    for the row's due time, unless a periodic sweep called it (the sweep comes back on its own)."""
    if due_at <= now:
        return False
    if not sweeping:
        enqueue_at(name, due_at, row_id)
    return True


def pending():
    """{queue: jobs waiting to run now} (timed ones not yet due are not counted)."""
    return {name: queue(name).pending_count() for name in QUEUES}


def sweep(now=None):
    """Every periodic job once, here and now (a worker catching up when it starts; tests). Returns
    what each returned, by name."""
    now = now or timezone.now()
    return {j.name: j.func(now) for j in periodic()}
