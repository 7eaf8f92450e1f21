"""The pages under the production Content-Security-Policy (no inline script): what used inline
handlers still works from static/js, and the Django admin and the API docs page load without a
violation (tests/browser/conftest.py fails a test on any)."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.live import live_server

pytestmark = pytest.mark.browser
PASSWORD = "demo-pass-1234"


@pytest.fixture(scope="module")
def server():
    with live_server() as s:
        yield s


def test_the_policy_forbids_inline_script(server, browser):
    ctx = browser.new_context()  # not new_page(): this test provokes a violation on purpose
    try:
        page = ctx.new_page()
        blocked = []
        page.on("console", lambda msg: blocked.append(msg.text))
        response = page.goto(server.url + "/login/")
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        # Markup injected with an inline handler does not run it.
        page.evaluate("""() => { const d = document.createElement('div'); d.innerHTML = '<img src=x onerror="window.ran=1">';
                                 document.body.appendChild(d); }""")
        page.wait_for_timeout(500)
        assert page.evaluate("window.ran") is None
        assert any("Content Security Policy" in text for text in blocked)
    finally:
        ctx.close()


def test_operator_switches_the_simulators_tenant(server, new_page):
    page = new_page()
    login(page, server, "operator", PASSWORD)
    page.goto(server.url + "/simulator/")
    page.select_option("select[name=tenant]", label="Young Adventurers")
    page.wait_for_url(re.compile(r"tenant=\d+"))
    expect(page.locator(".sim-head")).to_contain_text("Young Adventurers")


def test_forced_disconnect_asks_first(server, new_page):
    phone = new_page()
    login(phone, server, "tiffany", PASSWORD)
    phone.goto(server.url + "/simulator/")
    phone.wait_for_selector("#sim-conn.ok")
    phone.fill("#sim-from", "+12025550177")
    phone.fill("#sim-body", "Anyone there?")
    phone.click("#sim-form button[type=submit]")
    phone.wait_for_selector(".bubble.mine >> text=Anyone there?")

    admin = new_page()
    login(admin, server, "tiffany", PASSWORD)
    admin.goto(server.url + "/console/forced-disconnect/")
    button = admin.get_by_role("button", name=re.compile(r"^End 1 SMS interaction"))
    questions = []
    admin.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    button.click()
    admin.wait_for_timeout(300)
    assert questions == ["End 1 SMS interaction now?"]
    expect(button).to_be_visible()  # dismissed: nothing ended
    admin.once("dialog", lambda d: d.accept())
    button.click()
    admin.wait_for_load_state()
    admin.goto(server.url + "/console/forced-disconnect/")
    expect(admin.get_by_text("No SMS interaction is open right now")).to_be_visible()


def test_admin_and_api_docs_load_under_the_policy(server, new_page):
    page = new_page()
    login(page, server, "operator", PASSWORD)
    page.goto(server.url + "/admin/routing/tenant/")
    expect(page.get_by_text("Three Bears Porridge")).to_be_visible()
    page.goto(server.url + "/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("cxsms API")
    expect(page.locator(".opblock").first).to_be_visible()
