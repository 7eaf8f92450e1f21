"""The Digital case timers on worker processes (issue 14's rule for every timer), PostgreSQL + Redis, two
workers: an offer nobody accepts lapses within 2 s of its due time and once; a case's inactivity timer
(R7) closes it within 2 s of its due time and once, also after a reply moved that due time (the job
scheduled when the timer started wakes early and waits for the new one; no job is scheduled per text)."""
import asyncio
import json
import time

import pytest
import requests

from tests.pg.cluster import Cluster
from tests.pg.test_cluster import token_for
from tests.pg.test_digital_cluster import YA_NUMBER, post_text
from tests.pg.test_workers import LATE, connect, due, frames

pytestmark = pytest.mark.pg

SETUP = """
import json
from routing.acd import agents as acd
from routing.models import PointOfContact as P, User
acd.agent_set_state(agent=User.objects.get(username="tommy"), state="available")
a = P.objects.get(number="%s").carrier_account
print(json.dumps([a.account_sid, a.auth_token]))
""" % YA_NUMBER
ENTRIES = """
import json
from digital.models import CaseEntry
ids = %r
print(json.dumps({kind: {str(i): CaseEntry.objects.filter(case_id=i, kind=kind).count() for i in ids} for kind in ("lapsed", "expired")}))
"""


async def test_case_offers_lapse_and_cases_expire_on_time_and_once_with_two_workers():
    env = {"CXSMS_OFFER_TIMEOUT": "3", "CXSMS_SMS_SESSION_TIMEOUT": "4"}
    with Cluster(processes=1, workers=2, name="digital-timers", env=env) as cluster:
        (url,) = cluster.urls
        sid, auth = json.loads(cluster.shell(SETUP).strip().splitlines()[-1])
        tommy = token_for(cluster, "tommy")
        h = {"Authorization": "Token " + tommy}
        async with connect(url, tommy) as ws:
            assert json.loads(await ws.recv())["type"] == "snapshot"
            for i in range(4):
                assert await asyncio.to_thread(post_text, url, sid, auth, f"+1415557{i:04d}", 900 + i) == 200
            got = await frames(ws, 5, until=lambda f: sum(x["type"] == "case.assigned" for x in f) == 4)
            offers = {f["case"]["id"]: f["case"] for f in got if f["type"] == "case.assigned"}
            assert len(offers) == 4, got
            accepted, lapsing = list(offers)[:2], list(offers)[2:]
            expires = {}
            for case_id in accepted:
                r = requests.post(f"{url}/api/v1/digital/cases/{case_id}/accept/", headers=h, timeout=10)
                assert r.status_code == 200, r.text
                expires[case_id] = due(r.json()["expires_at"])
            # A reply 2 s later moves the first case's due time 2 s past the job scheduled at accept.
            await asyncio.sleep(max(0.0, expires[accepted[0]] - 2 - time.time()))
            r = requests.post(f"{url}/api/v1/digital/cases/{accepted[0]}/messages/", json={"body": "Still there?"}, headers=h, timeout=10)
            assert r.status_code == 201, r.text
            r = requests.get(f"{url}/api/v1/digital/cases/{accepted[0]}/", headers=h, timeout=10)
            moved = due(r.json()["expires_at"])
            assert moved > expires[accepted[0]] + 1
            expires[accepted[0]] = moved
            got += await frames(ws, 10)
        lapsed = [f for f in got if f["type"] == "case.updated" and f["case"]["id"] in lapsing and f["case"]["agent"] is None]
        assert sorted(f["case"]["id"] for f in lapsed) == sorted(lapsing), lapsed
        for f in lapsed:
            lateness = f["_at"] - due(offers[f["case"]["id"]]["offer_expires_at"])
            assert -0.5 <= lateness <= LATE, (f, lateness)
        closed = [f for f in got if f["type"] == "case.closed"]
        assert sorted(f["case"]["id"] for f in closed) == sorted(accepted), closed
        for f in closed:
            lateness = f["_at"] - expires[f["case"]["id"]]
            assert -0.5 <= lateness <= LATE, (f, lateness)
        counts = json.loads(cluster.shell(ENTRIES % list(offers)).strip().splitlines()[-1])
        assert [counts["lapsed"][str(i)] for i in lapsing] == [1, 1], counts
        assert [counts["expired"][str(i)] for i in accepted] == [1, 1], counts
