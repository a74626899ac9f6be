"""Browser smoke test: `jobwatch serve` (the production build on one port) driven by headless Chromium.

Starts the real server on a free port against a temporary SQLite data folder, waits for `/healthz`, then
registers, sees the alerts, adds a board, builds an alert and sees its live preview, logs out, and checks
that `/alerts` now redirects to the login page. Any browser console error fails the test. Screenshots go to
`test-artifacts/screenshots/`. Clicks travel over Reflex's websocket, so this proves the whole loop.

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

from tests.e2e.serving import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    STARTUP_TIMEOUT_SECONDS,
    UI_TIMEOUT_MS,
    Server,
    healthz,
    needs_chromium,
    serve,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(STARTUP_TIMEOUT_SECONDS + 180), needs_chromium]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`jobwatch serve` with a fresh data folder (see `tests/e2e/serving.py`)."""
    with serve(tmp_path_factory.mktemp("serve")) as running:
        yield running


def test_register_board_alert_logout(server: Server) -> None:
    """The smoke path: register, alerts, add a board, build an alert with a preview, log out, redirected."""
    from playwright.sync_api import ConsoleMessage, expect, sync_playwright

    assert healthz(server.url) == {"db": "ok", "queue": "ok"}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text} ({message.location})")

    email = f"smoke-{secrets.token_hex(4)}@example.test"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(server.log.parent / "chromium-profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        try:
            context.set_default_timeout(UI_TIMEOUT_MS)
            expect.set_options(timeout=UI_TIMEOUT_MS)
            page = context.pages[0] if context.pages else context.new_page()
            page.on("console", on_console)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

            # Register with the CONTRACT labels and button.
            page.goto(f"{server.url}/register")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill("correct horse battery")
            page.screenshot(path=SCREENSHOTS / "01-register.png", full_page=True)
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
            page.screenshot(path=SCREENSHOTS / "02-alerts-empty.png", full_page=True)

            # Add a board by its token (no scrape needed).
            page.get_by_role("link", name="Boards").click()
            expect(page).to_have_url(re.compile(r"/boards/?$"))
            page.get_by_label("Board").fill("greenhouse:acme")
            page.get_by_role("button", name="Add board").click()
            expect(page.get_by_role("cell", name=re.compile("greenhouse:acme"))).to_be_visible()
            expect(page.get_by_text("Now watching greenhouse:acme.")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "03-boards.png", full_page=True)

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
            page.screenshot(path=SCREENSHOTS / "04-alert-builder.png", full_page=True)
            page.get_by_role("button", name="Save alert").click()
            expect(page).to_have_url(re.compile(r"/alerts/?$"))
            expect(page.get_by_text("Keywords: python")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "05-alerts.png", full_page=True)

            # The same page on a phone, in dark mode (Radix follows the system's colour scheme).
            page.set_viewport_size({"width": 390, "height": 844})
            page.emulate_media(color_scheme="dark")
            expect(page.get_by_role("button", name="Log out")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "05b-alerts-phone-dark.png", full_page=True)
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
            page.screenshot(path=SCREENSHOTS / "06-login-after-logout.png", full_page=True)
        finally:
            context.close()

    assert not problems, "\n".join(problems)
    print(f"jobwatch serve (cold .web) answered /healthz after {server.startup_seconds:.1f} s", file=sys.stderr)


def test_serve_stops_cleanly_on_sigterm(server: Server) -> None:
    """SIGTERM stops `jobwatch serve` (and the server under it) with exit status 0."""
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=60) == 0
    assert healthz(server.url) is None
