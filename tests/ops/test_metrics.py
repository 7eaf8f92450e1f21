"""GET /metrics: Prometheus' text format behind a token; the database gauges; the webhook and websocket
metrics counted by the outermost ASGI layer (routing/ops/asgi.py), through the real application."""
import urllib.parse
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.authtoken.models import Token
from twilio.request_validator import RequestValidator

from cxsms_site.asgi import application
from routing.choices import RoomState
from routing.models import Room
from tests import factories as f
from tests.hub import SMS_URL, inbound_params, post_inbound

TOKEN = "metrics-token-for-tests-0123456789"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def _token(settings):
    settings.CXSMS_METRICS_TOKEN = TOKEN


@pytest.fixture
def line(db):
    t = f.tenant(slug="porridge-metrics")
    sms = f.skill(t, "SMS")
    poc = f.sms_poc(t, "+12125550160", skill=sms, carrier_account=f.carrier(t, provider="twilio", account_sid="AC" + "1" * 32,
                                                                                auth_token="secret-token"))
    agent = f.agent(t, team=f.team(t, session_limit=1), skills=[sms], state="available")
    return t, poc, agent, sms


def scrape(client):
    r = client.get("/metrics", **AUTH)
    assert r.status_code == 200, r.content
    assert r["Content-Type"].startswith("text/plain; version=")
    return samples(r.content.decode())


def samples(text):
    """{(sample name, frozenset(labels)): value}"""
    return {(s.name, frozenset(s.labels.items())): s.value for fam in text_string_to_metric_families(text) for s in fam.samples}


