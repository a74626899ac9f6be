"""What an operator sees of a running jobwatch: logs with request and task ids, error reports, HTTP headers.

- `configure_logging()` sends every log record (jobwatch's and its libraries') to stderr, as one JSON object
  per line (`LOG_FORMAT=json`, the production default) or as readable text. A record made while a web
  request or a Huey task runs carries its `request_id` or `task_id` (and `task_name`), so the lines of one
  request or one task can be pulled out of a shared log stream.
- `RequestContextMiddleware` (on the web app's Starlette router, `jobwatch.jobwatch.http_routes`, which
  wraps Reflex's own backend and the compiled frontend) gives every HTTP request a request id (a client's
  `X-Request-ID` when it is a plain token, else a new one), echoes it in the `X-Request-ID` response header,
  logs one line per request and adds the security headers of `security_headers()` to every response.
- `install_task_logging(huey)` sets the task id around each Huey task through Huey's pre/post-execute hooks.
- `init_sentry()` starts Sentry only when `SENTRY_DSN` is set; without it nothing is initialized or sent.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from pythonjsonlogger.json import JsonFormatter

from jobwatch.config import Settings, get_settings

log = logging.getLogger(__name__)

#: The id of the HTTP request being handled in this context (None outside a request).
REQUEST_ID: ContextVar[str | None] = ContextVar("jobwatch_request_id", default=None)
#: The id and name of the Huey task being executed in this context (None outside a task).
TASK_ID: ContextVar[str | None] = ContextVar("jobwatch_task_id", default=None)
TASK_NAME: ContextVar[str | None] = ContextVar("jobwatch_task_name", default=None)

#: The request id header (read from the client when it is a plain token, always sent back).
REQUEST_ID_HEADER = "X-Request-ID"
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: Paths polled by machines, and the frontend's static files: logged at DEBUG so they do not flood the log.
_QUIET_PATHS = frozenset({"/healthz", "/metrics", "/ping", "/favicon.ico", "/favicon.svg"})
_QUIET_PREFIXES = ("/assets/", "/_next/", "/favicon")
_CONTEXT_FIELDS = ("request_id", "task_id", "task_name")
#: Marks the handler `configure_logging()` installs, so that calling it again replaces it instead of adding one.
_HANDLER_NAME = "jobwatch"
_configure_lock = threading.Lock()


# --- logging -------------------------------------------------------------------------------------------


class ContextFilter(logging.Filter):
    """Copies the current request id and task id/name onto each record (attributes left unset when None)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in (("request_id", REQUEST_ID), ("task_id", TASK_ID), ("task_name", TASK_NAME)):
            value = var.get()
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


class TextFormatter(logging.Formatter):
    """`2026-11-30 23:59:01,123 INFO jobwatch.x: message [request_id=...]`: for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = " ".join(f"{k}={getattr(record, k)}" for k in _CONTEXT_FIELDS if getattr(record, k, None))
        if not context:
            return text
        first, sep, rest = text.partition("\n")
        return f"{first} [{context}]{sep}{rest}"


def json_formatter() -> logging.Formatter:
    """One JSON object per record: `time` (ISO 8601 UTC), `level`, `logger`, `message`, the context ids,
    anything passed as `extra=`, and `exc_info` (the traceback) for exceptions."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


def effective_log_format(settings: Settings | None = None) -> str:
    """`json` or `text`: `LOG_FORMAT`, where `auto` means `json` in production and `text` elsewhere."""
    settings = settings or get_settings()
    if settings.log_format != "auto":
        return settings.log_format
    return "json" if settings.jobwatch_env == "production" else "text"


