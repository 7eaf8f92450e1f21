"""The agent page at phone width (390×844) and on a wide screen (1440×900): one column below ~800 px
with the list and the thread as separate views; "Previous conversations" shows this contact's
sessions first, the business number's on a second tab, nothing opened by itself; an agent who let
an offer time out is told plainly why they are now Unavailable. Screenshots go to tests/artifacts/."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_workspace import contact, open_agent, open_simulator, pretty, set_state, text_in
from tests.live import live_server

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def quick_server():
    # Offers lapse after 4 seconds so the test sees one time out.
    with live_server(env={"CXSMS_OFFER_TIMEOUT": "4"}) as s:
        yield s


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def inside_viewport(page, locator):
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], box


def converse(agent, sim, number, body, reply):
    text_in(sim, number, body)
    agent.get_by_test_id("offer").filter(has_text=body).get_by_test_id("accept").click()
    expect(agent.get_by_test_id("thread-contact")).to_have_text(pretty(number))
    agent.get_by_test_id("composer").fill(reply)
    agent.get_by_test_id("send").click()
    expect(agent.get_by_test_id("message").filter(has_text=reply)).to_have_count(1)


def end(agent):
    agent.get_by_test_id("end").click()
    agent.get_by_test_id("confirm-end").click()
    expect(agent.locator(".ended-tag")).to_be_visible()


def test_phone_width_history_tabs_and_a_lapsed_offer(quick_server, new_page, artifacts_dir):
    server = quick_server
    first, other = contact(), contact()
    sim = open_simulator(new_page, server)
    agent = open_agent(new_page, server, "mama")
    agent.set_viewport_size(PHONE)
    set_state(agent, "available")
    inside_viewport(agent, agent.get_by_test_id("state-unavailable"))  # the availability switch is not cut off
    no_sideways_scroll(agent)

    # Two earlier conversations on the number: this contact's and another contact's.
    converse(agent, sim, first, "Is the porridge ready?", "Just right, ready now.")
    end(agent)
    agent.get_by_role("button", name="Close").click()
    converse(agent, sim, other, "Do you have chairs?", "Three sizes.")
    end(agent)
    agent.get_by_role("button", name="Close").click()

    # The offer, in the list view, one column.
    text_in(sim, first, "Me again: can I order for three bears? It is a long message so that it wraps over several lines.")
    offer = agent.get_by_test_id("offer")
    expect(offer).to_be_visible()
    inside_viewport(agent, offer.get_by_test_id("accept"))
    no_sideways_scroll(agent)
    agent.screenshot(path=str(artifacts_dir / "agent-390-offer.png"))
    agent.set_viewport_size(WIDE)
    expect(offer.get_by_test_id("accept")).to_be_visible()
    agent.screenshot(path=str(artifacts_dir / "agent-1440-offer.png"))
    agent.set_viewport_size(PHONE)
    offer.get_by_test_id("accept").click()
    # How many more conversations can come, in words (not "conversation(s)").
    expect(agent.locator("#load")).to_have_attribute("title", "4 more conversations can be offered")

    # The thread replaces the list; messages are readable (not one character per line).
    expect(agent.get_by_test_id("thread-contact")).to_have_text(pretty(first))
    expect(agent.locator(".ws-side")).to_be_hidden()
    bubble = agent.get_by_test_id("message").first.locator(".msg-body")
    assert bubble.bounding_box()["width"] > 200
    agent.get_by_test_id("composer").fill("Of course — three bowls coming up.")
    no_sideways_scroll(agent)
    agent.screenshot(path=str(artifacts_dir / "agent-390-thread.png"))

    # Previous conversations: this contact's only, none opened; the number's on the second tab.
    agent.get_by_test_id("history-button").click()
    transcripts = agent.get_by_test_id("transcript")
    expect(transcripts).to_have_count(1)
    expect(transcripts.first).to_contain_text(pretty(first))
    expect(transcripts.first).not_to_have_attribute("open", "")
    expect(agent.locator(".transcript[open]")).to_have_count(0)
    inside_viewport(agent, agent.get_by_test_id("history-tab-number"))
    agent.screenshot(path=str(artifacts_dir / "agent-390-history.png"))
    agent.get_by_test_id("history-tab-number").click()
    expect(agent.get_by_test_id("history-tab-number")).to_have_attribute("aria-selected", "true")
    expect(agent.get_by_test_id("transcript").filter(has_text=pretty(other))).to_have_count(1)
    expect(agent.get_by_test_id("transcript").filter(has_text=pretty(first))).to_have_count(1)
    expect(agent.locator(".transcript[open]")).to_have_count(0)
    agent.get_by_test_id("transcript").filter(has_text=pretty(other)).locator("summary").click()
    expect(agent.get_by_test_id("transcript").filter(has_text=pretty(other))).to_contain_text("Do you have chairs?")

    # Wide screen: three columns, the same history panel.
    agent.set_viewport_size(WIDE)
    expect(agent.locator(".ws-side")).to_be_visible()
    agent.screenshot(path=str(artifacts_dir / "agent-1440-history.png"))
    agent.get_by_test_id("history-tab-contact").click()
    expect(agent.get_by_test_id("transcript")).to_have_count(1)
    agent.set_viewport_size(PHONE)
    agent.locator("#history-close").click()

    # Back to the list; an offer left to time out: the agent is told why they are Unavailable.
    agent.get_by_test_id("back").click()
    expect(agent.locator(".ws-side")).to_be_visible()
    text_in(sim, contact(), "Hello? Anybody?")
    expect(agent.get_by_test_id("offer")).to_be_visible()
    expect(agent.locator("#toast")).to_contain_text("You were set to Unavailable because an offer timed out", timeout=15000)
    expect(agent.get_by_test_id("state-unavailable")).to_have_attribute("aria-pressed", "true")
    expect(agent.locator("#state-hint")).to_have_text("You were set to Unavailable because an offer timed out")
    # The notice leaves the availability switch free: the agent's next tap is usually "Available".
    toast, switch = agent.locator("#toast").bounding_box(), agent.get_by_test_id("state-available").bounding_box()
    assert toast["y"] + toast["height"] <= switch["y"], (toast, switch)
    agent.screenshot(path=str(artifacts_dir / "agent-390-lapsed.png"))
    set_state(agent, "available")
    expect(agent.locator("#state-hint")).to_be_hidden()
    set_state(agent, "unavailable")
