"""Board discovery: a careers URL -> a board token, from its shape, the page's ATS links, or its JSON-LD.

Pages are served by an `httpx.MockTransport` behind the guarded client, names resolve through a stub
(every `*.test` name to a public address), so nothing touches the network.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from jobwatch.errors import BadInput
from jobwatch.scrapers.base import UnsafeURL, UpstreamError
from jobwatch.scrapers.boards import BoardRef
from jobwatch.scrapers.discovery import discover_board, find_ats_board, robots_allows
from jobwatch.scrapers.guard import make_guarded_client
from jobwatch.scrapers.http import USER_AGENT

Page = httpx.Response | Callable[[httpx.Request], httpx.Response]


def resolver(host: str) -> list[str]:
    if host.endswith(".test") or host.endswith(".co") or host.endswith(".io"):
        return ["93.184.216.34"]
    raise OSError(f"unknown name {host}")


class Site:
    """Pages by `host + path`; a path not listed answers 404. Records what was asked for."""

    def __init__(self, pages: dict[str, Page]) -> None:
        self.pages = pages
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        # The guard pins the URL to the IP; the name is in the Host header.
        where = f"{request.headers['Host']}{request.url.path}"
        self.asked.append(where)
        page = self.pages.get(where)
        if page is None:
            return httpx.Response(404, text="not found")
        return page(request) if callable(page) else page

    def client(self) -> httpx.Client:
        return make_guarded_client(resolver=resolver, transport=httpx.MockTransport(self))


def html(body: str, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, text=f"<!doctype html><html><body>{body}</body></html>", headers={"Content-Type": "text/html"}
    )


def ref(key: str) -> BoardRef:
    source, token = key.split(":", 1)
    return BoardRef(source=source, token=token)


# --- URL shapes: no network ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://boards.greenhouse.io/acme", "greenhouse:acme"),
        ("https://boards.greenhouse.io/embed/job_board?for=acme", "greenhouse:acme"),
        ("https://job-boards.greenhouse.io/acme/jobs/4012345", "greenhouse:acme"),
        ("https://jobs.lever.co/acme/5f1c2d3e-aaaa-bbbb-cccc-000000000000", "lever:acme"),
        ("https://jobs.eu.lever.co/acme", "lever-eu:acme"),
        ("https://jobs.ashbyhq.com/Acme", "ashby:Acme"),
        ("https://acme.wd5.myworkdayjobs.com/en-US/External/job/Berlin/Engineer_R1", "workday:acme.wd5/External"),
        ("https://jobs.smartrecruiters.com/Acme1", "smartrecruiters:Acme1"),
        ("https://apply.workable.com/acme/", "workable:acme"),
        ("https://acme.recruitee.com/o/engineer", "recruitee:acme"),
        ("https://acme.jobs.personio.de/", "personio:acme"),
        ("boards.greenhouse.io/acme", "greenhouse:acme"),
    ],
)
def test_known_ats_urls_are_read_without_network(url: str, key: str) -> None:
    def no_network(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"network used for {request.url}")

    with make_guarded_client(resolver=resolver, transport=httpx.MockTransport(no_network)) as client:
        assert discover_board(url, client=client) == ref(key)


# --- pages -----------------------------------------------------------------------------------------------

EMBEDDED_GREENHOUSE = """
<h1>Careers at Acme</h1>
<div id="grnhse_app"></div>
<script src="https://boards.greenhouse.io/embed/job_board/js?for=acme"></script>
<a href="https://job-boards.greenhouse.io/acme/jobs/4012345">Staff Engineer</a>
<a href="https://jobs.lever.co/partnerco/123">A partner's opening</a>
<a href="https://www.greenhouse.io/">Powered by Greenhouse</a>
<a href="mailto:jobs@acme.test">Write to us</a>
<a href="javascript:void(0)">Menu</a>
"""


def test_a_page_with_an_embedded_greenhouse_board() -> None:
    site = Site({"acme.test/careers": html(EMBEDDED_GREENHOUSE)})
    with site.client() as client:
        assert discover_board("https://acme.test/careers", client=client) == ref("greenhouse:acme")
    assert site.asked == ["acme.test/robots.txt", "acme.test/careers"]


def test_the_most_linked_board_wins_and_relative_and_iframe_links_count() -> None:
    page = """
    <a href="https://jobs.lever.co/partnerco">partner</a>
    <iframe data-src="//jobs.lever.co/acme?embed=true"></iframe>
    <a href="https://jobs.lever.co/acme/1">one</a>
    <a href="/jobs">our jobs</a>
    """
    site = Site({"acme.test/careers/": html(page)})
    with site.client() as client:
        assert discover_board("https://acme.test/careers/", client=client) == ref("lever:acme")


def test_a_board_configured_in_an_inline_script() -> None:
    page = """<script>
      var Grnhse = {Settings: {boardURI: "https:\\/\\/boards.greenhouse.io\\/embed\\/job_board?for=beta"}};
    </script>"""
    site = Site({"beta.test/jobs": html(page)})
    with site.client() as client:
        assert discover_board("https://beta.test/jobs", client=client) == ref("greenhouse:beta")


def test_a_page_that_redirects_to_its_board() -> None:
    site = Site(
        {
            "acme.test/careers": httpx.Response(302, headers={"Location": "https://jobs.lever.co/acme"}),
            "jobs.lever.co/acme": html("<h1>Acme jobs</h1>"),
        }
    )
    with site.client() as client:
        assert discover_board("https://acme.test/careers", client=client) == ref("lever:acme")


JSONLD_PAGE = """
<h1>Backend Engineer</h1>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "JobPosting", "title": "Backend Engineer",
 "identifier": {"@type": "PropertyValue", "value": "BE-1"},
 "hiringOrganization": {"@type": "Organization", "name": "Acme"},
 "datePosted": "2026-01-05",
 "jobLocation": {"@type": "Place", "address": {"addressLocality": "Berlin", "addressCountry": "DE"}}}
