"""A digest email as a mail client would show it: rendered in headless Chromium at 600 px (and a phone's 375 px).

The HTML is the real template's output for a digest with hostile scraped text (field case B16) and more
postings than one section shows. The page must load no remote resource (no images, fonts or scripts: every
request is refused and counted), log no console error, fit its width without horizontal scrolling, and link
only to http(s) URLs. Screenshots go to `test-artifacts/<test name>/` for people to look at.

Uses Debian's `/usr/bin/chromium` (never `playwright install`); skipped with a reason when it is missing.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobwatch.core.digests import DigestPosting, build_digest, safe_url
from jobwatch.mail.render import render_digest
from tests.e2e.conftest import BrowserSession
from tests.e2e.serving import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


def _digest_html() -> str:
    hostile = DigestPosting(
        title='<a href="https://evil.example">Senior Engineer</a><img src=x onerror=alert(1)>',
        company="Acme & Co",
        location="Berlin, Germany",
        url=safe_url("javascript:alert(1)"),
        posted_at=datetime(2026, 6, 1, tzinfo=UTC),
        also=("Backend",),
    )
    python = [hostile] + [
        DigestPosting(
            title=f"Staff Python Engineer, Platform Infrastructure and Developer Productivity {n}",
            company="Very Long Company Name Incorporated International",
            location="Remote (Europe); London, United Kingdom; Amsterdam, Netherlands",
            url=f"https://boards.greenhouse.io/acme/jobs/{n}",
            posted_at=None,
        )
        for n in range(12)
    ]
    rust = [DigestPosting(title="Rust Developer", company="Ferris GmbH", location="Hamburg", url=None, posted_at=None)]
    base = "https://jobwatch.example"
    content = build_digest(
        [("Python", python), ("Rust", rust)],
        max_per_alert=10,
        greeting_name="Ada <script>",
        links={"inbox": f"{base}/inbox", "alerts": f"{base}/alerts", "unsubscribe": f"{base}/unsubscribe?token=t"},
        unsubscribe_urls=[f"{base}/unsubscribe?token=p", f"{base}/unsubscribe?token=r"],
    )
    return render_digest(content).html


@pytest.mark.timeout(120)
def test_digest_renders_cleanly_at_600px(browser: BrowserSession) -> None:
    from playwright.sync_api import Route

    html = _digest_html()
    requests: list[str] = []

    def refuse(route: Route) -> None:
        requests.append(route.request.url)
        route.abort()

    context = browser.open()
    for width, name in ((600, "digest-600"), (375, "digest-375-phone")):
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 900})
        page.route("**/*", refuse)
        page.set_content(html, wait_until="load")
        browser.shot(page, name)

        assert page.evaluate("document.documentElement.scrollWidth") <= width
        card = page.locator("table[role=presentation] table[role=presentation]").first
        assert card.bounding_box() is not None and card.bounding_box()["width"] <= 600  # type: ignore[index]
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs), hrefs
        # B16: the hostile title is text; no element came from it.
        assert page.locator("img").count() == 0 and page.locator("script").count() == 0
        assert page.get_by_text('<a href="https://evil.example">Senior Engineer</a>', exact=False).count() == 1
        assert page.get_by_text("Acme & Co").count() == 1
        assert page.get_by_role("link", name="and 3 more in your inbox").count() == 1
        assert page.get_by_role("link", name="Stop emails for this alert").count() == 2
        page.close()

    assert requests == [], f"the digest loaded remote resources: {requests}"
