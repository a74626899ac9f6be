"""Scraping many boards at once: every board once, never more than the per-host limit in flight, the User-Agent.

Requests go to an `httpx.MockTransport` whose handler counts the requests in flight per host. Requests to the
busy host meet at a barrier of the limit's size: that proves the limit is reached (the pool really runs them
side by side) while the count proves it is never passed. No sleeps.
"""

from __future__ import annotations

import threading
from collections import defaultdict

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jobwatch.services.scrape_many import HostLimitedTransport, HostLimits, interleave_by_host, scrape_boards
from tests.factories import make_board

EMPTY = b'{"jobs": [], "meta": {"total": 0}}'


def test_interleave_by_host_takes_hosts_in_turn() -> None:
    items = [(1, "a"), (2, "a"), (3, "a"), (4, "b"), (5, "c"), (6, "b")]
    assert interleave_by_host(items) == [1, 4, 5, 2, 6, 3]


def test_boards_are_scraped_with_at_most_the_per_host_limit_in_flight(
    db: Engine, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv("SCRAPER_USER_AGENT", "jobwatch-test/1 (ops@example.test)")
    limit = 2
    in_flight: dict[str, int] = defaultdict(int)
    peak: dict[str, int] = defaultdict(int)
    agents: set[str] = set()
    lock = threading.Lock()
    meet = threading.Barrier(limit, timeout=30)

    def handle(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        with lock:
            in_flight[host] += 1
            peak[host] = max(peak[host], in_flight[host])
            agents.add(request.headers["User-Agent"])
        try:
            if host == "boards-api.greenhouse.io":
                meet.wait()  # `limit` requests on this host at the same moment, or a BrokenBarrierError
            return httpx.Response(200, content=EMPTY, headers={"Content-Type": "application/json"})
        finally:
            with lock:
                in_flight[host] -= 1

    with Session(db) as s:
        ids = [make_board(s, f"greenhouse:acme{n}").id or 0 for n in range(8)]
        ids += [make_board(s, f"ashby:other{n}").id or 0 for n in range(3)]
        s.commit()
    done: list[str] = []
    result = scrape_boards(
        ids,
        engine=db,
        workers=8,
        per_host=limit,
        transport=httpx.MockTransport(handle),
        on_done=lambda r: done.append(r.board_key),
    )
    assert sorted(s.board_key for s in result.summaries) == sorted(done)
    assert len(result.summaries) == 11 and result.failed == 0
    assert peak["boards-api.greenhouse.io"] == limit
    assert max(peak.values()) <= limit
    assert result.peak_per_host["boards-api.greenhouse.io"] == limit
    assert result.requests == 11
    assert agents == {"jobwatch-test/1 (ops@example.test)"}


def test_the_default_user_agent_names_the_project(db: Engine, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.delenv("SCRAPER_USER_AGENT", raising=False)
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["User-Agent"])
        return httpx.Response(200, content=EMPTY, headers={"Content-Type": "application/json"})

    with Session(db) as s:
        ids = [make_board(s, "greenhouse:acme").id or 0]
        s.commit()
    scrape_boards(ids, engine=db, transport=httpx.MockTransport(handle))
    assert seen == ["jobwatch/0.1 (+https://github.com/jobwatch/jobwatch)"]


def test_a_slot_is_given_back_when_sending_fails() -> None:
    limits = HostLimits(1)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with httpx.Client(transport=HostLimitedTransport(httpx.MockTransport(refuse), limits)) as client:
        for _ in range(3):  # with a leaked slot the second request would wait for ever
            with pytest.raises(httpx.ConnectError):
                client.get("http://a.test/")
    with httpx.Client(transport=HostLimitedTransport(httpx.MockTransport(lambda r: httpx.Response(200)), limits)) as c:
        assert c.get("http://a.test/").status_code == 200
    assert limits.requests == 4 and limits.peak["a.test"] == 1


def test_unknown_board_ids_are_refused(db: Engine) -> None:
    with pytest.raises(LookupError, match="no board with id 999999"):
        scrape_boards([999999], engine=db, transport=httpx.MockTransport(lambda r: httpx.Response(200)))
