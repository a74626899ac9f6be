"""Adding boards from what users type is held to public addresses; scraping `jsonld` boards is guarded too.

`add_board` runs on both databases (the `session` fixture); names resolve through a stub and pages come
from an `httpx.MockTransport` or a loopback server, so nothing reaches the network.
"""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from jobwatch.config import get_settings
from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.models import Board, Company, ScrapeRun
from jobwatch.scrapers.guard import make_guarded_client
from jobwatch.services.boards import add_board, resolve_board_ref
from jobwatch.services.ingest import scrape_board
from tests.loopback import BoardServer, Reply

NAMES = {"careers.public.test": ["93.184.216.34"], "evil.test": ["10.0.0.1"]}


def resolver(host: str) -> list[str]:
    if host in NAMES:
        return NAMES[host]
    raise OSError(f"unknown name {host}")


def _count(session: Session, model: type[Board] | type[Company]) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"network used for {request.url}")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("jsonld:http://127.0.0.1/", "cannot watch http://127.0.0.1/: refused: 127.0.0.1 is a loopback address"),
        ("jsonld:http://127.0.0.1:6379/", "127.0.0.1 is a loopback address"),
        ("jsonld:http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("jsonld:http://[::ffff:127.0.0.1]/", "IPv4-mapped form of 127.0.0.1"),
        ("jsonld:http://0x7f000001/jobs", "0x7f000001 means 127.0.0.1"),
        ("jsonld:http://evil.test/jobs", "evil.test resolves to 10.0.0.1, a private address"),
        ("jsonld:https://nowhere.test/jobs", "cannot resolve nowhere.test"),
        ("http://10.0.0.1/careers", "cannot read http://10.0.0.1/careers: refused: 10.0.0.1 is a private address"),
        ("http://2130706433/careers", "2130706433 means 127.0.0.1, a loopback address"),
        ("http://evil.test/careers", "evil.test resolves to 10.0.0.1, a private address"),
    ],
)
def test_unsafe_urls_are_refused_and_nothing_is_stored(session: Session, text: str, reason: str) -> None:
    boards, companies = _count(session, Board), _count(session, Company)
    with (
        make_guarded_client(resolver=resolver, transport=httpx.MockTransport(_no_network)) as client,
        pytest.raises(BadInput, match=re.escape(reason)),
    ):
        add_board(session=session, text=text, client=client, resolver=resolver)
    assert (_count(session, Board), _count(session, Company)) == (boards, companies)


def test_the_default_client_is_guarded(session: Session) -> None:
    """Without an injected client the service builds a guarded one; literals need no DNS to be refused."""
    with pytest.raises(BadInput, match=re.escape("refused: 10.0.0.1 is a private address")):
        add_board(session=session, text="http://10.0.0.1/careers")
    with pytest.raises(BadInput, match=re.escape("refused: 127.0.0.1 is a loopback address")):
        add_board(session=session, text="jsonld:http://127.0.0.1/")
    assert session.exec(select(Board)).all() == []


def test_a_public_jsonld_page_is_added(session: Session) -> None:
    board, created = add_board(session=session, text="jsonld:https://careers.public.test/jobs", resolver=resolver)
    assert created
    assert board.key == "jsonld:https://careers.public.test/jobs"


