"""Mail senders: the local outbox (default) and Resend (when `RESEND_API_KEY` is set).

A sender sends one message (`send`, account mail) or a batch of up to 100 (`send_batch`, digests). A batch
call carries an idempotency key derived from stored ids, and is made in permissive mode: one invalid address
is refused on its own (`BatchOutcome.errors`) without sinking the rest.

SendError                 a message or batch was not accepted
  +-- PermanentSendError  it never will be (an invalid address, a malformed batch): record, do not retry
  +-- TransientSendError  try again later with the same key (429, 5xx, timeout, network, bad API key);
                          `retry_after` is the wait the service asked for, `maybe_delivered` whether the
                          service may have acted on the call (a timeout or 5xx) rather than surely not (429)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel import Session

from jobwatch.config import Settings, get_settings
from jobwatch.models import OutboxMessage


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """One email to send. `idempotency_key` is derived from stored ids, so a retry sends the same key."""

    to: str
    from_: str
    subject: str
    html: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)
    idempotency_key: str | None = None
    kind: str = "digest"


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """A batch call the service accepted (2xx): per message, in order, its provider id or why it was refused.

    `ids[i]` is None exactly when `errors[i]` holds the refusal (permissive mode: an invalid address).
    `retry_after` is how long (seconds) the service asked every caller to wait before the next call (a
    `retry-after` header on a 2xx), or None. `ratelimit-remaining: 0` on a 2xx is not a reason to wait: at
    our own pace the window is always just full, and its whole-second `ratelimit-reset` would cost a third of
    the throughput; a call that does exceed the limit gets a 429 whose headers are honoured.
    """

    ids: list[str | None]
    errors: dict[int, str] = field(default_factory=dict)
    retry_after: float | None = None


class SendError(Exception):
    """A message was not accepted by the mail service."""


class PermanentSendError(SendError):
    """The message will never be accepted (an invalid address, a rejected sender)."""


class TransientSendError(SendError):
    """The mail service could not take the message now (rate limit, server error, network).

    `retry_after`: seconds the service asked to wait (None: unknown). `maybe_delivered`: False only when the
    service surely did not act on the call (it answered 429 or refused the credentials).
    """

    def __init__(self, message: str, *, retry_after: float | None = None, maybe_delivered: bool = True) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.maybe_delivered = maybe_delivered


class Sender(Protocol):
    """Something that sends email. Both methods raise `SendError` subclasses."""

    def send(self, message: EmailMessage, *, session: Session) -> str:
        """Send one message; returns the provider's message id."""
        ...

    def send_batch(self, messages: Sequence[EmailMessage], *, idempotency_key: str, session: Session) -> BatchOutcome:
        """Send up to 100 messages in one call carrying `idempotency_key`; see `BatchOutcome`."""
        ...


class OutboxSender:
    """Writes messages to the `outbox_message` table, in the caller's transaction; the UI shows them."""

    def send(self, message: EmailMessage, *, session: Session) -> str:
        """Store `message` in the outbox; returns `outbox-<id>`."""
        row = OutboxMessage(
            to_email=message.to,
            from_email=message.from_,
            subject=message.subject,
            html=message.html,
            text=message.text,
            headers=dict(message.headers),
            kind=message.kind,
        )
        session.add(row)
        session.flush()
        return f"outbox-{row.id}"

    def send_batch(self, messages: Sequence[EmailMessage], *, idempotency_key: str, session: Session) -> BatchOutcome:
        """Store every message (N rows in the caller's transaction, so they commit with the sent marks)."""
        return BatchOutcome(ids=[self.send(message, session=session) for message in messages])


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None and value.strip() else None
    except ValueError:
        return None  # an HTTP-date retry-after: the caller's own backoff applies


def retry_after_from(headers: Mapping[str, str], *, limited: bool) -> float | None:
    """Seconds to wait from rate-limit headers: `retry-after`, else (when `limited` or nothing remains)
    `ratelimit-reset`; None when the headers ask for no wait."""
    wait = _seconds(_header(headers, "retry-after"))
    if wait is not None:
        return wait
    if limited or _header(headers, "ratelimit-remaining") == "0":
        return _seconds(_header(headers, "ratelimit-reset"))
    return None


def _http_client(timeout: float) -> Any:
    """The resend SDK's HTTP client: httpx with our timeout and a kept-alive connection."""
    import httpx
    from resend.http_client import HTTPClient

    class HttpxClient(HTTPClient):
        def __init__(self) -> None:
            self.client = httpx.Client(timeout=timeout)

        def request(
            self,
            method: str,
            url: str,
            headers: Mapping[str, str],
            json: dict[str, object] | list[object] | None = None,
            files: dict[str, Any] | None = None,
            data: dict[str, str] | None = None,
        ) -> tuple[bytes, int, Mapping[str, str]]:
            response = self.client.request(method, url, headers=headers, json=json, files=files, data=data)
            return response.content, response.status_code, response.headers

    return HttpxClient()


