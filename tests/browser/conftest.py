"""Browser tests: Playwright driving Debian's Chromium against a real daphne server."""
import pytest

from tests.live import live_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def server():
    with live_server() as s:
        yield s


@pytest.fixture(scope="package")
def browser():
    """Chromium for this package's tests, closed when a worker leaves the package: between its sync
    calls Playwright marks its event loop as running in the main thread, and an async test run later
    in the same process (pytest-asyncio, asyncio.run) would refuse to start."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    """new_page() -> a page in a fresh context (own cookies) at 1366x768; several per test for several people."""
    contexts = []
    violations = []

    def make():
        ctx = browser.new_context(viewport={"width": 1366, "height": 768})
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10000)
        # Whatever the Content-Security-Policy blocked (an inline script or handler) fails the test.
        page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert not violations, violations


def login(page, server, username, password):
    page.goto(server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
