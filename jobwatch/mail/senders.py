"""Mail senders: the local outbox (default) and Resend (when `RESEND_API_KEY` is set).

SendError                 a message was not accepted
  +-- PermanentSendError  it never will be (an invalid address): record, do not retry
  +-- TransientSendError  try again later (429, 5xx, network)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

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


class SendError(Exception):
    """A message was not accepted by the mail service."""


class PermanentSendError(SendError):
    """The message will never be accepted (an invalid address, a rejected sender)."""


class TransientSendError(SendError):
    """The mail service could not take the message now (rate limit, server error, network)."""


class Sender(Protocol):
    """Something that sends an email; returns the provider's message id. Raises `SendError`."""

    def send(self, message: EmailMessage, *, session: Session) -> str: ...


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


class ResendSender:
    """Sends through the `resend` SDK (`RESEND_API_URL` points it elsewhere, e.g. a loopback fake)."""

    def __init__(self, api_key: str, api_url: str | None = None) -> None:
        self.api_key = api_key
        self.api_url = api_url

    def send(self, message: EmailMessage, *, session: Session) -> str:
        """Send one message with its idempotency key; raises `PermanentSendError` or `TransientSendError`."""
        import resend  # imported here: only a configured deployment needs it at run time

        resend.api_key = self.api_key
        if self.api_url:
            resend.api_url = self.api_url
        params: resend.Emails.SendParams = {
            "from": message.from_,
            "to": [message.to],
            "subject": message.subject,
            "html": message.html,
            "text": message.text,
            "headers": dict(message.headers),
        }
        options: resend.Emails.SendOptions = {}
        if message.idempotency_key:
            options["idempotency_key"] = message.idempotency_key
        try:
            response = resend.Emails.send(params, options)
        except resend.exceptions.ResendError as exc:
            code = int(getattr(exc, "code", 0) or 0)
            if code in (400, 403, 422):
                raise PermanentSendError(str(exc)) from exc
            raise TransientSendError(str(exc)) from exc
        except OSError as exc:
            raise TransientSendError(str(exc)) from exc
        return str(response["id"])


def make_sender(settings: Settings | None = None) -> Sender:
    """Resend when `RESEND_API_KEY` is set, else the local outbox."""
    settings = settings or get_settings()
    if settings.resend_api_key:
        return ResendSender(settings.resend_api_key, settings.resend_api_url)
    return OutboxSender()