def configure_logging(settings: Settings | None = None, *, stream: Any = None) -> logging.Handler:
    """Send all logging to one stderr handler in the configured format and level; returns that handler.

    Idempotent: a second call replaces jobwatch's handler instead of adding another, and other handlers
    that were put on the root logger (Huey's consumer adds a plain-text one) are removed so that no line is
    written twice. `stream` (default `sys.stderr`) is for tests.
    """
    settings = settings or get_settings()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(json_formatter() if effective_log_format(settings) == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    with _configure_lock:
        for old in list(root.handlers):
            # Exactly StreamHandler: Huey's and an earlier call's; subclasses (pytest's capture) stay.
            if type(old) is logging.StreamHandler:
                root.removeHandler(old)
        root.addHandler(handler)
        root.setLevel(settings.log_level)
    return handler


def jobwatch_handler_installed() -> bool:
    """Whether `configure_logging()` has put its handler on the root logger."""
    return any(h.get_name() == _HANDLER_NAME for h in logging.getLogger().handlers)


# --- Huey tasks ----------------------------------------------------------------------------------------


def install_task_logging(huey: Any) -> None:
    """Give every record logged while a Huey task runs the task's `task_id` and `task_name`.

    Registers a pre-execute hook (sets the ids in the worker thread's context) and a post-execute hook
    (clears them), and an on-startup hook that switches the consumer's logging to `configure_logging()`
    (Huey's consumer adds its own plain-text handler when it starts). Registering twice replaces the hooks.
    """

    @huey.pre_execute(name="jobwatch_task_context")
    def _enter(task: Any) -> None:
        TASK_ID.set(str(task.id))
        TASK_NAME.set(str(task.name))

    @huey.post_execute(name="jobwatch_task_context")
    def _leave(task: Any, task_value: Any, exc: BaseException | None) -> None:
        TASK_ID.set(None)
        TASK_NAME.set(None)

    @huey.on_startup(name="jobwatch_logging")
    def _logging() -> None:
        if not _consumer_logging_done.is_set():
            with _configure_lock:
                if _consumer_logging_done.is_set():
                    return
                _consumer_logging_done.set()
            configure_logging()
            init_sentry()


_consumer_logging_done = threading.Event()


# --- error reports -------------------------------------------------------------------------------------


def init_sentry(settings: Settings | None = None) -> bool:
    """Start Sentry when `SENTRY_DSN` is set; returns whether it did. Without a DSN nothing is imported.

    Errors logged at ERROR and unhandled exceptions are reported (Sentry's logging, Starlette and Huey
    integrations where those are in use); no personal data is sent (no user identity), request
    bodies and local variables are not attached, and `SENTRY_TRACES_SAMPLE_RATE` sets performance tracing (0: off).
    """
    settings = settings or get_settings()
    if not settings.sentry_dsn:
        return False
    import sentry_sdk

    from jobwatch import __version__

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.jobwatch_env,
        release=f"jobwatch@{__version__}",
        # No user identity, request bodies or local variables (a password may sit in one) leave the process.
        data_collection={"user_info": False, "http_bodies": [], "stack_frame_variables": False},
        traces_sample_rate=settings.sentry_traces_sample_rate,
    )
    return True


def setup_process() -> None:
    """Logging and Sentry for a long-running process (the web app's server processes, a worker)."""
    configure_logging()
    init_sentry()


# --- HTTP: request ids and security headers ------------------------------------------------------------

#: The Content-Security-Policy of every page. Reflex's production build (React Router with Vite) puts inline
#: scripts in each page and Radix Themes sets inline styles, hence `'unsafe-inline'` for both; the Reflex
#: client runs the scripts the server sends with an event (toasts, downloads, scrolling: `utils/state.js`
#: evaluates them), hence `'unsafe-eval'` (without it they fail silently: the browser tests watch for that,
#: tests/e2e/conftest.py). Output escaping, not the CSP, is what keeps scraped text inert. Everything else is
#: this origin only: no third-party scripts, frames, objects or form targets. `connect-src` allows
#: the websocket that the Reflex client opens to the same host (`ws:`/`wss:` for browsers that do not count a
#: websocket to the same host as `'self'`).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def security_headers(settings: Settings | None = None) -> list[tuple[bytes, bytes]]:
    """The headers added to every HTTP response (unless the route set its own value of one of them).

    CSP (`CONTENT_SECURITY_POLICY`), `X-Content-Type-Options: nosniff`, `Referrer-Policy:
    strict-origin-when-cross-origin`, `X-Frame-Options: DENY` (with CSP `frame-ancestors 'none'`),
    `Cross-Origin-Opener-Policy: same-origin`, a `Permissions-Policy` that turns off camera, microphone and
    location, and `Strict-Transport-Security` (one year, subdomains) when `APP_URL` is `https://`.
    """
    settings = settings or get_settings()
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if urlsplit(settings.app_url).scheme == "https":
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's `X-Request-ID` when it is 1-128 characters of `A-Z a-z 0-9 . _ : -`, else a new uuid4 hex."""
    for name, value in headers:
        if name.lower() == b"x-request-id":
            text = value.decode("latin-1").strip()
            if _CLIENT_REQUEST_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestContextMiddleware:
    """Pure ASGI middleware: request id, one log line per request, security headers (see the module doc).

    HTTP only; websocket and lifespan traffic (Reflex's event socket) passes through untouched, apart from
    the request id being set while the connection is accepted.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers: list[tuple[bytes, bytes]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers") or [])
        token = REQUEST_ID.set(request_id)
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._http(scope, receive, send, request_id)
        finally:
            REQUEST_ID.reset(token)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        if self._headers is None:
            self._headers = security_headers()
        extra = [*self._headers, (b"x-request-id", request_id.encode("latin-1"))]
        started = time.perf_counter()
        status: list[int] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in extra if name not in present)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            path = str(scope.get("path", ""))
            level = logging.DEBUG if path in _QUIET_PATHS or path.startswith(_QUIET_PREFIXES) else logging.INFO
            if log.isEnabledFor(level):
                log.log(
                    level,
                    "%s %s %s",
                    scope.get("method", "GET"),
                    path,
                    status[0] if status else 500,
                    extra={
                        "method": scope.get("method"),
                        "path": path,
                        "status": status[0] if status else 500,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