def value(found, name, **labels):
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.django_db
def test_metrics_need_the_token(client, settings):
    assert client.get("/metrics").status_code == 401
    r = client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")
    assert r.status_code == 401 and r["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 401
    assert client.get("/metrics", **AUTH).status_code == 200
    settings.CXSMS_METRICS_TOKEN = ""
    assert client.get("/metrics", **AUTH).status_code == 404  # no token configured: no metrics page at all


@pytest.mark.django_db
@pytest.mark.pg
def test_gauges_show_rooms_queues_agents_and_overdue_timers(client, line):
    t, poc, agent, sms = line
    tid = str(t.pk)
    post_inbound(client, poc, "+12025550101", "first")   # offered to the only agent (limit 1)
    post_inbound(client, poc, "+12025550102", "second")  # waits in the queue
    post_inbound(client, poc, "+12025550103", "third")
    found = scrape(client)
    assert value(found, "cxsms_tenant_info", tenant=tid, slug="porridge-metrics") == 1
    assert value(found, "cxsms_rooms", tenant=tid, channel="sms", state="offered") == 1
    assert value(found, "cxsms_rooms", tenant=tid, channel="sms", state="queued") == 2
    assert value(found, "cxsms_queue_depth", tenant=tid, skill=str(sms.pk)) == 2
    assert 0 <= value(found, "cxsms_queue_oldest_wait_seconds", tenant=tid, skill=str(sms.pk)) < 60
    assert value(found, "cxsms_agents", tenant=tid, state="available") == 1
    assert value(found, "cxsms_timer_overdue_seconds", kind="offer_lapse") == 0
    assert value(found, "cxsms_last_room_opened_timestamp_seconds") == pytest.approx(timezone.now().timestamp(), abs=60)

    # The offer's timer is 10 minutes past due and nothing fired it: the "timers late" alert sees it.
    Room.objects.filter(state=RoomState.OFFERED).update(offer_expires_at=timezone.now() - timedelta(minutes=10))
    Room.objects.filter(queued_at__isnull=False, state=RoomState.QUEUED).update(queued_at=timezone.now() - timedelta(minutes=3))
    found = scrape(client)
    assert 590 < value(found, "cxsms_timer_overdue_seconds", kind="offer_lapse") < 700
    assert 179 < value(found, "cxsms_queue_oldest_wait_seconds", tenant=tid, skill=str(sms.pk)) < 240


@pytest.mark.django_db
def test_the_outbox_is_a_task_queue_with_depth_and_age(client, line):
    from routing.acd.offers import room_accept
    from routing.models import Message

    t, poc, agent, _ = line
    post_inbound(client, poc, "+12025550101", "hello")
    room = room_accept(room=Room.objects.get(), agent=agent)
    before = value(scrape(client), "cxsms_task_queue_depth", queue="outbox")
    # A reply the carrier has not taken yet (Twilio here is unreachable from the test: it stays pending).
    Message.objects.create(room=room, tenant=t, direction="outbound", body="waiting", status="pending",
                           created_at=timezone.now() - timedelta(seconds=90))
    found = scrape(client)
    assert value(found, "cxsms_task_queue_depth", queue="outbox") == before + 1
    assert value(found, "cxsms_task_oldest_job_age_seconds", queue="outbox") >= 89


def test_registered_queue_probes_are_scraped(client, db, monkeypatch):
    from routing.ops import metrics

    monkeypatch.setattr(metrics, "_queue_probes", dict(metrics._queue_probes))
    metrics.register_queue_probe("campaigns", lambda now: [metrics.QueueDepth("campaign-dispatch", 7, 12.5)])
    found = scrape(client)
    assert value(found, "cxsms_task_queue_depth", queue="campaign-dispatch") == 7
    assert value(found, "cxsms_task_oldest_job_age_seconds", queue="campaign-dispatch") == 12.5


async def _asgi_post(path, params, headers=()):
    body = urllib.parse.urlencode(params).encode()
    all_headers = [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded"), *headers]
    communicator = HttpCommunicator(application, "POST", path, body=body, headers=all_headers)
    try:
        response = await communicator.get_response(timeout=10)
    finally:
        await communicator.wait()
    return response["status"], dict(response["headers"])


@pytest.mark.django_db(transaction=True)
def test_webhook_latency_is_measured_for_answered_and_refused_texts(client, line):
    _, poc, _, _ = line
    before = scrape(client)
    params = inbound_params(poc, "+12025550101", "Is the porridge too hot?")
    signature = RequestValidator("secret-token").compute_signature(SMS_URL, params)
    status, headers = async_to_sync(_asgi_post)("/hooks/twilio/sms/", params, [(b"x-twilio-signature", signature.encode())])
    assert status == 200 and len(headers[b"x-request-id"]) == 32
    status, _ = async_to_sync(_asgi_post)("/hooks/twilio/sms/", inbound_params(poc, "+12025550101", "forged"))
    assert status == 403
    after = scrape(client)
    for status_class in ("2xx", "4xx"):
        labels = {"webhook": "twilio_sms", "status": status_class}
        assert value(after, "cxsms_webhook_seconds_count", **labels) == value(before, "cxsms_webhook_seconds_count", **labels) + 1
        assert value(after, "cxsms_webhook_seconds_sum", **labels) > value(before, "cxsms_webhook_seconds_sum", **labels)


@pytest.mark.django_db(transaction=True)
def test_websocket_connections_are_counted_while_open(client, line):
    _, _, agent, _ = line
    key = Token.objects.create(user=agent).key

    async def connect_and_close():
        comm = WebsocketCommunicator(application, "/ws/agent/", headers=[(b"origin", b"http://testserver"),
                                                                          (b"authorization", f"Token {key}".encode())])
        connected, _ = await comm.connect(timeout=5)
        assert connected
        await comm.receive_json_from(timeout=5)  # the snapshot
        from asgiref.sync import sync_to_async

        during = await sync_to_async(scrape)(client)
        await comm.disconnect()
        return during

    before = scrape(client)
    during = async_to_sync(connect_and_close)()
    after = scrape(client)
    assert value(during, "cxsms_websocket_connections", feed="agent") == value(before, "cxsms_websocket_connections", feed="agent") + 1
    assert value(after, "cxsms_websocket_connections", feed="agent") == value(before, "cxsms_websocket_connections", feed="agent")
    assert value(after, "cxsms_websocket_connections_opened_total", feed="agent") == \
        value(before, "cxsms_websocket_connections_opened_total", feed="agent") + 1
