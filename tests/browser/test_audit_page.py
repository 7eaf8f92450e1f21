"""The console's Audit log in a real browser: Tiffany changes a team's limit and finds the change, filtered, at desktop
and phone widths."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser
PASSWORD = "demo-pass-1234"


def test_audit_log_shows_a_console_change_with_filters(server, new_page, artifacts_dir):
    page = new_page()
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, server, "tiffany", PASSWORD)
    page.wait_for_url("**/console/")
    page.goto(server.url + "/console/teams/add/")
    page.fill("input[name=name]", "Audit cubs")
    page.fill("input[name=session_limit]", "3")
    page.click("main button[type=submit]")
    page.wait_for_url("**/console/teams/")
    page.click("tbody >> text=Audit cubs")
    page.fill("input[name=session_limit]", "6")
    page.click("main button[type=submit]")
    page.wait_for_url("**/console/teams/")

    page.click("nav.sidebar >> text=Audit log")
    page.wait_for_url("**/console/audit-log/")
    expect(page.locator("h1")).to_have_text("Audit log")
    page.select_option("select[name=object_type]", "team")
    page.select_option("select[name=source]", "console")
    page.click("form[role=search] button[type=submit]")
    rows = page.get_by_test_id("audit-entry").filter(has_text="Audit cubs")
    expect(rows).to_have_count(2)
    newest = rows.first
    expect(newest).to_contain_text("Changed team Audit cubs")
    expect(newest).to_contain_text("tiffany")
    expect(newest.get_by_test_id("audit-source")).to_have_text("Console")
    expect(newest).to_contain_text("Chat/SMS session limit: 3 → 6")
    expect(rows.last).to_contain_text("Created team Audit cubs")
    page.screenshot(path=str(artifacts_dir / "console_audit_log_1440.png"), full_page=True)

    # the demo's setup came from a management command, and shows as such
    page.goto(server.url + "/console/audit-log/?source=command")
    expect(page.get_by_test_id("audit-source").first).to_have_text("Command")

    # a date range without changes: the empty state, with a way back
    page.goto(server.url + "/console/audit-log/")
    page.fill("input[name=start]", "2001-01-01")
    page.fill("input[name=end]", "2001-01-31")
    page.click("form[role=search] button[type=submit]")
    expect(page.get_by_test_id("audit-empty")).to_contain_text("No changes match these filters.")
    page.click("text=Clear the filters")
    expect(page.get_by_test_id("audit-entry").first).to_be_visible()

    # a phone: entries stack, nothing wider than the screen
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url + "/console/audit-log/?object_type=team&source=console")
    expect(page.get_by_test_id("audit-entry").filter(has_text="Audit cubs").first).to_be_visible()
    # (the console's top bar is shared by every page and measured elsewhere; this page's own content must fit)
    widest = page.evaluate("() => Math.max(...[...document.querySelectorAll('main *')].map(e => e.getBoundingClientRect().right))")
    assert widest <= 390
    page.screenshot(path=str(artifacts_dir / "console_audit_log_390.png"), full_page=True)
