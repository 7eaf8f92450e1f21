"""The report pages in a real browser: Tiffany (administrator) looks at a week of the floor, sorts a
table, downloads the CSV; Sam (supervisor) sees today's live figures; at desktop and phone widths."""
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.live import ROOT, live_server

pytestmark = pytest.mark.browser
PASSWORD = "demo-pass-1234"


@pytest.fixture(scope="module")
def week_server():
    with live_server() as server:
        env = {**server.env, "CXSMS_OFFER_TIMEOUT": "100000000", "CXSMS_SMS_SESSION_TIMEOUT": "100000000"}
        done = subprocess.run([sys.executable, "manage.py", "shell", "-c", "from tests.reports.week import play; print(play())"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        yield server


def test_admin_reads_a_week(week_server, new_page, artifacts_dir):
    page = new_page()
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, week_server, "tiffany", PASSWORD)
    page.wait_for_url("**/console/")
    page.click("nav.sidebar >> text=Reports")
    page.wait_for_url("**/console/reports/")
    page.get_by_test_id("preset-last_7_days").click()
    page.select_option("select[name=interval]", "day")
    page.click("form[role=search] button[type=submit]")
    expect(page.locator("[data-testid=chart-volume] rect.bar")).to_have_count(7)
    offered = page.locator("[data-testid=report-tiles] .report-tile").first
    expect(offered).not_to_contain_text("Offered\n0")
    expect(page.get_by_test_id("state-span").first).to_be_visible()
    table = page.get_by_test_id("table-interactions")
    expect(table.locator("tbody tr")).to_have_count(7)
    # sort by offered, largest first (second click)
    heading = table.locator("th >> text=Offered")
    heading.click()
    heading.click()
    cells = table.locator("tbody tr td:nth-child(2)")
    values = [int(v) for v in cells.all_inner_texts()]
    assert values == sorted(values, reverse=True) and values[0] > 0
    page.screenshot(path=str(artifacts_dir / "reports_week_1440.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_test_id("csv-agents").click()
    with open(download.value.path(), encoding="utf-8") as csv_file:
        text = csv_file.read()
    assert text.startswith("Interval,Agent,Team,Available") and "mama" in text

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(week_server.url + "/console/reports/?preset=today&interval=hour")
    expect(page.get_by_test_id("chart-timeline")).to_be_visible()
    widest = page.evaluate("() => Math.max(...[...document.querySelectorAll('main > *:not(.report-table-card)')]"
                           ".map(e => e.getBoundingClientRect().right))")
    assert widest <= 390
    page.screenshot(path=str(artifacts_dir / "reports_today_390.png"), full_page=True)


def test_supervisor_sees_today_so_far(week_server, new_page, artifacts_dir):
    page = new_page()
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, week_server, "sam", PASSWORD)
    page.goto(week_server.url + "/supervisor/")
    today = page.get_by_test_id("today")
    expect(today.locator("[data-figure=offered]")).not_to_have_text("…")
    assert int(today.locator("[data-figure=offered]").inner_text()) > 0
    expect(today.locator("[data-figure=service_level]")).to_contain_text("%")
    page.screenshot(path=str(artifacts_dir / "supervisor_today_1440.png"))
    page.click("text=Reports →")
    page.wait_for_url("**/console/reports/")
    expect(page.locator("h1")).to_have_text("Reports")
    page.screenshot(path=str(artifacts_dir / "reports_supervisor_1440.png"), full_page=True)


def test_unavailable_reasons_in_the_agents_report_and_on_the_supervisor_page(week_server, new_page, artifacts_dir):
    """The week's lunches and breaks: a column per reason in the agents table; the supervisor sees
    baby at lunch now, with the time so far; at desktop and phone widths."""
    page = new_page()
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, week_server, "tiffany", PASSWORD)
    page.wait_for_url("**/console/")
    # Up to yesterday: the agents' timeline shows the period's last day, and today's lunch (12:00 in the
    # tenant's New York) may still lie ahead when the test runs.
    yesterday = datetime.now(ZoneInfo("America/New_York")).date() - timedelta(days=1)
    page.goto(week_server.url + f"/console/reports/?start={yesterday - timedelta(days=6)}&end={yesterday}&interval=week")
    table = page.get_by_test_id("table-agents")
    expect(table.locator("th >> text=Unavailable: Lunch")).to_be_visible()
    expect(table.locator("th >> text=Unavailable: Break")).to_be_visible()
    baby = table.locator("tbody tr", has_text="baby").first
    expect(baby.locator("td[data-label='Unavailable: Lunch']")).not_to_have_text("—")
    expect(page.locator("[data-testid=state-span] title", has_text="Unavailable (Lunch)").first).to_be_attached()
    table.locator("th >> text=Unavailable: Lunch").scroll_into_view_if_needed()
    table.screenshot(path=str(artifacts_dir / "reports_agents_reasons_1440.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    table.locator("th >> text=Unavailable: Lunch").scroll_into_view_if_needed()
    table.screenshot(path=str(artifacts_dir / "reports_agents_reasons_390.png"))

    sup = new_page()
    sup.set_viewport_size({"width": 1440, "height": 900})
    login(sup, week_server, "sam", PASSWORD)
    sup.goto(week_server.url + "/supervisor/")
    row = sup.locator("[data-agent=baby]")
    expect(row.get_by_test_id("agent-reason")).to_have_text("Lunch")
    expect(row).to_contain_text("Unavailable")
    expect(row.locator("[data-since]")).not_to_have_text("")
    sup.screenshot(path=str(artifacts_dir / "supervisor_reason_1440.png"))
    sup.set_viewport_size({"width": 390, "height": 844})
    row.scroll_into_view_if_needed()
    sup.screenshot(path=str(artifacts_dir / "supervisor_reason_390.png"))


def test_agent_chooses_a_reason_when_going_unavailable(week_server, new_page, artifacts_dir):
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, week_server, "papa", PASSWORD)
    page.goto(week_server.url + "/agent/")
    expect(page.get_by_test_id("state-hint")).to_contain_text("Logged out")  # the workspace has its snapshot
    with page.expect_response(lambda r: "/api/v1/me/state/" in r.url and r.request.method == "PUT"):
        page.get_by_test_id("state-available").click()
    expect(page.get_by_test_id("state-available")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("state-unavailable").click()
    menu = page.get_by_test_id("reason-menu")
    expect(menu).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "agent_reason_menu_390.png"))
    with page.expect_response(lambda r: "/api/v1/me/state/" in r.url and r.request.method == "PUT") as answer:
        menu.locator("button", has_text="Training").click()
    assert answer.value.status == 200, answer.value.text()
    expect(page.get_by_test_id("state-hint")).to_have_text("Unavailable · Training — no new offers")
    expect(menu).to_be_hidden()
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=str(artifacts_dir / "agent_reason_1440.png"))
