""" "Send me a sample digest now": the digest an alert (saved or still a draft) would send, mailed at once.

The sample is built like a real digest (`core.digests.build_digest`, `mail.render.render_digest`) from the
newest open postings the filters match (the alert preview, `services.alerts.preview`), so the user sees what
their email will look like. It changes no notification, digest or alert: the real digests are unaffected.

Limits: only to the account's own address, only when digests could reach it (verified when
`REQUIRE_VERIFIED_EMAIL`, not suppressed after a bounce or complaint), and at most `SAMPLE_DIGEST.limit` a
window per user (`services.throttle`), so the button cannot be used to flood an inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlmodel import Session

from jobwatch.config import get_settings
from jobwatch.core.digests import DigestPosting, build_digest, safe_url
from jobwatch.errors import BadInput
from jobwatch.mail.render import render_digest
from jobwatch.mail.senders import EmailMessage, Sender, SendError, make_sender
from jobwatch.models import JobAlert, User
from jobwatch.services import throttle
from jobwatch.services.alerts import preview
from jobwatch.services.unsubscribe import unsubscribe_token

#: At most 5 samples an hour per user.
SAMPLE_DIGEST = throttle.Rule("sample-digest", 5, timedelta(hours=1))


@dataclass(frozen=True, slots=True)
class SampleSent:
    """A sample that went out: to which address, with how many postings, under which subject."""

    to: str
    postings: int
    subject: str


def send_sample_digest(
    *,
    session: Session,
    user_id: int,
    name: str,
    filters: dict[str, Any],
    alert_id: int | None = None,
    sender: Sender | None = None,
    store: throttle.ThrottleStore | None = None,
) -> SampleSent:
    """Mail the user a sample digest of `filters` under the alert name `name` (a saved alert of theirs when
    `alert_id` is given: its unsubscribe link is then the real one).

    Raises `BadInput` with a message for the page: invalid filters (the core's message), an address that
    digests cannot reach, nothing matching yet, the hourly limit (`throttle.Throttled`), or a refusal by the
    mail service. Nothing else is stored than the sent message (the outbox, without `RESEND_API_KEY`).
    """
    settings = get_settings()
    user = session.get(User, user_id)
    if user is None:
        raise BadInput("no such account")
    if user.email_suppressed_at is not None:
        raise BadInput("digest emails to your address are stopped after a bounce or complaint; see your inbox")
    if settings.require_verified_email and user.email_verified_at is None:
        raise BadInput("confirm your email address first (see Settings): digests go only to confirmed addresses")
    name = " ".join(name.split())[:100] or "Your alert"
    found = preview(session=session, filters=filters, limit=settings.digest_max_per_alert)
    if not found.postings:
        raise BadInput("no open job matches these filters yet, so a sample would be empty")
    # Counted before anything is sent; a refused sample is not counted against the user.
    ticket = throttle.acquire(
        [(SAMPLE_DIGEST, f"user:{user_id}")], store=store or throttle.default_store(), what="sample digests"
    )
    base = settings.app_url.rstrip("/")
    own = session.get(JobAlert, alert_id) if alert_id is not None else None
    if own is not None and own.user_id == user_id and own.id is not None:
        unsubscribe = f"{base}/unsubscribe?token={quote(unsubscribe_token(user_id, [own.id]))}"
    else:
        unsubscribe = f"{base}/settings"
    postings = [
        DigestPosting(
            title=p.title,
            company=p.company,
            location=p.location,
            url=safe_url(p.url),
            posted_at=p.posted_at,
        )
        for p in found.postings
    ]
    content = build_digest(
        [(name, postings)],
        max_per_alert=settings.digest_max_per_alert,
        greeting_name=user.display_name,
        links={"inbox": f"{base}/inbox", "alerts": f"{base}/alerts", "unsubscribe": unsubscribe},
    )
    rendered = render_digest(content)
    subject = f"Sample: {rendered.subject}"
    message = EmailMessage(
        to=user.email,
        from_=settings.email_from,
        subject=subject,
        html=rendered.html,
        text=rendered.text,
        kind="sample",
    )
    try:
        (sender or make_sender()).send(message, session=session)
    except SendError as exc:
        ticket.forgive_all()
        raise BadInput(f"the mail service did not take the sample: {exc}") from exc
    return SampleSent(to=user.email, postings=len(postings), subject=subject)
