"""Rights that end, end on sockets in every process: two daphne processes on one PostgreSQL +
Redis; a socket open on process A closes within a second when the user logs out through process
B, when an administrator deactivates them through the REST API on process B, and when a third
process (manage.py drf_create_token -r) regenerates their token."""
import asyncio
import json
import re
import time

import pytest
import requests
import websockets

from tests.pg.cluster import Cluster

pytestmark = pytest.mark.pg

PASSWORD = "demo-pass-1234"  # load_demo's


@pytest.fixture(scope="module")
def cluster():
    with Cluster(processes=2, name="rights") as c:
        yield c


def login(url, username):
    s = requests.Session()
    page = s.get(url + "/login/", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = s.post(url + "/login/", data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
               headers={"Referer": url + "/login/"}, allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text[-2000:]
    return s


def token_for(cluster, username):
    return cluster.manage("drf_create_token", username).stdout.split("token ")[1].split()[0]


async def closed_within(ws, seconds):
    """Frames until the server closes; returns (close code, the `closing` frame, seconds taken)."""
    started, closing = time.monotonic(), None
    try:
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), seconds + 1))
            if frame["type"] == "closing":
                closing = frame
    except websockets.ConnectionClosed:
        pass
    return ws.close_code, closing, time.monotonic() - started


async def open_ws(url, path, **headers):
    ws = await websockets.connect(url.replace("http://", "ws://") + path, additional_headers=headers, origin=url, open_timeout=10)
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "snapshot"
    return ws


async def test_logout_through_process_b_closes_the_socket_on_process_a(cluster):
    a, b = cluster.urls
    browser = await asyncio.to_thread(login, b, "sam")
    ws = await open_ws(a, "/ws/supervisor/", Cookie="sessionid=" + browser.cookies["sessionid"])
    async with ws:
        await asyncio.sleep(0.3)  # the socket has joined its groups
        csrf = browser.cookies["csrftoken"]
        r = await asyncio.to_thread(browser.post, b + "/logout/", headers={"X-CSRFToken": csrf, "Referer": b + "/"},
                                    allow_redirects=False, timeout=10)
        assert r.status_code == 302
        code, closing, took = await closed_within(ws, 1)
    assert code == 4401 and closing and closing["code"] == 4401, cluster.log_text()[-4000:]
    assert took < 1, took


async def test_token_regenerated_by_another_process_closes_the_socket_on_process_a(cluster):
    a, _ = cluster.urls
    token = await asyncio.to_thread(token_for, cluster, "papa")
    ws = await open_ws(a, "/ws/agent/", Authorization="Token " + token)
    async with ws:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(cluster.manage, "drf_create_token", "-r", "papa")
        started = time.monotonic()
        code, closing, _ = await closed_within(ws, 1)
    # The command's own start-up is not the socket's delay: measured from its end.
    assert code == 4401 and closing, cluster.log_text()[-4000:]
    assert time.monotonic() - started < 1


async def test_deactivation_through_the_api_on_process_b_closes_the_socket_on_process_a(cluster):
    a, b = cluster.urls
    agent_token = await asyncio.to_thread(token_for, cluster, "baby")
    admin_token = await asyncio.to_thread(token_for, cluster, "tiffany")
    me = (await asyncio.to_thread(requests.get, b + "/api/v1/users/?username=baby", headers={"Authorization": "Token " + admin_token},
                                  timeout=10)).json()
    baby_id = (me["results"] if isinstance(me, dict) else me)[0]["id"]
    ws = await open_ws(a, "/ws/agent/", Authorization="Token " + agent_token)
    async with ws:
        await asyncio.sleep(0.3)
        r = await asyncio.to_thread(requests.patch, f"{b}/api/v1/users/{baby_id}/", json={"is_active": False},
                                    headers={"Authorization": "Token " + admin_token}, timeout=10)
        assert r.status_code == 200, r.text
        code, closing, took = await closed_within(ws, 1)
    assert code == 4403 and closing and closing["code"] == 4403, cluster.log_text()[-4000:]
    assert took < 1, took
