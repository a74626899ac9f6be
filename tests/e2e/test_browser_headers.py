"""The production build under jobwatch's security headers, in headless Chromium.

The Content-Security-Policy must be strict enough to matter and loose enough for Reflex's compiled frontend:
the pages load, the websocket connects and an event round trip works with no CSP violation and no console
error. Also checks that the headers reach the compiled pages and static files, not only jobwatch's own routes.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator

import pytest

from tests.e2e.serving import (
    CHROMIUM,
    CHROMIUM_ARGS,
    STARTUP_TIMEOUT_SECONDS,
    UI_TIMEOUT_MS,
    Server,
    needs_chromium,
    serve,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(STARTUP_TIMEOUT_SECONDS + 120), needs_chromium]

#: Collects CSP violations in the page before any of its scripts run.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`jobwatch serve` with a fresh data folder (see `tests/e2e/serving.py`)."""
    with serve(tmp_path_factory.mktemp("serve-headers")) as running:
        yield running


def _headers(url: str) -> dict[str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return {k.lower(): v for k, v in response.headers.items()}


def test_compiled_pages_and_assets_carry_the_headers(server: Server) -> None:
    page = _headers(f"{server.url}/login/")
    assert "frame-ancestors 'none'" in page["content-security-policy"]
    assert page["x-frame-options"] == "DENY"
    assert page["x-content-type-options"] == "nosniff"
    assert re.fullmatch(r"[0-9a-f]{32}", page["x-request-id"])
    html = urllib.request.urlopen(f"{server.url}/login/", timeout=10).read().decode()
    asset = re.search(r'/assets/[^"]+\.js', html)
    assert asset, "no script asset in the login page"
    assert _headers(f"{server.url}{asset.group(0)}")["x-content-type-options"] == "nosniff"


def test_pages_run_under_the_policy_without_violations(server: Server) -> None:
    from playwright.sync_api import ConsoleMessage, expect, sync_playwright

    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.add_init_script(RECORD_VIOLATIONS)
            page.on("console", on_console)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            response = page.goto(f"{server.url}/login")
            assert response is not None
            assert "content-security-policy" in {k.lower() for k in response.all_headers()}
            # A websocket round trip: a wrong password comes back as the generic message.
            page.get_by_label("Email").fill("nobody@example.test")
            page.get_by_label("Password").fill("not the password")
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_text(re.compile("invalid email or password", re.IGNORECASE))).to_be_visible(
                timeout=UI_TIMEOUT_MS
            )
            page.goto(f"{server.url}/register")
            expect(page.get_by_role("button", name="Create account")).to_be_visible()
            violations = page.evaluate("window.__cspViolations")
        finally:
            browser.close()
    assert violations == []
    assert not problems, "\n".join(problems)
