"""The supervisor's live view in a real browser (issue 17, items 4 and 12): the queue says why a
room waits; clicking a room opens its routing decisions and its transcript, both live (the panel
shows as many decisions as the API has, after every change, without a reload); a reload keeps the
open room and the activity feed; the supervisor sets an agent's state, assigns a queued room and
transfers an active one. Screenshots at 1440×900 and 390×844 go to tests/artifacts/."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_workspace import contact, open_agent, open_simulator, open_supervisor, pretty, set_state, text_in
from tests.live import live_server

pytestmark = pytest.mark.browser
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def sup_server():
    with live_server() as s:  # its own server: agents' states here must not leak into other tests
        yield s


def decisions_in_api(page, server, room_id):
    res = page.request.get(f"{server.url}/api/v1/rooms/{room_id}/decisions/")
    assert res.ok
    return len(res.json())


def expect_decisions_match_api(sup, server, room_id, n):
    expect(sup.get_by_test_id("decision")).to_have_count(n)
    assert decisions_in_api(sup, server, room_id) == n


def test_supervisor_follows_a_room_live_and_steers_it(sup_server, new_page, artifacts_dir):
    server = sup_server
    number = contact()
    sup = open_supervisor(new_page, server)
    sup.set_viewport_size(WIDE)
    sim = open_simulator(new_page, server)
    text_in(sim, number, "Is there porridge left?")

    # Nobody with the skill is available: the queue says so.
    row = sup.locator("tr[data-testid=room-row]", has_text=pretty(number))
    expect(row).to_contain_text("Queued")
    expect(sup.locator("tr[data-queue='Porridge SMS']").get_by_test_id("queue-reason")).to_contain_text(
        "No agent with the skill Porridge SMS is available")
    room_id = int(row.get_attribute("data-room"))

    row.click()
    expect_decisions_match_api(sup, server, room_id, 1)
    transcript = sup.get_by_test_id("live-transcript")
    expect(transcript.get_by_test_id("live-transcript-message")).to_have_text(["Is there porridge left?Contact · " +
                                                                            transcript.locator("time").first.inner_text()])

    # Mama comes in: the offer is a new decision, the panel shows it without a click.
    mama = open_agent(new_page, server, "mama")
    set_state(mama, "available")
    expect(row).to_contain_text("Offered")
    expect_decisions_match_api(sup, server, room_id, 2)
    # She rejects it: back to the queue (two more decisions), and the queue says why it still waits.
    mama.get_by_test_id("offer").get_by_test_id("reject").click()
    expect(row).to_contain_text("Queued")
    expect_decisions_match_api(sup, server, room_id, 4)
    expect(sup.locator("tr[data-queue='Porridge SMS']").get_by_test_id("queue-reason")).to_contain_text("mama declined this conversation")

    # The supervisor assigns it to her anyway; she accepts and answers; the transcript follows live.
    expect(transcript.locator("#sup-assign-label")).to_have_text("Assign to an agent")
    sup.get_by_test_id("assign-agent").select_option(label=sup.locator("#sup-assign-agent option", has_text="Mama").inner_text())
    sup.get_by_test_id("assign-send").click()
    expect(row).to_contain_text("Offered")
    mama.get_by_test_id("offer").get_by_test_id("accept").click()
    mama.get_by_test_id("composer").fill("Plenty! Coming right up.")
    mama.get_by_test_id("send").click()
    expect(transcript.get_by_test_id("live-transcript-message").filter(has_text="Plenty! Coming right up.")).to_have_count(1)
    text_in(sim, number, "Thank you!")
    expect(transcript.get_by_test_id("live-transcript-message").filter(has_text="Thank you!")).to_have_count(1)
    expect(transcript.get_by_test_id("live-transcript-state")).to_contain_text("Active · mama")
    # Her internal note shows up too, marked as never sent.
    mama.get_by_test_id("room-note-body").fill("Regular: likes it lukewarm")
    mama.get_by_test_id("room-note-add").click()
    expect(transcript.get_by_test_id("live-transcript-note")).to_contain_text("Internal note · never sent · mama")
    n = decisions_in_api(sup, server, room_id)
    expect(sup.get_by_test_id("decision")).to_have_count(n)
    sup.evaluate("document.querySelector('.sup-grid').scrollTop = 0")
    sup.screenshot(path=str(artifacts_dir / "supervisor-1440-live-transcript.png"))

    # A reload keeps the open room (decisions, transcript) and the activity feed.
    sup.reload()
    expect(sup.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    expect_decisions_match_api(sup, server, room_id, n)
    expect(transcript.get_by_test_id("live-transcript-message")).to_have_count(3)
    activity = sup.get_by_test_id("activity")
    expect(activity).to_contain_text("mama took " + pretty(number))
    expect(activity).to_contain_text("Offer withdrawn")
    expect(activity).to_contain_text("mama is now available")

    # The supervisor makes baby available and transfers the conversation to baby.
    baby_row = sup.locator("tr[data-agent=baby]")
    baby_row.get_by_test_id("agent-state-select").select_option("available")
    expect(baby_row).to_contain_text("Available")
    expect(transcript.locator("#sup-assign-label")).to_have_text("Transfer to an agent")
    expect(sup.locator("#sup-assign-agent option", has_text="Baby")).to_be_enabled()
    sup.get_by_test_id("assign-agent").select_option(label=sup.locator("#sup-assign-agent option", has_text="Baby").inner_text())
    sup.get_by_test_id("assign-send").click()
    expect(row).to_contain_text("baby")
    expect(row).to_contain_text("Offered")
    expect(sup.get_by_test_id("decision")).to_have_count(decisions_in_api(sup, server, room_id))

    sup.set_viewport_size(PHONE)
    transcript.scroll_into_view_if_needed()
    sup.screenshot(path=str(artifacts_dir / "supervisor-390-live-transcript.png"), full_page=True)
    assert sup.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
