"""The Digital inbox in a real browser against a real daphne server with the demo data: a prospect texts
#ADVENTUREME from the phone simulator, tommy (who lands in the inbox) sees the case arrive live, accepts
it, replies, fills the contact card and leaves a note; the administrator's inbox shows the queues and
agents. Screenshots at 1440 px and at phone width (390 px)."""
import itertools
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PASSWORD = "demo-pass-1234"
YA_NUMBER = "+14155550199"
_contacts = itertools.count(6100)


def contact():
    return "+1202555%04d" % next(_contacts)


def pretty(number):
    return f"+1 {number[2:5]}-{number[5:8]}-{number[8:]}"


def text_in(sim, from_number, body):
    sim.fill("#sim-from", from_number)
    sim.select_option("#sim-poc", value=sim.locator(f"#sim-poc option[data-number='{YA_NUMBER}']").get_attribute("value"))
    sim.fill("#sim-body", body)
    sim.click("#sim-form button[type=submit]")
    expect(sim.locator("#sim-thread")).to_contain_text(body)


def open_simulator(new_page, server):
    """The phone simulator, as the demo's administrator (tuppence), connected."""
    sim = new_page()
    login(sim, server, "tuppence", PASSWORD)
    sim.goto(server.url + "/simulator/")
    expect(sim.locator("#sim-conn")).to_have_text(re.compile("live"))
    return sim


def set_agent_state(page, state):
    page.get_by_test_id("state-" + state).click()
    expect(page.get_by_test_id("state-" + state)).to_have_attribute("aria-pressed", "true")


def set_case_state(page, state, label):
    """Choose `state` for the open case and set it; wait until the case shows `label`."""
    page.get_by_test_id("state-select").select_option(state)
    page.get_by_test_id("state-set").click()
    expect(page.locator("#case-head").get_by_test_id("state-badge")).to_have_text(label)


