"""Resend webhook events: verify their signature, then suppress addresses that bounce or complain.

Resend signs webhooks the Svix way: headers `svix-id`, `svix-timestamp` (Unix seconds) and `svix-signature`
(space-separated `v1,<base64 HMAC-SHA256>` entries) over `"<id>.<timestamp>.<raw body>"`, keyed with the
base64 part of the `whsec_...` secret (`RESEND_WEBHOOK_SECRET`). A timestamp more than five minutes off is
refused, so a captured request cannot be replayed later; an event id already handled is acknowledged and
ignored, since Svix retries deliveries.

`email.bounced` (unless the bounce is marked transient) and `email.complained` set `User.email_suppressed_at`
with the reason, which the user sees in their inbox and operators in `suppressed_addresses`; digests then
stop for that address. Account mail (password resets) is not decided here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from jobwatch.models import MailEvent, User, utcnow

#: Largest accepted difference between the signature's timestamp and our clock, in seconds.
TOLERANCE_SECONDS = 300
SUPPRESSING = ("email.bounced", "email.complained")


class SignatureError(ValueError):
    """A webhook call whose signature is missing, malformed, forged, or too old or too new."""


def _secret_bytes(secret: str) -> bytes:
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("RESEND_WEBHOOK_SECRET is not a whsec_ base64 secret") from exc


def sign(*, body: bytes, event_id: str, timestamp: int, secret: str) -> str:
    """The `svix-signature` value for a body (what the service sends; tests use it to make valid calls)."""
    signed = event_id.encode() + b"." + str(timestamp).encode() + b"." + body
    mac = hmac.new(_secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify_signature(*, body: bytes, headers: Mapping[str, str], secret: str, now: float | None = None) -> str:
    """Check a webhook call's Svix signature; returns its event id (`svix-id`). Raises `SignatureError`."""
    lowered = {k.lower(): v for k, v in headers.items()}
    event_id = lowered.get("svix-id", "")
    stamp = lowered.get("svix-timestamp", "")
    signatures = lowered.get("svix-signature", "")
    if not event_id or not stamp.isdigit() or not signatures:
        raise SignatureError("missing or malformed svix headers")
    if abs((now if now is not None else time.time()) - int(stamp)) > TOLERANCE_SECONDS:
        raise SignatureError("timestamp outside the tolerance window")
    expected = sign(body=body, event_id=event_id, timestamp=int(stamp), secret=secret).split(",", 1)[1]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
            return event_id
    raise SignatureError("no valid signature")


@dataclass(frozen=True, slots=True)
class EventResult:
    """What an event did: `suppressed` (addresses newly suppressed), `duplicate` or `ignored`."""

    outcome: str
    addresses: tuple[str, ...] = ()


def _recipients(data: Mapping[str, Any]) -> list[str]:
    to = data.get("to")
    values = [to] if isinstance(to, str) else list(to or [])
    return sorted({str(v).strip().lower() for v in values if isinstance(v, str) and "@" in v})


def _reason(kind: str, data: Mapping[str, Any]) -> str:
    if kind == "email.complained":
        return "marked as spam by the recipient (complaint)"
    bounce = data.get("bounce") if isinstance(data.get("bounce"), dict) else {}
    message = str((bounce or {}).get("message") or "").strip()
    return f"bounced: {message}"[:500] if message else "bounced"


def handle_event(
    *, session: Session, event_id: str, payload: Mapping[str, Any], now: datetime | None = None
) -> EventResult:
    """Act on one verified event (once per `event_id`). Unknown event types are ignored."""
    now = now or utcnow()
    kind = str(payload.get("type") or "")
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    assert isinstance(data, dict)
    if kind not in SUPPRESSING:
        return EventResult("ignored")
    if session.exec(select(MailEvent.id).where(MailEvent.event_id == event_id)).first() is not None:
        return EventResult("duplicate")
    bounce = data.get("bounce") if isinstance(data.get("bounce"), dict) else {}
    transient = kind == "email.bounced" and str((bounce or {}).get("type") or "").lower() in ("transient", "soft")
    recipients = _recipients(data)
    reason = _reason(kind, data)
    session.add(
        MailEvent(
            event_id=event_id[:200],
            type=kind,
            to_email=recipients[0] if recipients else None,
            provider_message_id=str(data.get("email_id") or "")[:200] or None,
            detail=reason,
            received_at=now,
        )
    )
    suppressed: list[str] = []
    if recipients and not transient:
        users = session.exec(select(User).where(func.lower(User.email).in_(recipients))).all()
        for user in users:
            if user.email_suppressed_at is None:
                user.email_suppressed_at = now
                user.email_suppression_reason = reason
                session.add(user)
                suppressed.append(user.email)
    session.flush()
    return EventResult("suppressed" if suppressed else "ignored", tuple(suppressed))


def receive_webhook(
    *, session: Session, body: bytes, headers: Mapping[str, str], secret: str | None, now: float | None = None
) -> EventResult:
    """Verify and handle one webhook call. Raises `SignatureError` (no secret configured, bad signature) or
    `ValueError` (a verified body that is not a JSON object)."""
    if not secret:
        raise SignatureError("RESEND_WEBHOOK_SECRET is not set")
    event_id = verify_signature(body=body, headers=headers, secret=secret, now=now)
    payload = json.loads(body)
    if not isinstance(payload, dict):
        raise ValueError("the event is not a JSON object")
    return handle_event(session=session, event_id=event_id, payload=payload)


@dataclass(frozen=True, slots=True)
class SuppressedAddress:
    """An address digests no longer go to, and why (for the operators' view)."""

    user_id: int
    email: str
    suppressed_at: datetime
    reason: str | None


def suppressed_addresses(*, session: Session, limit: int = 100) -> list[SuppressedAddress]:
    """The most recently suppressed addresses, at most `limit` (≤ 500)."""
    rows = session.exec(
        select(User)
        .where(col(User.email_suppressed_at).is_not(None))
        .order_by(col(User.email_suppressed_at).desc())
        .limit(max(1, min(limit, 500)))
    ).all()
    return [
        SuppressedAddress(
            user_id=u.id or 0,
            email=u.email,
            suppressed_at=u.email_suppressed_at or utcnow(),
            reason=u.email_suppression_reason,
        )
        for u in rows
    ]


def lift_suppression(*, session: Session, user_id: int) -> bool:
    """Let digests go to the user's address again (after they fixed their mailbox); False if not suppressed."""
    user = session.get(User, user_id)
    if user is None or user.email_suppressed_at is None:
        return False
    user.email_suppressed_at = None
    user.email_suppression_reason = None
    session.add(user)
    session.flush()
    return True
