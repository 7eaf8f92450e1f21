"""Background work on worker processes (docs/deployment.md), scaled out on PostgreSQL + Redis: the web
process does no background work, `manage.py run_worker` processes do.

- timers (offer lapses, session expiries) fire within 2 s of their due time, once each, with two workers;
- a carrier that hangs holds the outbox's threads, never the timers';
- with no worker running the web still takes and routes texts; a worker started later catches up;
- kill -9 of the workers while one is inside a carrier call loses nothing and sends no second SMS.
"""
import asyncio
import json
import signal
import time
from datetime import datetime

import pytest
import requests
import websockets

from tests.hub import FakeTwilio
from tests.pg.cluster import Cluster
from tests.pg.test_cluster import DEMO_NUMBER, carrier_credentials, post_text, token_for

pytestmark = pytest.mark.pg
LATE = 2.0  # seconds a timer may fire after its due time


def available(url, token):
    assert requests.put(url + "/api/v1/me/state/", json={"state": "available"}, headers={"Authorization": "Token " + token},
                        timeout=10).status_code == 200


def due(iso):
    return datetime.fromisoformat(iso).timestamp()


async def frames(ws, seconds, until=None):
    """Every frame for `seconds` (or until `until(frames)`), each with the time it arrived."""
    got, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            frame = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic())))
        except TimeoutError:
            break
        frame["_at"] = time.time()
        got.append(frame)
        if until and until(got):
            break
    return got


def connect(url, token):
    return websockets.connect(url.replace("http://", "ws://") + "/ws/agent/", additional_headers={"Authorization": "Token " + token},
                              origin=url, open_timeout=10)


def use_fake_twilio(cluster, fake):
    """The demo number sends through a Twilio account whose API is the fake (CXSMS_TWILIO_API_BASE)."""
    cluster.shell("from routing.models import PointOfContact as P; a = P.objects.get(number='%s').carrier_account; "
                  "a.provider = 'twilio'; a.account_sid = 'AC' + '5' * 32; a.auth_token = 'outage-token'; a.save()" % DEMO_NUMBER)


async def test_timers_fire_on_time_and_once_with_two_workers():
    env = {"CXSMS_OFFER_TIMEOUT": "3", "CXSMS_SMS_SESSION_TIMEOUT": "4"}
    with Cluster(processes=1, workers=2, name="timers", env=env) as cluster:
        (url,) = cluster.urls
        mama = token_for(cluster, "mama")
        available(url, mama)
        sid, auth = carrier_credentials(cluster)
        async with connect(url, mama) as ws:
            assert json.loads(await ws.recv())["type"] == "snapshot"
            contacts = [f"+1202555{3000 + i:04d}" for i in range(4)]
            for c in contacts:
                assert (await asyncio.to_thread(post_text, url, sid, auth, c, "hello")).status_code == 200
            # Accept two at once (their sessions expire 4 s later); let the other two offers lapse (3 s).
            got = await frames(ws, 5, until=lambda f: sum(x["type"] == "room.offered" for x in f) == 4)
            offers = {f["room"]["id"]: f["room"] for f in got if f["type"] == "room.offered"}
            assert len(offers) == 4, got
            accepted = list(offers)[:2]
            h = {"Authorization": "Token " + mama}
            expires = {}
            for room_id in accepted:
                r = requests.post(f"{url}/api/v1/rooms/{room_id}/accept/", headers=h, timeout=10)
                assert r.status_code == 200, r.text
                expires[room_id] = due(r.json()["expires_at"])
            got += await frames(ws, 12)
        revoked = [f for f in got if f["type"] == "room.revoked"]
        closed = [f for f in got if f["type"] == "room.closed"]
        lapsed_rooms = [room_id for room_id in offers if room_id not in accepted]
        # each lapse once, on time; each expiry once, on time
        assert sorted(f["room"]["id"] for f in revoked) == sorted(lapsed_rooms), revoked
        for f in revoked:
            lateness = f["_at"] - due(offers[f["room"]["id"]]["offer_expires_at"])
            assert -0.5 <= lateness <= LATE, (f, lateness)
        assert sorted(f["room"]["id"] for f in closed) == sorted(accepted), closed
        for f in closed:
            assert f["room"]["close_reason"] == "expired"
            lateness = f["_at"] - expires[f["room"]["id"]]
            assert -0.5 <= lateness <= LATE, (f, lateness)
        # once: one lapse decision per lapsed room in the database too
        counts = json.loads(cluster.shell(
            "import json; from routing.models import RoutingDecision as D; "
            "print(json.dumps({str(r): D.objects.filter(room_id=r, outcome='lapsed').count() for r in %r}))" % lapsed_rooms
        ).strip().splitlines()[-1])
        assert set(counts.values()) == {1}, counts