</script>
"""


def test_a_page_with_json_ld_becomes_a_jsonld_board_of_its_final_url() -> None:
    site = Site(
        {
            "acme.test/jobs/backend": httpx.Response(301, headers={"Location": "https://acme.test/jobs/backend/"}),
            "acme.test/jobs/backend/": html(JSONLD_PAGE),
        }
    )
    with site.client() as client:
        found = discover_board("http://acme.test/jobs/backend#apply", client=client)
    assert found == ref("jsonld:https://acme.test/jobs/backend/")


def test_a_page_without_any_board_gives_none() -> None:
    site = Site({"acme.test/about": html("<p>We are Acme. <a href='/team'>Team</a></p>")})
    with site.client() as client:
        assert discover_board("https://acme.test/about", client=client) is None
    empty = Site({"acme.test/about": httpx.Response(200, content=b"")})
    with empty.client() as client:
        assert discover_board("https://acme.test/about", client=client) is None


# --- robots.txt ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "robots",
    [
        "User-agent: *\nDisallow: /careers\n",
        "User-agent: *\nAllow: /\n\nUser-agent: jobwatch\nDisallow: /\n",  # our product name is singled out
    ],
)
def test_robots_txt_that_disallows_the_page_is_honoured(robots: str) -> None:
    site = Site(
        {
            "acme.test/robots.txt": httpx.Response(200, text=robots, headers={"Content-Type": "text/plain"}),
            "acme.test/careers": html(EMBEDDED_GREENHOUSE),
        }
    )
    with (
        site.client() as client,
        pytest.raises(BadInput, match=re.escape("robots.txt of acme.test asks robots not to read")),
    ):
        discover_board("https://acme.test/careers", client=client)
    assert site.asked == ["acme.test/robots.txt"]  # the page itself was never read


def test_robots_txt_rules_for_other_robots_do_not_apply() -> None:
    robots = "User-agent: BadBot\nDisallow: /\n\nUser-agent: *\nDisallow: /private\n"
    site = Site(
        {
            "acme.test/robots.txt": httpx.Response(200, text=robots),
            "acme.test/careers": html(EMBEDDED_GREENHOUSE),
        }
    )
    with site.client() as client:
        assert discover_board("https://acme.test/careers", client=client) == ref("greenhouse:acme")
        assert robots_allows(client, "https://acme.test/private/x") is False
        assert robots_allows(client, "https://acme.test/careers", user_agent="BadBot/2.0") is False
    assert client.headers["User-Agent"] == USER_AGENT


def test_robots_txt_follows_rfc_9309_for_errors() -> None:
    forbidden = Site({"acme.test/robots.txt": httpx.Response(403), "acme.test/careers": html(EMBEDDED_GREENHOUSE)})
    with forbidden.client() as client:  # 4xx: there are no rules
        assert discover_board("https://acme.test/careers", client=client) == ref("greenhouse:acme")
    broken = Site({"acme.test/robots.txt": httpx.Response(503), "acme.test/careers": html(EMBEDDED_GREENHOUSE)})
    with broken.client() as client:  # unreadable: treated as "keep out"
        with pytest.raises(UpstreamError, match=re.escape("robots.txt of acme.test could not be read")):
            robots_allows(client, "https://acme.test/careers")
        with pytest.raises(BadInput, match=re.escape("could not read https://acme.test/careers: robots.txt")):
            discover_board("https://acme.test/careers", client=client)
    assert "acme.test/careers" not in broken.asked


# --- failures --------------------------------------------------------------------------------------------


def test_an_unreachable_page_is_a_clear_error() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        make_guarded_client(resolver=resolver, transport=httpx.MockTransport(down)) as client,
        pytest.raises(BadInput, match=re.escape("could not read https://acme.test/careers")) as caught,
    ):
        discover_board("https://acme.test/careers", client=client)
    assert "connection refused" in str(caught.value)


def test_a_missing_page_and_an_unknown_name_are_clear_errors() -> None:
    site = Site({})
    with site.client() as client:
        with pytest.raises(BadInput, match=re.escape("could not read https://acme.test/careers: HTTP 404")):
            discover_board("https://acme.test/careers", client=client)
        with pytest.raises(BadInput, match=re.escape("cannot resolve nowhere.example")):
            discover_board("https://nowhere.example/careers", client=client)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.1/careers", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://0177.0.0.1/careers", "0177.0.0.1 means 127.0.0.1, a loopback address"),
        ("http://[::1]:8000/", "::1 is a loopback address"),
    ],
)
def test_an_unsafe_url_is_refused_with_the_reason(url: str, reason: str) -> None:
    site = Site({})
    with site.client() as client, pytest.raises(BadInput) as caught:
        discover_board(url, client=client)
    assert str(caught.value).startswith(f"cannot read {url}: refused: ")
    assert reason in str(caught.value)
    assert isinstance(caught.value.__cause__, UnsafeURL)
    assert site.asked == []


def test_a_page_redirecting_to_a_private_address_is_refused() -> None:
    site = Site({"acme.test/careers": httpx.Response(302, headers={"Location": "http://127.0.0.1:6379/"})})
    with site.client() as client, pytest.raises(BadInput, match=re.escape("refused: 127.0.0.1 is a loopback address")):
        discover_board("https://acme.test/careers", client=client)


# --- find_ats_board --------------------------------------------------------------------------------------


def test_find_ats_board_ties_go_to_the_first_seen() -> None:
    page = '<a href="https://jobs.ashbyhq.com/First">a</a><a href="https://apply.workable.com/second/">b</a>'
    assert find_ats_board(page) == ref("ashby:First")
    assert find_ats_board("<p>no links</p>") is None
    assert find_ats_board("") is None
