"""The UI features in headless Chromium against `jobwatch serve`: the jobs search with facets and "Save this
search as an alert", the builder's chips (Enter adds one without submitting), editing, duplicating and
deleting (with confirmation) alerts, the inbox's views and alert filter, a posting's page with a closed
posting marked, another user's alert id refused, keyboard navigation, and the styled 404 page.

Data is written straight into the server's SQLite database (boards, postings, a notification) so that no
scrape is needed. Any browser console error fails the test; screenshots go to `test-artifacts/screenshots/`.
Waits are on exact page conditions (Playwright's `expect`), never sleeps.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobwatch.core.postings import Location
from jobwatch.db import make_engine
from jobwatch.models import AlertMatch, Board, JobAlert, JobPosting, Notification, ScrapeRun, User, utcnow
from jobwatch.storage import ingest_postings
from tests.e2e.serving import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    STARTUP_TIMEOUT_SECONDS,
    UI_TIMEOUT_MS,
    Server,
    needs_chromium,
    serve,
)
from tests.factories import make_posting

pytestmark = [pytest.mark.browser, pytest.mark.timeout(STARTUP_TIMEOUT_SECONDS + 240), needs_chromium]
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`jobwatch serve` with a fresh data folder (see `tests/e2e/serving.py`)."""
    with serve(tmp_path_factory.mktemp("serve-ui")) as running:
        yield running


def _seed_postings(engine: Engine) -> dict[str, int]:
    now = utcnow()
    berlin = Location(raw="Berlin, Germany", city="Berlin", country="DE")
    paris = Location(raw="Paris, France", city="Paris", country="FR")
    with Session(engine) as s:
        board = Board(key="greenhouse:acme", ats="greenhouse", token="acme", name="Acme")
        s.add(board)
        s.flush()
        postings = [
            make_posting(
                title="Python Engineer",
                company="Acme",
                workplace="remote",
                employment_type="full_time",
                department="Engineering",
                locations=[berlin],
                posted_at=now - timedelta(hours=3),
                description_html="<p>Build <strong>APIs</strong>.</p><script>alert(1)</script>",
                description_text="Build APIs.",
            ),
            make_posting(
                title="Data Analyst",
                company="Acme",
                workplace="hybrid",
                employment_type="full_time",
                department="Data",
                locations=[paris],
                posted_at=now - timedelta(days=3),
            ),
            make_posting(
                title="Python Intern",
                company="Acme",
                workplace="onsite",
                employment_type="internship",
                department="Engineering",
                locations=[paris],
                posted_at=now - timedelta(days=20),
            ),
        ]
        ingest_postings(session=s, board=board, complete=True, postings=postings)
        s.commit()
        return {p.title: p.id or 0 for p in s.exec(select(JobPosting)).all()}


def _user_id(engine: Engine, email: str) -> int:
    with Session(engine) as s:
        user = s.exec(select(User).where(User.email == email)).one()
        user.email_verified_at = utcnow()  # a sample digest goes only to a confirmed address
        s.add(user)
        s.commit()
        return user.id or 0