async def test_a_hanging_carrier_delays_no_timer():
    fake = FakeTwilio()
    fake.timeout_sleep = 12  # every send hangs past the client's timeout: an outage
    env = {"CXSMS_OFFER_TIMEOUT": "3", "CXSMS_SMS_SESSION_TIMEOUT": "6", "CXSMS_TWILIO_API_BASE": fake.url, "CXSMS_TWILIO_TIMEOUT": "10"}
    try:
        with Cluster(processes=1, workers=2, name="outage", env=env) as cluster:
            (url,) = cluster.urls
            use_fake_twilio(cluster, fake)
            fake.script = ["timeout"] * 100
            mama = token_for(cluster, "mama")
            available(url, mama)
            sid, auth = carrier_credentials(cluster)
            h = {"Authorization": "Token " + mama}
            async with connect(url, mama) as ws:
                await ws.recv()
                assert (await asyncio.to_thread(post_text, url, sid, auth, "+12025554000", "hello")).status_code == 200
                offered = [f for f in await frames(ws, 5, until=lambda f: any(x["type"] == "room.offered" for x in f))
                           if f["type"] == "room.offered"]
                room_id = offered[0]["room"]["id"]
                assert requests.post(f"{url}/api/v1/rooms/{room_id}/accept/", headers=h, timeout=10).status_code == 200
                # Twelve answers: more sends than the workers' outbox threads (2 × 4), all hanging.
                for i in range(12):
                    r = requests.post(f"{url}/api/v1/rooms/{room_id}/messages/", json={"body": f"answer {i}"}, headers=h, timeout=10)
                    assert r.status_code == 201, r.text
                expires_at = due(requests.get(f"{url}/api/v1/rooms/{room_id}/", headers=h, timeout=10).json()["expires_at"])
                time.sleep(1)
                assert len(fake.requests) >= 2  # the outbox is inside its hanging calls
                # A new contact: offered, not accepted, lapses at 3 s while every outbox thread hangs.
                assert (await asyncio.to_thread(post_text, url, sid, auth, "+12025554001", "hello?")).status_code == 200
                got = await frames(ws, 12)
        second = next(f["room"] for f in got if f["type"] == "room.offered")
        revoked = next(f for f in got if f["type"] == "room.revoked")
        assert revoked["_at"] - due(second["offer_expires_at"]) <= LATE
        closed = next(f for f in got if f["type"] == "room.closed" and f["room"]["id"] == room_id)
        assert closed["room"]["close_reason"] == "expired" and closed["_at"] - expires_at <= LATE
    finally:
        fake.close()


