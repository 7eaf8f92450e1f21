"""The timer loop: session expiry (R7), offer timeouts (R13), the outbox and a queue sweep.

All timer state is in the database, so a restart loses nothing and any process can fire any
timer; conditional updates under row locks make each fire exactly once even with several
daphne processes. The loop runs inside every daphne process (daphne has no ASGI lifespan, so
it is scheduled on daphne's event loop at import of the ASGI module); the database work runs
in a worker thread, and pushes go back through the process's channel layer.
"""
import asyncio
import logging
import sys
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from . import events, jobs

log = logging.getLogger("cxsms.timers")
# What sweep() reports, by job (tests and logs read these names).
QUEUE_SWEEP_EVERY = 5.0
_REPORT = {"rooms.sweep": "expired", "acd.lapse_sweep": "lapsed", "outbox.sweep": "sent", "acd.queue_sweep": "routed"}


def sweep(now=None, queues=True):
    """One pass over every registered periodic job. Returns what each did, for tests and logs."""
    done = {}
    for job in jobs.periodic():
        if job.every > 1.0 and not queues:
            continue
        done[_REPORT.get(job.name, job.name)] = job.func(now)
    return done


async def run_forever(interval=None):
    events.ensure_pump()  # the timers' pushes go through this loop's pump too
    interval = interval or settings.CXSMS_TIMER_INTERVAL
    last_queue_sweep = 0.0

    def one_pass(queues):
        close_old_connections()
        try:
            return sweep(queues=queues)
        finally:
            close_old_connections()

    while True:
        started = time.monotonic()
        queues = started - last_queue_sweep >= QUEUE_SWEEP_EVERY
        try:
            await sync_to_async(one_pass, thread_sensitive=False)(queues)
            if queues:
                last_queue_sweep = started
        except Exception:
            log.exception("timer sweep failed; retrying")
        await asyncio.sleep(max(0.05, interval - (time.monotonic() - started)))


def start_in_process():
    """Schedule the loop on daphne's event loop. It runs once daphne runs that loop (the twisted
    reactor's), that is in a process that serves; one that only imports the application (a
    management command, in-process tests) never runs it. The push pump starts with the loop's
    first request or with this loop (events.ensure_pump)."""
    server = sys.modules.get("daphne.server")
    if server is None or not settings.CXSMS_RUN_TIMERS:
        return False
    loop = server.twisted_loop
    loop.call_soon_threadsafe(lambda: loop.create_task(run_forever()))
    log.info("timer loop scheduled in this daphne process")
    return True