class ResendSender:
    """Sends through the `resend` SDK (`RESEND_API_URL` points it elsewhere, e.g. a loopback fake)."""

    def __init__(self, api_key: str, api_url: str | None = None, *, timeout: float = 30.0) -> None:
        self.api_key = api_key
        self.api_url = api_url
        self.timeout = timeout
        self._client: Any = None
        # Import the SDK and make its client now, not in the first send: that first call would leave late
        # for its paced slot (by the import's ~100 ms) and crowd the next calls into a 429.
        self._configure()

    def _configure(self) -> Any:
        import resend  # imported here: only a configured deployment needs it at run time

        if self._client is None:
            self._client = _http_client(self.timeout)
        # The SDK is configured through module globals; set them on every call, one worker thread at a time.
        resend.api_key = self.api_key
        if self.api_url:
            resend.api_url = self.api_url.rstrip("/")
        resend.default_http_client = self._client
        return resend

    @staticmethod
    def _params(message: EmailMessage) -> dict[str, Any]:
        return {
            "from": message.from_,
            "to": [message.to],
            "subject": message.subject,
            "html": message.html,
            "text": message.text,
            "headers": dict(message.headers),
        }

    @staticmethod
    def _error(exc: Exception) -> SendError:
        code_text = str(getattr(exc, "code", "") or "")
        code = int(code_text) if code_text.isdigit() else 500
        kind = str(getattr(exc, "error_type", "") or "")
        headers = dict(getattr(exc, "headers", None) or {})
        text = f"{code} {kind}: {exc}".strip()
        if code == 429:
            return TransientSendError(text, retry_after=retry_after_from(headers, limited=True), maybe_delivered=False)
        if code in (401, 403):
            # A missing or revoked API key is the operator's to fix; the messages stay queued meanwhile.
            return TransientSendError(text, maybe_delivered=False)
        if code == 409 and kind == "concurrent_idempotent_requests":
            return TransientSendError(text, retry_after=1.0)
        if 400 <= code < 500:
            return PermanentSendError(text)
        return TransientSendError(text, retry_after=retry_after_from(headers, limited=False))

    def send(self, message: EmailMessage, *, session: Session) -> str:
        """Send one message with its idempotency key; raises `PermanentSendError` or `TransientSendError`."""
        resend = self._configure()
        options: dict[str, Any] = {}
        if message.idempotency_key:
            options["idempotency_key"] = message.idempotency_key
        try:
            response = resend.Emails.send(self._params(message), options)
        except resend.exceptions.ResendError as exc:
            raise self._error(exc) from exc
        except OSError as exc:
            raise TransientSendError(str(exc)) from exc
        return str(response["id"])

    def send_batch(self, messages: Sequence[EmailMessage], *, idempotency_key: str, session: Session) -> BatchOutcome:
        """One `POST /emails/batch` in permissive mode with `idempotency_key`; see `BatchOutcome`."""
        resend = self._configure()
        options = {"idempotency_key": idempotency_key, "batch_validation": "permissive"}
        try:
            response = resend.Batch.send([self._params(m) for m in messages], options)
        except resend.exceptions.ResendError as exc:
            raise self._error(exc) from exc
        except OSError as exc:
            raise TransientSendError(str(exc)) from exc
        errors: dict[int, str] = {}
        for item in response.get("errors") or []:
            index = int(item.get("index", -1))
            if 0 <= index < len(messages):
                errors[index] = str(item.get("message") or "refused")[:500]
        data = [str(item.get("id")) for item in response.get("data") or []]
        ids: list[str | None]
        if len(data) == len(messages):  # one entry per message, refused ones included
            ids = [None if i in errors else data[i] for i in range(len(messages))]
        else:  # entries only for the accepted messages, in order
            accepted = iter(data)
            ids = [None if i in errors else next(accepted, None) for i in range(len(messages))]
        # A 2xx without an id for an unrefused message still means accepted: never send it again.
        ids = [value if value is not None or i in errors else "" for i, value in enumerate(ids)]
        headers = dict(response.get("http_headers") or {})
        return BatchOutcome(ids=ids, errors=errors, retry_after=_seconds(_header(headers, "retry-after")))


def make_sender(settings: Settings | None = None) -> Sender:
    """Resend when `RESEND_API_KEY` is set, else the local outbox."""
    settings = settings or get_settings()
    if settings.resend_api_key:
        return ResendSender(settings.resend_api_key, settings.resend_api_url, timeout=settings.resend_timeout_seconds)
    return OutboxSender()
