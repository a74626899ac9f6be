"""Email digests: find what is due, build one digest per user per tick, send them in batches, record outcomes.

Three steps keep "everyone gets what matched, nobody gets anything twice" through crashes and retries:
1. Build, in one transaction per user: the user's pending notifications of due alerts are tied to a new
   `Digest` row (status `pending`, rendered payload stored) and the alerts' digest cursors move to `now`.
2. Claim, in one transaction per batch: up to `RESEND_BATCH_SIZE` pending digests get a `MailBatch` whose
   idempotency key (`jobwatch-batch-<id>-<random>`) is stored with it, before anything is sent.
3. Deliver: the batch's payload is rebuilt from the stored rows, so every attempt (in this run, the next tick
   or after a crash) sends the same messages with the same key, and the service never acts twice. Digests
   are marked `sent` only after a 2xx; a message the service refuses (an invalid address) is marked `failed`
   with its reason, which the user's inbox shows. 429 and 5xx answers are retried with backoff honouring the
   rate-limit headers; every call takes a slot of the pace shared by all worker processes
   (`services.ratelimit`), and while waiting for its slot the run builds the next users' digests.

Resend keeps idempotency keys for 24 hours: a batch whose outcome is unknown (a timeout, a 5xx or a crash
after the call went out) and that is still unsent `IDEMPOTENCY_WINDOW` later is given up rather than sent
again without that protection (its notifications stay in the inbox).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from urllib.parse import quote

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobwatch.config import get_settings
from jobwatch.core.digests import DigestPosting, build_digest, is_due, safe_url
from jobwatch.db import session_scope
from jobwatch.mail.render import render_digest
from jobwatch.mail.senders import (
    EmailMessage,
    PermanentSendError,
    Sender,
    TransientSendError,
    make_sender,
)
from jobwatch.models import (
    Digest,
    JobAlert,
    JobPosting,
    MailBatch,
    Notification,
    User,
    UserJobInteraction,
    utcnow,
)
from jobwatch.services.ratelimit import Pacer, make_pacer, wait_until
from jobwatch.services.unsubscribe import unsubscribe_token
from jobwatch.storage import locations_text

log = logging.getLogger(__name__)

#: How long after an attempt of unknown outcome a batch may still be sent under its idempotency key
#: (Resend keeps keys for 24 hours; an hour of margin for clocks and slow ticks).
IDEMPOTENCY_WINDOW = timedelta(hours=23)
#: Users whose digests are built in one transaction: few statements per user, and short steps between calls.
BUILD_CHUNK = 25
#: The name of the pace shared by every process that calls the mail service.
PACE_NAME = "resend"


def _batch_lease() -> timedelta:
    """How long a worker delivering a batch holds it (`MailBatch.next_attempt_at`), so that other workers leave
    it alone; a worker that died lets it go to the next tick after that (`MAIL_BATCH_LEASE_SECONDS`)."""
    return timedelta(seconds=get_settings().mail_batch_lease_seconds)


@dataclass(slots=True)
class DigestSummary:
    """What one digest pass did, in digests: built, sent, failed (refused for good), left for a retry;
    and `batches`, the batch calls the mail service accepted."""

    built: int = 0
    sent: int = 0
    failed: int = 0
    retry: int = 0
    batches: int = 0


@dataclass(frozen=True, slots=True)
class Backoff:
    """Retrying one batch within a run: waits `base * 2**n` seconds (at most `cap`) unless the service named
    a wait, for at most `tries` attempts; then the batch waits for a later tick (`next_attempt_at`)."""

    base: float = 1.0
    cap: float = 60.0
    tries: int = 6

    def delay(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failed attempt in a row (1-based)."""
        return float(min(self.cap, self.base * 2 ** max(0, failures - 1)))


# --- building ---------------------------------------------------------------------------------------------


def _settled_until(alert: JobAlert) -> datetime:
    return alert.digest_cursor_at or alert.created_at


