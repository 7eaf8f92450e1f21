"""The campaign pages in a real browser (Tuppence, Young Adventurers): a CSV upload with refused rows, the
campaign form's live preview, the confirmation, and the progress page updating on its own; at 1440 and
390 px, under the Content-Security-Policy (tests/browser/conftest.py fails on any violation)."""
import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import rules
from tests.browser.conftest import login

pytestmark = pytest.mark.browser
PASSWORD = "demo-pass-1234"
CSV = ("phone;first_name;city\n"
       "(415) 555-0101;Ann;San Francisco\n+1 212 555 0102;Bob;\nnot a number;Cy;Paris\n415-555-0101;Ann again;SF\n"
       "+44 20 7183 8750;Dee;London\n;Eve;\n(808) 555-0103;Flo;Honolulu\n")
NUMBERS = ["+14155550101", "+12125550102", "+18085550103"]


def shot(page, artifacts_dir, name):
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts_dir / f"campaigns_{name}_{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def test_upload_preview_start_and_live_progress(server, new_page, artifacts_dir, tmp_path):
    page = new_page()
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, server, "tuppence", PASSWORD)
    page.goto(server.url + "/console/contact-lists/")
    page.fill("input[name=name]", "Lisbon prospects")
    path = tmp_path / "prospects.csv"
    path.write_text(CSV, encoding="cp1252")
    page.set_input_files("input[name=file]", str(path))
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/contact-lists/\d+/$"))
    assert page.get_by_test_id("accepted").inner_text() == "3"
    assert page.get_by_test_id("duplicates").inner_text() == "1"
    assert page.get_by_test_id("rejected").inner_text() == "3"
    errors = page.get_by_test_id("errors").inner_text()
    assert "not a phone number" in errors and "another country" in errors and "empty" in errors
    shot(page, artifacts_dir, "list_with_errors")

    page.goto(server.url + "/console/campaigns/new/")
    page.fill("input[name=name]", "New itinerary: Lisbon")
    page.select_option("select[name=point_of_contact]", index=1)
    page.select_option("select[name=contact_list]", label="Lisbon prospects")
    expect(page.locator("[data-columns]")).to_contain_text("{first_name}")
    page.fill("textarea[name=template]", "Hi {frist_name}!")
    expect(page.locator("[data-preview-error]")).to_contain_text("frist_name")
    page.fill("textarea[name=template]", "Hi {first_name|there}! Lisbon in May: 8 days, guides, tapas. Reply to book.")
    expect(page.locator("[data-previews] li")).to_have_count(3)
    expect(page.locator("[data-previews] li").first).to_contain_text("Hi Ann!")
    expect(page.locator("[data-previews] li").first).to_contain_text("GSM7 · 1 segment")
    shot(page, artifacts_dir, "form_preview")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/campaigns/\d+/$"))

    page.click("text=Start…")
    expect(page.get_by_test_id("confirm-text")).to_contain_text("This texts 3 recipients")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/campaigns/\d+/$"))
    # The page updates on its own: texts within their window go out (1 text/s on a long code), the others wait.
    now = timezone.now()
    inside = sum(rules.window_open(rules.number_zones(n), now, datetime.time(8), datetime.time(21), (),
                                   "America/Los_Angeles") for n in NUMBERS)
    sent = page.locator('[data-count="sent"]')
    delivered = page.locator('[data-count="delivered"]')
    page.wait_for_function("([a, b, n]) => Number(document.querySelector(a).textContent)"
                           " + Number(document.querySelector(b).textContent) === n",
                           arg=['[data-count="sent"]', '[data-count="delivered"]', inside], timeout=20000)
    assert int(sent.inner_text()) + int(delivered.inner_text()) == inside
    expect(page.locator('[data-count="waiting_window"]')).to_have_text(str(3 - inside))
    if inside == 3:
        expect(page.locator("[data-progress-state]")).to_have_text("Completed", timeout=10000)
        expect(page.locator("[data-progress-done]")).to_have_text("3 of 3 done")
    shot(page, artifacts_dir, "progress")
