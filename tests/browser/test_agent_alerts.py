"""The agent's alerts and shortcuts in a real browser (issue 17, item 10): a sound on a new offer, a
desktop notification (permission granted) for an offer and for a contact's text while the tab is in
the background, none of either for a text in the open tab; keyboard shortcuts accept, reject, move
between conversations and end, never while typing in the composer, listed in a help overlay; each
conversation shows how long the contact has waited for an answer. Screenshots at 1440×900 and
390×844 go to tests/artifacts/."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_workspace import contact, open_agent, open_simulator, pretty, set_state, text_in
from tests.live import live_server

pytestmark = pytest.mark.browser
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# Headless Chromium never hides a tab: the test says when this one is "in the background".
BACKGROUND = """() => {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => window.__background === true });
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => window.__background ? "hidden" : "visible" });
}"""


@pytest.fixture(scope="module")
def alerts_server():
    with live_server() as s:
        yield s


def inside(box_locator, items):
    """Every one of `items` lies within `box_locator`'s box (nothing runs out of the dialog)."""
    box = box_locator.bounding_box()
    for i in range(items.count()):
        b = items.nth(i).bounding_box()
        assert box["x"] <= b["x"] and b["x"] + b["width"] <= box["x"] + box["width"], (items.nth(i).inner_text(), b, box)


def last_alert(page):
    return page.evaluate("window.CxAlerts.log[window.CxAlerts.log.length - 1] || null")


def test_alerts_shortcuts_and_waiting_clock(alerts_server, new_page, artifacts_dir):
    server = alerts_server
    sim = open_simulator(new_page, server)
    mama = open_agent(new_page, server, "mama")
    mama.set_viewport_size(WIDE)
    mama.context.grant_permissions(["notifications"], origin=server.url)
    mama.evaluate(BACKGROUND)
    set_state(mama, "available")  # a click: the page may play sounds from now on
    alerts_before = mama.evaluate("window.CxAlerts.log.length")

    # A new offer while the tab is in the background: sound and a desktop notification.
    first, second = contact(), contact()
    mama.evaluate("window.__background = true")
    text_in(sim, first, "Porridge for two?")
    expect(mama.get_by_test_id("offer")).to_have_count(1)
    assert last_alert(mama) == {"kind": "offer", "room": last_alert(mama)["room"], "background": True, "sound": True, "notified": True}
    mama.evaluate("window.__background = false")

    # A: accept the oldest offer. The composer gets the focus: typed letters are text, not shortcuts.
    mama.keyboard.press("a")
    expect(mama.get_by_test_id("thread-contact")).to_have_text(pretty(first))
    composer = mama.get_by_test_id("composer")
    expect(composer).to_be_focused()
    mama.keyboard.type("are")
    expect(composer).to_have_value("are")
    expect(mama.locator("#end-dialog")).not_to_be_visible()
    composer.fill("")

    # The contact waits since their text; an answer stops the clock; a new text starts it again.
    tab = mama.get_by_test_id("room-tab").filter(has_text=pretty(first))
    expect(tab.get_by_test_id("waiting-since")).to_have_text(re.compile(r"^Waiting \d+:\d\d$"))
    composer.fill("Of course!")
    mama.get_by_test_id("send").click()
    expect(tab.get_by_test_id("waiting-since")).to_have_count(0)
    text_in(sim, first, "With honey")
    expect(tab.get_by_test_id("waiting-since")).to_have_text(re.compile(r"^Waiting 0:0\d$"))
    # That text came to the open tab: nothing sounded or popped up.
    assert last_alert(mama)["kind"] == "message" and last_alert(mama)["background"] is False
    assert last_alert(mama)["sound"] is False and last_alert(mama)["notified"] is False

    # In the background a contact's text sounds and notifies.
    mama.evaluate("window.__background = true")
    text_in(sim, first, "And a spoon")
    expect(mama.get_by_test_id("message").filter(has_text="And a spoon")).to_have_count(1)
    assert last_alert(mama) == {"kind": "message", "room": last_alert(mama)["room"], "background": True, "sound": True, "notified": True}
    mama.evaluate("window.__background = false")

    # Esc leaves the composer; a second offer: R rejects it, a third: A takes it; N and P move between conversations.
    composer.click()
    mama.keyboard.press("Escape")
    expect(composer).not_to_be_focused()
    text_in(sim, second, "Is Papa there?")
    expect(mama.get_by_test_id("offer")).to_have_count(1)
    mama.keyboard.press("r")
    expect(mama.get_by_test_id("offer")).to_have_count(0)
    third = contact()
    text_in(sim, third, "Table for three")
    expect(mama.get_by_test_id("offer")).to_have_count(1)
    mama.keyboard.press("a")
    expect(mama.get_by_test_id("thread-contact")).to_have_text(pretty(third))
    mama.keyboard.press("Escape")
    mama.keyboard.press("n")
    expect(mama.get_by_test_id("thread-contact")).to_have_text(pretty(first))
    mama.keyboard.press("n")
    expect(mama.get_by_test_id("thread-contact")).to_have_text(pretty(third))
    mama.keyboard.press("p")
    expect(mama.get_by_test_id("thread-contact")).to_have_text(pretty(first))

    # ?: the help overlay lists the shortcuts; shortcuts do not fire while it is open.
    mama.keyboard.press("?")
    help_ = mama.get_by_test_id("shortcuts-dialog")
    expect(help_).to_be_visible()
    expect(help_).to_contain_text("Accept the oldest offer")
    expect(mama.get_by_test_id("notify-state")).to_contain_text("On")
    inside(help_, help_.locator(".dialog-actions a, .dialog-actions button"))
    mama.screenshot(path=str(artifacts_dir / "agent-1440-shortcuts.png"))
    mama.keyboard.press("e")
    expect(mama.locator("#end-dialog")).not_to_be_visible()
    mama.keyboard.press("Escape")
    expect(help_).not_to_be_visible()

    # E asks to end the open conversation.
    mama.keyboard.press("e")
    expect(mama.locator("#end-dialog")).to_be_visible()
    expect(mama.locator("#end-dialog-who")).to_have_text(pretty(first))
    mama.locator("#end-cancel").click()

    # Sound can be switched off (kept in this browser).
    mama.get_by_test_id("shortcuts-open").click()
    mama.get_by_test_id("alert-sound").uncheck()
    mama.locator("#shortcuts-close").click()
    mama.evaluate("window.__background = true")
    text_in(sim, third, "Thanks")
    expect(mama.get_by_test_id("room-tab").filter(has_text=pretty(third)).get_by_test_id("unread")).to_have_count(1)
    assert last_alert(mama)["sound"] is False and last_alert(mama)["notified"] is True
    assert mama.evaluate("window.CxAlerts.log.length") - alerts_before == 6  # three offers, three texts

    mama.evaluate("window.__background = false")
    mama.set_viewport_size(PHONE)
    mama.get_by_test_id("shortcuts-open").click()
    expect(mama.get_by_test_id("shortcuts-dialog")).to_be_visible()
    dialog = mama.get_by_test_id("shortcuts-dialog")
    inside(dialog, dialog.locator(".dialog-actions a, .dialog-actions button"))
    mama.screenshot(path=str(artifacts_dir / "agent-390-shortcuts.png"))
    assert mama.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