class _Builder:
    """Builds due digests a few users at a time (`step`), so delivery can interleave with building."""

    def __init__(self, engine: Engine | None, now: datetime, chunk: int = BUILD_CHUNK) -> None:
        self.engine = engine
        self.now = now
        self.chunk = chunk
        self.built = 0
        self._users: Iterator[int] | None = None

    def _user_ids(self) -> Iterator[int]:
        with session_scope(self.engine) as session:
            ids = list(
                session.exec(
                    select(JobAlert.user_id)
                    .where(col(JobAlert.is_active).is_(True))
                    .distinct()
                    .order_by(col(JobAlert.user_id))
                ).all()
            )
        return iter(ids)

    def step(self) -> bool:
        """Build the digests due for the next few users; False when every user has been looked at."""
        if self._users is None:
            self._users = self._user_ids()
        user_ids = list(islice(self._users, self.chunk))
        if not user_ids:
            return False
        with session_scope(self.engine) as session:
            self.built += _build_for_users(session=session, user_ids=user_ids, now=self.now)
        return True

    def finish(self) -> None:
        """Build for every remaining user."""
        while self.step():
            pass


def build_due_digests(*, engine: Engine | None = None, now: datetime) -> int:
    """Create the `pending` digests due at `now` (one per user at most); returns how many were built."""
    builder = _Builder(engine, now)
    builder.finish()
    return builder.built


def _build_for_users(*, session: Session, user_ids: list[int], now: datetime) -> int:
    """Build the due digest of each of `user_ids` in one transaction (a handful of statements for them all:
    this runs for every user every tick). Returns how many digests were built."""
    settings = get_settings()
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all()}
    alerts_of: dict[int, list[JobAlert]] = defaultdict(list)
    for alert in session.exec(
        select(JobAlert)
        .where(col(JobAlert.user_id).in_(list(users)), col(JobAlert.is_active).is_(True))
        .order_by(col(JobAlert.id))
    ).all():
        alerts_of[alert.user_id].append(alert)
    due_of: dict[int, dict[int, JobAlert]] = {}
    for user_id, user in users.items():
        paused = user.notifications_paused_until is not None and user.notifications_paused_until > now
        unverified = settings.require_verified_email and user.email_verified_at is None
        # Matches wait (pending) while mail cannot go out; they come in the first digest after that changes.
        if paused or unverified or user.email_suppressed_at is not None or user_id is None:
            continue
        due = {
            a.id: a
            for a in alerts_of[user_id]
            if a.id is not None
            and "email" in a.channels
            and is_due(
                a.frequency,
                settled_until=_settled_until(a),
                now=now,
                tz=user.timezone,
                hour=user.digest_hour,
                weekday=user.weekly_day,
            )
        }
        if due:
            due_of[user_id] = due
    if not due_of:
        return 0
    session.exec(
        update(JobAlert)
        .where(col(JobAlert.id).in_([a for due in due_of.values() for a in due]))
        .values(digest_cursor_at=now)
    )
    pending_of: dict[int, list[tuple[Notification, JobPosting]]] = defaultdict(list)
    for note, posting in session.exec(
        select(Notification, JobPosting)
        .join(JobPosting, col(JobPosting.id) == Notification.posting_id)
        .where(
            col(Notification.user_id).in_(list(due_of)),
            Notification.email_status == "pending",
            col(Notification.digest_id).is_(None),
        )
        .order_by(col(Notification.created_at), col(Notification.id))
    ).all():
        pending_of[note.user_id].append((note, posting))
    if not pending_of:
        return 0
    hidden = set(
        session.exec(
            select(UserJobInteraction.user_id, UserJobInteraction.posting_id).where(
                col(UserJobInteraction.user_id).in_(list(pending_of)),
                col(UserJobInteraction.hidden_at).is_not(None),
            )
        ).all()
    )
    skipped: list[int] = []
    built: list[tuple[Digest, list[int]]] = []
    notified: list[int] = []
    for user_id, pending in pending_of.items():
        made = _digest_for_user(
            user=users[user_id],
            alerts=alerts_of[user_id],
            due=due_of[user_id],
            pending=pending,
            hidden=hidden,
            skipped=skipped,
            now=now,
        )
        if made is not None:
            built.append(made)
            notified.extend(made[0].alert_ids)
    if skipped:
        session.exec(update(Notification).where(col(Notification.id).in_(skipped)).values(email_status="skipped"))
    if not built:
        return 0
    session.add_all([digest for digest, _ in built])
    session.flush()
    # ORM bulk UPDATE by primary key: one executemany for every covered notification.
    session.execute(
        update(Notification),
        [
            {"id": note_id, "digest_id": digest.id, "email_status": "queued"}
            for digest, note_ids in built
            for note_id in note_ids
        ],
    )
    session.exec(update(JobAlert).where(col(JobAlert.id).in_(notified)).values(last_notified_at=now))
    return len(built)


