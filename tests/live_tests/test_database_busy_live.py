"""A database that does not answer in time is a 503 the caller (a person, an integration, a carrier) can
act on, never a 500, and changes nothing (docs/deployment.md, CXSMS_SQLITE_TIMEOUT): a real daphne server whose SQLite database another
process holds locked past the server's 1 s lock timeout."""
import json
import os
import sqlite3

import pytest
import requests

from tests.live import LiveServer
from tests.pg.test_cluster import DEMO_NUMBER, post_text

CREDENTIALS = ("import json; from routing.models import PointOfContact as P; a = P.objects.get(number='%s').carrier_account; "
               "print(json.dumps([a.account_sid, a.auth_token]))" % DEMO_NUMBER)


@pytest.mark.live
def test_a_write_that_cannot_get_the_database_is_a_503_that_changes_nothing():
    server = LiveServer(env={"CXSMS_SQLITE_TIMEOUT": "1"}).start()
    try:
        token = server.manage("drf_create_token", "mama").stdout.split("token ")[1].split()[0]
        sid, auth = json.loads(server.shell(CREDENTIALS).strip().splitlines()[-1])
        h = {"Authorization": "Token " + token}
        before = requests.get(server.url + "/api/v1/me/", headers=h, timeout=10).json()["state"]
        wanted = "available" if before != "available" else "unavailable"
        lock = sqlite3.connect(os.path.join(server.tmp, "db.sqlite3"), timeout=5, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            r = requests.put(server.url + "/api/v1/me/state/", json={"state": wanted}, headers=h, timeout=30)
            assert r.status_code == 503, r.text
            assert r.headers["Retry-After"] == "1"
            assert "busy" in r.json()["detail"] and "Nothing was changed" in r.json()["detail"]
            # A carrier's webhook (it skips Django's middleware) gets the same 503, and its text is not stored.
            r = post_text(server.url, sid, auth, "+12025550999", "Is the porridge ready?")
            assert r.status_code == 503 and r.headers["Retry-After"] == "1", r.text
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert requests.get(server.url + "/api/v1/me/", headers=h, timeout=10).json()["state"] == before
        r = requests.put(server.url + "/api/v1/me/state/", json={"state": wanted}, headers=h, timeout=30)
        assert r.status_code == 200 and r.json()["state"] == wanted
        assert "database busy on PUT /api/v1/me/state/" in server.log_text()
        stored = server.shell("from routing.models import Message; print(Message.objects.filter(contact_number='+12025550999').count())")
        assert stored.strip().splitlines()[-1] == "0"
    finally:
        server.stop()
