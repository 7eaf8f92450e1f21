"""Scale-out: two daphne processes on one PostgreSQL + Redis. A text that reaches process B is
offered, live, to an agent whose websocket is connected to process A."""
import asyncio
import json
import time

import pytest
import requests
import websockets
from twilio.request_validator import RequestValidator

from tests.pg.cluster import Cluster

pytestmark = pytest.mark.pg

DEMO_NUMBER = "+12125550100"


@pytest.fixture(scope="module")
def cluster():
    with Cluster(processes=2, name="cluster") as c:
        yield c


def token_for(cluster, username):
    out = cluster.manage("drf_create_token", username).stdout
    return out.split("token ")[1].split()[0]


def carrier_credentials(cluster):
    code = ("import json; from routing.models import PointOfContact as P; a = P.objects.get(number='%s').carrier_account; "
            "print(json.dumps([a.account_sid, a.auth_token]))" % DEMO_NUMBER)
    return json.loads(cluster.shell(code).strip().splitlines()[-1])


def post_text(url, account_sid, auth_token, contact, body):
    hook = url + "/hooks/twilio/sms/"
    params = {"MessageSid": "SMclu%027d" % time.time_ns(), "AccountSid": account_sid, "From": contact, "To": DEMO_NUMBER,
              "Body": body, "NumMedia": "0"}
    signature = RequestValidator(auth_token).compute_signature(hook, params)
    return requests.post(hook, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)


async def next_of_type(ws, kind, timeout):
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic())))
        if frame.get("type") == kind:
            return frame


async def test_text_to_process_b_is_offered_on_process_a(cluster):
    a, b = cluster.urls
    token = token_for(cluster, "mama")
    r = requests.put(a + "/api/v1/me/state/", json={"state": "available"}, headers={"Authorization": "Token " + token}, timeout=10)
    assert r.status_code == 200, r.text
    sid, auth_token = carrier_credentials(cluster)

    ws_url = a.replace("http://", "ws://") + "/ws/agent/"
    async with websockets.connect(ws_url, additional_headers={"Authorization": "Token " + token}, origin=a, open_timeout=10) as ws:
        snapshot = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert snapshot["type"] == "snapshot"
        contact = "+12025550177"
        r = await asyncio.to_thread(post_text, b, sid, auth_token, contact, "Is the porridge too hot?")
        assert r.status_code == 200, r.text
        try:
            offered = await next_of_type(ws, "room.offered", 10)
        except (TimeoutError, websockets.ConnectionClosed) as exc:
            pytest.fail(f"no room.offered on process A ({exc!r}); server logs:\n{cluster.log_text()[-6000:]}")
    assert offered["room"]["contact_number"] == contact
    assert offered["room"]["agent_username"] == "mama"