def test_a_careers_page_is_discovered_through_the_guarded_client(session: Session) -> None:
    def site(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "93.184.216.34"  # pinned to the checked address
        if request.url.path == "/careers":
            return httpx.Response(
                200,
                text='<script src="https://boards.greenhouse.io/embed/job_board/js?for=acme"></script>',
                headers={"Content-Type": "text/html"},
            )
        return httpx.Response(404)

    with make_guarded_client(resolver=resolver, transport=httpx.MockTransport(site)) as client:
        board, created = add_board(session=session, text="https://careers.public.test/careers", client=client)
    assert created and board.key == "greenhouse:acme"


def test_a_page_without_a_board_says_so(session: Session) -> None:
    def site(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<p>About us</p>", headers={"Content-Type": "text/html"})

    with (
        make_guarded_client(resolver=resolver, transport=httpx.MockTransport(site)) as client,
        pytest.raises(BadInput, match=re.escape("no job board found at https://careers.public.test/about")),
    ):
        add_board(session=session, text="https://careers.public.test/about", client=client)
    assert session.exec(select(Board)).all() == []


def test_known_board_urls_and_tokens_need_no_network(session: Session) -> None:
    with make_guarded_client(resolver=resolver, transport=httpx.MockTransport(_no_network)) as client:
        assert resolve_board_ref("https://boards.greenhouse.io/acme", client=client).key == "greenhouse:acme"
        board, _ = add_board(session=session, text="lever:acme", client=client)
    assert board.key == "lever:acme"


def test_trusted_hosts_may_be_added(session: Session, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("JSONLD_TRUSTED_HOSTS", "127.0.0.1:8123")
    get_settings.cache_clear()
    board, created = add_board(session=session, text="jsonld:http://127.0.0.1:8123/careers")
    assert created and board.key == "jsonld:http://127.0.0.1:8123/careers"
    with pytest.raises(BadInput, match="loopback"):
        add_board(session=session, text="jsonld:http://127.0.0.1:8124/careers")


# --- scraping jsonld boards ------------------------------------------------------------------------------

JSONLD_PAGE = b"""<!doctype html><html><head><title>Jobs</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "JobPosting", "title": "Backend Engineer",
 "identifier": "BE-1", "hiringOrganization": {"name": "Acme"}, "datePosted": "2026-01-05",
 "url": "/jobs/be-1"}
</script></head><body></body></html>"""


def _store_board(key: str) -> int:
    with session_scope() as s:
        company = Company(name="Acme", slug="acme-guard")
        s.add(company)
        s.flush()
        board = Board(key=key, ats="jsonld", token=key.split(":", 1)[1], company_id=company.id)
        s.add(board)
        s.flush()
        assert board.id is not None
        return board.id


def test_a_stored_loopback_jsonld_board_is_not_fetched_by_the_worker(db: Engine) -> None:
    """A board stored before the guard existed (or by hand) still cannot make the worker fetch loopback."""
    with BoardServer() as server:
        server.replies["/careers"] = Reply(200, JSONLD_PAGE, "text/html")
        board_id = _store_board(f"jsonld:{server.url}/careers")
        summary = scrape_board(board_id)
        assert summary.status == "failed"
        assert summary.error is not None and "refused: 127.0.0.1 is a loopback address" in summary.error
        assert server.hits == {}


def test_a_trusted_loopback_jsonld_board_is_scraped(db: Engine, settings_env: pytest.MonkeyPatch) -> None:
    with BoardServer() as server:
        settings_env.setenv("JSONLD_TRUSTED_HOSTS", server.url.removeprefix("http://"))
        get_settings.cache_clear()
        server.replies["/careers"] = Reply(200, JSONLD_PAGE, "text/html")
        server.replies["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /private\n", "text/plain")
        board_id = _store_board(f"jsonld:{server.url}/careers")
        summary = scrape_board(board_id)
        assert (summary.status, summary.new) == ("ok", 1), summary.error
        assert server.hits == {"/robots.txt": 1, "/careers": 1}

        server.replies["/robots.txt"] = Reply(200, b"User-agent: jobwatch\nDisallow: /careers\n", "text/plain")
        summary = scrape_board(board_id)
        assert summary.status == "failed"
        assert summary.error is not None and "robots.txt" in summary.error and "disallows" in summary.error
        assert server.hits["/careers"] == 1
    with session_scope() as s:
        runs = s.exec(select(ScrapeRun).where(ScrapeRun.board_id == board_id)).all()
        assert [r.status for r in runs] == ["ok", "failed"]