def _digest_for_user(
    *,
    user: User,
    alerts: list[JobAlert],
    due: dict[int, JobAlert],
    pending: list[tuple[Notification, JobPosting]],
    hidden: set[tuple[int, int]],
    skipped: list[int],
    now: datetime,
) -> tuple[Digest, list[int]] | None:
    """The digest (not yet stored) of one user's pending matches of due alerts, with the notification ids it
    covers; None when nothing is left to tell. Closed or hidden postings go to `skipped`."""
    settings = get_settings()
    user_id = user.id or 0
    names = {a.id: a.name for a in alerts}
    groups: dict[int, list[DigestPosting]] = defaultdict(list)
    included: list[int] = []
    for note, posting in pending:
        due_ids = [a for a in note.alert_ids if a in due]
        if not due_ids:
            continue  # waits for the digest of one of its own alerts
        if posting.closed_at is not None or (user_id, posting.id) in hidden:
            # Closed before we could tell anyone, or hidden by the user: not worth an email.
            skipped.append(note.id or 0)
            continue
        first = due_ids[0]
        groups[first].append(
            DigestPosting(
                title=posting.title,
                company=posting.company,
                location=locations_text(posting.locations),
                url=safe_url(posting.url),
                posted_at=posting.posted_at,
                also=tuple(names[a] for a in note.alert_ids if a != first and a in names),
            )
        )
        included.append(note.id or 0)
    if not included:
        return None
    base = settings.app_url.rstrip("/")
    alert_order = sorted(groups)
    # The header link stops exactly the alerts this digest came from; each section offers its own alert.
    unsubscribe = f"{base}/unsubscribe?token={quote(unsubscribe_token(user_id, alert_order))}"
    content = build_digest(
        [(names[a], groups[a]) for a in alert_order],
        max_per_alert=settings.digest_max_per_alert,
        greeting_name=user.display_name,
        links={"inbox": f"{base}/inbox", "alerts": f"{base}/alerts", "unsubscribe": unsubscribe},
        unsubscribe_urls=[
            f"{base}/unsubscribe?token={quote(unsubscribe_token(user_id, [a]))}" if len(alert_order) > 1 else None
            for a in alert_order
        ],
    )
    rendered = render_digest(content)
    digest = Digest(
        user_id=user_id,
        to_email=user.email,
        subject=rendered.subject,
        alert_ids=alert_order,
        posting_count=len(included),
        html=rendered.html,
        text=rendered.text,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        created_at=now,
    )
    return digest, included


# --- delivering -------------------------------------------------------------------------------------------