def open_inbox(new_page, server, username, width=1440, height=900):
    page = new_page()
    page.set_viewport_size({"width": width, "height": height})
    login(page, server, username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/inbox/$"))  # a Digital agent lands in the inbox
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    return page


def test_tommy_answers_a_prospect_in_the_inbox(server, new_page, artifacts_dir):
    number = contact()
    tommy = open_inbox(new_page, server, "tommy")
    tommy.get_by_test_id("state-available").click()
    expect(tommy.get_by_test_id("state-available")).to_have_attribute("aria-pressed", "true")
    expect(tommy.get_by_test_id("cases")).to_contain_text("No cases here.")

    sim = new_page()
    login(sim, server, "tuppence", PASSWORD)
    sim.goto(server.url + "/simulator/")
    expect(sim.locator("#sim-conn")).to_have_text(re.compile("live"))
    text_in(sim, number, "#ADVENTUREME what trips do you have in spring?")

    # The case arrives live, offered to tommy, with an unread marker and the state counts.
    item = tommy.get_by_test_id("case-item").filter(has_text=pretty(number))
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Prospects")
    expect(item.get_by_test_id("unread")).to_have_text("1")
    expect(tommy.get_by_test_id("count-new")).to_have_text("New 1")
    expect(tommy.get_by_test_id("load")).to_have_text("Cases 1 / 5")
    item.click()
    expect(tommy.get_by_test_id("case-title")).to_have_text(pretty(number))
    expect(tommy.get_by_test_id("timer")).to_contain_text("Offer ends in")
    tommy.get_by_test_id("accept").click()
    expect(tommy.locator("#case-head").get_by_test_id("state-badge")).to_have_text("Open")
    expect(tommy.get_by_test_id("timer")).to_have_text(re.compile(r"Closes after inactivity in 1:59:\d\d|2:00:00"))

    composer = tommy.get_by_test_id("composer")
    composer.fill("Hi! We have rafting in Oregon and hiking in Utah. Which sounds better? 🙂")
    expect(tommy.get_by_test_id("counter")).to_contain_text("UCS-2")
    tommy.get_by_test_id("send").click()
    expect(tommy.get_by_test_id("message")).to_have_count(2)
    expect(tommy.get_by_test_id("message").nth(1)).to_contain_text("rafting in Oregon")
    expect(sim.locator("#sim-thread")).to_contain_text("rafting in Oregon")

    # The contact answers: it shows in the open case at once.
    text_in(sim, number, "Rafting please!")
    expect(tommy.get_by_test_id("message")).to_have_count(3)

    # Contact card and internal note, kept.
    tommy.get_by_test_id("contact-name").fill("Jane Finn")
    tommy.get_by_test_id("contact-tags").fill("prospect, rafting")
    tommy.get_by_test_id("contact-notes").fill("Prefers weekends")
    tommy.get_by_test_id("contact-save").click()
    expect(tommy.locator("#contact-saved")).to_have_text("Saved.")
    tommy.get_by_test_id("note-body").fill("Send the spring brochure")
    tommy.get_by_test_id("note-add").click()
    expect(tommy.get_by_test_id("timeline")).to_contain_text("Send the spring brochure")
    tommy.reload()
    expect(tommy.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    item = tommy.get_by_test_id("case-item").filter(has_text=pretty(number))
    expect(item).to_contain_text("Jane Finn")
    item.click()
    expect(tommy.get_by_test_id("case-title")).to_have_text("Jane Finn · " + pretty(number))
    expect(tommy.get_by_test_id("contact-notes")).to_have_value("Prefers weekends")
    tommy.screenshot(path=str(artifacts_dir / "inbox-case-1440.png"))

    # Search by tag finds it; a state change is kept in the history.
    tommy.get_by_test_id("search").fill("rafting")
    expect(tommy.get_by_test_id("case-item")).to_have_count(1)
    tommy.get_by_test_id("search").fill("")
    tommy.get_by_test_id("state-select").select_option("pending")
    tommy.get_by_test_id("state-set").click()
    expect(tommy.locator("#case-head").get_by_test_id("state-badge")).to_have_text("Pending")
    expect(tommy.get_by_test_id("timeline")).to_contain_text("Open → Pending")
    expect(tommy.get_by_test_id("case-item").filter(has_text=pretty(number)).get_by_test_id("state-badge")).to_have_text("Pending")
    expect(tommy.get_by_test_id("count-pending")).to_have_text("Pending 1")
    expect(tommy.get_by_test_id("load")).to_have_text("Cases 0 / 5")  # pending does not count
    tommy.screenshot(path=str(artifacts_dir / "inbox-list-1440.png"))

    # The administrator's inbox: queues with waiting cases, agents with their load.
    admin = new_page()
    admin.set_viewport_size({"width": 1440, "height": 900})
    login(admin, server, "tuppence", PASSWORD)
    admin.goto(server.url + "/inbox/")
    expect(admin.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    expect(admin.get_by_test_id("agent-load-tommy")).to_have_text("0 / 5")  # pending does not count
    expect(admin.get_by_test_id("waiting-Prospects")).to_have_text("0")
    admin.screenshot(path=str(artifacts_dir / "inbox-supervisor-1440.png"))


def test_phone_width_list_then_case(server, new_page, artifacts_dir):
    number = contact()
    sim = new_page()
    login(sim, server, "tuppence", PASSWORD)
    sim.goto(server.url + "/simulator/")
    expect(sim.locator("#sim-conn")).to_have_text(re.compile("live"))
    phone = open_inbox(new_page, server, "albert", width=390, height=844)
    phone.get_by_test_id("state-available").click()
    expect(phone.get_by_test_id("state-available")).to_have_attribute("aria-pressed", "true")
    text_in(sim, number, "Hello, is the Utah hike still on? #adventureme")
    phone.get_by_test_id("filter-assigned").select_option("all")
    item = phone.get_by_test_id("case-item").filter(has_text=pretty(number))
    expect(item).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    phone.screenshot(path=str(artifacts_dir / "inbox-list-390.png"), full_page=True)
    item.click()
    expect(phone.get_by_test_id("case-title")).to_be_visible()
    expect(phone.get_by_test_id("cases")).to_be_hidden()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(artifacts_dir / "inbox-case-390.png"), full_page=True)
    phone.locator(".case-back").click()
    expect(phone.get_by_test_id("cases")).to_be_visible()

    # Leave the shared demo server as found: a case albert holds, or albert available, would take the
    # next test's cases from tommy.
    phone.set_viewport_size({"width": 1440, "height": 900})
    item.click()
    expect(phone.get_by_test_id("case-title")).to_be_visible()
    if "albert" in phone.locator("#case-head").inner_text():
        if phone.get_by_test_id("accept").is_visible():
            phone.get_by_test_id("accept").click()
            expect(phone.locator("#case-head").get_by_test_id("state-badge")).to_have_text("Open")
        set_case_state(phone, "closed", "Closed")
    set_agent_state(phone, "unavailable")


def test_a_supervisor_assigns_a_waiting_case_and_the_agent_gets_it_live(server, new_page, artifacts_dir):
    number = contact()
    agents = {}
    for name in ("tommy", "albert"):  # nobody available: the case waits in its queue
        page = open_inbox(new_page, server, name)
        page.get_by_test_id("state-unavailable").click()
        expect(page.get_by_test_id("state-unavailable")).to_have_attribute("aria-pressed", "true")
        agents[name] = page
    sim = new_page()
    login(sim, server, "tuppence", PASSWORD)
    sim.goto(server.url + "/simulator/")
    expect(sim.locator("#sim-conn")).to_have_text(re.compile("live"))
    text_in(sim, number, "Do you do gift cards?")

    admin = new_page()
    admin.set_viewport_size({"width": 1440, "height": 900})
    login(admin, server, "tuppence", PASSWORD)
    admin.goto(server.url + "/inbox/")
    expect(admin.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    admin.get_by_test_id("filter-assigned").select_option("unassigned")
    item = admin.get_by_test_id("case-item").filter(has_text=pretty(number))
    expect(item).to_contain_text("General")  # no filter matched: the fallback queue
    expect(item).to_contain_text("waiting")
    expect(admin.get_by_test_id("waiting-General")).not_to_have_text("0")
    item.click()
    admin.get_by_test_id("assign").click()
    admin.get_by_test_id("assign-agent").select_option(label="albert")
    admin.fill("#assign-note", "Gift card question, please take it")
    admin.get_by_test_id("assign-submit").click()
    expect(admin.locator("#case-head")).to_contain_text("albert")
    expect(admin.get_by_test_id("timeline")).to_contain_text("Gift card question, please take it")
    expect(admin.get_by_test_id("timeline")).to_contain_text("Assigned · albert")
    expect(admin.get_by_test_id("state-select").locator("option")).to_have_text(["Closed"])  # an offer: accepted by its agent first

    albert = agents["albert"]
    mine = albert.get_by_test_id("case-item").filter(has_text=pretty(number))
    expect(mine).to_have_count(1)  # live, without a reload
    mine.click()
    expect(albert.get_by_test_id("accept")).to_be_visible()
    albert.get_by_test_id("accept").click()
    expect(albert.locator("#case-head").get_by_test_id("state-badge")).to_have_text("Open")
    admin.screenshot(path=str(artifacts_dir / "inbox-supervisor-assign-1440.png"))
