"""R7 against a real daphne server: the timer loop runs inside the server process, closes a room
within 5 s of its due time, pushes the change, and survives a restart (timers live in the database)."""
import datetime as dt
import json
import time

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.live import LiveServer

DEMO_NUMBER = "+12125550100"
PASSWORD = "demo-pass-1234"


def iso(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


class Client:
    def __init__(self, server, username):
        self.server = server
        out = server.manage("drf_create_token", username).stdout
        self.s = requests.Session()
        self.s.headers["Authorization"] = "Token " + out.split("token ")[1].split()[0]

    def get(self, path):
        return self.s.get(self.server.url + path, timeout=10)

    def post(self, path, data=None):
        return self.s.post(self.server.url + path, json=data, timeout=10)

    def put(self, path, data):
        return self.s.put(self.server.url + path, json=data, timeout=10)


def text_in(server, contact, body):
    account = json.loads(server.shell(
        "import json; from routing.models import PointOfContact as P; a=P.objects.get(number='%s').carrier_account;"
        "print(json.dumps([a.account_sid, a.auth_token]))" % DEMO_NUMBER).strip().splitlines()[-1])
    url = server.url + "/hooks/twilio/sms/"
    params = {"MessageSid": "SMlive%026d" % int(time.time() * 1e6), "AccountSid": account[0], "From": contact, "To": DEMO_NUMBER,
              "Body": body, "NumMedia": "0"}
    sig = RequestValidator(account[1]).compute_signature(url, params)
    r = requests.post(url, data=params, headers={"X-Twilio-Signature": sig}, timeout=10)
    assert r.status_code == 200, r.text


def wait(predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def accepted_room(agent, contact):
    def offered():
        rows = agent.get("/api/v1/rooms/?state=offered").json()["results"]
        return [r for r in rows if r["contact_number"] == contact]
    [room] = wait(offered, 10)
    assert agent.post(f"/api/v1/rooms/{room['id']}/accept/").status_code in (200, 202)
    return agent.get(f"/api/v1/rooms/{room['id']}/").json()


@pytest.mark.live
def test_expiry_fires_within_seconds_and_survives_a_restart():
    server = LiveServer(env={"CXSMS_SMS_SESSION_TIMEOUT": "3"}).start()
    try:
        mama = Client(server, "mama")
        assert mama.put("/api/v1/me/state/", {"state": "available"}).status_code == 200
        text_in(server, "+12025550141", "Is the porridge too hot?")
        room = accepted_room(mama, "+12025550141")
        due = iso(room["expires_at"])
        closed = wait(lambda: (r := mama.get(f"/api/v1/rooms/{room['id']}/").json())["state"] == "closed" and r, 10)
        assert closed, "the room did not expire"
        late = (iso(closed["closed_at"]) - due).total_seconds()
        print(f"\ntimer precision: closed {late:.2f} s after its due time")
        assert 0 <= late <= 5 and closed["close_reason"] == "expired"

        # a room accepted, then the server stops and stays down past the due time
        text_in(server, "+12025550142", "Hello again")
        room = accepted_room(mama, "+12025550142")
        server.stop()
        time.sleep(4)
        server.start()
        restarted = time.time()
        closed = wait(lambda: (r := mama.get(f"/api/v1/rooms/{room['id']}/").json())["state"] == "closed" and r, 10)
        assert closed and closed["close_reason"] == "expired", "the timer did not survive the restart"
        print(f"after restart: closed {time.time() - restarted:.2f} s after the server came back")
    finally:
        server.stop()
