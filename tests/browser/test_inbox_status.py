"""The inbox shows a text's delivery status as the carrier reports it, pushed over the socket
(case.message_status), with no polling: a real browser against a real daphne server, the simulated
carrier reporting the delivery."""
import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_inbox import PASSWORD, contact, open_inbox, pretty, text_in

pytestmark = pytest.mark.browser


def test_delivery_status_arrives_over_the_socket_without_polling(server, new_page):
    number = contact()
    tommy = open_inbox(new_page, server, "tommy")
    frames, reads = [], []
    tommy.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(payload)))
    tommy.on("request", lambda r: reads.append((time.monotonic(), r.url))
             if r.method == "GET" and "/api/v1/digital/cases/" in r.url else None)
    tommy.reload()
    expect(tommy.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    tommy.get_by_test_id("state-available").click()
    sim = new_page()
    login(sim, server, "tuppence", PASSWORD)
    sim.goto(server.url + "/simulator/")
    expect(sim.locator("#sim-conn")).to_have_text(re.compile("live"))
    text_in(sim, number, "#ADVENTUREME any kayak trips?")
    tommy.get_by_test_id("case-item").filter(has_text=pretty(number)).click()
    tommy.get_by_test_id("accept").click()
    expect(tommy.locator("#case-head").get_by_test_id("state-badge")).to_have_text("Open")

    tommy.get_by_test_id("composer").fill("Yes: Lake Tahoe in June")
    tommy.get_by_test_id("send").click()
    sent = tommy.get_by_test_id("message").filter(has_text="Lake Tahoe in June")
    # The outbox runs in the shared demo server's worker threads, busy with other tests' texts under
    # parallel runs: the push may take longer than a page's default wait; that it is a push is checked below.
    expect(sent.get_by_test_id("message-status")).to_contain_text("Delivered", timeout=20000)
    statuses = [json.loads(f) for f in frames if isinstance(f, str) and "case.message_status" in f]
    assert any(s.get("status") == "delivered" for s in statuses), statuses

    # Nothing reads the case again on a timer any more (it polled every 3 s while a text travelled).
    quiet_from = time.monotonic()
    tommy.wait_for_timeout(4000)
    assert [url for t, url in reads if t > quiet_from] == []

    # Leave tommy as found: the demo server is shared by the browser tests.
    tommy.get_by_test_id("state-select").select_option("closed")
    tommy.get_by_test_id("state-set").click()
    expect(tommy.locator("#case-head").get_by_test_id("state-badge")).to_have_text("Closed")
    tommy.get_by_test_id("state-unavailable").click()
    expect(tommy.get_by_test_id("state-unavailable")).to_have_attribute("aria-pressed", "true")
