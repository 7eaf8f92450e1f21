"""The console's rough edges in Chromium (issue 17, item 5): the default skill select follows the
channel, every missing field at once with stars, weekday checkboxes and the time zone list, the
try-it moment in the tenant's zone, the operator's simulator live with one thread per contact,
plain error words in the workspace; screenshots at 1440 and 390 px in tests/artifacts/."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.live import live_server

pytestmark = pytest.mark.browser
PASSWORD = "demo-pass-1234"
WIDTHS = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def server():
    """A server of its own: the simulator's texts open rooms the other browser tests must not find."""
    with live_server() as s:
        yield s


def shoot(page, artifacts_dir, name):
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(artifacts_dir / f"console-edges-{name}-{label}.png"), full_page=True)
    page.set_viewport_size(WIDTHS["1440"])


def admin(new_page, server):
    page = new_page()
    login(page, server, "tiffany", PASSWORD)
    return page


def offered(select):
    return select.evaluate("s => Array.from(s.options).filter(o => o.value && !o.hidden).map(o => o.textContent.trim())")


def test_point_of_contact_form(server, new_page, artifacts_dir):
    page = admin(new_page, server)
    page.goto(server.url + "/console/points-of-contact/add/")
    skill = page.locator("select[name=skill]")
    # SMS by default: the SMS inbound skill only (the outbound one is never offered).
    page.select_option("select[name=channel]", "sms")
    assert offered(skill) == ["Porridge SMS (SMS inbound)"]
    page.select_option("select[name=channel]", "chat")
    assert offered(skill) == ["Porridge Chat (Chat inbound)"]
    page.select_option("select[name=channel]", "sms")
    page.click("form.form-card button[type=submit]")
    for name in ("country", "code_type", "number", "carrier_account"):
        expect(page.locator(f"#id_{name}_errors")).to_be_visible()
        expect(page.locator(f"#id_{name}")).to_have_css("border-top-color", "rgb(214, 59, 59)")  # each field in error is outlined
    expect(page.locator("select[name=carrier_account] option").first).to_have_text("— choose a carrier account —")
    expect(page.locator('.field[data-field="number"] .req')).to_be_visible()
    expect(page.locator(".required-note")).to_contain_text("Required")
    shoot(page, artifacts_dir, "poc-form-errors")


def test_routing_rule_form_pickers_and_try_it(server, new_page, artifacts_dir):
    page = admin(new_page, server)
    page.goto(server.url + "/console/points-of-contact/")
    page.locator("tr", has_text="+12125550100").get_by_role("link", name=re.compile(r"\d+ rules?$")).click()
    rules_url = page.url
    page.get_by_role("link", name="+ New routing rule").first.click()
    page.select_option("select[name=kind]", "hours")
    boxes = page.locator("input[name=days]")
    expect(boxes).to_have_count(7)
    assert [boxes.nth(i).is_checked() for i in range(7)] == [True] * 5 + [False] * 2
    expect(page.locator("select[name=skill] option")).to_have_count(2)  # "---------" and Porridge SMS
    page.locator("label.check-chip", has_text="Saturday").click()
    page.fill("input[name=start_time]", "09:00")
    page.fill("input[name=end_time]", "17:00")
    page.select_option("select[name=time_zone]", "America/Chicago")
    page.select_option("select[name=skill]", label="Porridge SMS (SMS inbound)")
    shoot(page, artifacts_dir, "rule-form")
    page.click("form.form-card button[type=submit]")
    page.wait_for_url(rules_url)
    expect(page.locator("table")).to_contain_text("09:00–17:00")
    page.get_by_role("link", name="Try the script…").click()
    page.fill("textarea[name=body]", "hello")
    page.fill("input[name=at]", "2025-03-03T11:30")
    page.click("form[data-testid=try-form] button[type=submit]")
    expect(page.get_by_test_id("try-moment")).to_have_text("Monday 3 March 2025, 11:30 (America/New_York) · 16:30 UTC")
    for size in WIDTHS.values():  # the rules table's heading stands apart from the result above it
        page.set_viewport_size(size)
        moment = page.get_by_test_id("try-moment").bounding_box()
        heading = page.get_by_role("heading", name="Rules, in order").bounding_box()
        assert heading["y"] - (moment["y"] + moment["height"]) >= 16, (moment, heading)
    page.set_viewport_size(WIDTHS["1440"])
    shoot(page, artifacts_dir, "try-it")


