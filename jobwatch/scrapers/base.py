"""What every source adapter is: the `Adapter` protocol, its `FetchResult` and its errors.

An adapter (`scrapers/greenhouse.py`, `lever.py`, ...) turns one job board's public API response into
normalized `Posting` objects (CONTRACT section 2). It has two entry points:

- `parse(body, *, board, fetched_at)`: bytes of one saved response -> postings. No network. Backs
  `jobwatch parse`; malformed input raises `ParseError`, a `BadInput` (CLI exit code 2).
- `fetch(client, ref, *, api_url, fetched_at, sleep)`: reads the whole board over HTTP with the
  client it is given -> `FetchResult`. Failures raise a `ScrapeError`.

Errors of this package::

    JobwatchError                       (jobwatch.errors)
      +-- BadInput                      (jobwatch.errors) unusable user/operator input, exit code 2
      |     +-- ParseError              a saved response that is not what the source returns
      +-- ScrapeError                   a board could not be read (the run is failed, never "0 jobs")
            +-- BoardNotFound           HTTP 404/410: a mistyped or removed board token
            +-- RateLimited             HTTP 429 that outlasted the retries (or asked for too long a wait)
            +-- UpstreamError           HTTP 5xx outlasting the retries, other refusals (401, 403, ...),
            |                           network errors and timeouts
            +-- UnexpectedContent       a 2xx whose body is not the expected document: HTML where JSON
            |                           was expected (a "Just a moment..." bot check), malformed JSON, or
            |                           JSON of the wrong shape; a body over the size limit
            +-- UnsafeURL               a user-supplied URL refused before anything was sent to it: not
                                        http(s), or a host that is (or resolves to, or redirects to) a
                                        loopback, private, link-local ... address (`scrapers/guard.py`)

A `ScrapeError` carries the URL (and HTTP status when there was one) so a run record can say why.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from jobwatch.core.postings import Posting
from jobwatch.errors import BadInput, JobwatchError

if TYPE_CHECKING:
    import httpx

    from jobwatch.scrapers.boards import BoardRef

Sleep = Callable[[float], None]

_T = TypeVar("_T")
_R = TypeVar("_R")


class ParseError(BadInput):
    """A saved response that the source's parser cannot read (malformed JSON, wrong shape, a posting
    without an id). `str(err)` names the file when `path` is given, then what is wrong."""


class ScrapeError(JobwatchError):
    """A board could not be read completely. `url` and `status` (HTTP status or None) say where."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(message)


class BoardNotFound(ScrapeError):
    """The source answered 404 or 410 for the board: a mistyped or removed board token."""


class RateLimited(ScrapeError):
    """The source kept answering 429. `retry_after` is the last wait it asked for, in seconds, or None."""

    def __init__(
        self, message: str, *, url: str | None = None, status: int | None = 429, retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, url=url, status=status)


class UpstreamError(ScrapeError):
    """The source failed (5xx after retries), refused (401, 403, other 4xx) or was unreachable."""


class UnexpectedContent(ScrapeError):
    """A successful response whose body is not the document expected (HTML, malformed JSON, wrong shape)."""


class UnsafeURL(ScrapeError):
    """A user-supplied URL that jobwatch refuses to fetch; `str(err)` says why
    ("refused: 127.0.0.1 is a loopback address"). Raised by `jobwatch.scrapers.guard` before connecting."""


@dataclass(slots=True)
class FetchResult:
    """What one `fetch` read from a board.

    `postings` in board order without repeated ids; `complete` is True only when the whole board was
    read (storage may close postings missing from a complete result, never from a partial one);
    `pages` is the number of list responses read; `note` says why a result is not complete.
    """

    postings: list[Posting]
    complete: bool
    pages: int
    note: str | None = field(default=None)


class Adapter(Protocol):
    """One source's parser and fetcher (a module such as `jobwatch.scrapers.greenhouse`)."""

    SOURCE: str
    """The CONTRACT section 1 source name (`greenhouse`)."""
    DEFAULT_API_URL: str
    """The default `<SOURCE>_API_URL` template (CONTRACT section 4)."""

    def parse(self, body: bytes, *, board: str | None, fetched_at: datetime) -> list[Posting]:
        """Postings of one saved response, in board order, ids unique; raises `ParseError`."""
        ...

    def fetch(
        self,
        client: httpx.Client,
        ref: BoardRef,
        *,
        api_url: str,
        fetched_at: datetime,
        sleep: Sleep = time.sleep,
    ) -> FetchResult:
        """Read the whole board `ref` from `api_url`; raises `ScrapeError` subclasses or `BadInput`."""
        ...


