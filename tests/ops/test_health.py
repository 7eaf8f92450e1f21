"""GET /healthz and /readyz: what a load balancer probes, through HTTP."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from routing.models import WorkerBeat
from routing.ops import health
from routing.ops.workers import worker_beat, worker_name, workers_seen

pytestmark = [pytest.mark.django_db, pytest.mark.pg]


def test_healthz_answers_without_touching_the_database(client):
    with CaptureQueriesContext(connection) as queries:
        r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert len(queries) == 0
    assert r["Cache-Control"].startswith("max-age=0")


def test_readyz_is_ready_once_a_worker_reported_in(client):
    r = client.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "not ready" and body["failed"] == ["worker"]
    assert "no worker has reported in within 30 s" in body["checks"]["worker"]["error"]
    assert all(body["checks"][name]["ok"] for name in ("database", "migrations", "channel_layer"))

    worker_beat(name=worker_name("worker"))
    r = client.get("/readyz")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "ready" and r.json()["failed"] == []


def test_a_worker_silent_for_more_than_30_seconds_does_not_count(client):
    worker_beat(name="worker@host:1", now=timezone.now() - timedelta(seconds=31))
    assert client.get("/readyz").status_code == 503
    worker_beat(name="worker@host:1", force=True)
    assert client.get("/readyz").status_code == 200
    assert workers_seen(30) == ["worker@host:1"] and WorkerBeat.objects.count() == 1


def test_worker_beat_writes_at_most_every_ten_seconds_per_worker():
    assert worker_beat(name="w-throttle") is True
    first = WorkerBeat.objects.get(name="w-throttle").seen_at
    assert worker_beat(name="w-throttle") is False  # a loop turning every second costs no write each turn
    assert WorkerBeat.objects.get(name="w-throttle").seen_at == first


def test_a_failing_check_names_itself_and_the_others_still_run(client, monkeypatch):
    worker_beat(name="w-ok", force=True)

    def broken():
        raise ConnectionError("refused")

    monkeypatch.setitem(health._checks, "search_index", broken)  # a check another app registered
    r = client.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["failed"] == ["search_index"]
    assert body["checks"]["search_index"]["error"] == "ConnectionError: refused"
    assert body["checks"]["database"]["ok"] and body["checks"]["worker"]["ok"]


def test_registered_checks_run_in_readyz(client, monkeypatch):
    worker_beat(name="w-reg", force=True)
    monkeypatch.setattr(health, "_checks", dict(health._checks))
    health.register_check("campaign_dispatch", lambda: "the dispatcher is paused")
    body = client.get("/readyz").json()
    assert body["failed"] == ["campaign_dispatch"] and body["checks"]["campaign_dispatch"]["error"] == "the dispatcher is paused"


def test_unapplied_migrations_make_it_not_ready(client, monkeypatch):
    worker_beat(name="w-mig", force=True)
    monkeypatch.setattr(health, "_migrations_applied", False)
    from django.db.migrations.recorder import MigrationRecorder

    # The routing app's latest migration, as if a deploy had not run it yet.
    MigrationRecorder.Migration.objects.filter(app="routing").order_by("-name").first().delete()
    body = client.get("/readyz").json()
    assert body["failed"] == ["migrations"] and "1 migration(s) not applied" in body["checks"]["migrations"]["error"]


def test_probes_need_no_login_and_refuse_other_methods(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