class _Delivery:
    """Claims pending digests into batches and delivers batches, pacing every call."""

    def __init__(
        self,
        *,
        engine: Engine | None,
        sender: Sender | None,
        pacer: Pacer | None,
        now: datetime,
        backoff: Backoff,
        summary: DigestSummary,
    ) -> None:
        settings = get_settings()
        self.engine = engine
        self.sender = sender
        self.pacer = pacer
        self.now = now
        self.backoff = backoff
        self.summary = summary
        self.batch_size = settings.resend_batch_size
        self.from_email = settings.email_from
        #: Set when a batch ran out of tries: the service is unwell, the rest waits for the next tick.
        self.stopped = False

    def count_unbatched(self) -> int:
        with session_scope(self.engine) as session:
            return int(
                session.exec(
                    select(func.count())
                    .select_from(Digest)
                    .where(Digest.status == "pending", col(Digest.batch_id).is_(None))
                ).one()
            )

    def open_batches(self) -> list[int]:
        """Batches claimed earlier and not yet settled, oldest first, whose retry time has come."""
        with session_scope(self.engine) as session:
            return [
                batch_id
                for batch_id in session.exec(
                    select(MailBatch.id)
                    .where(
                        MailBatch.status == "pending",
                        col(MailBatch.next_attempt_at).is_(None) | (col(MailBatch.next_attempt_at) <= self.now),
                    )
                    .order_by(col(MailBatch.id))
                ).all()
                if batch_id is not None
            ]

    def claim(self) -> tuple[int, int] | None:
        """Store a new batch of the oldest unbatched pending digests; returns (batch id, size) or None."""
        with session_scope(self.engine) as session:
            rows = session.exec(
                select(Digest.id, User.email_suppressed_at, User.email_suppression_reason)
                .join(User, col(User.id) == Digest.user_id)
                .where(Digest.status == "pending", col(Digest.batch_id).is_(None))
                .order_by(col(Digest.id))
                .limit(self.batch_size)
            ).all()
            if not rows:
                return None
            suppressed = [digest_id or 0 for digest_id, at, _ in rows if at is not None]
            if suppressed:
                # A bounce or complaint arrived after the digest was built: it is not sent at all.
                self._settle(session, suppressed, "failed", "address suppressed after a bounce or complaint")
                self.summary.failed += len(suppressed)
            ids = [digest_id or 0 for digest_id, at, _ in rows if at is None]
            if not ids:
                return None
            batch = MailBatch(
                idempotency_key=f"jobwatch-batch-new-{secrets.token_hex(12)}",
                from_email=self.from_email,
                created_at=self.now,
                next_attempt_at=self.now + _batch_lease(),  # held by this worker from the start
            )
            session.add(batch)
            session.flush()
            assert batch.id is not None
            # The key names the stored batch; the random part keeps it unique if ids restart (a new database).
            batch.idempotency_key = f"jobwatch-batch-{batch.id}-{secrets.token_hex(4)}"
            claimed = session.exec(
                update(Digest)
                .where(
                    col(Digest.id).in_(ids),
                    col(Digest.batch_id).is_(None),
                    col(Digest.status) == "pending",
                )
                .values(batch_id=batch.id)
            )
            batch.size = int(claimed.rowcount or 0)
            if batch.size == 0:  # another process claimed them first
                batch.status, batch.error = "failed", "empty: its digests were claimed elsewhere"
                return None
            session.add(batch)
            return batch.id, batch.size

    def _members(self, session: Session, batch_id: int) -> list[Digest]:
        return list(session.exec(select(Digest).where(Digest.batch_id == batch_id).order_by(col(Digest.id))).all())

    def _settle(self, session: Session, digest_ids: list[int], status: str, error: str | None) -> None:
        values: dict[str, object] = {"status": status, "error": error}
        if status == "sent":
            values["sent_at"] = self.now
        session.exec(update(Digest).where(col(Digest.id).in_(digest_ids)).values(**values))
        session.exec(
            update(Notification).where(col(Notification.digest_id).in_(digest_ids)).values(email_status=status)
        )

    def _lease(self, batch_id: int) -> bool:
        """Hold a batch for this worker; False when another worker holds it or it is settled."""
        with session_scope(self.engine) as session:
            held = session.exec(
                update(MailBatch)
                .where(
                    col(MailBatch.id) == batch_id,
                    col(MailBatch.status) == "pending",
                    col(MailBatch.next_attempt_at).is_(None) | (col(MailBatch.next_attempt_at) <= self.now),
                )
                .values(next_attempt_at=self.now + _batch_lease())
            )
            return bool(held.rowcount)

    def deliver(self, batch_id: int, *, work: Callable[[], bool] | None, held: bool = False) -> None:
        """Deliver one stored batch: retry with backoff up to `backoff.tries` times in this run.

        `held`: the batch was just claimed by this worker; otherwise it is leased first (and skipped when
        another worker holds it).
        """
        if self.sender is None or self.pacer is None:
            raise ValueError("delivering needs a sender and a pacer")
        if not held and not self._lease(batch_id):
            return
        failures = 0
        while True:
            with session_scope(self.engine) as session:
                batch = session.get(MailBatch, batch_id)
                if batch is None or batch.status != "pending":
                    return
                members = self._members(session, batch_id)
                if not members:
                    batch.status, batch.error = "failed", "no digests left in this batch"
                    session.add(batch)
                    return
                if batch.in_doubt_since is not None and self.now - batch.in_doubt_since > IDEMPOTENCY_WINDOW:
                    self._abandon(session, batch, members)
                    return
                messages = [
                    EmailMessage(
                        to=d.to_email,
                        from_=batch.from_email,
                        subject=d.subject,
                        html=d.html,
                        text=d.text,
                        headers=dict(d.headers),
                        idempotency_key=batch.idempotency_key,
                    )
                    for d in members
                ]
                key = batch.idempotency_key
                doubt_before = batch.in_doubt_since
                batch.attempts += 1
                batch.last_attempt_at = self.now
                # Stored before the call: if this process dies while the call is out, the batch is in doubt.
                batch.in_doubt_since = doubt_before or self.now
                session.add(batch)
            wait_until(self.pacer.reserve(), work=work)
            try:
                with session_scope(self.engine) as session:
                    outcome = self.sender.send_batch(messages, idempotency_key=key, session=session)
                    self._record_success(session, batch_id, outcome.ids, outcome.errors)
                if outcome.retry_after:
                    self.pacer.hold_until(time.time() + outcome.retry_after)
                return
            except PermanentSendError as exc:
                with session_scope(self.engine) as session:
                    self._record_refusal(session, batch_id, str(exc))
                return
            except TransientSendError as exc:
                failures += 1
                delay = exc.retry_after if exc.retry_after is not None else self.backoff.delay(failures)
                # Everyone waits: a 429 or a struggling service concerns every process's calls.
                self.pacer.hold_until(time.time() + delay)
                give_up = failures >= self.backoff.tries
                with session_scope(self.engine) as session:
                    batch = session.get_one(MailBatch, batch_id)
                    batch.error = str(exc)[:2000]
                    if not exc.maybe_delivered and doubt_before is None:
                        batch.in_doubt_since = None  # the service surely did not act on this call
                    if give_up:
                        batch.next_attempt_at = self.now + timedelta(seconds=delay)
                    session.add(batch)
                log.warning("batch %s not accepted (attempt %s): %s", batch_id, failures, exc)
                if give_up:
                    self.summary.retry += len(messages)
                    self.stopped = True
                    return

    def _record_success(self, session: Session, batch_id: int, ids: list[str | None], errors: dict[int, str]) -> None:
        batch = session.get_one(MailBatch, batch_id)
        members = self._members(session, batch_id)
        batch.status, batch.sent_at, batch.error = "sent", self.now, None
        session.add(batch)
        sent: list[int] = []
        for index, digest in enumerate(members):
            digest.attempts = batch.attempts
            if index in errors:
                digest.status, digest.error = "failed", errors[index]
                self.summary.failed += 1
            else:
                digest.status, digest.sent_at, digest.error = "sent", self.now, None
                digest.provider_message_id = (ids[index] if index < len(ids) else None) or None
                sent.append(digest.id or 0)
                self.summary.sent += 1
            session.add(digest)
        session.flush()
        failed = [d.id or 0 for i, d in enumerate(members) if i in errors]
        if sent:
            session.exec(update(Notification).where(col(Notification.digest_id).in_(sent)).values(email_status="sent"))
        if failed:
            session.exec(
                update(Notification).where(col(Notification.digest_id).in_(failed)).values(email_status="failed")
            )
        self.summary.batches += 1

    def _record_refusal(self, session: Session, batch_id: int, error: str) -> None:
        batch = session.get_one(MailBatch, batch_id)
        members = self._members(session, batch_id)
        batch.status, batch.error = "failed", error[:2000]
        session.add(batch)
        self._settle(session, [d.id or 0 for d in members], "failed", error[:2000])
        self.summary.failed += len(members)
        log.error("batch %s refused for good: %s", batch_id, error)

    def _abandon(self, session: Session, batch: MailBatch, members: list[Digest]) -> None:
        error = (
            "delivery outcome unknown and the idempotency key has expired; not sent again so that nobody "
            "gets it twice (the jobs are in the inbox)"
        )
        batch.status, batch.error = "failed", error
        session.add(batch)
        self._settle(session, [d.id or 0 for d in members], "failed", error)
        self.summary.failed += len(members)
        log.error("batch %s abandoned: %s", batch.id, error)


