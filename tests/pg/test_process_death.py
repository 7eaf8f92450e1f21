"""Issue 7 item 6: kill -9 one of two daphne processes in the middle of traffic. Every webhook it
answered 200 is stored and routed; the ones it never answered, retried by the carrier on the other
process, are stored exactly once; timers still fire (the survivor's loop); the agent whose socket
died reconnects to the survivor and gets a full snapshot."""
import asyncio
import json
import os
import signal
import threading
import time

import pytest
import requests
import websockets

from tests.pg.cluster import Cluster
from tests.pg.test_cluster import carrier_credentials, token_for

pytestmark = pytest.mark.pg
DEMO_NUMBER = "+12125550100"
TEXTS = 40


def signed(url, sid, token, contact, message_sid):
    from twilio.request_validator import RequestValidator

    hook = url + "/hooks/twilio/sms/"
    params = {"MessageSid": message_sid, "AccountSid": sid, "From": contact, "To": DEMO_NUMBER, "Body": "hello", "NumMedia": "0"}
    return hook, params, {"X-Twilio-Signature": RequestValidator(token).compute_signature(hook, params)}


def test_kill_9_loses_nothing():
    with Cluster(processes=2, name="kill", env={"CXSMS_SMS_SESSION_TIMEOUT": "4", "CXSMS_OFFER_TIMEOUT": "300"}) as cluster:
        a, b = cluster.urls
        tokens = {u: token_for(cluster, u) for u in ("mama", "baby")}
        for token in tokens.values():
            assert requests.put(a + "/api/v1/me/state/", json={"state": "available"}, headers={"Authorization": "Token " + token},
                                timeout=10).status_code == 200
        sid, auth = carrier_credentials(cluster)
        texts = [(f"+1202555{2000 + i:04d}", "SMkill%026d" % i) for i in range(TEXTS)]
        answers = {}

        def send(i):
            contact, msid = texts[i]
            hook, params, headers = signed(b, sid, auth, contact, msid)  # every text to B, the process that dies
            try:
                answers[msid] = requests.post(hook, data=params, headers=headers, timeout=10).status_code
            except requests.RequestException:
                answers[msid] = None

        async def scenario():
            ws_url = b.replace("http://", "ws://") + "/ws/agent/"
            ws = await websockets.connect(ws_url, additional_headers={"Authorization": "Token " + tokens["mama"]}, origin=b)
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "snapshot"
            threads = []
            for i in range(TEXTS):
                t = threading.Thread(target=send, args=(i,))
                t.start()
                threads.append(t)
                if i == TEXTS // 2:
                    os.killpg(cluster.procs[1].pid, signal.SIGKILL)  # mid-traffic, no goodbye
                await asyncio.sleep(0.03)
            for t in threads:
                await asyncio.to_thread(t.join, 15)
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
            # the agent reconnects to the survivor and gets everything from the database
            ws = await websockets.connect(a.replace("http://", "ws://") + "/ws/agent/",
                                          additional_headers={"Authorization": "Token " + tokens["mama"]}, origin=a)
            snap = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await ws.close()
            return snap

        snapshot = asyncio.run(scenario())
        answered = [m for m, code in answers.items() if code == 200]
        unanswered = [m for m, code in answers.items() if code != 200]
        assert answered, answers

        # the carrier retries what was not answered, on the surviving process
        for contact, msid in texts:
            if msid in unanswered:
                hook, params, headers = signed(a, sid, auth, contact, msid)
                assert requests.post(hook, data=params, headers=headers, timeout=10).status_code == 200

        def read_state():
            return json.loads(cluster.shell(
                "import json; from routing.models import Message, Room; "
                "ms = Message.objects.filter(carrier_sid__startswith='SMkill'); "
                "print(json.dumps({'messages': ms.count(), 'sids': ms.values('carrier_sid').distinct().count(), "
                "'rooms': {r.contact_number: [r.state, r.decisions.count()] "
                "for r in Room.objects.filter(contact_number__startswith='+1202555')}}))"
            ).strip().splitlines()[-1])

        # A text the dead process stored but had not routed yet is routed by the survivor's queue sweep.
        deadline = time.time() + 20
        state = read_state()
        while time.time() < deadline and not all(d >= 1 for _, d in state["rooms"].values()):
            time.sleep(1)
            state = read_state()
        assert state["messages"] == state["sids"] == TEXTS, state  # every text stored once
        assert len(state["rooms"]) == TEXTS
        # every room was routed: offered (10 slots: mama + baby, limit 5) or queued, with a decision
        assert all(decisions >= 1 for _, decisions in state["rooms"].values()), state["rooms"]
        offered_to_mama = [r for r in snapshot["rooms"] if r["state"] == "offered"]
        assert offered_to_mama and snapshot["agent"]["sms"] == len(snapshot["rooms"]) <= 5

        # timers still fire: accept one of mama's offers on A; the survivor's loop expires it (timeout 4 s)
        room = offered_to_mama[0]
        headers = {"Authorization": "Token " + tokens["mama"]}
        assert requests.post(f"{a}/api/v1/rooms/{room['id']}/accept/", headers=headers, timeout=10).status_code in (200, 202)
        deadline = time.time() + 15
        while time.time() < deadline:
            current = requests.get(f"{a}/api/v1/rooms/{room['id']}/", headers=headers, timeout=10).json()
            if current["state"] == "closed":
                break
            time.sleep(0.3)
        assert current["state"] == "closed" and current["close_reason"] == "expired", current
        print(f"\nkill -9: {len(answered)} answered before/after the kill, {len(unanswered)} retried on the survivor, "
              f"{state['messages']} stored once each, {len(state['rooms'])} rooms routed, expiry fired on the survivor")
