"""The agent workspace and the supervisor view in a real browser against a real daphne server.

A contact texts the demo number through the phone simulator; the available agent sees the offer
live, accepts, replies, the simulator shows the reply, the agent ends the room; the supervisor view
follows along. A second server with a 3-second session timeout shows a second agent the previous
transcript after the first session expired.
"""
import itertools
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.live import live_server

pytestmark = pytest.mark.browser

PASSWORD = "demo-pass-1234"
DEMO_NUMBER = "+12125550100"
_contacts = itertools.count(4100)


def contact():
    return "+1202555%04d" % next(_contacts)


def pretty(number):
    return "+1 %s-%s-%s" % (number[2:5], number[5:8], number[8:])


def open_agent(new_page, server, username):
    page = new_page()
    login(page, server, username, PASSWORD)
    page.goto(server.url + "/agent/")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    return page


def set_state(page, state, reason="No reason"):
    page.get_by_test_id("state-" + state).click()
    if state == "unavailable":
        # A tenant with unavailable reasons (the demo's) asks why first; without any, the click is enough.
        menu = page.get_by_test_id("reason-menu")
        pressed = page.locator('[data-testid="state-unavailable"][aria-pressed="true"]')
        expect(menu.or_(pressed).first).to_be_visible()
        if menu.is_visible():
            menu.get_by_role("menuitemradio", name=reason).click()
    expect(page.get_by_test_id("state-" + state)).to_have_attribute("aria-pressed", "true")


def open_supervisor(new_page, server, username="sam"):
    page = new_page()
    login(page, server, username, PASSWORD)
    page.goto(server.url + "/supervisor/")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    return page


def open_simulator(new_page, server, username="tiffany"):
    page = new_page()
    login(page, server, username, PASSWORD)
    page.goto(server.url + "/simulator/")
    expect(page.locator("#sim-conn")).to_have_text(re.compile("live"))
    return page


def text_in(sim, from_number, body):
    sim.fill("#sim-from", from_number)
    sim.select_option("#sim-poc", value=sim.locator("#sim-poc option[data-number='%s']" % DEMO_NUMBER).get_attribute("value"))
    sim.fill("#sim-body", body)
    sim.click("#sim-form button[type=submit]")
    expect(sim.locator("#sim-thread")).to_contain_text(body)


