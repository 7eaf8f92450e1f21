"""The supervisor page says when no background worker has reported in for 30 s: offers would not
lapse, conversations would not expire, answers would not leave (docs/deployment.md)."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_workspace import PASSWORD
from tests.live import live_server

pytestmark = pytest.mark.browser


def supervisor_page(new_page, server):
    page = new_page()
    login(page, server, "sam", PASSWORD)
    page.goto(server.url + "/supervisor/")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "connected")
    return page


def test_no_worker_is_shown_to_the_supervisor(new_page, artifacts_dir):
    # A web process that runs no workers (as when scaled out with every worker down).
    with live_server(env={"CXSMS_WORKER_IN_WEB": "0"}) as server:
        page = supervisor_page(new_page, server)
        banner = page.get_by_test_id("no-worker")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("No background worker has reported in for 30 seconds")
        page.screenshot(path=str(artifacts_dir / "supervisor_no_worker_1440.png"))


def test_with_workers_running_there_is_no_warning(new_page, server):
    page = supervisor_page(new_page, server)
    expect(page.locator("#tiles > *").first).to_be_visible()  # the first snapshot is drawn
    expect(page.get_by_test_id("no-worker")).to_be_hidden()
