"""Running the jobs (routing.jobs): one Huey consumer per queue, each with worker threads of its own.

`start()` starts them in this process and returns at once: the web process on the embedded defaults
(cxsms_site/asgi.py), and `manage.py run_worker`, which then waits for a signal. On start the
sweeps run once, so a worker started after an outage catches up with everything that fell due
meanwhile (the due times are in the database). Every 5 s a worker reports in (routing.ops), which
the supervisor page and /readyz read.
"""
import asyncio
import logging
import os
import socket
import sys
import threading

from django.conf import settings
from django.db import close_old_connections
from huey.consumer import Consumer, Scheduler

from . import events, jobs

log = logging.getLogger("cxsms.workers")


class SweepingScheduler(Scheduler):
    """Huey's scheduler, asked for periodic jobs every second rather than every minute: the sweeps
    (jobs.register(every=...)) decide on which seconds they run."""
    periodic_task_seconds = 1


class QueueConsumer(Consumer):
    """A consumer that lives beside other code in a process: it leaves the process's signal handling
    to its owner (daphne, or run_worker)."""
    scheduler_class = SweepingScheduler

    def _set_signal_handlers(self):
        pass


_consumers = []
_lock = threading.Lock()


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def start(queues=None, *, catch_up=True):
    """Start a consumer for each queue (default: all) in this process. Idempotent."""
    with _lock:
        if _consumers:
            return _consumers
        if settings.CXSMS_JOBS_IMMEDIATE:
            raise RuntimeError("jobs run in immediate mode (tests): there is nothing to start")
        for name in queues or jobs.QUEUES:
            threads = max(1, settings.CXSMS_WORKER_THREADS.get(name, 1))
            consumer = QueueConsumer(jobs.queue(name), workers=threads, periodic=True, initial_delay=0.05, backoff=1.5,
                                     max_delay=0.5, scheduler_interval=1, check_worker_health=False)
            consumer.start()
            _consumers.append(consumer)
        log.info("workers started for %s in %s", ", ".join(queues or jobs.QUEUES), worker_name())
    if catch_up:
        threading.Thread(target=_catch_up, name="catch-up", daemon=True).start()
    return _consumers


def _catch_up():
    close_old_connections()
    try:
        done = jobs.sweep()
        log.info("start-up sweep: %s", ", ".join(f"{name} {n}" for name, n in done.items()))
    except Exception:
        log.exception("the start-up sweep failed; the periodic sweeps will retry")
    finally:
        close_old_connections()


def stop(graceful=True):
    with _lock:
        for consumer in _consumers:
            consumer.stop(graceful=graceful)
        _consumers.clear()


def _start_serving():
    """On the loop that serves: the push pump there, then the workers (whose pushes go through it)."""
    events.ensure_pump()
    if settings.CXSMS_WORKER_IN_WEB and not settings.CXSMS_JOBS_IMMEDIATE:
        start()


def serve_with_workers(app):
    """The ASGI application of a web process: when it starts serving, it starts the push pump and, on
    the embedded defaults (settings.CXSMS_WORKER_IN_WEB), the workers. "Starts serving" is the ASGI
    lifespan startup (uvicorn, hypercorn), daphne's loop starting to run (daphne has no lifespan;
    scheduled below), or at the latest its first connection. A process that only imports the
    application (a management command, a test) starts nothing."""
    async def application(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    _start_serving()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        _start_serving()
        return await app(scope, receive, send)

    server = sys.modules.get("daphne.server")
    if server is not None and hasattr(server, "twisted_loop"):
        # Runs once daphne runs its reactor's loop, that is only in a process that serves.
        server.twisted_loop.call_soon_threadsafe(_start_serving)
    return application


def start_pump_thread():
    """A process without a serving loop (run_worker): its jobs' pushes are published from their own
    threads on the pub/sub layer (events.publish_directly), else an event loop of its own for the
    push pump, so a job's pushes do not wait for the channel layer."""
    if events.publish_directly():
        return None
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="push-pump", daemon=True).start()
    events.start_pump(loop)
    return loop
