"""Conversation search in a real browser (issue 17, item 11): a supervisor finds a conversation by
words in it and by number, opens its transcript in one click; an agent finds only their own.
Screenshots at 1440×900 and 390×844 go to tests/artifacts/."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_workspace import contact, open_agent, open_simulator, open_supervisor, set_state, text_in

pytestmark = pytest.mark.browser
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def test_search_finds_a_conversation_and_opens_its_transcript(server, new_page, artifacts_dir):
    number = contact()
    sim = open_simulator(new_page, server)
    mama = open_agent(new_page, server, "mama")
    set_state(mama, "available")
    text_in(sim, number, "Do you deliver blueberry porridge?")
    mama.get_by_test_id("offer").get_by_test_id("accept").click()
    mama.get_by_test_id("composer").fill("Every morning before nine.")
    mama.get_by_test_id("send").click()
    mama.get_by_test_id("end").click()
    mama.get_by_test_id("confirm-end").click()
    expect(mama.get_by_test_id("room-tab")).to_have_count(0)
    set_state(mama, "unavailable")

    sup = open_supervisor(new_page, server)
    sup.set_viewport_size(WIDE)
    sup.get_by_test_id("search-link").click()
    expect(sup.get_by_test_id("search-hint")).to_be_visible()
    sup.get_by_test_id("search-text").fill("BLUEBERRY")
    sup.get_by_test_id("search-submit").click()
    rows = sup.get_by_test_id("search-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(number)
    expect(rows.first).to_contain_text("mama")
    sup.screenshot(path=str(artifacts_dir / "search-1440.png"))
    sup.set_viewport_size(PHONE)
    sup.screenshot(path=str(artifacts_dir / "search-390.png"))
    assert sup.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    sup.set_viewport_size(WIDE)

    rows.first.get_by_test_id("open-transcript").click()
    expect(sup.get_by_test_id("transcript-message")).to_have_count(2)
    expect(sup.get_by_test_id("transcript")).to_contain_text("Every morning before nine.")
    sup.screenshot(path=str(artifacts_dir / "transcript-1440.png"))
    sup.get_by_test_id("back-to-search").click()
    sup.get_by_test_id("search-number").fill(number[-4:])
    sup.get_by_test_id("search-submit").click()
    expect(sup.get_by_test_id("search-row")).to_have_count(1)

    # Papa never had it: his search finds nothing.
    papa = open_agent(new_page, server, "papa")
    papa.goto(server.url + "/conversations/?text=blueberry")
    expect(papa.get_by_test_id("search-empty")).to_be_visible()