async def test_with_no_worker_texts_are_kept_and_a_late_worker_catches_up():
    env = {"CXSMS_SMS_SESSION_TIMEOUT": "3"}
    with Cluster(processes=1, workers=0, name="noworker", env=env) as cluster:
        (url,) = cluster.urls
        mama = token_for(cluster, "mama")
        available(url, mama)
        sid, auth = carrier_credentials(cluster)
        h = {"Authorization": "Token " + mama}
        assert requests.get(url + "/readyz", timeout=10).status_code == 503  # no worker has reported in
        assert post_text(url, sid, auth, "+12025555000", "hello").status_code == 200  # the web takes it and routes it
        rooms = requests.get(f"{url}/api/v1/rooms/", headers=h, timeout=10).json()["results"]
        (room,) = [r for r in rooms if r["contact_number"] == "+12025555000"]
        assert room["state"] == "offered"
        assert requests.post(f"{url}/api/v1/rooms/{room['id']}/accept/", headers=h, timeout=10).status_code == 200
        assert requests.post(f"{url}/api/v1/rooms/{room['id']}/messages/", json={"body": "Hi!"}, headers=h, timeout=10).status_code == 201
        time.sleep(5)  # the session's timer is past due; nothing in the web process fires it, nothing sends the answer
        state = requests.get(f"{url}/api/v1/rooms/{room['id']}/", headers=h, timeout=10).json()
        answer = requests.get(f"{url}/api/v1/rooms/{room['id']}/messages/", headers=h, timeout=10).json()["results"][-1]
        assert state["state"] == "active" and answer["status"] == "pending"
        cluster.start_worker()
        deadline = time.time() + 15
        while time.time() < deadline:
            state = requests.get(f"{url}/api/v1/rooms/{room['id']}/", headers=h, timeout=10).json()
            answer = requests.get(f"{url}/api/v1/rooms/{room['id']}/messages/", headers=h, timeout=10).json()["results"][-1]
            if state["state"] == "closed" and answer["status"] == "delivered":
                break
            time.sleep(0.5)
        assert state["state"] == "closed" and state["close_reason"] == "expired", state
        assert answer["status"] == "delivered", answer
        deadline = time.time() + 15
        while requests.get(url + "/readyz", timeout=10).status_code != 200 and time.time() < deadline:
            time.sleep(0.5)
        assert requests.get(url + "/readyz", timeout=10).status_code == 200, cluster.log_text()[-3000:]


def test_kill_9_of_the_workers_mid_send_loses_nothing_and_sends_once():
    fake = FakeTwilio()
    fake.timeout_sleep = 6  # the first send is inside the carrier call when the workers die
    env = {"CXSMS_TWILIO_API_BASE": fake.url, "CXSMS_SEND_LEASE": "3", "CXSMS_SMS_SESSION_TIMEOUT": "4"}
    try:
        with Cluster(processes=1, workers=2, name="kill9w", env=env) as cluster:
            (url,) = cluster.urls
            use_fake_twilio(cluster, fake)
            mama = token_for(cluster, "mama")
            available(url, mama)
            sid, auth = carrier_credentials(cluster)
            h = {"Authorization": "Token " + mama}
            contact = "+12025556000"
            assert post_text(url, sid, auth, contact, "hello").status_code == 200
            (room,) = [r for r in requests.get(f"{url}/api/v1/rooms/", headers=h, timeout=10).json()["results"]
                       if r["contact_number"] == contact]
            assert requests.post(f"{url}/api/v1/rooms/{room['id']}/accept/", headers=h, timeout=10).status_code == 200
            fake.script = ["timeout"]
            assert requests.post(f"{url}/api/v1/rooms/{room['id']}/messages/", json={"body": "On its way"}, headers=h,
                                 timeout=10).status_code == 201
            deadline = time.time() + 10
            while not fake.to(contact) and time.time() < deadline:
                time.sleep(0.1)
            assert fake.to(contact), "the send never reached the carrier"
            cluster.kill_workers(signal.SIGKILL)  # one of them is inside the carrier call
            time.sleep(5)  # the session's timer falls due meanwhile, with no worker alive
            cluster.start_worker()
            deadline = time.time() + 20
            while time.time() < deadline:
                state = requests.get(f"{url}/api/v1/rooms/{room['id']}/", headers=h, timeout=10).json()
                answer = requests.get(f"{url}/api/v1/rooms/{room['id']}/messages/", headers=h, timeout=10).json()["results"][-1]
                if state["state"] == "closed" and answer["status"] not in ("pending", "sending"):
                    break
                time.sleep(0.5)
            assert state["state"] == "closed" and state["close_reason"] == "expired", state
            assert answer["status"] == "queued" and answer["error_code"] == "", answer  # adopted from the carrier's list
            assert len(fake.to(contact)) == 1  # one SMS, never a second
    finally:
        fake.close()
