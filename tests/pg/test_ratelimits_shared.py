"""Rate limits are counted once for all processes: two daphne processes on one Redis (the cache
behind the limits when REDIS_URL is set) refuse the 5th web chat of an address together."""
import pytest
import requests

from tests.pg.cluster import Cluster

pytestmark = pytest.mark.pg


def test_two_processes_share_one_count_per_address():
    with Cluster(processes=2, name="ratelimit", env={"CXSMS_CHAT_START_RATE": "4/d"}) as cluster:
        a, b = cluster.urls

        def start(url):
            return requests.post(url + "/chat/porridge/", json={"name": "Goldilocks", "body": "hello"}, timeout=10)

        # Two chats on each process: four in all, the rate.
        assert [start(url).status_code for url in (a, b, a, b)] == [201, 201, 201, 201]
        # Each process alone has seen two; the fifth is refused by both because the count is shared.
        for url in (a, b):
            r = start(url)
            assert r.status_code == 429, r.text
            assert int(r.headers["Retry-After"]) >= 1
        rooms = cluster.shell("from routing.models import Room; print(Room.objects.filter(channel='chat').count())")
        assert rooms.strip().splitlines()[-1] == "4"
