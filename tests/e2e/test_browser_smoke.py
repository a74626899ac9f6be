"""Browser smoke test: `jobwatch serve` (the production build on one port) driven by headless Chromium.

Starts the real server on a free port against a temporary SQLite data folder, waits for `/healthz`, then
registers, sees the alerts, adds a board, builds an alert and sees its live preview, logs out, and checks
that `/alerts` now redirects to the login page. Any browser console error fails the test. Screenshots go to
`test-artifacts/screenshots/`. Clicks travel over Reflex's websocket, so this proves the whole loop.

Uses Debian's `/usr/bin/chromium` (never `playwright install`, which downloads a browser); skipped with a
reason when it is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobwatch.config import PROJECT_DIR

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_DIR / "test-artifacts" / "screenshots"
#: A cold build (bun installing the frontend packages, then the production build) takes well under this.
STARTUP_TIMEOUT_SECONDS = 420
#: Longest wait for one condition in the browser (a websocket round trip, a page change).
UI_TIMEOUT_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(STARTUP_TIMEOUT_SECONDS + 180),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"),
]


@dataclass
class Server:
    """A running `jobwatch serve`: its base URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    startup_seconds: float
    database: Path

    def wait_for_user(self, email: str, timeout: float = 30.0) -> None:
        """Wait until the account of `email` exists (registration writes it off the request path)."""
        import sqlite3

        deadline = time.monotonic() + timeout
        while True:
            with contextlib.closing(sqlite3.connect(self.database)) as conn:
                if conn.execute("SELECT 1 FROM user_account WHERE email = ?", (email,)).fetchone():
                    return
            if time.monotonic() > deadline:
                pytest.fail(f"no account for {email} after registering")
            time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthz(url: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None


def _link_shared_bun(data_dir: Path) -> None:
    # The project's bun (fetched by scripts/bootstrap.sh) is reused instead of fetching it again for the
    # temporary data folder; without it, `serve` fetches its own.
    shared = PROJECT_DIR / ".data" / "reflex" / "bun" / "bin" / "bun"
    if shared.exists():
        target = data_dir / "reflex" / "bun" / "bin" / "bun"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(shared)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`python -m jobwatch.webserver --port N` with a fresh data folder; stopped with SIGTERM afterwards."""
    base = tmp_path_factory.mktemp("serve")
    data_dir = base / "data"
    _link_shared_bun(data_dir)
    env = dict(os.environ)
    for var in ("DATABASE_URL", "REDIS_URL", "RESEND_API_KEY", "RESEND_API_URL", "APP_URL", "SECRET_KEY"):
        env.pop(var, None)
    # Its own `.web`: a build here must not swap the files under a developer's running `jobwatch serve`,
    # and it makes every run measure a cold start.
    env.update(JOBWATCH_DATA_DIR=str(data_dir), JOBWATCH_ENV="development", REFLEX_WEB_WORKDIR=str(base / "web"))
    # bun's package cache is shared with the project's, so a cold `.web` does not refetch every package.
    env.setdefault("BUN_INSTALL_CACHE_DIR", str(PROJECT_DIR / ".data" / "reflex" / "bun-cache"))
    port = _free_port()
    url = f"http://localhost:{port}"
    log = base / "serve.log"
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jobwatch.webserver", "--port", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = started + STARTUP_TIMEOUT_SECONDS
        while _healthz(url) is None:
            if process.poll() is not None:
                pytest.fail(f"jobwatch serve exited with {process.returncode}:\n{log.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"jobwatch serve did not answer /healthz in time:\n{log.read_text()[-4000:]}")
            time.sleep(0.5)
        yield Server(
            url=url,
            process=process,
            log=log,
            startup_seconds=time.monotonic() - started,
            database=data_dir / "jobwatch.db",
        )
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_register_board_alert_logout(server: Server) -> None:
    """The smoke path: register, alerts, add a board, build an alert with a preview, log out, redirected."""
    from playwright.sync_api import ConsoleMessage, expect, sync_playwright

    assert _healthz(server.url) == {"db": "ok", "queue": "ok"}
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
    assert _healthz(server.url) is None
