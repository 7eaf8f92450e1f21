"""The PostgreSQL pass really runs on PostgreSQL + Redis: parallel transactions and a cross-process channel layer."""
import json
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.module_loading import import_string

from routing.models import Tenant

pytestmark = pytest.mark.pg

WORKERS = 20
IDLE_SECONDS = 6.5


@pytest.mark.django_db(transaction=True)
def test_twenty_connections_race_one_unique_insert():
    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(WORKERS, timeout=30)
    results, backends = [], set()
    lock = threading.Lock()

    def worker(i):
        from django.db import connection as own  # thread-local: each thread opens its own connection

        pid = None
        try:
            with transaction.atomic():
                with own.cursor() as cur:
                    cur.execute("SELECT pg_backend_pid()")
                    pid = cur.fetchone()[0]
                # All twenty transactions are open at once: impossible unless the server runs them in parallel.
                barrier.wait()
                Tenant.objects.create(name=f"Race {i}", slug="the-same-slug")
            outcome = "inserted"
        except IntegrityError:
            outcome = "conflict"
        except Exception as exc:  # reported by the assertion below
            outcome = repr(exc)
        finally:
            own.close()
        with lock:
            results.append(outcome)
            backends.add(pid)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(backends) == WORKERS, "every thread had its own server connection"
    assert sorted(results) == ["conflict"] * (WORKERS - 1) + ["inserted"], results
    assert Tenant.objects.filter(slug="the-same-slug").count() == 1


RECEIVER = r"""
import asyncio, json, os, sys
import django
django.setup()
from channels.layers import get_channel_layer

async def main():
    layer = get_channel_layer()  # the settings' layer (CXSMS_CHANNEL_LAYER picks the backend)
    channel = await layer.new_channel()
    await layer.group_add(os.environ["GROUP"], channel)
    print("ready", type(layer).__name__, flush=True)
    message = await asyncio.wait_for(layer.receive(channel), 30)
    print(json.dumps(message), flush=True)

asyncio.run(main())
"""


@pytest.mark.parametrize("backend", ["channels_redis.core.RedisChannelLayer", "channels_redis.pubsub.RedisPubSubChannelLayer"])
def test_group_send_reaches_another_process(requires_redis, backend):
    # The settings' layer configuration, in both processes, with a prefix of this test's own.
    prefix = "smoke" + uuid.uuid4().hex[:8]
    group = "agent.smoke"
    env = dict(os.environ, CXSMS_CHANNEL_LAYER=backend, CXSMS_CHANNEL_PREFIX=prefix, GROUP=group,
               DJANGO_SETTINGS_MODULE="cxsms_site.settings")
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout.readline().split() == ["ready", backend.rsplit(".", 1)[1]], receiver.stderr.read()
        # Longer than redis-py 8's default 5 s read timeout: an idle receiver must survive it.
        time.sleep(IDLE_SECONDS)
        config = dict(settings.CHANNEL_LAYERS["default"]["CONFIG"], prefix=prefix)
        layer = import_string(backend)(**config)
        async_to_sync(layer.group_send)(group, {"type": "push", "event": {"type": "room.offered", "n": 1}})
        out, err = receiver.communicate(timeout=30)
    finally:
        if receiver.poll() is None:
            receiver.kill()
            receiver.wait()
    assert receiver.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1]) == {"type": "push", "event": {"type": "room.offered", "n": 1}}
