"""The console in a real browser: Tiffany adds a UK number, is told why a short code is refused there, fixes it."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser
PASSWORD = "demo-pass-1234"


def test_poc_refusal_next_to_field_then_fixed(server, new_page, artifacts_dir):
    page = new_page()
    login(page, server, "tiffany", PASSWORD)
    page.wait_for_url("**/console/")
    assert page.locator("h1").inner_text() == "Three Bears Porridge"
    assert page.get_by_test_id("current-user").inner_text() == "Tiffany Goldilocks"
    page.screenshot(path=str(artifacts_dir / "console_dashboard.png"), full_page=True)

    page.click("nav.sidebar >> text=Points of contact")
    page.wait_for_url("**/console/points-of-contact/")
    page.click("text=+ New point of contact")
    page.select_option("select[name=channel]", "sms")
    page.fill("input[name=name]", "London line")
    page.select_option("select[name=country]", "GB")
    page.select_option("select[name=code_type]", "short")
    page.fill("input[name=number]", "60123")
    page.select_option("select[name=carrier_account]", label="Simulator")
    page.select_option("select[name=skill]", label="Porridge SMS (SMS inbound)")
    # the chat-only field is hidden for an SMS point of contact
    expect(page.locator("input[name=slug]")).to_be_hidden()
    page.click("main button[type=submit]")

    error = page.locator("#id_code_type_errors")
    error.wait_for()
    assert "United Kingdom allows long codes only: a short code is not supported there." in error.inner_text()
    # the message sits inside the code type field's block
    assert page.locator('.field[data-field="code_type"] #id_code_type_errors').count() == 1
    page.screenshot(path=str(artifacts_dir / "console_poc_refusal.png"), full_page=True)

    page.select_option("select[name=code_type]", "long")
    page.fill("input[name=number]", "+44 20 7183 8750")
    page.click("main button[type=submit]")
    page.wait_for_url("**/console/points-of-contact/")
    assert "created" in page.locator(".messages").inner_text()
    row = page.locator("tbody tr", has_text="+442071838750")
    assert row.count() == 1
    assert "United Kingdom" in row.inner_text() and "Long code" in row.inner_text()
    page.screenshot(path=str(artifacts_dir / "console_poc_list.png"), full_page=True)


def test_console_pages_render_for_the_demo_admin(server, new_page, artifacts_dir):
    page = new_page()
    login(page, server, "tiffany", PASSWORD)
    page.wait_for_url("**/console/")
    page.goto(server.url + "/console/users/")
    # other browser tests share this server: count at least the demo's five people
    assert page.locator("tbody tr").count() >= 5
    page.click("tbody >> text=mama")
    assert page.locator("input[name=username]").input_value() == "mama"
    page.screenshot(path=str(artifacts_dir / "console_user_form.png"), full_page=True)
    page.goto(server.url + "/console/settings/")
    page.screenshot(path=str(artifacts_dir / "console_settings.png"), full_page=True)
    # log out through the button in the top bar
    page.click("text=Log out")
    page.wait_for_url("**/login/")


def test_agent_is_refused_the_console(server, new_page):
    page = new_page()
    login(page, server, "papa", PASSWORD)
    page.wait_for_load_state()
    response = page.goto(server.url + "/console/")
    assert response.status == 403
    assert "This page is for tenant administrators" in page.content()


def test_console_gallery(server, new_page, artifacts_dir):
    """Screenshots of the remaining pages (the login page, routing rules, a delete confirmation, API tokens)."""
    page = new_page()
    page.goto(server.url + "/login/")
    page.screenshot(path=str(artifacts_dir / "console_login.png"))
    login(page, server, "tiffany", PASSWORD)
    page.wait_for_url("**/console/")
    page.goto(server.url + "/console/points-of-contact/")
    page.locator("tbody tr", has_text="+12125550100").locator("a[href$='/rules/']").click()
    page.click("main >> text=+ New routing rule")
    page.select_option("select[name=kind]", "keyword")
    expect(page.locator("input[name=start_time]")).to_be_hidden()  # waits for the page's script to hide it
    page.fill("input[name=pattern]", "lumpy")
    page.select_option("select[name=skill]", label="Porridge SMS (SMS inbound)")
    page.fill("input[name=priority]", "8")
    page.click("main button[type=submit]")
    page.wait_for_selector("tbody tr:has-text('lumpy')")
    page.screenshot(path=str(artifacts_dir / "console_rules.png"), full_page=True)
    page.goto(server.url + "/console/teams/")
    page.locator("tbody tr", has_text="The Bears").get_by_text("Delete").click()
    assert "Delete team “The Bears”?" in page.locator("h1").inner_text()
    page.screenshot(path=str(artifacts_dir / "console_delete_confirm.png"))
    page.goto(server.url + "/console/api-tokens/")
    page.select_option("select[name=user]", index=1)  # any user of the tenant without a token yet
    page.click("main button[type=submit]")
    key = page.get_by_test_id("token-key").inner_text()
    assert len(key) == 40
    page.screenshot(path=str(artifacts_dir / "console_tokens.png"), full_page=True)


def test_forced_disconnect_page_in_the_console(server, new_page, artifacts_dir):
    page = new_page()
    login(page, server, "tiffany", PASSWORD)
    page.goto(server.url + "/console/forced-disconnect/")
    expect(page.get_by_role("heading", name="Forced disconnect")).to_be_visible()
    expect(page.get_by_text("No SMS interaction is open right now")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "console_forced_disconnect.png"))