def test_jobs_builder_alerts_inbox_posting_and_404(server: Server) -> None:
    from playwright.sync_api import ConsoleMessage, expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{server.database}")
    ids = _seed_postings(engine)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The one expected entry: Chromium logs the 404 status of the unknown address we open on purpose
        # (the server answers 404 with the styled page, as it should).
        expected_404 = message.location.get("url", "").endswith("/no-such-page") and "404" in message.text
        if message.type == "error" and not expected_404:
            problems.append(f"console error: {message.text} ({message.location})")

    email = f"ui-{secrets.token_hex(4)}@example.test"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(server.log.parent / "chromium-profile-ui"),
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

            # The styled 404 page, before signing in.
            page.goto(f"{server.url}/no-such-page")
            expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "ui-01-not-found.png", full_page=True)

            page.goto(f"{server.url}/register")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Create account").click()
            expect(page.get_by_text("We sent a message to")).to_be_visible()
            server.wait_for_user(email)
            user_id = _user_id(engine, email)
            page.goto(f"{server.url}/login")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page).to_have_url(re.compile(r"/alerts/?$"))

            # Keyboard: the first Tab reaches "Skip to content", which jumps to the page's content.
            expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
            page.goto(f"{server.url}/alerts")  # a fresh load: the focus starts at the document
            expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
            page.keyboard.press("Tab")
            expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
            page.keyboard.press("Enter")
            expect(page.locator("main#main")).to_be_focused()

            # Boards: adding one says what was detected; "Scrape now" follows the queued task in its row (no
            # worker runs here: the test plays the worker's part by writing the run the task would write).
            page.get_by_role("link", name="Boards", exact=True).click()
            page.get_by_label("Board").fill("lever:globex")
            page.get_by_role("button", name="Add board").click()
            expect(page.get_by_text("Now watching lever:globex.")).to_be_visible()
            expect(page.get_by_text("Detected: Lever board “globex”.")).to_be_visible()
            row = page.get_by_role("row").filter(has_text="greenhouse:acme")
            row.get_by_role("button", name="Scrape now").click()
            expect(page.get_by_text("Scrape of greenhouse:acme queued.")).to_be_visible()
            expect(row).to_contain_text("Queued")
            with Session(engine) as s:
                board_id = s.exec(select(Board.id).where(Board.key == "greenhouse:acme")).one()
                run = ScrapeRun(board_id=board_id or 0, status="running")
                s.add(run)
                s.commit()
                run_id = run.id
            expect(row).to_contain_text("Running…")
            with Session(engine) as s:
                done = s.get_one(ScrapeRun, run_id)
                done.status, done.new_count, done.finished_at = "ok", 3, utcnow()
                s.add(done)
                s.commit()
            expect(row).to_contain_text("Done: 3 new, 0 updated, 0 closed")
            page.screenshot(path=SCREENSHOTS / "ui-02-boards-progress.png", full_page=True)

            # The jobs search: facets counted by the database narrow the results; the search becomes an alert.
            page.get_by_role("link", name="Jobs", exact=True).click()
            expect(page).to_have_url(re.compile(r"/jobs/?$"))
            expect(page.get_by_text("3 open jobs")).to_be_visible()
            expect(page.get_by_role("link", name="Jobs", exact=True)).to_have_attribute("aria-current", "page")
            expect(page.get_by_role("link", name="Alerts", exact=True)).to_have_attribute("aria-current", "false")
            filters = page.get_by_role("complementary", name="Filters")
            expect(filters.get_by_text("France")).to_be_visible()
            # Controlled check boxes: they change when the server answered, so click and wait for that.
            filters.get_by_label(re.compile("^Germany")).click()
            expect(page.get_by_text("1 open job", exact=True)).to_be_visible()
            expect(filters.get_by_label(re.compile("^Germany"))).to_be_checked()
            filters.get_by_label(re.compile("^Germany")).click()
            expect(page.get_by_text("3 open jobs")).to_be_visible()
            page.get_by_label("Search jobs").fill("python")
            page.get_by_role("button", name="Search", exact=True).click()
            expect(page.get_by_text("2 open jobs matching “python”")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "ui-02b-jobs.png", full_page=True)
            page.get_by_role("button", name="Save this search as an alert").click()
            expect(page).to_have_url(re.compile(r"/alerts/new\?filters="))
            preview = page.get_by_role("region", name="Preview")
            expect(preview).to_contain_text("2 matching open jobs")
            expect(page.get_by_role("button", name="Remove python")).to_be_visible()

            # Chips: Enter adds the typed company without submitting the form; the preview follows.
            companies = page.get_by_label("Companies")
            companies.fill("Acme")
            companies.press("Enter")
            expect(page.get_by_role("button", name="Remove Acme")).to_be_visible()
            expect(companies).to_have_value("")
            expect(page).to_have_url(re.compile(r"/alerts/new"))
            types = page.get_by_label("Employment types", exact=True)
            types.press_sequentially("internship")
            types.press("Enter")
            expect(page.get_by_role("button", name="Remove internship")).to_be_visible()
            expect(types).to_be_focused()  # Enter keeps the focus in the field for the next value
            expect(preview).to_contain_text("1 matching open job")
            page.get_by_role("button", name="Remove python").click()
            expect(page.get_by_role("button", name="Remove python")).to_have_count(0)
            expect(page.get_by_label("Keywords", exact=True)).to_be_focused()  # not lost with the chip
            expect(preview).to_contain_text("1 matching open job")
            page.get_by_label("Name").fill("Acme interns")
            page.get_by_role("button", name="Send me a sample digest now").click()
            expect(page.get_by_text(f"Sample digest with 1 job sent to {email}.")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "ui-03-builder-chips.png", full_page=True)
            page.get_by_role("button", name="Save alert").click()
            expect(page).to_have_url(re.compile(r"/alerts/?$"))
            expect(page.get_by_text("Companies: Acme · Employment types: internship")).to_be_visible()
            expect(page.get_by_text("Last notified: never")).to_be_visible()

            # Duplicate opens the copy in the builder; edit and save it.
            page.get_by_role("button", name="Duplicate Acme interns").click()
            expect(page).to_have_url(re.compile(r"/alerts/\d+/?$"))
            expect(page.get_by_role("heading", name="Edit alert")).to_be_visible()
            expect(page.get_by_label("Name")).to_have_value("Copy of Acme interns")
            expect(page.get_by_role("button", name="Remove Acme")).to_be_visible()
            page.get_by_label("Name").fill("Paris jobs")
            page.get_by_label("Locations").fill("Paris")
            page.get_by_label("Locations").press("Enter")
            expect(page.get_by_role("button", name="Remove Paris")).to_be_visible()
            page.get_by_role("button", name="Save alert").click()
            expect(page).to_have_url(re.compile(r"/alerts/?$"))
            expect(page.get_by_role("link", name="Paris jobs", exact=True)).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "ui-04-alerts.png", full_page=True)

            # Delete asks first; "Keep it" keeps the alert, "Delete alert" removes it.
            page.get_by_role("button", name="Delete alert Paris jobs").click()
            dialog = page.get_by_role("alertdialog")
            expect(dialog).to_contain_text("Delete this alert?")
            page.screenshot(path=SCREENSHOTS / "ui-05-delete-confirm.png", full_page=True)
            dialog.get_by_role("button", name="Keep it").click()
            expect(page.get_by_role("link", name="Paris jobs", exact=True)).to_be_visible()
            page.get_by_role("button", name="Delete alert Paris jobs").click()
            page.get_by_role("alertdialog").get_by_role("button", name="Delete alert").click()
            expect(page.get_by_role("link", name="Paris jobs", exact=True)).to_have_count(0)
            expect(page.get_by_role("link", name="Acme interns", exact=True)).to_be_visible()

            # Another user's alert id shows nothing of it.
            with Session(engine) as s:
                other = User(email=f"other-{secrets.token_hex(3)}@example.test", password_hash="!")
                s.add(other)
                s.flush()
                foreign = JobAlert(user_id=other.id or 0, name="Someone else's secret", filters={"keywords": ["x"]})
                s.add(foreign)
                mine = s.exec(select(JobAlert).where(JobAlert.user_id == user_id)).one()
                # The inbox: one notification of the user's alert, for a posting that has since closed.
                closed = s.get_one(JobPosting, ids["Python Intern"])
                closed.closed_at = utcnow()
                s.add(closed)
                s.add(AlertMatch(alert_id=mine.id or 0, posting_id=closed.id or 0))
                s.add(Notification(user_id=user_id, posting_id=closed.id or 0, alert_ids=[mine.id]))
                s.commit()
                foreign_id = foreign.id
            page.goto(f"{server.url}/alerts/{foreign_id}")
            expect(page.get_by_text("There is no such alert among yours.")).to_be_visible()
            expect(page.get_by_text("Someone else's secret")).to_have_count(0)

            page.get_by_role("link", name=re.compile(r"^Inbox")).click()
            expect(page.get_by_text("1 unread notification")).to_be_visible()
            card = page.get_by_text("Matched Acme interns", exact=False)
            expect(card).to_be_visible()
            expect(page.get_by_text("Closed", exact=True)).to_be_visible()
            page.get_by_label("Alert", exact=True).select_option(label="Acme interns")
            expect(page.get_by_role("link", name="Python Intern")).to_be_visible()
            page.get_by_role("button", name="Save: Python Intern").click()
            page.get_by_role("button", name="Saved", exact=True).click()
            expect(page.get_by_role("button", name="Saved", exact=True)).to_have_attribute("aria-pressed", "true")
            expect(page.get_by_role("link", name="Python Intern")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "ui-06-inbox-saved.png", full_page=True)

            # Opening the posting reads it; its page says it closed; the description lost its script.
            page.get_by_role("link", name="Python Intern").click()
            expect(page).to_have_url(re.compile(rf"/jobs/{ids['Python Intern']}/?$"))
            expect(page.get_by_role("heading", name="Python Intern")).to_be_visible()
            expect(page.get_by_text(re.compile("^Closed: the board stopped listing this job"))).to_be_visible()
            page.goto(f"{server.url}/jobs/{ids['Python Engineer']}")
            expect(page.get_by_role("heading", name="Python Engineer")).to_be_visible()
            expect(page.locator(".posting-description strong")).to_have_text("APIs")
            assert page.locator(".posting-description script").count() == 0
            expect(page.get_by_role("link", name="Apply")).to_have_attribute("href", re.compile("^https://"))
            page.screenshot(path=SCREENSHOTS / "ui-07-posting.png", full_page=True)
            page.goto(f"{server.url}/jobs/999999")
            expect(page.get_by_text("There is no such job.")).to_be_visible()

            # A phone in dark mode: the navigation wraps, Log out stays in reach.
            page.set_viewport_size({"width": 390, "height": 844})
            page.emulate_media(color_scheme="dark")
            page.goto(f"{server.url}/jobs")
            expect(page.get_by_role("button", name="Log out")).to_be_visible()
            # The tab keeps its last search; the intern posting has closed since.
            expect(page.get_by_text("1 open job matching “python”")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "ui-08-jobs-phone-dark.png", full_page=True)
        finally:
            context.close()
            engine.dispose()

    assert not problems, "\n".join(problems)
