"""GET /healthz and GET /readyz: what a load balancer probes (docs/deployment.md, "Health checks").

/healthz says the process answers: no database, no channel layer. /readyz runs every registered
readiness check and answers 200 when all pass, else 503; the JSON body names each check and why
it failed. Other apps add checks with `register_check(name, func)` from their AppConfig.ready():
`func()` returns None when ready or a short reason (a string) when not, and may raise.
Both are unauthenticated and cheap enough for a probe every second (each check is one round trip).
"""
import asyncio
import logging
import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .workers import workers_seen

log = logging.getLogger("cxsms.health")
WORKER_WITHIN = 30  # seconds: the contract of /readyz (../shared/DESIGN.md)
CHANNEL_LAYER_TIMEOUT = 2.0

_checks = {}  # name -> callable() -> None | reason


def register_check(name, func):
    """Add (or replace) a readiness check. Replacing by name keeps a reloaded app from adding it twice."""
    _checks[name] = func


def checks():
    return dict(_checks)


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


_migrations_applied = False


def check_migrations():
    """Applied migrations stay applied for this process's code: once the plan is empty it is not
    computed again (loading the migration graph is the costly part of this check)."""
    global _migrations_applied
    if _migrations_applied:
        return None
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return f"{len(plan)} migration(s) not applied: run `manage.py migrate`"
    _migrations_applied = True
    return None


# One probe channel per event loop, reused: a pub/sub layer keeps a channel subscribed after a
# receive, so a new channel per probe would leave one subscription behind every second.
_probes = {}  # event loop -> (channel name, asyncio.Lock)


async def _channel_layer_round_trip():
    layer = get_channel_layer()
    if layer is None:
        return "no channel layer is configured"
    loop = asyncio.get_running_loop()
    if loop not in _probes:
        _probes.clear()  # loops of finished async_to_sync calls (no serving loop) are gone
        _probes[loop] = (await layer.new_channel("readyz."), asyncio.Lock())
    channel, lock = _probes[loop]
    token = uuid.uuid4().hex
    async with lock:
        try:
            await layer.send(channel, {"type": "readyz.ping", "token": token})
            async with asyncio.timeout(CHANNEL_LAYER_TIMEOUT):
                while (await layer.receive(channel)).get("token") != token:
                    pass  # a ping whose probe timed out earlier
        except BaseException:
            _probes.pop(loop, None)  # a cancelled receive unsubscribed the channel: the next probe takes a new one
            raise
    return None


def check_channel_layer():
    try:
        return async_to_sync(_channel_layer_round_trip)()
    except TimeoutError:
        return f"a message sent to the channel layer did not come back within {CHANNEL_LAYER_TIMEOUT:g} s"


def check_worker():
    if workers_seen(WORKER_WITHIN):
        return None
    return f"no worker has reported in within {WORKER_WITHIN} s"


register_check("database", check_database)
register_check("migrations", check_migrations)
register_check("channel_layer", check_channel_layer)
register_check("worker", check_worker)


def run_checks():
    """{name: {"ok": bool, "error": reason (only when failing), "ms": duration}}, in registration order."""
    results = {}
    for name, func in _checks.items():
        started = time.perf_counter()
        try:
            reason = func()
        except Exception as exc:  # a failing dependency is the answer, not an error of the probe
            reason = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("readiness check %s failed: %s", name, reason)
        result = {"ok": reason is None, "ms": round((time.perf_counter() - started) * 1000, 1)}
        if reason is not None:
            result["error"] = reason
        results[name] = result
    return results


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    results = run_checks()
    ready = all(r["ok"] for r in results.values())
    failed = [name for name, r in results.items() if not r["ok"]]
    return JsonResponse({"status": "ready" if ready else "not ready", "failed": failed, "checks": results}, status=200 if ready else 503)