def test_settings_and_names_in_any_case(server, new_page, artifacts_dir):
    page = admin(new_page, server)
    page.goto(server.url + "/console/settings/")
    expect(page.locator("select[name=time_zone]")).to_have_value("America/New_York")
    expect(page.locator("input[name=case_limit]")).to_have_count(0)  # not a Digital Experience tenant
    shoot(page, artifacts_dir, "settings")
    page.click("form.form-card button[type=submit]")
    expect(page.locator(".messages, .message-success, [role=status]").first).to_contain_text("Tenant settings saved.")
    page.goto(server.url + "/console/teams/add/")
    page.fill("input[name=name]", "the BEARS")
    page.fill("input[name=session_limit]", "3")
    page.click("form.form-card button[type=submit]")
    expect(page.locator("#id_name_errors")).to_have_text(re.compile("A team with this name already exists."))
    shoot(page, artifacts_dir, "team-duplicate")


def test_operators_simulator_is_live_with_a_thread_per_contact(server, new_page, artifacts_dir):
    page = new_page()
    login(page, server, "operator", PASSWORD)
    page.goto(server.url + "/simulator/")
    page.select_option("select[name=tenant]", label="Three Bears Porridge")
    page.wait_for_url(re.compile(r"tenant=\d+"))
    expect(page.get_by_test_id("sim-conn")).to_have_text("live")
    for number, body in (("+12025550181", "First contact here"), ("+12025550182", "Second contact here")):
        page.fill("#sim-from", number)
        page.fill("#sim-body", body)
        page.click("#sim-form button[type=submit]")
        expect(page.locator(".bubble.mine:visible", has_text=body)).to_have_count(1)
        # Only this contact's thread shows.
        expect(page.locator(".bubble:visible")).to_have_count(page.locator(f'.bubble[data-contact="{number}"]').count())
    expect(page.get_by_test_id("sim-title")).to_have_text("+12025550182 ↔ +12125550100")
    chips = page.locator("[data-testid=sim-chip]")
    expect(chips.filter(has_text="+12025550181")).to_have_count(1)
    chips.filter(has_text="+12025550181").click()
    expect(page.locator("#sim-from")).to_have_value("+12025550181")
    expect(page.locator(".bubble:visible", has_text="First contact here")).to_have_count(1)
    expect(page.locator(".bubble:visible", has_text="Second contact here")).to_have_count(0)
    shoot(page, artifacts_dir, "simulator")


def test_workspace_errors_carry_no_field_names(server, new_page):
    agent = new_page()
    login(agent, server, "mama", PASSWORD)
    agent.goto(server.url + "/agent/")
    expect(agent.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    agent.get_by_test_id("new-text").click()
    agent.get_by_test_id("outbound-number").fill("+1 555 555 5555")
    agent.get_by_test_id("outbound-body").fill("Your porridge is ready")
    agent.get_by_test_id("outbound-send").click()
    error = agent.get_by_test_id("outbound-error")
    expect(error).to_have_text("“+15555555555” is not a valid phone number.")


def test_the_console_menu_is_one_row_on_a_phone(server, new_page):
    page = admin(new_page, server)
    page.set_viewport_size(WIDTHS["390"])
    page.goto(server.url + "/console/points-of-contact/add/")
    # The page's own heading is on the first screen, not under the whole menu.
    assert page.get_by_role("heading", name="New point of contact").bounding_box()["y"] < 250
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the menu scrolls, not the page
    active = page.locator(".sidebar a.active")
    expect(active).to_have_text("Points of contact")
    box = active.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # the current entry is in view
    # The same when a wide window is narrowed to phone width.
    page.set_viewport_size(WIDTHS["1440"])
    page.goto(server.url + "/console/unavailable-reasons/")
    page.set_viewport_size(WIDTHS["390"])
    expect(page.locator(".sidebar a.active")).to_have_text("Unavailable reasons")
    expect(page.locator(".sidebar a.active")).to_be_in_viewport(ratio=1)
