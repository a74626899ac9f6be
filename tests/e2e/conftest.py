"""The `browser` fixture every browser test uses: headless Chromium that fails the test on any console error.

`browser.open(...)` launches Debian's `/usr/bin/chromium` (never `playwright install`) in a fresh profile; every
page of it, including tabs opened later, is watched: a `console` message of type `error` or an uncaught page
error (`pageerror`) is recorded with the page's URL, and the test fails at teardown listing them all.
`browser.shot(page, "name")` saves a full-page screenshot to `test-artifacts/<test name>/NN-name.png` (NN counts
up through the test); when a test fails, every open page is saved as `NN-failure-...png` before closing, so
the artifacts show where it stopped. `test-artifacts/` is git-ignored; `scripts/test.sh` creates it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from jobwatch.config import PROJECT_DIR
from tests.e2e.serving import CHROMIUM, CHROMIUM_ARGS, UI_TIMEOUT_MS

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright

ARTIFACTS = PROJECT_DIR / "test-artifacts"
#: Console messages with which Reflex reports an error it caught (its frontend, `utils/state.js`).
SWALLOWED_ERRORS = ("_call_script", "_call_function")


def artifact_name(text: str) -> str:
    """`text` as a safe file or folder name (`test_x[sqlite]` -> `test_x-sqlite`, `/alerts/new` -> `alerts-new`)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")
    return name[:120] or "root"


class BrowserSession:
    """Chromium contexts for one test, their console errors and page errors, and numbered screenshots."""

    def __init__(self, playwright: Playwright, profiles: Path, artifacts: Path) -> None:
        self.playwright = playwright
        self.profiles = profiles
        self.artifacts = artifacts
        #: "console error: ... (url)" / "page error: ... (url)", in the order they happened.
        self.problems: list[str] = []
        self.contexts: list[BrowserContext] = []
        self._shots = 0

    def open(self, **options: Any) -> BrowserContext:
        """A new headless Chromium context (own profile folder) whose pages are all watched.

        `options` go to `launch_persistent_context` (default viewport 1280x900); default timeouts are
        `UI_TIMEOUT_MS` for actions and `expect`.
        """
        from playwright.sync_api import expect

        options.setdefault("viewport", {"width": 1280, "height": 900})
        profile = self.profiles / f"profile-{len(self.contexts)}"
        context = self.playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, **options
        )
        self.contexts.append(context)
        context.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        for page in context.pages:
            self.watch(page)
        context.on("page", self.watch)
        return context

    def page(self, context: BrowserContext) -> Page:
        """The context's first page (a persistent context opens with one), watched."""
        return context.pages[0] if context.pages else context.new_page()

    def watch(self, page: Page) -> Page:
        """Record `page`'s console errors and uncaught errors (done for every page of `open()`'s contexts)."""

        def on_console(message: ConsoleMessage) -> None:
            # Reflex logs a failed `rx.call_script` (e.g. an eval the CSP refuses) with console.log, not error.
            if message.type == "error" or message.text.startswith(SWALLOWED_ERRORS):
                self.problems.append(f"console error: {message.text} ({message.location.get('url') or page.url})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error} ({page.url})"))
        return page

    def shot(self, page: Page, name: str | None = None) -> Path:
        """Save a full-page screenshot as `test-artifacts/<test>/NN-<name>.png` (name: the URL's path)."""
        self._shots += 1
        label = artifact_name(name or urlsplit(page.url).path)
        path = self.artifacts / f"{self._shots:02d}-{label}.png"
        self.artifacts.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path, full_page=True)
        return path

    def close(self, *, failed: bool) -> None:
        """Close every context, first saving each open page when the test failed."""
        for context in self.contexts:
            if failed:
                for page in context.pages:
                    try:
                        self.shot(page, f"failure-{urlsplit(page.url).path}")
                    except Exception as exc:  # a crashed page: the failure itself says more
                        self.problems.append(f"(no failure screenshot of {page.url}: {exc})")
            context.close()
        self.contexts.clear()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Remember each phase's report on the test item (`item.rep_call`), for the `browser` fixture's teardown."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def browser(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserSession]:
    """A `BrowserSession` for this test; fails it at teardown on any console or page error of its pages."""
    from playwright.sync_api import sync_playwright

    artifacts = ARTIFACTS / artifact_name(request.node.name)
    shutil.rmtree(artifacts, ignore_errors=True)
    with sync_playwright() as playwright:
        session = BrowserSession(playwright, tmp_path_factory.mktemp("chromium"), artifacts)
        try:
            yield session
        finally:
            report = getattr(request.node, "rep_call", None)
            session.close(failed=report is None or report.failed)
    if session.problems:
        pytest.fail("the browser reported errors:\n" + "\n".join(session.problems), pytrace=False)
