"""The inbox acts on cases over its socket while it is open (accept, reply, state: one frame each, no HTTP
request), and through the REST API while it is down, with the same result on the page: a real browser
against a real daphne server with the demo data."""
import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_inbox import contact, open_inbox, open_simulator, pretty, set_agent_state, set_case_state, text_in

pytestmark = pytest.mark.browser
ACTIONS = re.compile(r"/api/v1/digital/cases/\d+/(accept|reject|messages|state)/$")


def test_case_actions_go_over_the_socket_and_through_rest_when_it_is_down(server, new_page):
    first, second = contact(), contact()
    tommy = open_inbox(new_page, server, "tommy")
    sent, posts = [], []
    tommy.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    tommy.on("request", lambda r: posts.append(ACTIONS.search(r.url).group(1)) if r.method == "POST" and ACTIONS.search(r.url) else None)
    tommy.reload()
    expect(tommy.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    set_agent_state(tommy, "available")
    sim = open_simulator(new_page, server)
    text_in(sim, first, "#ADVENTUREME canoe trips?")
    text_in(sim, second, "#ADVENTUREME any climbing?")
    head = tommy.locator("#case-head").get_by_test_id("state-badge")

    # Socket open: accept, reply, resolve and close are frames on the agent feed.
    tommy.get_by_test_id("case-item").filter(has_text=pretty(first)).click()
    tommy.get_by_test_id("accept").click()
    expect(head).to_have_text("Open")
    tommy.get_by_test_id("composer").fill("Yes, on the Russian River")
    tommy.get_by_test_id("send").click()
    expect(tommy.get_by_test_id("message").filter(has_text="Russian River")).to_have_count(1)
    expect(sim.locator("#sim-thread")).to_contain_text("Yes, on the Russian River")  # really texted to the phone
    tommy.get_by_test_id("state-select").select_option("resolved")
    tommy.get_by_test_id("state-set").click()
    expect(head).to_have_text("Resolved")
    tommy.get_by_test_id("state-select").select_option("closed")
    tommy.get_by_test_id("state-set").click()
    expect(head).to_have_text("Closed")
    kinds = [json.loads(f).get("type") for f in sent if isinstance(f, str)]
    assert [k for k in kinds if k.startswith("case.")] == ["case.accept", "case.reply", "case.state", "case.state"], kinds
    assert posts == []

    # Socket down (kept away for a minute): the same actions go through the REST API.
    tommy.evaluate("CxLive.sockets[0].drop(60000)")
    expect(tommy.get_by_test_id("connection")).to_have_attribute("data-state", "reconnecting")
    tommy.get_by_test_id("case-item").filter(has_text=pretty(second)).click()
    tommy.get_by_test_id("accept").click()
    expect(head).to_have_text("Open")
    tommy.get_by_test_id("composer").fill("Yes, in Yosemite")
    tommy.get_by_test_id("send").click()
    expect(tommy.get_by_test_id("message").filter(has_text="in Yosemite")).to_have_count(1)
    tommy.get_by_test_id("state-select").select_option("closed")
    tommy.get_by_test_id("state-set").click()
    expect(head).to_have_text("Closed")
    assert posts == ["accept", "messages", "state"]

    # Leave tommy as found: the demo server is shared by the browser tests.
    tommy.get_by_test_id("state-unavailable").click()
    expect(tommy.get_by_test_id("state-unavailable")).to_have_attribute("aria-pressed", "true")


def test_a_state_picked_survives_a_live_update_of_the_case(server, new_page):
    """The agent picks a new state; before they press Set, a supervisor's note re-draws the case from its
    case.updated event. The state set is the one picked, not the list's first."""
    number = contact()
    tommy = open_inbox(new_page, server, "tommy")
    set_agent_state(tommy, "available")
    sim = open_simulator(new_page, server)
    text_in(sim, number, "#ADVENTUREME kayaks for two?")
    item = tommy.get_by_test_id("case-item").filter(has_text=pretty(number))
    item.click()
    tommy.get_by_test_id("accept").click()
    head = tommy.locator("#case-head").get_by_test_id("state-badge")
    expect(head).to_have_text("Open")
    case_id = item.get_attribute("data-case")

    tommy.get_by_test_id("state-select").select_option("escalated")
    sim.goto(server.url + "/inbox/")  # the administrator's inbox: the same API, her session
    status = sim.evaluate("id => CxLive.api('POST', '/api/v1/digital/cases/' + id + '/notes/', {body: 'Ask about the tandem'})"
                          ".then(r => r.status)", case_id)
    assert status == 201
    expect(tommy.get_by_test_id("entry").filter(has_text="Ask about the tandem")).to_have_count(1)  # the case was drawn again
    tommy.get_by_test_id("state-set").click()
    expect(head).to_have_text("Escalated")

    # Leave the shared demo server as found.
    set_case_state(tommy, "closed", "Closed")
    set_agent_state(tommy, "unavailable")
