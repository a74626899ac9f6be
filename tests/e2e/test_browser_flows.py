"""The main user flow in headless Chromium against the real stack: `jobwatch serve` (production build), a
`jobwatch worker` consuming the task queue, and a loopback server replaying a Greenhouse board.

One person, start to finish: register and confirm the address through the link in the local outbox; log in;
add `greenhouse:acme` and scrape it with "Scrape now" (the worker runs the task; the first scrape is the
board's baseline); build an alert while the live preview answers each change (count and rows); the board
publishes two more postings and a second scrape brings the one that fits into the inbox; `jobwatch notify`
sends the instant digest to the outbox, read on `/emails`; the digest's `Unsubscribe from “Engineers”` link
opens a confirmation page (its GET changes nothing) whose `Unsubscribe` button turns the alert's email off.

Labels and buttons are CONTRACT section 4's, found by accessible name. Every wait is on a condition
(Playwright's auto-waiting `expect`, or polling the server's database until a task has done its work); any
browser console error or page error fails the test (the `browser` fixture, `tests/e2e/conftest.py`), and a
screenshot of every page visited is saved to `test-artifacts/test_register_scrape_alert_inbox_digest_unsubscribe/`.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobwatch.db import make_engine
from jobwatch.models import JobAlert, Notification, OutboxMessage, ScrapeRun, User
from jobwatch.services.alert_controls import email_on_ids
from tests.e2e import serving
from tests.e2e.conftest import BrowserSession
from tests.e2e.serving import STARTUP_TIMEOUT_SECONDS, needs_chromium
from tests.loopback import BoardServer, Reply

pytestmark = [pytest.mark.browser, pytest.mark.timeout(STARTUP_TIMEOUT_SECONDS + 180), needs_chromium]

ACME = Path(__file__).resolve().parent.parent / "fixtures" / "greenhouse" / "jobs_acme.json"
BOARD_PATH = "/greenhouse/v1/boards/acme/jobs"
#: Longest wait for work done off the request path (a queued scrape, matching, a message in the outbox).
WORK_TIMEOUT_SECONDS = 45.0

T = TypeVar("T")


@dataclass
class Stack:
    """The served app, the worker beside it, the loopback board server and an engine on the app's database."""

    server: serving.Server
    boards: BoardServer
    engine: Engine

    @property
    def url(self) -> str:
        return self.server.url

    def wait_for(self, what: str, probe: Callable[[Session], T | None]) -> T:
        """Poll `probe` on a fresh session until it returns something; fail after `WORK_TIMEOUT_SECONDS`."""
        deadline = time.monotonic() + WORK_TIMEOUT_SECONDS
        while True:
            with Session(self.engine) as session:
                found = probe(session)
            if found:
                return found
            if time.monotonic() > deadline:
                pytest.fail(f"waited {WORK_TIMEOUT_SECONDS:.0f} s for {what}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Board server, `jobwatch serve` (APP_URL at itself, Greenhouse at the board server) and a worker."""
    with BoardServer() as boards:
        boards.replies[BOARD_PATH] = Reply(200, ACME.read_bytes())
        env = {"GREENHOUSE_API_URL": f"{boards.url}/greenhouse"}
        with (
            serving.serve(tmp_path_factory.mktemp("serve-flows"), set_app_url=True, env=env) as server,
            serving.worker(server),
        ):
            engine = make_engine(f"sqlite:///{server.database}")
            try:
                yield Stack(server, boards, engine)
            finally:
                engine.dispose()


def _board_with_new_postings(titles: list[str]) -> bytes:
    """The acme board a day later: everything it had, plus one new posting per title at the top."""
    data: dict[str, Any] = json.loads(ACME.read_bytes())
    template = data["jobs"][2]
    for n, title in enumerate(titles):
        fresh = copy.deepcopy(template)
        fresh.update(
            id=4010009000 + n,
            internal_job_id=4010008000 + n,
            title=title,
            requisition_id=f"REQ-9{n:03d}",
            absolute_url=f"https://boards.greenhouse.io/acme/jobs/{4010009000 + n}",
            content="&lt;p&gt;Join the team.&lt;/p&gt;",
        )
        data["jobs"].insert(0, fresh)
    data["meta"] = {"total": len(data["jobs"])}
    return json.dumps(data).encode()


def _finished_runs(count: int) -> Callable[[Session], list[ScrapeRun] | None]:
    """A probe for `Stack.wait_for`: the finished scrape runs, once there are at least `count` of them."""

    def probe(session: Session) -> list[ScrapeRun] | None:
        runs = session.exec(select(ScrapeRun).where(col(ScrapeRun.finished_at).is_not(None))).all()
        return list(runs) if len(runs) >= count else None

    return probe


def test_register_scrape_alert_inbox_digest_unsubscribe(stack: Stack, browser: BrowserSession) -> None:
    """Register, board, scrape through the task, alert with a live preview, inbox, digest, one-click unsubscribe."""
    from playwright.sync_api import expect

    email = f"flow-{secrets.token_hex(4)}@example.test"
    password = "correct horse battery"
    page = browser.page(browser.open())

    # Register, then confirm the address with the link from the local outbox (digests go to confirmed ones).
    page.goto(f"{stack.url}/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("We sent a message to")).to_be_visible()
    browser.shot(page, "register")
    confirm = stack.wait_for(
        "the confirmation email",
        lambda s: s.exec(
            select(OutboxMessage).where(
                OutboxMessage.to_email == email, OutboxMessage.subject == "Confirm your email address"
            )
        ).first(),
    )
    link = re.search(rf"{re.escape(stack.url)}/verify-email\?token=[A-Za-z0-9_%-]+", confirm.text)
    assert link, confirm.text
    page.goto(link.group(0))
    expect(page.get_by_text(f"Thank you: {email} is confirmed.")).to_be_visible()
    browser.shot(page, "verify-email")

    # Log in.
    page.get_by_role("link", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/alerts/?$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    browser.shot(page, "alerts-empty")

    # Add the board and scrape it through the task queue (the worker process runs it).
    page.get_by_role("link", name="Boards").click()
    expect(page).to_have_url(re.compile(r"/boards/?$"))
    page.get_by_label("Board").fill("greenhouse:acme")
    page.get_by_role("button", name="Add board").click()
    row = page.get_by_role("row").filter(has_text="greenhouse:acme")
    row.get_by_role("button", name="Scrape now").click()
    (first_run,) = stack.wait_for("the first scrape", _finished_runs(1))
    assert (first_run.status, first_run.new_count) == ("ok", 5), first_run
    assert stack.boards.hits[BOARD_PATH] == 1
    page.reload()
    expect(row.get_by_role("cell", name="5", exact=True)).to_be_visible()  # open postings
    row.get_by_role("link", name="greenhouse:acme").click()
    postings = page.locator("#postings")
    expect(postings.get_by_text("Staff Backend Engineer (Python)")).to_be_visible()
    # A hostile scraped title (field case B16) keeps its text; its markup became nothing.
    expect(postings.get_by_role("link", name="Senior Engineer", exact=True)).to_be_visible()
    assert page.locator('a[href^="https://evil.example"], img[src="x"]').count() == 0
    browser.shot(page, "boards")

    # Build an alert: the preview's count and rows follow each change of the draft.
    page.get_by_role("link", name="Alerts").click()
    page.get_by_role("link", name="New alert").first.click()
    expect(page).to_have_url(re.compile(r"/alerts/new/?$"))
    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Fill in keywords")
    page.get_by_label("Name").fill("Engineers")
    page.get_by_label("Keywords", exact=True).press_sequentially("engineer")
    expect(preview).to_contain_text("2 matching open jobs")
    expect(preview.get_by_role("listitem")).to_have_count(2)
    expect(preview.get_by_text("Staff Backend Engineer (Python)")).to_be_visible()
    expect(preview.get_by_text("Senior Engineer", exact=False)).to_be_visible()
    browser.shot(page, "alerts-new-keywords")
    page.get_by_label("Exclude keywords").press_sequentially("senior")
    expect(preview).to_contain_text("1 matching open job")
    expect(preview.get_by_role("listitem")).to_have_count(1)
    expect(preview.get_by_text("Senior Engineer", exact=False)).to_have_count(0)
    keywords = page.get_by_label("Keywords", exact=True)
    keywords.click()
    keywords.press("End")  # focus alone leaves the caret at the start
    keywords.press_sequentially(", analyst")
    expect(preview).to_contain_text("2 matching open jobs")
    expect(preview.get_by_text("Data Analyst, R&D")).to_be_visible()
    # A salary that is not a number: the preview waits for the field to be fixed.
    page.get_by_label("Minimum salary").fill("lots")
    expect(preview).to_contain_text("Fix the marked field")
    page.get_by_label("Minimum salary").fill("")
    expect(preview).to_contain_text("2 matching open jobs")
    page.get_by_label("Email me").select_option("instant")
    browser.shot(page, "alerts-new-preview")
    page.get_by_role("button", name="Save alert").click()
    expect(page).to_have_url(re.compile(r"/alerts/?$"))
    expect(page.get_by_text("Keywords: engineer, analyst")).to_be_visible()
    browser.shot(page, "alerts")
    with Session(stack.engine) as s:
        user = s.exec(select(User).where(User.email == email)).one()
        alert = s.exec(select(JobAlert).where(JobAlert.user_id == user.id)).one()
        assert alert.frequency == "instant" and alert.id in email_on_ids(session=s, user_id=user.id or 0)

    # The board publishes two postings; the second scrape (again through the task) announces the one that fits.
    stack.boards.replies[BOARD_PATH] = Reply(200, _board_with_new_postings(["Platform Engineer", "Office Manager"]))
    page.get_by_role("link", name="Boards").click()
    expect(page).to_have_url(re.compile(r"/boards/?$"))
    row.get_by_role("button", name="Scrape now").click()
    runs = stack.wait_for("the second scrape", _finished_runs(2))
    assert max(runs, key=lambda r: r.id or 0).new_count == 2
    stack.wait_for(
        "the notification",
        lambda s: s.exec(select(Notification).where(Notification.user_id == user.id)).first(),
    )
    with Session(stack.engine) as s:
        assert len(s.exec(select(Notification).where(Notification.user_id == user.id)).all()) == 1

    # The inbox: the navigation counts it, the card names the posting and the alert.
    inbox_link = page.get_by_role("link", name=re.compile(r"^Inbox"))
    page.reload()  # the navigation's count is read when a page loads
    expect(inbox_link).to_have_text(re.compile(r"^Inbox\s*1$"))
    inbox_link.click()
    expect(page).to_have_url(re.compile(r"/inbox/?$"))
    expect(page.get_by_text("1 unread notification")).to_be_visible()
    expect(page.get_by_role("link", name="Platform Engineer")).to_be_visible()
    expect(page.get_by_text("Office Manager")).to_have_count(0)
    expect(page.get_by_text(re.compile("Matched Engineers"))).to_be_visible()
    browser.shot(page, "inbox")

    # The instant digest goes to the local outbox (`jobwatch notify` is the scheduler tick, run now).
    sent = json.loads(serving.run_cli(stack.server, "notify").strip().splitlines()[-1])
    assert (sent["digests_built"], sent["digests_sent"]) == (1, 1), sent
    page.get_by_role("link", name="Emails").click()
    expect(page).to_have_url(re.compile(r"/emails/?$"))
    frame = page.frame_locator('iframe[title^="Email:"]')
    expect(frame.get_by_text("Platform Engineer")).to_be_visible()
    # One alert in the digest: its footer link names it.
    unsubscribe_url = frame.get_by_role("link", name="Unsubscribe from “Engineers”").get_attribute("href")
    assert unsubscribe_url and unsubscribe_url.startswith(f"{stack.url}/unsubscribe?token="), unsubscribe_url
    browser.shot(page, "emails")

    # One click: the link shows a confirmation (changing nothing); its button unsubscribes.
    page.goto(unsubscribe_url)
    expect(page.get_by_role("heading", name="Unsubscribe from job alert emails?")).to_be_visible()
    expect(page.get_by_text("“Engineers”")).to_be_visible()
    browser.shot(page, "unsubscribe")
    with Session(stack.engine) as s:
        assert alert.id in email_on_ids(session=s, user_id=user.id or 0)
    page.get_by_role("button", name="Unsubscribe", exact=True).click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    browser.shot(page, "unsubscribed")
    with Session(stack.engine) as s:
        assert alert.id not in email_on_ids(session=s, user_id=user.id or 0)
        assert s.get(JobAlert, alert.id).is_active  # type: ignore[union-attr]  # the inbox keeps working
