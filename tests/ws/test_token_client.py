"""A non-browser client (the `websockets` library) against a real daphne server: token on the
handshake in `Authorization: Token <key>`, an Origin naming the server, snapshot first, numbered events."""
import asyncio
import concurrent.futures
import json
import re

import pytest
import requests
import websockets
from websockets.exceptions import InvalidStatus

from tests.live import live_server


@pytest.fixture(scope="module")
def server():
    with live_server() as s:
        yield s


def run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API (browser tests in the same session)
    keeps an event loop running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def token(server, username):
    out = server.manage("drf_create_token", username).stdout
    return re.search(r"\b([0-9a-f]{40})\b", out).group(1)


def ws_url(server, path):
    return server.url.replace("http", "ws", 1) + path


async def recv(ws, timeout=5):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def refused(server, path, **kw):
    with pytest.raises(InvalidStatus) as exc:
        async with websockets.connect(ws_url(server, path), open_timeout=5, **kw):
            pass
    return exc.value.response.status_code


def test_agent_feed_by_token(server):
    key = token(server, "mama")
    auth = {"Authorization": "Token " + key}

    async def walk():
        async with websockets.connect(ws_url(server, "/ws/agent/"), origin=server.url, additional_headers=auth, open_timeout=5) as ws:
            snap = await recv(ws)
            assert snap["type"] == "snapshot" and snap["seq"] == 1 and snap["agent"]["username"] == "mama"
            assert isinstance(snap["agent_seq"], int) and "rooms" in snap and snap["server_time"]
            # an action through the REST API by the same token comes back as an event
            for state in ("available", "unavailable"):
                r = await asyncio.to_thread(requests.put, server.url + "/api/v1/me/state/", json={"state": state},
                                            headers=auth, timeout=10)
                assert r.status_code == 200, r.text
            events = [await recv(ws), await recv(ws)]
            assert [e["type"] for e in events] == ["agent.state", "agent.state"]
            assert [e["state"] for e in events] == ["available", "unavailable"]
            assert [e["seq"] for e in events] == [2, 3]
            assert [e["agent_seq"] for e in events] == [snap["agent_seq"] + 1, snap["agent_seq"] + 2]
            await ws.send(json.dumps({"type": "resync"}))
            again = await recv(ws)
            assert again["type"] == "snapshot" and again["seq"] == 4 and again["agent_seq"] == snap["agent_seq"] + 2

    run(walk())


def test_handshake_is_refused_without_origin_token_or_role(server):
    key = token(server, "mama")
    auth = {"Authorization": "Token " + key}

    async def walk():
        assert await refused(server, "/ws/agent/", additional_headers=auth) == 403  # no Origin
        assert await refused(server, "/ws/agent/", origin="http://evil.example.com", additional_headers=auth) == 403
        assert await refused(server, "/ws/agent/", origin=server.url) == 403  # no credentials
        assert await refused(server, "/ws/agent/?token=" + key, origin=server.url) == 403  # never from the query string
        assert await refused(server, "/ws/agent/", origin=server.url, additional_headers={"Authorization": "Token " + "0" * 40}) == 403
        assert await refused(server, "/ws/supervisor/", origin=server.url, additional_headers=auth) == 403  # an agent

    run(walk())


def test_supervisor_feed_by_token(server):
    auth = {"Authorization": "Token " + token(server, "sam")}

    async def walk():
        async with websockets.connect(ws_url(server, "/ws/supervisor/"), origin=server.url, additional_headers=auth, open_timeout=5) as ws:
            snap = await recv(ws)
            assert snap["type"] == "snapshot" and snap["seq"] == 1 and snap["tenant"]["name"] == "Three Bears Porridge"
            assert {a["username"] for a in snap["agents"]} == {"mama", "papa", "baby"}

    run(walk())