_HTML_START = re.compile(rb"^\s*<", re.DOTALL)
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def looks_like_html(body: bytes) -> bool:
    """Whether a body is markup (its first non-blank byte is `<`), not JSON."""
    return bool(_HTML_START.match(body[:1024].removeprefix(b"\xef\xbb\xbf")))


def html_title(body: bytes) -> str | None:
    """The `<title>` of an HTML body (to say which page came back instead of JSON), or None."""
    match = _HTML_TITLE.search(body[:65536])
    if not match:
        return None
    title = " ".join(match.group(1).decode("utf-8", "replace").split())
    return title[:120] or None


def decode_json(body: bytes) -> object:
    """Parse a JSON body (UTF-8, a BOM allowed).

    Raises `ValueError` with a one-line reason: empty body, HTML instead of JSON (with its title), or
    the JSON syntax error and where it is.
    """
    if not body or not body.strip():
        raise ValueError("empty body, expected JSON")
    if looks_like_html(body):
        title = html_title(body)
        where = f" (page title {title!r})" if title else ""
        raise ValueError(f"HTML instead of JSON{where}; a bot check, login or error page?")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def parse_json_body(body: bytes, *, source: str) -> object:
    """`decode_json` for `parse`: the same reasons, raised as `ParseError` naming the source."""
    try:
        return decode_json(body)
    except ValueError as exc:
        raise ParseError(f"not a {source} response: {exc}") from None


def unique_by_id(postings: list[Posting]) -> list[Posting]:
    """Postings in order with a repeated `external_id` dropped (the first one stays; CONTRACT section 1)."""
    seen: set[str] = set()
    unique: list[Posting] = []
    for posting in postings:
        if posting.external_id not in seen:
            seen.add(posting.external_id)
            unique.append(posting)
    return unique


def postings_from_items(
    items: list[Any], make: Callable[[dict[str, Any], int], Posting], *, noun: str
) -> list[Posting]:
    """`make(item, index)` for every item of a source's list, ids unique (the first kept), in list order.

    `noun` names an item in messages ("Lever posting"). Raises `ParseError` for an item that is not an
    object, and whatever `make` raises.
    """
    postings = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ParseError(f"{noun} #{index + 1} is not an object")
        postings.append(make(item, index))
    return unique_by_id(postings)


def with_board(postings: list[Posting], board: str | None) -> list[Posting]:
    """Set every posting's `board` (a parsed file's board derived from its links); returns `postings`."""
    for posting in postings:
        posting.board = board
    return postings


def read_as_fetched(url: str, parse: Callable[[], _R], *, status: int | None = None) -> _R:
    """Run `parse()` on a fetched response; its `ParseError` becomes `UnexpectedContent` naming `url`.

    A fetch that got the wrong shape fails the run (field case B03) rather than reading as an empty board.
    """
    try:
        return parse()
    except ParseError as exc:
        raise UnexpectedContent(f"{url}: {exc}", url=url, status=status) from None


def require_id(item: dict[str, object], key: str, *, index: int, source: str) -> str:
    """The posting id in `item[key]` as a string; `ParseError` naming the item when absent or blank."""
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise ParseError(f"{source} posting #{index + 1} has no {key!r}")
    return str(value).strip()


def as_dict(value: object) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty dict (sources send null or omit keys freely)."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """`value` when it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def as_str(value: object) -> str | None:
    """`value` when it is a string, else None."""
    return value if isinstance(value, str) else None


def board_mismatch(ref: BoardRef, family: str) -> BadInput:
    """The error for handing one source's adapter another source's board."""
    return BadInput(f"board {ref.key!r} is not a {family} board")


#: Detail requests a source adapter keeps in flight at once (Workday, SmartRecruiters): enough to read a
#: board of a few thousand postings in minutes, few enough not to look like an attack on the source.
DETAIL_WORKERS = 4


def map_bounded(func: Callable[[_T], _R], items: Sequence[_T], *, max_workers: int = DETAIL_WORKERS) -> list[_R]:
    """`[func(item) for item in items]`, run on at most `max_workers` threads; results in input order.

    For the per-posting detail requests of list-then-detail sources: the `httpx.Client` is synchronous and
    may be shared between threads. The first exception any call raises is re-raised once the calls
    already running have finished; calls not yet started are cancelled. One worker (or one item) runs
    in the calling thread.
    """
    if max_workers <= 1 or len(items) <= 1:
        return [func(item) for item in items]
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="jobwatch-detail") as pool:
        futures: list[Future[_R]] = [pool.submit(func, item) for item in items]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            error = future.exception() if future in done else None
            if error is not None:
                for other in futures:
                    other.cancel()
                raise error
        return [future.result() for future in futures]
