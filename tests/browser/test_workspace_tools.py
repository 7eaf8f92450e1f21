"""The agent's tools in a real browser: a canned response from "/" in the composer (with merge
fields), a transfer to another agent with a note (who accepts it as an offer and reads the note),
and the wrap-up dialog that will not end the conversation without its required disposition.
Screenshots at 1440×900 and 390×844 go to tests/artifacts/."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_workspace import PASSWORD, contact, open_agent, open_simulator, pretty, set_state, text_in
from tests.live import live_server

pytestmark = pytest.mark.browser
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def tools_server():
    # Its own server: the required disposition made here must not hold up other tests' "End".
    with live_server() as s:
        yield s


def api_as_admin(new_page, server):
    page = new_page()
    login(page, server, "tiffany", PASSWORD)
    page.goto(server.url + "/console/")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")

    def post(path, data):
        res = page.request.post(server.url + "/api/v1/" + path, data=data, headers={"X-CSRFToken": token, "Referer": server.url + "/"})
        assert res.status == 201, res.text()
        return res.json()
    return post


def overlaps(a, b):
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def toast_leaves_the_composer_free(page):
    """A toast stays six seconds: it must not sit on the reply box or Send meanwhile; a tap puts it away."""
    page.evaluate("() => { const t = document.getElementById('toast'); t.textContent = 'Transferred. The agent gets it as an offer.'; "
                  "t.hidden = false; }")
    toast = page.locator("#toast").bounding_box()
    for part in ("composer", "send"):
        assert not overlaps(toast, page.get_by_test_id(part).bounding_box()), part
    page.locator("#toast").click()
    expect(page.locator("#toast")).to_be_hidden()


def test_canned_response_transfer_and_wrap_up(tools_server, new_page, artifacts_dir):
    server = tools_server
    post = api_as_admin(new_page, server)
    post("canned-responses/", {"name": "Welcome", "shortcut": "hi", "body": "Hello {contact_name}, this is {agent_name}. How can I help?"})
    post("canned-responses/", {"name": "Closing", "shortcut": "bye", "body": "Thanks for texting Three Bears Porridge!"})
    post("dispositions/", {"name": "Resolved", "required": True})
    post("dispositions/", {"name": "Call back later"})

    number = contact()
    sim = open_simulator(new_page, server)
    mama = open_agent(new_page, server, "mama")
    mama.set_viewport_size(WIDE)
    baby = open_agent(new_page, server, "baby")
    set_state(mama, "available")
    text_in(sim, number, "Can I get porridge with honey?")
    mama.get_by_test_id("offer").get_by_test_id("accept").click()
    expect(mama.get_by_test_id("thread-contact")).to_have_text(pretty(number))

    # "/" opens the canned responses; typing filters; Enter inserts with the merge fields filled.
    composer = mama.get_by_test_id("composer")
    composer.click()
    composer.press_sequentially("/")
    expect(mama.get_by_test_id("canned-item")).to_have_count(2)
    composer.press_sequentially("h")
    expect(mama.get_by_test_id("canned-item")).to_have_count(1)
    mama.screenshot(path=str(artifacts_dir / "agent-1440-canned.png"))
    composer.press("Enter")
    expect(composer).to_have_value("Hello, this is Mama. How can I help?")
    expect(mama.get_by_test_id("canned-list")).to_be_hidden()
    mama.get_by_test_id("send").click()
    expect(sim.locator("#sim-thread")).to_contain_text("Hello, this is Mama. How can I help?")

    # Transfer to baby with a note: baby is unavailable, so not choosable yet.
    mama.get_by_test_id("transfer").click()
    expect(mama.locator("#transfer-agent option", has_text="baby")).to_be_disabled()
    mama.locator("#transfer-cancel").click()
    set_state(baby, "available")
    mama.get_by_test_id("transfer").click()
    expect(mama.locator("#transfer-agent option", has_text="Baby")).to_be_enabled()
    mama.get_by_test_id("transfer-agent").select_option(label=mama.locator("#transfer-agent option", has_text="Baby").inner_text())
    mama.get_by_test_id("transfer-note").fill("Wants extra honey; already told them it is fine.")
    mama.screenshot(path=str(artifacts_dir / "agent-1440-transfer.png"))
    mama.get_by_test_id("transfer-send").click()
    expect(mama.get_by_test_id("room-tab")).to_have_count(0)
    expect(mama.locator("#toast")).to_contain_text("Transferred")

    offer = baby.get_by_test_id("offer")
    expect(offer.get_by_test_id("offer-note")).to_contain_text("Wants extra honey")
    offer.get_by_test_id("accept").click()
    expect(baby.get_by_test_id("thread-transfer-note")).to_contain_text("Wants extra honey")
    baby.set_viewport_size(WIDE)
    toast_leaves_the_composer_free(baby)
    expect(baby.get_by_test_id("message").filter(has_text="Hello, this is Mama.")).to_have_count(1)  # one thread

    # Wrap-up: the required disposition is asked for; then the conversation ends with it.
    baby.get_by_test_id("end").click()
    expect(baby.get_by_test_id("wrapup-disposition")).to_be_visible()
    baby.get_by_test_id("confirm-end").click()
    expect(baby.get_by_test_id("end-error")).to_have_text("Choose a disposition to end this conversation.")
    baby.get_by_test_id("wrapup-disposition").select_option(label="Resolved")
    baby.get_by_test_id("wrapup-summary").fill("Honey added, delivered.")
    baby.set_viewport_size(WIDE)
    baby.screenshot(path=str(artifacts_dir / "agent-1440-wrapup.png"))
    baby.get_by_test_id("confirm-end").click()
    expect(baby.locator(".day-end")).to_contain_text("Resolved")

    # The same dialogs at phone width.
    mama.set_viewport_size(PHONE)
    second = contact()
    text_in(sim, second, "Are you open on Sunday?")
    mama.get_by_test_id("offer").get_by_test_id("accept").click()
    toast_leaves_the_composer_free(mama)
    mama.get_by_test_id("composer").click()
    mama.get_by_test_id("composer").press_sequentially("/")
    expect(mama.get_by_test_id("canned-item")).to_have_count(2)
    mama.screenshot(path=str(artifacts_dir / "agent-390-canned.png"))
    mama.get_by_test_id("composer").press("Escape")
    mama.get_by_test_id("transfer").click()
    mama.screenshot(path=str(artifacts_dir / "agent-390-transfer.png"))
    mama.locator("#transfer-cancel").click()
    mama.get_by_test_id("end").click()
    expect(mama.get_by_test_id("wrapup-disposition")).to_be_visible()
    mama.screenshot(path=str(artifacts_dir / "agent-390-wrapup.png"))
    mama.get_by_test_id("wrapup-disposition").select_option(label="Call back later")
    mama.get_by_test_id("confirm-end").click()
    expect(mama.locator(".day-end")).to_contain_text("Call back later")
    for page in (mama, baby):
        set_state(page, "unavailable")


def test_console_pages_for_canned_responses_and_dispositions(tools_server, new_page, artifacts_dir):
    page = new_page()
    page.set_viewport_size(WIDE)
    login(page, tools_server, "tiffany", PASSWORD)
    page.goto(tools_server.url + "/console/dispositions/add/")
    page.fill("input[name=name]", "Wrong number")
    page.select_option("select[name=skills]", label="Porridge SMS (SMS)")
    page.screenshot(path=str(artifacts_dir / "console-1440-disposition-form.png"))
    page.click("main button[type=submit]")
    expect(page.locator("main")).to_contain_text("Wrong number")
    page.screenshot(path=str(artifacts_dir / "console-1440-dispositions.png"))
    page.goto(tools_server.url + "/console/canned-responses/add/")
    page.fill("input[name=name]", "Opening hours")
    page.fill("input[name=shortcut]", "hours")
    page.fill("textarea[name=body]", "We are open 7 to 11, {contact_name}.")
    page.click("main button[type=submit]")
    expect(page.locator("main")).to_contain_text("/hours")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts_dir / "console-390-canned.png"))


def test_an_agent_adds_their_own_canned_response_and_uses_it(tools_server, new_page, artifacts_dir):
    server = tools_server
    post = api_as_admin(new_page, server)
    post("canned-responses/", {"name": "Menu", "shortcut": "menu", "body": "Today: porridge, just right."})
    post("dispositions/", {"name": "Answered"})
    baby = open_agent(new_page, server, "baby")
    baby.set_viewport_size(WIDE)
    baby.get_by_test_id("shortcuts-open").click()
    with baby.context.expect_page() as opened:
        baby.get_by_test_id("own-canned-link").click()
    page = opened.value
    page.set_viewport_size(WIDE)
    expect(page.get_by_role("heading", name="Your canned responses")).to_be_visible()
    expect(page.get_by_test_id("shared-canned-list")).to_contain_text("/menu")  # the tenant's, read-only
    page.get_by_test_id("own-canned-save").click()
    expect(page.locator("#id_name_errors")).to_be_visible()  # every missing field at once
    expect(page.locator("#id_body_errors")).to_be_visible()
    page.fill("input[name=name]", "Temperature")
    page.fill("input[name=shortcut]", "temp")
    page.fill("textarea[name=body]", "Our porridge is served just right, never too hot {contact_name}!")
    page.get_by_test_id("own-canned-save").click()
    expect(page.locator(".messages")).to_contain_text("Type /temp in the reply box to use it.")
    expect(page.get_by_test_id("own-canned-row")).to_have_count(1)
    page.screenshot(path=str(artifacts_dir / "agent-1440-own-canned.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts_dir / "agent-390-own-canned.png"), full_page=True)
    page.close()

    # Back on the workspace: "/te" finds it, marked as hers, and inserts it.
    baby.locator("#shortcuts-close").click()
    sim = open_simulator(new_page, server)
    set_state(baby, "available")
    text_in(sim, contact(), "Is it hot?")
    baby.get_by_test_id("offer").get_by_test_id("accept").click()
    composer = baby.get_by_test_id("composer")
    composer.click()
    composer.press_sequentially("/te")
    composer.press("Enter")  # at once: what "/te" matches, not what "/" listed first while the list was read again
    expect(composer).to_have_value("Our porridge is served just right, never too hot!")
    composer.fill("")
    composer.press_sequentially("/te")
    item = baby.get_by_test_id("canned-item").filter(has_text="Temperature")
    expect(item).to_contain_text("yours")
    expect(baby.get_by_test_id("canned-item")).to_have_count(1)
    expect(baby.get_by_test_id("canned-manage")).to_have_attribute("href", "/canned-responses/")
    composer.press("Escape")
    baby.get_by_test_id("end").click()
    baby.get_by_test_id("wrapup-disposition").select_option(label="Answered")
    baby.get_by_test_id("confirm-end").click()
    expect(baby.locator(".day-end")).to_contain_text("Answered")
    set_state(baby, "unavailable")