def test_agent_takes_a_text_from_offer_to_end(server, new_page, artifacts_dir):
    number = contact()
    sup = open_supervisor(new_page, server)
    answered = sup.get_by_test_id("today").locator("[data-figure=answered]")
    expect(answered).to_have_text(re.compile(r"^\d+$"))
    answered_before = int(answered.inner_text())
    agent = open_agent(new_page, server, "mama")
    room_posts = []
    agent.on("request", lambda r: room_posts.append(r.url) if r.method == "POST" and "/api/v1/rooms/" in r.url else None)
    set_state(agent, "available")
    expect(agent.get_by_test_id("offers-empty")).to_contain_text("No offers")
    expect(agent.get_by_test_id("load")).to_have_text("0 chat · 0 SMS of 5")
    expect(sup.locator("tr[data-agent=mama]")).to_contain_text("Available")

    sim = open_simulator(new_page, server)
    text_in(sim, number, "Is the porridge too hot?")

    # the offer arrives live: contact, the number texted, skill, channel, first message, countdown
    offer = agent.get_by_test_id("offer")
    expect(offer).to_have_count(1)
    expect(offer).to_contain_text(pretty(number))
    expect(offer).to_contain_text(pretty(DEMO_NUMBER))
    expect(offer).to_contain_text("Porridge SMS")
    expect(offer).to_contain_text("SMS")
    expect(offer).to_contain_text("Is the porridge too hot?")
    expect(offer.locator(".countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(agent.get_by_test_id("load")).to_have_text("0 chat · 1 SMS of 5")
    assert agent.title().startswith("(1)")
    agent.screenshot(path=str(artifacts_dir / "agent-offer.png"))

    # the supervisor sees the offered room and how it was routed
    row = sup.locator("tr[data-testid=room-row]", has_text=pretty(number))
    expect(row).to_contain_text("Offered")
    expect(row).to_contain_text("mama")
    row.click()
    expect(sup.get_by_test_id("decision-panel")).to_be_visible()
    expect(sup.get_by_test_id("chosen").first).to_contain_text("mama")
    expect(sup.get_by_test_id("decision").first).to_contain_text("papa")  # skipped, with the reason
    sup.screenshot(path=str(artifacts_dir / "supervisor-offer.png"))

    # accept: the thread opens with the time left
    offer.get_by_test_id("accept").click()
    expect(agent.get_by_test_id("offer")).to_have_count(0)
    # The supervisor's "Today so far" follows at once (the room event), not at its 15-second poll.
    expect(answered).to_have_text(str(answered_before + 1), timeout=5000)
    expect(agent.get_by_test_id("thread-contact")).to_have_text(pretty(number))
    expect(agent.get_by_test_id("time-left")).to_have_text(re.compile(r"^(1:59:[0-5]\d|2:00:00)$"))
    expect(agent.get_by_test_id("room-tab")).to_have_count(1)
    expect(row).to_contain_text("Active")

    # the composer counts characters and segments (GSM-7, extension characters count 2; UCS-2)
    composer = agent.get_by_test_id("composer")
    composer.fill("a" * 160)
    expect(agent.get_by_test_id("counter")).to_contain_text("160 / 160 · 1 segment · GSM-7")
    composer.fill("a" * 159 + "€")
    expect(agent.get_by_test_id("counter")).to_contain_text("161 characters · 2 segments · GSM-7")
    composer.fill("Just right 🥣")
    expect(agent.get_by_test_id("counter")).to_contain_text("1 segment · UCS-2")
    composer.fill("Just right now. Enjoy!")
    agent.get_by_test_id("send").click()
    expect(composer).to_have_value("")
    mine = agent.get_by_test_id("message").filter(has_text="Just right now. Enjoy!")
    expect(mine).to_have_count(1)
    expect(mine.get_by_test_id("status")).not_to_be_empty()

    # the contact's phone shows the reply
    expect(sim.locator("#sim-thread")).to_contain_text("Just right now. Enjoy!")

    # the contact answers: it appears live in the thread
    text_in(sim, number, "Thank you, Mama Bear!")
    expect(agent.get_by_test_id("message").filter(has_text="Thank you, Mama Bear!")).to_have_count(1)
    agent.screenshot(path=str(artifacts_dir / "agent-conversation.png"))
    sup.screenshot(path=str(artifacts_dir / "supervisor-active.png"))

    # end, after confirming
    agent.get_by_test_id("end").click()
    agent.get_by_test_id("confirm-end").click()
    expect(agent.locator(".ended-tag")).to_contain_text("Ended")
    expect(agent.get_by_test_id("room-tab")).to_have_count(0)
    expect(agent.get_by_test_id("load")).to_have_text("0 chat · 0 SMS of 5")
    expect(sup.locator("tr[data-testid=room-row]", has_text=pretty(number))).to_have_count(0)
    expect(sup.get_by_test_id("activity")).to_contain_text("Ended")
    set_state(agent, "unavailable")
    expect(sup.locator("tr[data-agent=mama]")).to_contain_text("Unavailable")
    # accept, send and end went over the page's socket (docs/websockets.md), not as HTTP requests
    assert room_posts == []


def test_reconnect_snapshot_and_unread_badges(server, new_page):
    first, second = contact(), contact()
    agent = open_agent(new_page, server, "mama")
    set_state(agent, "available")
    sim = open_simulator(new_page, server)
    text_in(sim, first, "First contact here")
    agent.get_by_test_id("offer").get_by_test_id("accept").click()
    expect(agent.get_by_test_id("thread-contact")).to_have_text(pretty(first))
    agent.evaluate("window.__marker = 1")

    # the connection drops; a text arrives meanwhile (its push is lost with the socket) ...
    room_posts = []
    agent.on("request", lambda r: room_posts.append(r.url) if r.method == "POST" and "/api/v1/rooms/" in r.url else None)
    agent.evaluate("CxLive.sockets[0].drop(4000)")
    expect(agent.get_by_test_id("connection")).to_have_attribute("data-state", "reconnecting")
    # with the socket down, sending still works: through the REST API
    agent.get_by_test_id("composer").fill("Sent while the socket is down")
    agent.get_by_test_id("send").click()
    expect(agent.get_by_test_id("message").filter(has_text="Sent while the socket is down")).to_have_count(1)
    assert len(room_posts) == 1 and room_posts[0].endswith("/messages/")
    text_in(sim, second, "Second contact, while you were away")
    # ... and the snapshot after the reconnect brings it, without reloading the page
    expect(agent.get_by_test_id("connection")).to_have_attribute("data-state", "connected", timeout=15000)
    offer = agent.get_by_test_id("offer")
    expect(offer).to_contain_text("Second contact, while you were away")
    assert agent.evaluate("window.__marker") == 1
    offer.get_by_test_id("accept").click()
    expect(agent.get_by_test_id("room-tab")).to_have_count(2)
    expect(agent.get_by_test_id("load")).to_have_text("0 chat · 2 SMS of 5")

    # a message in the conversation not on screen shows as unread until it is opened
    agent.get_by_test_id("room-tab").filter(has_text=pretty(first)).click()
    text_in(sim, second, "Hello again")
    badge = agent.get_by_test_id("room-tab").filter(has_text=pretty(second)).get_by_test_id("unread")
    expect(badge).to_have_text("1")
    agent.get_by_test_id("room-tab").filter(has_text=pretty(second)).click()
    expect(badge).to_have_count(0)
    expect(agent.get_by_test_id("message").filter(has_text="Hello again")).to_have_count(1)
    for number in (first, second):
        agent.get_by_test_id("room-tab").filter(has_text=pretty(number)).click()
        agent.get_by_test_id("end").click()
        agent.get_by_test_id("confirm-end").click()
        expect(agent.get_by_test_id("room-tab").filter(has_text=pretty(number))).to_have_count(0)
    set_state(agent, "unavailable")


def test_outbound_text_validation_and_start(server, new_page):
    agent = open_agent(new_page, server, "mama")
    agent.get_by_test_id("new-text").click()
    expect(agent.get_by_test_id("outbound-poc")).to_contain_text(pretty(DEMO_NUMBER))
    agent.get_by_test_id("outbound-number").fill("12")
    agent.get_by_test_id("outbound-body").fill("Your porridge is ready")
    agent.get_by_test_id("outbound-send").click()
    expect(agent.get_by_test_id("outbound-error")).to_contain_text("international format")
    number = contact()
    agent.get_by_test_id("outbound-number").fill(pretty(number))
    agent.get_by_test_id("outbound-send").click()
    expect(agent.get_by_test_id("thread-contact")).to_have_text(pretty(number))
    expect(agent.get_by_test_id("message").filter(has_text="Your porridge is ready")).to_have_count(1)
    agent.get_by_test_id("end").click()
    agent.get_by_test_id("confirm-end").click()
    expect(agent.get_by_test_id("room-tab")).to_have_count(0)


def test_queue_and_forced_disconnect(server, new_page, artifacts_dir):
    number = contact()
    agent = open_agent(new_page, server, "mama")
    set_state(agent, "unavailable")  # nobody available: the text waits in the queue
    admin = open_supervisor(new_page, server, "tiffany")
    expect(admin.get_by_test_id("rooms-empty")).to_be_visible()
    sim = open_simulator(new_page, server)
    text_in(sim, number, "Anyone there?")
    queue = admin.locator("tr[data-queue='Porridge SMS']")
    expect(queue.get_by_test_id("queue-waiting")).to_have_text("1")
    expect(queue.locator(".wait")).to_have_text(re.compile(r"^0:\d\d$"))
    expect(admin.get_by_test_id("tile-in-queue")).to_have_text("1")
    row = admin.locator("tr[data-testid=room-row]", has_text=pretty(number))
    expect(row).to_contain_text("Queued")
    row.click()
    expect(admin.get_by_test_id("chosen").first).to_contain_text("none")
    expect(admin.get_by_test_id("decision").first).to_contain_text("unavailable")

    admin.get_by_test_id("forced-disconnect").click()
    expect(admin.get_by_test_id("fd-count")).to_have_text("1 SMS interaction")
    admin.screenshot(path=str(artifacts_dir / "supervisor-forced-disconnect.png"))
    admin.get_by_test_id("fd-confirm").click()
    expect(admin.locator("#error-banner")).to_contain_text("ended 1 interaction")
    expect(admin.get_by_test_id("rooms-empty")).to_be_visible()
    expect(queue.get_by_test_id("queue-waiting")).to_have_text("0")
    expect(admin.get_by_test_id("activity")).to_contain_text("forced disconnect")


def test_second_agent_reads_the_previous_transcript_after_expiry(new_page, artifacts_dir):
    with live_server(env={"CXSMS_SMS_SESSION_TIMEOUT": "3"}) as server:
        number = contact()
        sup = open_supervisor(new_page, server)
        mama = open_agent(new_page, server, "mama")
        set_state(mama, "available")
        sim = open_simulator(new_page, server)
        text_in(sim, number, "Porridge order for the cottage, please")
        mama.get_by_test_id("offer").get_by_test_id("accept").click()
        mama.get_by_test_id("composer").fill("On its way, still warm!")
        mama.get_by_test_id("send").click()
        expect(sim.locator("#sim-thread")).to_contain_text("On its way, still warm!")
        # three seconds without a text: the session expires and the page says so
        expect(mama.locator(".ended-tag")).to_contain_text("inactivity timeout", timeout=15000)
        expect(mama.get_by_test_id("room-tab")).to_have_count(0)
        set_state(mama, "unavailable")

        baby = open_agent(new_page, server, "baby")
        set_state(baby, "available")
        text_in(sim, number, "It was too cold when it came")
        offer = baby.get_by_test_id("offer")
        expect(offer).to_contain_text("It was too cold when it came")
        offer.get_by_test_id("accept").click()
        baby.get_by_test_id("history-button").click()
        transcript = baby.get_by_test_id("transcript").first
        expect(transcript).to_contain_text("Porridge order for the cottage, please")
        expect(transcript).to_contain_text("On its way, still warm!")
        expect(transcript).to_contain_text("mama")
        expect(transcript).to_contain_text("inactivity timeout")
        baby.screenshot(path=str(artifacts_dir / "agent-history.png"))
        expect(sup.locator("tr[data-testid=room-row]", has_text=pretty(number))).to_contain_text("baby")
        set_state(baby, "unavailable")


def test_agent_sees_why_a_text_is_refused_after_opt_out(server, new_page, artifacts_dir):
    number = contact()
    agent = open_agent(new_page, server, "mama")
    set_state(agent, "available")
    sim = open_simulator(new_page, server)
    text_in(sim, number, "Do you deliver porridge?")
    agent.get_by_test_id("offer").get_by_test_id("accept").click()
    text_in(sim, number, "STOP")
    # the opt-out is stored and shown, with the automatic confirmation
    expect(agent.get_by_test_id("message").filter(has_text="STOP")).to_have_count(1)
    expect(agent.locator(".msg.is-auto")).to_have_count(1)
    agent.get_by_test_id("composer").fill("We do!")
    agent.get_by_test_id("send").click()
    expect(agent.get_by_test_id("composer-error")).to_contain_text("opted out")
    expect(agent.get_by_test_id("composer")).to_have_value("We do!")  # the draft is kept
    agent.screenshot(path=str(artifacts_dir / "agent-opted-out.png"))
    agent.get_by_test_id("end").click()
    agent.get_by_test_id("confirm-end").click()
    expect(agent.get_by_test_id("room-tab")).to_have_count(0)
    set_state(agent, "unavailable")


def test_composer_segment_counts_match_the_server(server, new_page):
    """The workspace's GSM-7/UCS-2 counter (JS) agrees with routing.sms for the boundary cases."""
    from routing.sms import encoding_and_segments

    page = open_agent(new_page, server, "papa")
    cases = ["", "a" * 160, "a" * 161, "a" * 306, "a" * 307, "€" * 80, "€" * 81, "[x]{y}" * 30, "Ça va? ñ ü ß @ £ ¥",
             "é" * 160, "ê" * 70, "ê" * 71, "ê" * 134, "ê" * 135, "🥣" * 35, "🥣" * 36, "line\nbreak\r\n", "`backtick`"]
    for body in cases:
        js = page.evaluate("b => CxSms.info(b)", body)
        encoding, segments = encoding_and_segments(body)
        assert js["encoding"] == encoding, (body[:20], js)
        if body:
            assert js["segments"] == segments, (body[:20], js, segments)
