"""Scrape many boards at once, politely: a thread pool over boards, and at most N requests in flight per host.

`scrape_boards(ids)` runs `services.ingest.scrape_board` for each board on `SCRAPE_WORKERS` threads. Every
request of every board goes through one `HostLimitedTransport`, which holds a slot of its host's semaphore
(`SCRAPE_PER_HOST_LIMIT` slots per `host:port`) from the moment the request is sent until its body has been
read; so forty Greenhouse boards never put more than N requests on `boards-api.greenhouse.io` at once,
however the adapters fan out (Workday and SmartRecruiters read details on their own threads), while boards
on other hosts go ahead. Boards are handed to the pool interleaved by host, so threads are not all queued
behind one busy host while others sit idle.

Clients are shared by all boards of a run (httpx clients are thread-safe, and sharing keeps connections
alive across boards of one host): a plain client for API sources, whose configured `<SOURCE>_API_URL`s are
trusted, and a guarded one (`scrapers.guard`) for `jsonld` boards, whose URLs users typed. Both send the
`SCRAPER_USER_AGENT`.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from jobwatch.config import Settings, get_settings
from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.models import Board
from jobwatch.scrapers.boards import BoardRef, fill_template, parse_board_token
from jobwatch.scrapers.guard import make_guarded_client
from jobwatch.scrapers.http import make_client
from jobwatch.services.ingest import RunSummary, scrape_board


class HostLimits:
    """One semaphore of `limit` slots per host (`host[:port]`, as the `Host` header names it), made on first use.

    `peak` records the most slots ever taken at once per host (for tests and the benchmark). Thread-safe.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a per-host limit is at least 1")
        self.limit = limit
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        self._in_flight: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self.requests = 0

    def acquire(self, host: str) -> Callable[[], None]:
        """Wait for a slot of `host`; returns the function that gives it back (safe to call more than once)."""
        with self._lock:
            semaphore = self._semaphores.get(host)
            if semaphore is None:
                semaphore = self._semaphores[host] = threading.BoundedSemaphore(self.limit)
        semaphore.acquire()
        with self._lock:
            self.requests += 1
            self._in_flight[host] += 1
            self.peak[host] = max(self.peak[host], self._in_flight[host])
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if released:
                    return
                released = True
                self._in_flight[host] -= 1
            semaphore.release()

        return release


class _ReleasingStream(httpx.SyncByteStream):
    """A response body that gives its host slot back once it has been read to the end or closed."""

    def __init__(self, inner: httpx.SyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release = release

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._release()


class HostLimitedTransport(httpx.BaseTransport):
    """A transport that sends through `inner` holding a slot of the request's host in `limits`.

    The host is the request's `Host` header, so behind the guarded client (which rewrites the URL to the
    checked IP address and keeps the name in `Host`) the limit still applies per site name. The slot is held
    until the response body is closed (httpx closes it after reading), or released at once if sending fails.
    """

    def __init__(self, inner: httpx.BaseTransport, limits: HostLimits) -> None:
        self._inner = inner
        self._limits = limits

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.headers.get("Host") or request.url.netloc.decode("ascii")
        release = self._limits.acquire(host.lower())
        try:
            response = self._inner.handle_request(request)
        except BaseException:
            release()
            raise
        stream = response.stream
        assert isinstance(stream, httpx.SyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_ReleasingStream(stream, release),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._inner.close()


@dataclass(slots=True)
class ScrapeManyResult:
    """What `scrape_boards` did: one summary per board (in completion order) and the per-host peak."""

    summaries: list[RunSummary] = field(default_factory=list)
    requests: int = 0
    peak_per_host: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        """How many boards failed."""
        return sum(1 for s in self.summaries if s.status == "failed")


def board_host(ref: BoardRef, settings: Settings) -> str:
    """The `host[:port]` the first request of board `ref` goes to (its filled `<SOURCE>_API_URL`, or for a
    `jsonld` board its own URL); `""` when the template cannot be filled."""
    try:
        url = ref.token if ref.source == "jsonld" else fill_template(settings.api_url(ref.source), ref)
    except (BadInput, KeyError):
        return ""
    return urlsplit(url).netloc.lower()


def interleave_by_host(items: Iterable[tuple[int, str]]) -> list[int]:
    """Board ids reordered round-robin over their hosts: `[(id, host), ...]` -> ids, one host after another,
    each host's boards in their given order (so the busiest host does not fill every worker thread)."""
    queues: dict[str, deque[int]] = {}
    for board_id, host in items:
        queues.setdefault(host, deque()).append(board_id)
    order: list[int] = []
    while queues:
        for host in list(queues):
            queue = queues[host]
            order.append(queue.popleft())
            if not queue:
                del queues[host]
    return order


def scrape_boards(
    board_ids: Sequence[int],
    *,
    engine: Engine | None = None,
    workers: int | None = None,
    per_host: int | None = None,
    transport: httpx.BaseTransport | None = None,
    on_done: Callable[[RunSummary], None] | None = None,
) -> ScrapeManyResult:
    """Scrape `board_ids` on `workers` threads (default `SCRAPE_WORKERS`), at most `per_host` requests per host
    at once (default `SCRAPE_PER_HOST_LIMIT`); returns every run's summary. `on_done` is called with each
    summary as it finishes (from the worker threads). `transport` replaces the network (tests).

    A board's failure is its run's (`scrape_board` never raises for it); unknown ids raise `LookupError`.
    """
    settings = get_settings()
    limits = HostLimits(per_host or settings.scrape_per_host_limit)
    threads = max(1, min(workers or settings.scrape_workers, len(board_ids) or 1))
    with session_scope(engine) as session:
        rows = session.exec(select(Board.id, Board.key).where(col(Board.id).in_(list(board_ids)))).all()
    keys = {board_id: key for board_id, key in rows if board_id is not None}
    missing = [i for i in board_ids if i not in keys]
    if missing:
        raise LookupError(f"no board with id {missing[0]}")
    refs = {board_id: parse_board_token(key) for board_id, key in keys.items()}
    order = interleave_by_host((i, board_host(refs[i], settings)) for i in dict.fromkeys(board_ids))

    # Enough pooled connections that every slot of every host busy at once can keep its connection.
    pool = httpx.Limits(max_connections=None, max_keepalive_connections=max(20, threads * 2))
    plain = make_client(
        transport=HostLimitedTransport(transport or httpx.HTTPTransport(limits=pool), limits),
        user_agent=settings.scraper_user_agent,
    )
    # No keep-alive behind the guard, as `GuardedTransport` itself would have it: a TLS connection made for
    # one name is never reused for another name on the same address.
    unpooled = httpx.Limits(max_keepalive_connections=0)
    guarded = make_guarded_client(
        transport=HostLimitedTransport(transport or httpx.HTTPTransport(limits=unpooled), limits),
        trusted_hosts=settings.jsonld_trusted_hosts,
        user_agent=settings.scraper_user_agent,
    )
    result = ScrapeManyResult()
    lock = threading.Lock()

    def run(board_id: int) -> None:
        client = guarded if refs[board_id].source == "jsonld" else plain
        summary = scrape_board(board_id, engine=engine, client=client)
        with lock:
            result.summaries.append(summary)
        if on_done is not None:
            on_done(summary)

    try:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="jobwatch-scrape") as executor:
            for future in [executor.submit(run, board_id) for board_id in order]:
                future.result()
    finally:
        plain.close()
        guarded.close()
    result.requests = limits.requests
    result.peak_per_host = dict(limits.peak)
    return result
