"""A database that does not answer in time is a 503 the caller can act on, never a 500, and changes
nothing (docs/deployment.md, CXSMS_SQLITE_TIMEOUT): a real daphne server whose SQLite database another
process holds locked past the server's 1 s lock timeout."""
import os
import sqlite3

import pytest
import requests

from tests.live import LiveServer


@pytest.mark.live
def test_a_write_that_cannot_get_the_database_is_a_503_that_changes_nothing():
    server = LiveServer(env={"CXSMS_SQLITE_TIMEOUT": "1"}).start()
    try:
        token = server.manage("drf_create_token", "mama").stdout.split("token ")[1].split()[0]
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
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert requests.get(server.url + "/api/v1/me/", headers=h, timeout=10).json()["state"] == before
        r = requests.put(server.url + "/api/v1/me/state/", json={"state": wanted}, headers=h, timeout=30)
        assert r.status_code == 200 and r.json()["state"] == wanted
        assert "database busy on PUT /api/v1/me/state/" in server.log_text()
    finally:
        server.stop()