def send_due_digests(
    *,
    engine: Engine | None = None,
    now: datetime | None = None,
    sender: Sender | None = None,
    pacer: Pacer | None = None,
    backoff: Backoff | None = None,
) -> DigestSummary:
    """Build the digests due at `now` and deliver every pending digest in paced batches. Idempotent per tick.

    Batches claimed earlier go first; then full batches are claimed as digests are built, and the time spent
    waiting for a call slot builds further digests. When a batch exhausts its tries the run stops sending
    (the rest stays pending for the next tick) but still builds every due digest.
    """
    now = now or utcnow()
    settings = get_settings()
    summary = DigestSummary()
    builder = _Builder(engine, now)
    delivery = _Delivery(
        engine=engine,
        sender=sender or make_sender(),
        pacer=pacer or make_pacer(PACE_NAME, settings.resend_rate_per_second, engine=engine),
        now=now,
        backoff=backoff or Backoff(),
        summary=summary,
    )
    for batch_id in delivery.open_batches():
        if delivery.stopped:
            break
        delivery.deliver(batch_id, work=builder.step)
    claimed = 0
    base = delivery.count_unbatched()
    while not delivery.stopped:
        while base + builder.built - claimed < delivery.batch_size and builder.step():
            pass
        if base + builder.built - claimed <= 0:
            break
        got = delivery.claim()
        if got is None:
            base, claimed = delivery.count_unbatched(), builder.built  # someone else claimed: recount
            if base == 0 and not builder.step():
                break
            continue
        batch_id, size = got
        claimed += size
        delivery.deliver(batch_id, work=builder.step, held=True)
    builder.finish()
    summary.built = builder.built
    if delivery.stopped:
        summary.retry += delivery.count_unbatched()
    return summary


