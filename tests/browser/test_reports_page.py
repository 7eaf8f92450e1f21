"""The report pages in a real browser: Tiffany (administrator) looks at a week of the floor, sorts a
table, downloads the CSV; Sam (supervisor) sees today's live figures; at desktop and phone widths."""
import subprocess
import sys

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
