"""The one HTTP client factory and the request helpers every adapter uses.

`make_client` builds the `httpx.Client` (User-Agent, redirects, timeouts); tests and the loopback
end-to-end setup pass their own `transport`. `request` sends one request with retries: 429 and 5xx
(and 408, timeouts, connection errors) are retried with backoff that honours `Retry-After`; the
final outcome is a response or one of the `ScrapeError`s of `jobwatch.scrapers.base`. `get_json`
adds the check that a 2xx really is JSON, so a bot-check page served with 200 fails the run instead of
reading as an empty board (field case B03).

Waiting goes through the injected `sleep`, so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from jobwatch.scrapers.base import (
    BoardNotFound,
    RateLimited,
    ScrapeError,
    Sleep,
    UnexpectedContent,
    UpstreamError,
    decode_json,
    html_title,
    looks_like_html,
)

USER_AGENT = "jobwatch/0.1 (+https://github.com/jobwatch)"
#: Longest single wait, in seconds. A `Retry-After` asking for more gives up at once (`RateLimited`
#: with `retry_after`), so a worker is not held for minutes; the scheduler retries the board later.
MAX_RETRY_WAIT = 60.0
#: First backoff wait when the response names none, in seconds; doubled per attempt.
BACKOFF_BASE = 1.0

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def make_client(
    *, transport: httpx.BaseTransport | None = None, timeout: float = 20.0, user_agent: str | None = None
) -> httpx.Client:
    """The `httpx.Client` for talking to job boards.

    Sends `user_agent` (services pass the `SCRAPER_USER_AGENT` setting; default `USER_AGENT`,
    `jobwatch/0.1 (+https://github.com/jobwatch)`), follows up to 5 redirects and gives every request
    `timeout` seconds (connect at most 10 s). `transport` replaces the network (an `httpx.MockTransport` in
    tests). TLS verification stays on. The caller closes the client.
    """
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": user_agent or USER_AGENT},
    )


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date; None if absent or
    unreadable. A date in the past gives 0."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class _Transient(Exception):
    """A failure worth retrying; turned into `RateLimited`/`UpstreamError` once retries run out."""

    def __init__(self, message: str, *, url: str, status: int | None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status
        self.retry_after = retry_after

    def final(self, attempts: int) -> ScrapeError:
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if self.status == 429:
            return RateLimited(
                f"{self.message} (rate limited on all {tries})", url=self.url, retry_after=self.retry_after
            )
        return UpstreamError(f"{self.message} (gave up after {tries})", url=self.url, status=self.status)


def _wait(max_wait: float) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(exc.retry_after, max_wait)
        return float(min(max_wait, BACKOFF_BASE * 2 ** (state.attempt_number - 1)))

    return wait


def _send_once(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    json_body: object,
    headers: Mapping[str, str] | None,
    max_wait: float,
    clock: Clock,
) -> httpx.Response:
    try:
        response = client.request(method, url, json=json_body, headers=headers)
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise UpstreamError(f"cannot request {url}: {exc}", url=url) from None
    except httpx.TooManyRedirects:
        raise UpstreamError(f"too many redirects from {url}", url=url) from None
    except httpx.TimeoutException as exc:
        raise _Transient(f"timed out requesting {url} ({type(exc).__name__})", url=url, status=None) from None
    except httpx.TransportError as exc:
        raise _Transient(f"network error requesting {url}: {exc or type(exc).__name__}", url=url, status=None) from None

    status = response.status_code
    if 200 <= status < 300:
        return response
    if status in (404, 410):
        raise BoardNotFound(
            f"HTTP {status} from {url}: no such board (a mistyped or removed board token?)", url=url, status=status
        )
    if status == 429 or status == 408 or status >= 500:
        wait = retry_after_seconds(response.headers.get("Retry-After"), now=clock())
        if status == 429 and wait is not None and wait > max_wait:
            raise RateLimited(
                f"HTTP 429 from {url}: asked to wait {wait:.0f} s, longer than the {max_wait:.0f} s allowed",
                url=url,
                retry_after=wait,
            )
        reason = response.reason_phrase or "error"
        raise _Transient(f"HTTP {status} {reason} from {url}", url=url, status=status, retry_after=wait)
    raise UpstreamError(f"HTTP {status} {response.reason_phrase} from {url}", url=url, status=status)


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    json_body: object = None,
    headers: Mapping[str, str] | None = None,
    sleep: Sleep = time.sleep,
    retries: int = 3,
    max_wait: float = MAX_RETRY_WAIT,
    clock: Clock = _utcnow,
) -> httpx.Response:
    """Send a request, retrying what may pass, and return the 2xx response.

    `retries` is the total number of tries (3: the first request and two retries). Retried: 429,
    408, 5xx, timeouts and connection errors; the wait is the response's `Retry-After` (seconds or
    HTTP date, at most `max_wait` seconds) or else 1, 2, 4 ... seconds, and goes through `sleep`.
    Raises `BoardNotFound` (404/410), `RateLimited` (429 on every try, or a `Retry-After` longer than
    `max_wait`), `UpstreamError` (5xx/408/network errors on every try; other non-2xx at once; bad URL).
    """
    attempts = max(1, retries)
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=_wait(max_wait),
        retry=retry_if_exception_type(_Transient),
        sleep=sleep,
        reraise=True,
    )
    try:
        return retrying(
            _send_once, client, method, url, json_body=json_body, headers=headers, max_wait=max_wait, clock=clock
        )
    except _Transient as exc:
        raise exc.final(attempts) from None


def get_json(
    client: httpx.Client,
    url: str,
    *,
    sleep: Sleep = time.sleep,
    retries: int = 3,
    method: str = "GET",
    json_body: object = None,
    headers: Mapping[str, str] | None = None,
    max_wait: float = MAX_RETRY_WAIT,
    clock: Clock = _utcnow,
) -> object:
    """`request` a JSON document and return it decoded (dict, list, ...).

    Besides the errors of `request`, raises `UnexpectedContent` when the 2xx body is HTML (by its
    first byte, or a `text/html` content type on a body that does not start like JSON) — a "Just a
    moment..." bot check, a login or error page, named by its `<title>` — or is empty or malformed JSON.
    """
    sent_headers = {"Accept": "application/json"} | dict(headers or {})
    response = request(
        client,
        method,
        url,
        json_body=json_body,
        headers=sent_headers,
        sleep=sleep,
        retries=retries,
        max_wait=max_wait,
        clock=clock,
    )
    body = response.content
    content_type = response.headers.get("Content-Type", "").lower()
    starts_like_json = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")
    if looks_like_html(body) or ("html" in content_type and not starts_like_json):
        title = html_title(body)
        page = f" (page title {title!r})" if title else ""
        raise UnexpectedContent(
            f"expected JSON from {url} but got HTML{page} with HTTP {response.status_code}; "
            "the board may be behind a bot check or a login",
            url=url,
            status=response.status_code,
        )
    try:
        return decode_json(body)
    except ValueError as exc:
        raise UnexpectedContent(f"{url}: {exc}", url=url, status=response.status_code) from None
