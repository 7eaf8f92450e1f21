"""The phone simulator and the contacts' web chat in a real browser: a text typed on the simulated
phone reaches the agent, the agent's reply comes back live; a contact chats from /chat/porridge/."""

import pytest

from tests.browser.conftest import login
from tests.browser.test_workspace import open_agent, set_state
from tests.live import live_server

pytestmark = pytest.mark.browser
PASSWORD = "demo-pass-1234"


@pytest.fixture(scope="module")
def server():
    # Its own server: the rooms this test leaves open must not change the workspace tests' state.
    with live_server() as s:
        yield s


def test_simulator_and_chat_pages(server, new_page, artifacts_dir):
    # The page's socket is connected and the state confirmed before the text comes in: a click before
    # the script is ready, or a text before the agent is Available, would leave the offer unmade.
    agent = open_agent(new_page, server, "mama")
    set_state(agent, "available")

    phone = new_page()
    login(phone, server, "tiffany", PASSWORD)
    phone.goto(server.url + "/simulator/")
    phone.wait_for_selector("#sim-conn.ok")
    phone.fill("#sim-from", "+12025550188")
    phone.fill("#sim-body", "Do you deliver porridge to Brooklyn?")
    phone.click("#sim-form button[type=submit]")
    phone.wait_for_selector(".bubble.mine >> text=Do you deliver porridge to Brooklyn?")

    agent.get_by_role("button", name="Accept").first.click()
    agent.get_by_test_id("composer").fill("We do, every morning before 9.")
    agent.get_by_role("button", name="Send").click()
    phone.wait_for_selector(".bubble.theirs >> text=We do, every morning before 9.")
    phone.screenshot(path=str(artifacts_dir / "simulator.png"))

    phone.fill("#sim-body", "x" * 170)
    assert "2 segment" in phone.inner_text("#sim-count")
    phone.fill("#sim-from", "not a number")
    phone.fill("#sim-body", "hello")
    phone.evaluate("document.getElementById('sim-from').removeAttribute('pattern')")
    phone.click("#sim-form button[type=submit]")
    phone.wait_for_selector("#sim-error:not([hidden])")
    assert "not a phone number" in phone.inner_text("#sim-error")

    contact = new_page()
    contact.set_viewport_size({"width": 390, "height": 844})
    contact.goto(server.url + "/chat/porridge/")
    contact.fill("#chat-name", "Goldilocks")
    contact.fill("#chat-first", "Is the porridge too hot?")
    contact.click("#chat-start button[type=submit]")
    contact.wait_for_selector("#chat-live:not([hidden])")
    # Waiting, and told so with the place in the queue (mama is busy with the text above, limit permitting: next).
    contact.wait_for_selector("#chat-state >> text=Waiting for an agent")
    contact.screenshot(path=str(artifacts_dir / "chat-contact-waiting.png"))
    agent.get_by_role("button", name="Accept").first.click()
    contact.wait_for_selector("#chat-state >> text=An agent is with you")
    agent.wait_for_selector("#thread-head >> text=Goldilocks")
    agent.get_by_test_id("composer").fill("Just right, Goldilocks.")
    agent.get_by_role("button", name="Send").click()
    contact.wait_for_selector(".bubble.theirs >> text=Just right, Goldilocks.")
    contact.fill("#chat-body", "Thank you!")
    contact.click("#chat-send button[type=submit]")
    agent.wait_for_selector("text=Thank you!")
    assert contact.is_hidden("#chat-start")  # the start form gives way to the conversation
    contact.screenshot(path=str(artifacts_dir / "chat-contact.png"))

    # The agent ends the chat: the contact is told and can start again, also after a reload.
    agent.locator("#thread-head").get_by_role("button", name="End").click()
    agent.get_by_test_id("confirm-end").click()
    contact.wait_for_selector("#chat-state >> text=This chat has ended")
    contact.reload()
    contact.wait_for_selector("[data-testid=chat-new]:visible")
    assert "This chat has ended" in contact.inner_text("#chat-state")
    assert contact.locator(".bubble", has_text="Just right, Goldilocks.").count() == 1  # the transcript stays readable
    contact.screenshot(path=str(artifacts_dir / "chat-contact-ended.png"))
    contact.get_by_test_id("chat-new").click()
    contact.wait_for_selector("#chat-start:not([hidden])")
    assert contact.locator(".bubble").count() == 0
    contact.fill("#chat-first", "One more question")
    contact.click("#chat-start button[type=submit]")
    contact.wait_for_selector("#chat-state >> text=Waiting for an agent")
    agent.wait_for_selector("[data-testid=offer] >> text=One more question")
