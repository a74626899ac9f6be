"""The HTTP helpers: retries with Retry-After, the error tree, and the JSON check (field case B03).

Every test serves responses from an `httpx.MockTransport` and injects `sleep`, so nothing touches the
network and nothing really waits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from jobwatch.scrapers.base import (
    BoardNotFound,
    RateLimited,
    ScrapeError,
    UnexpectedContent,
    UpstreamError,
)
from jobwatch.scrapers.http import USER_AGENT, get_json, make_client, request, retry_after_seconds

URL = "https://boards-api.greenhouse.io/v1/boards/acme/jobs?content=true"
INTERSTITIAL = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    b"<body>Checking your browser before accessing.</body></html>"
)


class Recorder:
    """An injected `sleep` that records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def serve(
    responses: list[httpx.Response] | Callable[[httpx.Request], httpx.Response],
) -> tuple[httpx.Client, list[httpx.Request]]:
    """A client whose transport answers with `responses` in turn (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        if callable(responses):
            return responses(req)
        index = min(len(seen), len(responses)) - 1
        return responses[index]

    return make_client(transport=httpx.MockTransport(handler)), seen


def ok_json(body: bytes = b'{"jobs": []}') -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})


def test_429_with_retry_after_is_retried_and_the_wait_honoured() -> None:
    client, seen = serve(
        [
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(429, headers={"Retry-After": "5"}),
            ok_json(b'{"jobs": [1]}'),
        ]
    )
    sleep = Recorder()
    assert get_json(client, URL, sleep=sleep) == {"jobs": [1]}
    assert sleep.waits == [2.0, 5.0]
    assert len(seen) == 3


def test_b03_429_every_time_is_rate_limited_not_an_empty_board() -> None:
    client, seen = serve([httpx.Response(429, headers={"Retry-After": "1"})])
    sleep = Recorder()
    with pytest.raises(RateLimited) as caught:
        get_json(client, URL, sleep=sleep)
    assert sleep.waits == [1.0, 1.0]
    assert len(seen) == 3  # `retries` counts every try
    assert caught.value.status == 429
    assert caught.value.retry_after == 1.0
    assert caught.value.url == URL
    assert "429" in str(caught.value) and "3 attempts" in str(caught.value)


def test_retry_after_longer_than_allowed_gives_up_at_once() -> None:
    client, seen = serve([httpx.Response(429, headers={"Retry-After": "3600"})])
    sleep = Recorder()
    with pytest.raises(RateLimited) as caught:
        get_json(client, URL, sleep=sleep)
    assert sleep.waits == []
    assert len(seen) == 1
    assert caught.value.retry_after == 3600.0


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 6, 10, 12, 0, 0, tzinfo=UTC)
    client, _ = serve([httpx.Response(429, headers={"Retry-After": "Wed, 10 Jun 2026 12:00:07 GMT"}), ok_json()])
    sleep = Recorder()
    get_json(client, URL, sleep=sleep, clock=lambda: now)
    assert sleep.waits == [7.0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("Wed, 10 Jun 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header, now=datetime(2026, 6, 10, 12, tzinfo=UTC)) == expected


def test_500_every_time_is_an_upstream_error_after_backoff() -> None:
    client, seen = serve([httpx.Response(500)])
    sleep = Recorder()
    with pytest.raises(UpstreamError) as caught:
        get_json(client, URL, sleep=sleep)
    assert sleep.waits == [1.0, 2.0]
    assert len(seen) == 3
    assert caught.value.status == 500


def test_a_passing_5xx_is_retried() -> None:
    client, _ = serve([httpx.Response(503, headers={"Retry-After": "4"}), ok_json(b"[]")])
    sleep = Recorder()
    assert get_json(client, URL, sleep=sleep) == []
    assert sleep.waits == [4.0]


def test_404_is_board_not_found_without_retrying() -> None:
    client, seen = serve([httpx.Response(404, json={"status": 404, "error": "Job board not found"})])
    sleep = Recorder()
    with pytest.raises(BoardNotFound) as caught:
        get_json(client, "https://boards-api.greenhouse.io/v1/boards/acmee/jobs", sleep=sleep)
    assert len(seen) == 1
    assert sleep.waits == []
    assert caught.value.status == 404
    assert "acmee" in str(caught.value)


def test_410_is_board_not_found() -> None:
    client, _ = serve([httpx.Response(410)])
    with pytest.raises(BoardNotFound):
        get_json(client, URL, sleep=Recorder())


@pytest.mark.parametrize("status", [400, 401, 403])
def test_other_client_errors_are_upstream_errors_without_retrying(status: int) -> None:
    client, seen = serve([httpx.Response(status)])
    with pytest.raises(UpstreamError) as caught:
        get_json(client, URL, sleep=Recorder())
    assert len(seen) == 1
    assert caught.value.status == status


def test_b03_html_interstitial_with_200_is_unexpected_content() -> None:
    client, _ = serve([httpx.Response(200, content=INTERSTITIAL, headers={"Content-Type": "text/html; charset=UTF-8"})])
    with pytest.raises(UnexpectedContent) as caught:
        get_json(client, URL, sleep=Recorder())
    assert "Just a moment..." in str(caught.value)
    assert "HTML" in str(caught.value)


def test_html_body_behind_a_json_content_type_is_unexpected_content() -> None:
    client, _ = serve(
        [httpx.Response(200, content=b"\n  " + INTERSTITIAL, headers={"Content-Type": "application/json"})]
    )
    with pytest.raises(UnexpectedContent):
        get_json(client, URL, sleep=Recorder())


@pytest.mark.parametrize("body", [b"", b"   ", b'{"jobs": [', b"nope", b"\xff\xfe{}"])
def test_empty_or_malformed_json_is_unexpected_content(body: bytes) -> None:
    client, _ = serve([ok_json(body)])
    with pytest.raises(UnexpectedContent):
        get_json(client, URL, sleep=Recorder())


def test_json_served_as_text_is_accepted() -> None:
    client, _ = serve([httpx.Response(200, content=b'\xef\xbb\xbf{"a": 1}', headers={"Content-Type": "text/plain"})])
    assert get_json(client, URL, sleep=Recorder()) == {"a": 1}


def test_network_errors_are_retried_then_upstream_errors() -> None:
    def refuse(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=req)

    client, seen = serve(refuse)
    sleep = Recorder()
    with pytest.raises(UpstreamError) as caught:
        get_json(client, URL, sleep=sleep)
    assert len(seen) == 3
    assert sleep.waits == [1.0, 2.0]
    assert caught.value.status is None
    assert "network error" in str(caught.value)


def test_a_timeout_then_success() -> None:
    calls = {"n": 0}

    def flaky(req: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ReadTimeout("slow", request=req)
        return ok_json(b"{}")

    client, _ = serve(flaky)
    assert get_json(client, URL, sleep=Recorder()) == {}


def test_every_failure_is_a_scrape_error() -> None:
    for error in (BoardNotFound, RateLimited, UpstreamError, UnexpectedContent):
        assert issubclass(error, ScrapeError)


def test_the_client_sends_the_user_agent_and_follows_redirects() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.path == "/old":
            return httpx.Response(301, headers={"Location": "https://api.example/new"})
        return ok_json(
            b'{"ua": "'
            + req.headers["User-Agent"].encode()
            + b'", "accept": "'
            + req.headers["Accept"].encode()
            + b'"}'
        )

    client, seen = serve(handler)
    data = get_json(client, "https://api.example/old", sleep=Recorder())
    assert data == {"ua": USER_AGENT, "accept": "application/json"}
    assert [r.url.path for r in seen] == ["/old", "/new"]
    assert USER_AGENT == "jobwatch/0.1 (+https://github.com/jobwatch)"


def test_make_client_timeouts() -> None:
    with make_client(timeout=5.0) as client:
        assert client.timeout.read == 5.0
        assert client.timeout.connect == 5.0
        assert client.follow_redirects is True


def test_request_returns_the_response_and_posts_json() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=req.content, headers={"Content-Type": "application/json"})

    client, seen = serve(handler)
    response = request(client, "POST", "https://api.example/search", json_body={"limit": 20}, sleep=Recorder())
    assert response.json() == {"limit": 20}
    assert seen[0].method == "POST"


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http://"])
def test_an_unusable_url_is_an_upstream_error(url: str) -> None:
    # The real transport refuses these before any connection is attempted.
    with make_client() as client, pytest.raises(UpstreamError) as caught:
        get_json(client, url, sleep=Recorder())
    assert "cannot request" in str(caught.value)