def claim_pending_digests(*, engine: Engine | None = None, now: datetime) -> list[int]:
    """Store every pending digest not yet in a batch into new batches (membership and key stored, nothing
    sent); returns the new batch ids. Each batch is held by the caller for `MAIL_BATCH_LEASE_SECONDS` (see
    `deliver_batch`)."""
    delivery = _Delivery(engine=engine, sender=None, pacer=None, now=now, backoff=Backoff(), summary=DigestSummary())
    ids: list[int] = []
    while (got := delivery.claim()) is not None:
        ids.append(got[0])
    return ids


def deliver_batch(
    batch_id: int,
    *,
    engine: Engine | None = None,
    sender: Sender,
    now: datetime,
    pacer: Pacer | None = None,
    backoff: Backoff | None = None,
    held: bool = True,
) -> DigestSummary:
    """Deliver one stored batch (see the module docstring); `held=False` leases it first, skipping it when
    another worker holds it."""
    settings = get_settings()
    summary = DigestSummary()
    delivery = _Delivery(
        engine=engine,
        sender=sender,
        pacer=pacer or make_pacer(PACE_NAME, settings.resend_rate_per_second, engine=engine),
        now=now,
        backoff=backoff or Backoff(),
        summary=summary,
    )
    delivery.deliver(batch_id, work=None, held=held)
    return summary


# --- what went wrong, for people ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MailProblem:
    """Why a user's digests do not arrive: a suppressed address (bounce or complaint, with the service's
    reason) and/or digests the mail service refused for good (how many, the latest reason and time)."""

    suppressed_at: datetime | None
    suppression_reason: str | None
    failed_digests: int
    last_error: str | None
    last_failed_at: datetime | None


def mail_problem(*, session: Session, user_id: int) -> MailProblem | None:
    """The user's mail problem, or None when their digests go out normally."""
    user = session.get(User, user_id)
    if user is None:
        return None
    failed = session.exec(
        select(Digest)
        .where(Digest.user_id == user_id, Digest.status == "failed")
        .order_by(col(Digest.created_at).desc(), col(Digest.id).desc())
    ).first()
    if user.email_suppressed_at is None and failed is None:
        return None
    last_sent = session.exec(
        select(func.max(Digest.created_at)).where(Digest.user_id == user_id, Digest.status == "sent")
    ).one()
    if user.email_suppressed_at is None and failed is not None and last_sent and last_sent > failed.created_at:
        return None  # an old failure, mail flows again since
    count = int(
        session.exec(
            select(func.count()).select_from(Digest).where(Digest.user_id == user_id, Digest.status == "failed")
        ).one()
    )
    return MailProblem(
        suppressed_at=user.email_suppressed_at,
        suppression_reason=user.email_suppression_reason,
        failed_digests=count,
        last_error=failed.error if failed is not None else None,
        last_failed_at=failed.created_at if failed is not None else None,
    )


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    """One digest the mail service refused for good (for the operators' view)."""

    digest_id: int
    user_id: int
    to_email: str
    subject: str
    error: str | None
    created_at: datetime


def failed_deliveries(*, session: Session, limit: int = 50) -> list[FailedDelivery]:
    """The newest refused digests of every user, at most `limit` (≤ 200)."""
    rows = session.exec(
        select(Digest)
        .where(Digest.status == "failed")
        .order_by(col(Digest.created_at).desc(), col(Digest.id).desc())
        .limit(max(1, min(limit, 200)))
    ).all()
    return [
        FailedDelivery(
            digest_id=d.id or 0,
            user_id=d.user_id,
            to_email=d.to_email,
            subject=d.subject,
            error=d.error,
            created_at=d.created_at,
        )
        for d in rows
    ]
