"""The contact card on the ACD agent page, in a real browser against a real daphne server: the agent
keeps the open room's contact card (name, tags, notes with who and when), the same card the REST API
and the Digital inbox read; a number that opted out shows a banner before the agent types."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_workspace import contact, open_agent, open_simulator, pretty, set_state, text_in

pytestmark = pytest.mark.browser


def take_offer(agent, number):
    offer = agent.get_by_test_id("offer").filter(has_text=pretty(number))
    offer.get_by_test_id("accept").click()
    expect(agent.get_by_test_id("thread-contact")).to_have_text(pretty(number))


def end_and_leave(agent):
    """End the open conversation and go Unavailable: the demo server is shared by the browser tests."""
    agent.get_by_test_id("end").click()
    agent.get_by_test_id("confirm-end").click()
    expect(agent.locator(".ended-tag")).to_contain_text("Ended")
    expect(agent.get_by_test_id("room-tab")).to_have_count(0)
    set_state(agent, "unavailable")


def test_agent_keeps_the_contact_card_of_the_open_room(server, new_page, artifacts_dir):
    number = contact()
    agent = open_agent(new_page, server, "mama")
    set_state(agent, "available")
    sim = open_simulator(new_page, server)
    text_in(sim, number, "Do you have porridge for four?")
    take_offer(agent, number)

    card = agent.get_by_test_id("contact-card")
    expect(card).to_be_visible()
    expect(agent.get_by_test_id("optout-banner")).to_be_hidden()
    card.locator("summary").click()
    agent.get_by_test_id("cc-name").fill("Goldilocks")
    agent.get_by_test_id("cc-tags").fill("regular, picky")
    agent.get_by_test_id("cc-notes").fill("Likes it just right; allergic to honey")
    # A new text re-reads the card (for its opt-out): what the agent typed and has not saved stays.
    with agent.expect_response(lambda r: "/api/v1/contacts/?number=" in r.url):
        text_in(sim, number, "Is it warm?")
    expect(agent.get_by_test_id("message").filter(has_text="Is it warm?")).to_have_count(1)
    agent.wait_for_timeout(300)  # the answer is rendered by then
    expect(agent.get_by_test_id("cc-notes")).to_have_value("Likes it just right; allergic to honey")
    expect(agent.get_by_test_id("cc-name")).to_have_value("Goldilocks")
    agent.get_by_test_id("cc-save").click()
    expect(agent.get_by_test_id("cc-saved")).to_have_text("Saved.")
    expect(agent.get_by_test_id("cc-summary")).to_have_text("Goldilocks")
    expect(agent.get_by_test_id("cc-tag")).to_have_text(["regular", "picky"])
    expect(agent.get_by_test_id("cc-notes-by")).to_contain_text("Notes by mama")

    # The card is the server's: the API has it, and a fresh page reads it back.
    api = agent.request.get(server.url + "/api/v1/contacts/?number=" + number.replace("+", "%2B")).json()["results"]
    assert [(c["name"], c["tags"], c["notes_by"]) for c in api] == [("Goldilocks", "regular, picky", "mama")]
    agent.set_viewport_size({"width": 1440, "height": 900})
    agent.reload()
    agent.get_by_test_id("room-tab").filter(has_text=pretty(number)).click()
    expect(agent.get_by_test_id("cc-summary")).to_have_text("Goldilocks")
    agent.get_by_test_id("contact-card").locator("summary").click()
    expect(agent.get_by_test_id("cc-notes")).to_have_value("Likes it just right; allergic to honey")
    agent.screenshot(path=str(artifacts_dir / "agent-contact-card-1440.png"))
    agent.set_viewport_size({"width": 390, "height": 844})
    expect(agent.get_by_test_id("cc-notes")).to_be_visible()
    agent.screenshot(path=str(artifacts_dir / "agent-contact-card-390.png"))

    # The contact texts STOP: the banner shows at once, before anyone types.
    text_in(sim, number, "STOP")
    expect(agent.get_by_test_id("optout-banner")).to_be_visible()
    expect(agent.get_by_test_id("optout-banner")).to_contain_text("opted out")
    agent.set_viewport_size({"width": 1366, "height": 768})
    end_and_leave(agent)


def test_an_opted_out_number_shows_the_banner_when_its_room_opens(server, new_page):
    number = contact()
    agent = open_agent(new_page, server, "mama")
    set_state(agent, "available")
    sim = open_simulator(new_page, server)
    text_in(sim, number, "One question")
    expect(agent.get_by_test_id("offer").filter(has_text=pretty(number))).to_have_count(1)
    text_in(sim, number, "STOP")  # while the offer waits
    take_offer(agent, number)
    expect(agent.get_by_test_id("optout-banner")).to_be_visible()
    expect(agent.get_by_test_id("composer")).to_have_value("")  # shown before the agent typed anything
    end_and_leave(agent)


def test_an_internal_note_shows_in_the_thread_and_is_never_texted(server, new_page, artifacts_dir):
    number = contact()
    agent = open_agent(new_page, server, "mama")
    set_state(agent, "available")
    sim = open_simulator(new_page, server)
    text_in(sim, number, "My porridge was cold yesterday")
    take_offer(agent, number)
    agent.get_by_test_id("composer").fill("So sorry! A fresh bowl is on us.")
    agent.get_by_test_id("send").click()
    expect(sim.locator("#sim-thread")).to_contain_text("A fresh bowl is on us.")

    agent.get_by_test_id("room-note-body").fill("Complained about temperature twice this month")
    agent.get_by_test_id("room-note-add").click()
    note = agent.get_by_test_id("room-note")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Complained about temperature twice this month")
    expect(note).to_contain_text("Internal note")
    expect(agent.get_by_test_id("room-note-body")).to_have_value("")
    # Among the thread's texts, after the reply; the contact's phone never gets it.
    texts = agent.locator("#messages li.msg")
    expect(texts.last).to_contain_text("Complained about temperature")
    text_in(sim, number, "Thanks!")
    expect(agent.get_by_test_id("message").filter(has_text="Thanks!")).to_have_count(1)
    expect(note).to_have_count(1)
    expect(sim.locator("#sim-thread")).not_to_contain_text("Complained about temperature")
    agent.set_viewport_size({"width": 1440, "height": 900})
    agent.screenshot(path=str(artifacts_dir / "agent-internal-note-1440.png"))
    agent.set_viewport_size({"width": 390, "height": 844})
    expect(note).to_be_visible()
    agent.screenshot(path=str(artifacts_dir / "agent-internal-note-390.png"))
    agent.set_viewport_size({"width": 1366, "height": 768})
    end_and_leave(agent)
