"""Browser smoke test: `jobwatch serve` (the production build on one port) driven by headless Chromium.

Starts the real server on a free port against a temporary SQLite data folder, waits for `/healthz`, then
registers, sees the alerts, adds a board, builds an alert and sees its live preview, logs out, and checks
that `/alerts` now redirects to the login page. Any browser console error fails the test (the `browser` fixture,
`tests/e2e/conftest.py`); screenshots go to `test-artifacts/<test name>/`. Clicks travel over Reflex's websocket,
so this proves the whole loop.

Uses Debian's `/usr/bin/chromium` (never `playwright install`, which downloads a browser); skipped with a
reason when it is missing.
"""

from __future__ import annotations

import re
import secrets
import signal
import sys
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import BrowserSession
from tests.e2e.serving import STARTUP_TIMEOUT_SECONDS, Server, healthz, needs_chromium, serve

pytestmark = [pytest.mark.browser, pytest.mark.timeout(STARTUP_TIMEOUT_SECONDS + 180), needs_chromium]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`jobwatch serve` with a fresh data folder (see `tests/e2e/serving.py`)."""
    with serve(tmp_path_factory.mktemp("serve")) as running:
        yield running


def test_register_board_alert_logout(server: Server, browser: BrowserSession) -> None:
    """The smoke path: register, alerts, add a board, build an alert with a preview, log out, redirected."""
    from playwright.sync_api import expect

    assert healthz(server.url) == {"db": "ok", "queue": "ok"}
    email = f"smoke-{secrets.token_hex(4)}@example.test"
    page = browser.page(browser.open())

    # Register with the CONTRACT labels and button.
    page.goto(f"{server.url}/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    browser.shot(page, "register")
    page.get_by_role("button", name="Create account").click()
    # Registering signs nobody in (it would tell whether an address has an account): log in.
    expect(page.get_by_text("We sent a message to")).to_be_visible()
    page.get_by_role("link", name="Log in").first.click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    server.wait_for_user(email)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/alerts/?$"))
    expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    browser.shot(page, "alerts-empty")

    # Add a board by its token (no scrape needed).
    page.get_by_role("link", name="Boards").click()
    expect(page).to_have_url(re.compile(r"/boards/?$"))
    page.get_by_label("Board").fill("greenhouse:acme")
    page.get_by_role("button", name="Add board").click()
    expect(page.get_by_role("cell", name=re.compile("greenhouse:acme"))).to_be_visible()
    expect(page.get_by_text("Now watching greenhouse:acme.")).to_be_visible()
    browser.shot(page, "boards")

    # Build an alert: the preview region answers as the user types.
    page.get_by_role("link", name="Alerts").click()
    expect(page).to_have_url(re.compile(r"/alerts/?$"))
    page.get_by_role("link", name="New alert").first.click()
    expect(page).to_have_url(re.compile(r"/alerts/new/?$"))
    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Fill in keywords")
    page.get_by_label("Name").fill("python")
    page.get_by_label("Keywords", exact=True).fill("python")
    expect(preview).to_contain_text("0 matching open jobs")
    browser.shot(page, "alert-builder")
    page.get_by_role("button", name="Save alert").click()
    expect(page).to_have_url(re.compile(r"/alerts/?$"))
    expect(page.get_by_text("Keywords: python")).to_be_visible()
    browser.shot(page, "alerts")

    # The same page on a phone, in dark mode (Radix follows the system's colour scheme).
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    browser.shot(page, "alerts-phone-dark")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Log out, then a protected page sends the browser to the login page.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.goto(f"{server.url}/alerts")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_text("Keywords: python")).to_have_count(0)
    page.goto(f"{server.url}/inbox")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    browser.shot(page, "login-after-logout")
    print(f"jobwatch serve (cold .web) answered /healthz after {server.startup_seconds:.1f} s", file=sys.stderr)


def test_serve_stops_cleanly_on_sigterm(server: Server) -> None:
    """SIGTERM stops `jobwatch serve` (and the server under it) with exit status 0."""
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=60) == 0
    assert healthz(server.url) is None
