"""Browser test of accounts: `jobwatch serve` (production build, one port) driven by headless Chromium.

Register ("check your email"), open the verification link from the local outbox (the `outbox_message` table of
the server's SQLite database), log in, use the settings page (save, export my data as a download), open a second
tab, log out in the first: the second tab's next action is refused on the server and lands on the login page,
changing nothing (B24). Then forgot password, the reset link from the outbox, `New password` / `Set password`,
and logging in with the new password (the old one no longer works).

Every wait is on a condition (Playwright's auto-waiting `expect`, or polling the outbox until the message is
there); any browser console error fails the test (the `browser` fixture). Screenshots go to
`test-artifacts/<test name>/`.
Uses Debian's `/usr/bin/chromium` (never `playwright install`); skipped with a reason when it is missing.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobwatch.db import make_engine
from jobwatch.models import JobAlert, OutboxMessage, User
from tests.e2e import serving
from tests.e2e.conftest import BrowserSession
from tests.e2e.serving import STARTUP_TIMEOUT_SECONDS, needs_chromium

#: Longest wait for a message to appear in the outbox (it is written off the request path).
MAIL_TIMEOUT_SECONDS = 20.0

pytestmark = [pytest.mark.browser, pytest.mark.timeout(STARTUP_TIMEOUT_SECONDS + 240), needs_chromium]


@dataclass
class Server:
    """A running `jobwatch serve` (`tests/e2e/serving.py`) and an engine on its database."""

    running: serving.Server
    engine: Engine

    @property
    def url(self) -> str:
        return self.running.url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`jobwatch serve` with a fresh data folder and `APP_URL` pointing at it (for the links in emails)."""
    with serving.serve(tmp_path_factory.mktemp("serve-accounts"), set_app_url=True) as running:
        engine = make_engine(f"sqlite:///{running.database}")
        try:
            yield Server(running, engine)
        finally:
            engine.dispose()


def _mail_link(server: Server, to: str, subject: str, path: str) -> str:
    """The `path?token=...` link of the newest message to `to` with `subject`, waiting until it is there."""
    deadline = time.monotonic() + MAIL_TIMEOUT_SECONDS
    while True:
        with Session(server.engine) as s:
            message = s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.to_email == to, OutboxMessage.subject == subject)
                .order_by(col(OutboxMessage.id).desc())
            ).first()
        if message is not None:
            assert message.kind == "account"
            match = re.search(rf"{re.escape(server.url)}{path}\?token=[A-Za-z0-9_%-]+", message.text)
            assert match, message.text
            return match.group(0)
        if time.monotonic() > deadline:
            pytest.fail(f"no {subject!r} message to {to} in the outbox")
        time.sleep(0.2)


def test_register_verify_login_logout_reset(server: Server, browser: BrowserSession) -> None:
    """The whole account path in a real browser, with a second tab that loses access at logout (B24)."""
    from playwright.sync_api import expect

    email = f"acct-{secrets.token_hex(4)}@example.test"
    password, new_password = "correct horse battery", "a brand new passphrase"
    context = browser.open(accept_downloads=True)
    page = browser.page(context)

    # Register: "check your email", and nobody is signed in yet.
    page.goto(f"{server.url}/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("We sent a message to")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    browser.shot(page, "register-check-email")

    # Verify through the link in the outbox.
    page.goto(_mail_link(server, email, "Confirm your email address", "/verify-email"))
    expect(page.get_by_text(f"Thank you: {email} is confirmed.")).to_be_visible()
    browser.shot(page, "verified")
    with Session(server.engine) as s:
        assert s.exec(select(User).where(User.email == email)).one().email_verified_at is not None

    # Log in.
    page.get_by_role("link", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/alerts/?$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # Settings: save a display name; export my data as a download.
    page.get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings/?$"))
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    # The page's data has arrived (the fields are filled from the server) before anything is typed.
    email_section = page.get_by_role("region", name="Email address")
    expect(email_section.get_by_text("Confirmed", exact=True)).to_be_visible()
    profile = page.get_by_role("region", name="Profile and digest times")
    profile.get_by_label("Display name").fill("Ada")
    profile.get_by_label("Time zone").select_option("Europe/Berlin")
    expect(profile.get_by_label("Display name")).to_have_value("Ada")
    profile.get_by_role("button", name="Save settings").click()
    expect(profile.get_by_text("Saved.")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export my data").click()
    download = download_info.value
    assert download.suggested_filename.startswith("jobwatch-export-")
    exported = json.loads(Path(download.path()).read_text())
    assert exported["account"]["email"] == email and exported["account"]["display_name"] == "Ada"
    assert exported["account"]["timezone"] == "Europe/Berlin"
    browser.shot(page, "settings")

    # A second tab of the same browser is signed in from the cookie.
    tab2 = context.new_page()
    tab2.goto(f"{server.url}/settings")
    expect(tab2.get_by_role("heading", name="Settings")).to_be_visible()
    tab2_profile = tab2.get_by_role("region", name="Profile and digest times")
    expect(tab2_profile.get_by_label("Display name")).to_have_value("Ada")
    tab2.goto(f"{server.url}/alerts/new")
    expect(tab2.get_by_role("button", name="Save alert")).to_be_visible()

    # Log out in the first tab.
    page.bring_to_front()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))

    # The second tab still shows the builder, but its next action is refused on the server (B24).
    tab2.bring_to_front()
    tab2.get_by_label("Name").fill("python")
    tab2.get_by_role("button", name="Save alert").click()
    expect(tab2).to_have_url(re.compile(r"/login/?$"))
    expect(tab2.get_by_role("button", name="Log in")).to_be_visible()
    browser.shot(tab2, "second-tab-after-logout")
    with Session(server.engine) as s:
        assert s.exec(select(JobAlert)).all() == []
    tab2.goto(f"{server.url}/settings")
    expect(tab2).to_have_url(re.compile(r"/login/?$"))
    tab2.close()

    # Forgot password: the reset link from the outbox, a new password, then log in with it.
    page.get_by_role("link", name="Forgot password?").click()
    expect(page).to_have_url(re.compile(r"/forgot-password/?$"))
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_text(f"If an account uses {email}, we have sent it a link")).to_be_visible()
    browser.shot(page, "forgot-password")
    page.goto(_mail_link(server, email, "Set a new jobwatch password", "/reset-password"))
    page.get_by_label("New password").fill(new_password)
    browser.shot(page, "reset-password")
    page.get_by_role("button", name="Set password").click()
    expect(page).to_have_url(re.compile(r"/login\?done=reset$"))
    expect(page.get_by_text("Your new password is set")).to_be_visible()

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Invalid email or password.")).to_be_visible()
    page.get_by_label("Password").fill(new_password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/alerts/?$"))
    expect(page.get_by_text("Ada").or_(page.get_by_text(email)).first).to_be_visible()
    browser.shot(page, "logged-in-after-reset")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
