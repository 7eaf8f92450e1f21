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
    page.click("[data-import-link]")  # the upload's progress ends with a link to the list
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


def test_a_large_upload_shows_bytes_sent_then_the_imports_rows_live_then_refusals_by_line(server, new_page, artifacts_dir, tmp_path):
    rows = 20000  # about 700 KB: imported by the task engine (the web process's worker threads here), not in the request
    lines = ["phone,first_name"] + [("not a number" if i % 500 == 3 else f"+1 212 {2000000 + i:07d}") + f",Name{i}" for i in range(rows)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page = new_page()
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, server, "tuppence", PASSWORD)
    page.goto(server.url + "/console/contact-lists/")
    # Every state and line the panel shows, as it shows them.
    page.evaluate("""() => { window.seen = []; const panel = document.querySelector('[data-import-progress]');
        new MutationObserver(() => window.seen.push([panel.dataset.state || '', panel.querySelector('[data-import-line]').textContent]))
          .observe(panel, {subtree: true, childList: true, attributes: true, characterData: true}); }""")
    cdp = page.context.new_cdp_session(page)  # a slow uplink, so the upload's own progress is seen
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                  "uploadThroughput": 200 * 1024})
    page.fill("input[name=name]", "Big prospects")
    page.set_input_files("input[name=file]", str(path))
    page.click("main form button[type=submit]")
    expect(page.locator("[data-import-line]")).to_contain_text(" sent", timeout=10000)
    shot(page, artifacts_dir, "upload_sending")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    expect(page.locator("[data-import-title]")).to_have_text("Imported", timeout=60000)
    seen = page.evaluate("window.seen")
    sent = [int(line.split(" KB of")[0]) for state, line in seen if state == "uploading" and line.endswith(" KB sent")]
    assert len(set(sent)) >= 2 and sent == sorted(sent), seen  # the bytes sent grew while the file went up
    so_far = [line for state, line in seen if state == "importing" and "so far" in line]
    assert so_far, seen  # the import's counts were shown while it ran
    read = [int(line.split(" row")[0].replace(",", "")) for line in so_far]
    assert any(0 < n < rows for n in read), so_far
    expect(page.locator("[data-import-line]")).to_have_text(
        f"{rows:,} rows read · {rows - 40:,} accepted · 0 duplicates · 40 refused.")
    errors = page.get_by_test_id("import-errors").locator("tbody tr")
    expect(errors).to_have_count(40)
    expect(errors.first).to_contain_text("5")  # the first refused row: line 5 (line 1 is the header)
    expect(errors.first).to_contain_text("“not a number” is not a phone number.")
    shot(page, artifacts_dir, "upload_imported")
    page.click("[data-import-link]")
    page.wait_for_url(re.compile(r".*/contact-lists/\d+/$"))
    assert page.get_by_test_id("accepted").inner_text() == str(rows - 40)
