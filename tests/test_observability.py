"""Logs with request and task ids, security headers, optional Sentry (`jobwatch/observability.py`)."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import MemoryHuey
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

import jobwatch.jobwatch as web
from jobwatch import observability
from jobwatch.config import get_settings
from tests.asgi import AsgiClient

_app_log = logging.getLogger("jobwatch.tests.observability")


@pytest.fixture()
def captured(settings_env: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """JSON logging into a buffer, with the root logger's handlers and level restored afterwards."""
    settings_env.setenv("LOG_FORMAT", "json")
    settings_env.setenv("LOG_LEVEL", "debug")
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    buffer = io.StringIO()
    observability.configure_logging(stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def _records(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


async def _logs_something(_request: Request) -> PlainTextResponse:
    _app_log.info("handling the request", extra={"board": "greenhouse:acme"})
    return PlainTextResponse("ok")


def _app() -> Starlette:
    return Starlette(
        routes=[Route("/work", _logs_something)], middleware=[Middleware(observability.RequestContextMiddleware)]
    )


def test_request_id_is_echoed_and_on_every_log_line_of_the_request(captured: io.StringIO) -> None:
    response = AsgiClient(_app()).get("/work", headers={"X-Request-ID": "req-42.a"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-42.a"
    records = _records(captured)
    handler_line = next(r for r in records if r["message"] == "handling the request")
    assert handler_line["request_id"] == "req-42.a"
    assert handler_line["level"] == "INFO"
    assert handler_line["logger"] == "jobwatch.tests.observability"
    assert handler_line["board"] == "greenhouse:acme"
    assert str(handler_line["time"]).startswith("20")
    access = next(r for r in records if r.get("path") == "/work")
    assert access["request_id"] == "req-42.a"
    assert access["status"] == 200
    assert access["method"] == "GET"
    assert isinstance(access["duration_ms"], float)


@pytest.mark.parametrize("given", [None, "", "has space", "x" * 129, "<script>", "a/b", "\xe9".encode("latin-1")])
def test_a_missing_or_unsafe_request_id_is_replaced(captured: io.StringIO, given: str | bytes | None) -> None:
    headers = {} if given is None else {"X-Request-ID": given}
    response = AsgiClient(_app()).get("/work", headers=headers)
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    assert request_id != given
    assert next(r for r in _records(captured) if r["message"] == "handling the request")["request_id"] == request_id


def test_no_request_id_outside_a_request(captured: io.StringIO) -> None:
    _app_log.warning("background work")
    (record,) = [r for r in _records(captured) if r["message"] == "background work"]
    assert "request_id" not in record and "task_id" not in record


def test_huey_tasks_log_their_task_id(captured: io.StringIO) -> None:
    huey = MemoryHuey("observability-test", immediate=True)
    observability.install_task_logging(huey)

    @huey.task()
    def add(a: int, b: int) -> int:
        _app_log.info("adding")
        return a + b

    result = add(2, 3)
    assert result.get() == 5
    line = next(r for r in _records(captured) if r["message"] == "adding")
    assert line["task_id"] == result.id
    assert str(line["task_name"]).endswith("add")
    # Cleared after the task: a later line carries no task id.
    _app_log.info("after the task")
    assert "task_id" not in next(r for r in _records(captured) if r["message"] == "after the task")


def test_configure_logging_is_idempotent_and_replaces_hueys_plain_handler(captured: io.StringIO) -> None:
    root = logging.getLogger()
    root.addHandler(logging.StreamHandler(io.StringIO()))  # what Huey's consumer adds at start
    second = io.StringIO()
    observability.configure_logging(stream=second)
    plain = [h for h in root.handlers if type(h) is logging.StreamHandler]
    assert plain == [h for h in root.handlers if h.get_name() == "jobwatch"]
    assert len(plain) == 1
    _app_log.info("once")
    assert [json.loads(x)["message"] for x in second.getvalue().splitlines()] == ["once"]


def test_text_format_outside_production(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("LOG_FORMAT", "auto")
    assert observability.effective_log_format() == "text"
    get_settings.cache_clear()
    settings_env.setenv("JOBWATCH_ENV", "production")
    settings_env.setenv("SECRET_KEY", "a-real-secret-of-enough-length-1234567890")
    assert observability.effective_log_format() == "json"
    record = logging.LogRecord("jobwatch.x", logging.INFO, __file__, 1, "hello", None, None)
    record.request_id = "abc"
    assert observability.TextFormatter().format(record).endswith("INFO jobwatch.x: hello [request_id=abc]")


def test_bad_log_settings_are_refused(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("LOG_LEVEL", "chatty")
    with pytest.raises(ValueError, match="log_level"):
        get_settings()


# --- security headers ------------------------------------------------------------------------------------


EXPECTED_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


@pytest.mark.parametrize("path", ["/healthz", "/favicon.ico", "/unsubscribe?token=nope", "/feeds/nope", "/metrics"])
def test_every_route_of_the_web_app_sends_security_headers(db: object, path: str) -> None:
    response = AsgiClient(web.http_routes).get(path)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    for name, value in EXPECTED_HEADERS.items():
        if path.startswith(("/unsubscribe", "/feeds")) and name == "referrer-policy":
            # Those pages set a stricter policy of their own, which is kept.
            assert response.headers[name] == "no-referrer"
        else:
            assert response.headers[name] == value, name
    assert len(response.headers["x-request-id"]) == 32
    # APP_URL is http:// in the tests: no HSTS on plain HTTP.
    assert "strict-transport-security" not in response.headers


def test_hsts_only_when_the_public_address_is_https(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("APP_URL", "https://jobs.example.org")
    response = AsgiClient(_app()).get("/work")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_a_posted_webhook_error_still_gets_the_headers(db: object) -> None:
    response = AsgiClient(web.http_routes).post("/webhooks/resend", content=b"{}")
    assert response.status_code == 401
    assert response.headers["x-content-type-options"] == "nosniff"


# --- Sentry ------------------------------------------------------------------------------------------------


def test_sentry_is_not_initialized_without_a_dsn(settings_env: pytest.MonkeyPatch) -> None:
    import sentry_sdk

    settings_env.delenv("SENTRY_DSN", raising=False)
    assert observability.init_sentry() is False
    assert not sentry_sdk.get_client().is_active()


def test_sentry_starts_with_a_dsn(settings_env: pytest.MonkeyPatch) -> None:
    import sentry_sdk

    # A loopback DSN on the discard port: initializing sends nothing; no event is captured here.
    settings_env.setenv("SENTRY_DSN", "http://public@127.0.0.1:9/1")
    try:
        assert observability.init_sentry() is True
        client = sentry_sdk.get_client()
        assert client.is_active()
        assert client.options["environment"] == "test"
        assert client.options["data_collection"]["user_info"] is False
    finally:
        sentry_sdk.get_client().close(timeout=0)
        sentry_sdk.get_global_scope().set_client(None)  # back to the SDK's inactive client
    assert not sentry_sdk.get_client().is_active()


def test_the_worker_writes_json_lines_with_the_task_id(tmp_path: Path) -> None:
    """`jobwatch worker` (Huey's consumer) logs through `configure_logging()`: JSON, the task's id on its lines."""
    from workers.main import huey
    from workers.tasks import match_new_postings_task

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "jobwatch.cli", "worker", "--no-scheduler", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        result = match_new_postings_task()
        assert result.get(blocking=True, timeout=60) == 0
    finally:
        worker.send_signal(signal.SIGINT)
        _out, err = worker.communicate(timeout=60)
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    task_lines = [r for r in records if r.get("task_id") == result.id]
    assert task_lines, err[-2000:]
    assert all(str(r["task_name"]).endswith("match_new_postings_task") for r in task_lines)
    assert any("executed in" in str(r["message"]) for r in task_lines)
    # No line is written twice in two formats (Huey's own plain handler is replaced).
    plain = [line for line in err.splitlines() if "executed in" in line and not line.startswith("{")]
    assert plain == []
    assert not huey.immediate
