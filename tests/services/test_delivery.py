"""Delivering digests in batches through the resend SDK against a loopback fake Resend (field cases B17, B22).

The fake enforces its rate limit, batch size, permissive validation and idempotency keys, and counts what it
accepted per key and per address: every count must stay at one. Rates and batch sizes are small here (set
through settings) so the real-time pacing keeps each test short.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobwatch.config import get_settings
from jobwatch.mail.senders import BatchOutcome, EmailMessage, ResendSender, make_sender
from jobwatch.models import Digest, JobPosting, MailBatch, Notification, OutboxMessage, User
from jobwatch.services.digests import (
    Backoff,
    DigestSummary,
    build_due_digests,
    claim_pending_digests,
    deliver_batch,
    mail_problem,
    send_due_digests,
)
from jobwatch.services.ratelimit import DatabasePacer, RedisPacer
from tests.factories import make_alert, make_board, make_user
from tests.fake_resend import API_KEY, FakeResend

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)
FAST = Backoff(base=0.05, cap=0.2, tries=3)


@pytest.fixture()
def fake(db: Engine, settings_env: pytest.MonkeyPatch) -> Iterator[FakeResend]:
    """A fake Resend allowing 50 calls a second (tests lower it), with the SDK pointed at it."""
    with FakeResend(rate=50, max_batch=100) as server:
        settings_env.setenv("RESEND_API_KEY", API_KEY)
        settings_env.setenv("RESEND_API_URL", server.url)
        settings_env.setenv("RESEND_RATE_PER_SECOND", "50")
        settings_env.setenv("RESEND_TIMEOUT_SECONDS", "2")
        get_settings.cache_clear()
        yield server


def _configure(settings_env: pytest.MonkeyPatch, **values: object) -> None:
    for name, value in values.items():
        settings_env.setenv(name.upper(), str(value))
    get_settings.cache_clear()


def _users_with_news(engine: Engine, emails: Sequence[str]) -> list[int]:
    """One user per address, each with an instant alert and one pending notification."""
    ids = []
    with Session(engine) as s:
        board = make_board(s)
        for n, email in enumerate(emails):
            user = make_user(s, email=email)
            alert = make_alert(s, user, {"keywords": ["python"]}, name=f"Python {n}", created_at=T0)
            posting = JobPosting(
                board_id=board.id or 0,
                source="greenhouse",
                board="acme",
                external_id=f"job-{n}",
                title=f"Python Engineer {n}",
                company="Acme",
                url=f"https://boards.greenhouse.io/acme/jobs/{n}",
                content_hash="0" * 64,
                first_seen_at=T0,
                last_seen_at=T0,
            )
            s.add(posting)
            s.flush()
            s.add(Notification(user_id=user.id or 0, posting_id=posting.id or 0, alert_ids=[alert.id], created_at=T0))
            ids.append(user.id or 0)
        s.commit()
    return ids


def _emails(n: int) -> list[str]:
    return [f"reader{i}@example.test" for i in range(n)]


def _digests(engine: Engine) -> list[Digest]:
    with Session(engine) as s:
        return list(s.exec(select(Digest).order_by(col(Digest.id))).all())


def test_digests_go_in_batches_with_stored_keys(fake: FakeResend, db: Engine, settings_env: pytest.MonkeyPatch) -> None:
    _configure(settings_env, resend_batch_size=2)
    _users_with_news(db, _emails(5))
    summary = send_due_digests(now=NOW, backoff=FAST)
    assert (summary.built, summary.sent, summary.failed, summary.retry, summary.batches) == (5, 5, 0, 0, 3)

    assert [entry.path for entry in fake.log] == ["/emails/batch"] * 3
    assert sorted(fake.delivered.values()) == [1] * 5 and set(fake.delivered) == set(_emails(5))
    with Session(db) as s:
        batches = s.exec(select(MailBatch).order_by(col(MailBatch.id))).all()
        assert [b.size for b in batches] == [2, 2, 1] and {b.status for b in batches} == {"sent"}
        # Each call carried the key stored with its batch, derived from the batch's id.
        assert [entry.key for entry in fake.log] == [b.idempotency_key for b in batches]
        assert all(b.idempotency_key.startswith(f"jobwatch-batch-{b.id}-") for b in batches)
        assert {n.email_status for n in s.exec(select(Notification)).all()} == {"sent"}
    digests = _digests(db)
    assert {d.status for d in digests} == {"sent"} and all(d.provider_message_id for d in digests)
    assert all(d.batch_id is not None for d in digests)
    # The message carries its unsubscribe headers (RFC 8058).
    assert all(m["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in fake.messages)

    again = send_due_digests(now=NOW + timedelta(minutes=5), backoff=FAST)
    assert (again.built, again.sent, again.batches) == (0, 0, 0)
    assert len(fake.log) == 3


def test_one_bad_address_does_not_sink_the_batch(
    fake: FakeResend, db: Engine, settings_env: pytest.MonkeyPatch
) -> None:
    emails = [*_emails(2), "bounce-me@invalid.test", *_emails(4)[2:]]
    fake.invalid.add("bounce-me@invalid.test")
    ids = _users_with_news(db, emails)
    summary = send_due_digests(now=NOW, backoff=FAST)
    assert (summary.sent, summary.failed, summary.batches) == (4, 1, 1)
    assert set(fake.delivered) == set(emails) - {"bounce-me@invalid.test"}
    by_user = {d.user_id: d for d in _digests(db)}
    assert by_user[ids[2]].status == "failed" and "Invalid `to` field" in (by_user[ids[2]].error or "")
    assert {by_user[i].status for i in ids if i != ids[2]} == {"sent"}
    with Session(db) as s:
        problem = mail_problem(session=s, user_id=ids[2])
        assert problem is not None and problem.failed_digests == 1 and "Invalid" in (problem.last_error or "")
        assert mail_problem(session=s, user_id=ids[0]) is None
        note = s.exec(select(Notification).where(Notification.user_id == ids[2])).one()
        assert note.email_status == "failed"
    # Refused for good: not retried.
    send_due_digests(now=NOW + timedelta(minutes=5), backoff=FAST)
    assert len(fake.log) == 1


def test_b17_rate_limit_and_lost_answer(fake: FakeResend, db: Engine, settings_env: pytest.MonkeyPatch) -> None:
    """Field case B17 as written: 6 users' digests in 6 stored batches, sent by six workers at once (threads
    standing in for worker processes, over-eager at 50 calls a second); the 3rd-6th calls in that second get
    429 with `retry-after: 1`, and the first call succeeds at the service but its answer arrives too late."""
    fake.rate = 2
    _configure(settings_env, resend_batch_size=1, resend_rate_per_second=50, resend_timeout_seconds=0.4)
    fake.delay_next(1.5)
    emails = _emails(6)
    _users_with_news(db, emails)
    assert build_due_digests(now=NOW) == 6
    batches = claim_pending_digests(now=NOW)  # membership and keys stored before any call
    assert len(batches) == 6
    start = threading.Barrier(6)

    def worker(batch_id: int) -> DigestSummary:
        start.wait()
        return deliver_batch(batch_id, sender=make_sender(), now=NOW, backoff=Backoff(base=0.05, cap=1.0, tries=10))

    with ThreadPoolExecutor(max_workers=6) as pool:
        summaries = list(pool.map(worker, batches))

    assert sum(x.sent for x in summaries) == 6 and sum(x.failed + x.retry for x in summaries) == 0
    assert fake.delivered == dict.fromkeys(emails, 1)  # everyone exactly one digest
    assert sorted(fake.accepted.values()) == [1] * 6  # no key acted on twice
    statuses = [entry.status for entry in fake.log]
    assert statuses[:6].count(429) == 4 and statuses[:2] == [200, 200]  # the 3rd-6th calls: refused
    # The timed-out first call was retried under the same key and answered from the service's memory.
    first_key = fake.log[0].key
    assert first_key is not None and any(e.replay and e.key == first_key for e in fake.log)
    # Every attempt of one send carries its batch's stored key; no two batches share a key.
    with Session(db) as s:
        keys = {b.idempotency_key for b in s.exec(select(MailBatch)).all()}
    assert {e.key for e in fake.log} == keys and len(keys) == 6
    # A 429 is retried (not dropped), no sooner than its `retry-after: 1`.
    for n, entry in enumerate(fake.log):
        if entry.status == 429:
            retry = next(e for e in fake.log[n + 1 :] if e.key == entry.key)
            assert retry.at >= entry.at + 0.95
    assert {d.status for d in _digests(db)} == {"sent"}


def test_server_errors_are_retried_with_the_same_key(
    fake: FakeResend, db: Engine, settings_env: pytest.MonkeyPatch
) -> None:
    fake.fail_next(500)
    fake.fail_next(503)
    _users_with_news(db, _emails(3))
    summary = send_due_digests(now=NOW, backoff=FAST)
    assert (summary.sent, summary.retry) == (3, 0)
    assert [e.status for e in fake.log] == [500, 503, 200]
    assert len({e.key for e in fake.log}) == 1
    with Session(db) as s:
        batch = s.exec(select(MailBatch)).one()
        assert batch.attempts == 3 and batch.status == "sent" and batch.in_doubt_since is not None


def test_exhausted_retries_wait_for_the_next_tick(
    fake: FakeResend, db: Engine, settings_env: pytest.MonkeyPatch
) -> None:
    _configure(settings_env, resend_batch_size=2)
    for _ in range(FAST.tries):
        fake.fail_next(502)
    _users_with_news(db, _emails(3))
    first = send_due_digests(now=NOW, backoff=FAST)
    # The first batch ran out of tries; the run stopped sending, the second batch was never claimed.
    assert (first.built, first.sent, first.retry) == (3, 0, 3)
    assert {d.status for d in _digests(db)} == {"pending"}  # not sent before a 2xx
    with Session(db) as s:
        batch = s.exec(select(MailBatch)).one()
        assert batch.status == "pending" and batch.next_attempt_at is not None
        key = batch.idempotency_key

    later = send_due_digests(now=NOW + timedelta(minutes=5), backoff=FAST)
    assert (later.sent, later.retry, later.batches) == (3, 0, 2)
    assert {e.key for e in fake.log if e.status == 502} == {key}
    assert fake.log[FAST.tries].key == key  # the retry sent the same stored batch with the same key
    assert fake.delivered == dict.fromkeys(_emails(3), 1)


class CrashAfterCall:
    """A sender whose process "dies" right after the service accepted the batch, before anything is recorded."""

    def __init__(self, inner: ResendSender) -> None:
        self.inner = inner

    def send(self, message: EmailMessage, *, session: Session) -> str:
        return self.inner.send(message, session=session)

    def send_batch(self, messages: Sequence[EmailMessage], *, idempotency_key: str, session: Session) -> BatchOutcome:
        self.inner.send_batch(messages, idempotency_key=idempotency_key, session=session)
        raise SystemExit("killed by SIGTERM")  # field case B22: the worker stops mid-task


def test_crash_after_the_call_never_sends_twice(fake: FakeResend, db: Engine, settings_env: pytest.MonkeyPatch) -> None:
    _users_with_news(db, _emails(2))
    real = make_sender()
    assert isinstance(real, ResendSender)
    with pytest.raises(SystemExit):
        send_due_digests(now=NOW, sender=CrashAfterCall(real), backoff=FAST)
    assert {d.status for d in _digests(db)} == {"pending"}
    with Session(db) as s:
        assert s.exec(select(MailBatch)).one().in_doubt_since is not None

    summary = send_due_digests(now=NOW + timedelta(minutes=5), backoff=FAST)
    assert (summary.built, summary.sent) == (0, 2)
    assert [e.replay for e in fake.log] == [False, True]
    assert fake.delivered == dict.fromkeys(_emails(2), 1)
    assert list(fake.accepted.values()) == [1]


def test_a_batch_in_doubt_past_the_key_window_is_not_sent_again(
    fake: FakeResend, db: Engine, settings_env: pytest.MonkeyPatch
) -> None:
    fake.delay_next(1.0)
    _configure(settings_env, resend_timeout_seconds=0.3)
    _users_with_news(db, _emails(1))
    first = send_due_digests(now=NOW, backoff=Backoff(base=0.05, tries=1))
    assert first.retry == 1
    # A day later the service no longer remembers the key: sending again could deliver it twice.
    late = send_due_digests(now=NOW + timedelta(hours=24), backoff=FAST)
    assert (late.sent, late.failed) == (0, 1)
    assert len(fake.log) == 1
    digest = _digests(db)[0]
    assert digest.status == "failed" and "not sent again" in (digest.error or "")


def test_local_outbox_takes_batches_in_the_callers_transaction(db: Engine, settings_env: pytest.MonkeyPatch) -> None:
    _configure(settings_env, resend_batch_size=2, resend_rate_per_second=100)
    _users_with_news(db, _emails(3))
    summary = send_due_digests(now=NOW)
    assert (summary.sent, summary.batches) == (3, 2)
    with Session(db) as s:
        rows = s.exec(select(OutboxMessage)).all()
        assert sorted(r.to_email for r in rows) == _emails(3)
        assert all(r.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for r in rows)
    assert {d.provider_message_id[:7] for d in _digests(db) if d.provider_message_id} == {"outbox-"}


def test_digests_only_to_verified_addresses(db: Engine, settings_env: pytest.MonkeyPatch) -> None:
    _configure(settings_env, resend_rate_per_second=100)
    ids = _users_with_news(db, _emails(2))
    with Session(db) as s:
        s.get_one(User, ids[1]).email_verified_at = None
        s.commit()
    assert send_due_digests(now=NOW).sent == 1
    _configure(settings_env, require_verified_email="false")
    assert send_due_digests(now=NOW + timedelta(minutes=5)).sent == 1  # the waiting match goes out now
    with Session(db) as s:
        assert sorted(r.to_email for r in s.exec(select(OutboxMessage)).all()) == _emails(2)


def test_address_suppressed_after_building_is_not_sent(db: Engine, settings_env: pytest.MonkeyPatch) -> None:
    _configure(settings_env, resend_rate_per_second=100)
    ids = _users_with_news(db, _emails(2))
    assert build_due_digests(now=NOW) == 2
    with Session(db) as s:
        user = s.get_one(User, ids[0])
        user.email_suppressed_at, user.email_suppression_reason = NOW, "bounced: mailbox does not exist"
        s.commit()
    summary = send_due_digests(now=NOW)
    assert (summary.sent, summary.failed) == (1, 1)
    with Session(db) as s:
        problem = mail_problem(session=s, user_id=ids[0])
        assert problem is not None and problem.suppression_reason == "bounced: mailbox does not exist"


def _spaced(slots: list[float], interval: float) -> bool:
    ordered = sorted(slots)
    return all(b - a >= interval - 1e-6 for a, b in pairwise(ordered))


def test_database_pace_is_shared_by_every_pacer(db: Engine) -> None:
    # Two pacers stand for two worker processes: their slots interleave, never closer than the interval.
    one, two = DatabasePacer(db, "test", 2.0), DatabasePacer(db, "test", 2.0)
    slots = [p.reserve() for p in (one, two, one, two, two, one)]
    assert _spaced(slots, one.interval) and max(slots) - min(slots) >= 5 * one.interval - 1e-6
    later = max(slots) + 10
    two.hold_until(later)
    assert one.reserve() >= later


def test_redis_pace_is_shared_by_every_pacer(redis_url: str) -> None:
    one, two = RedisPacer(redis_url, "test-shared", 2.0), RedisPacer(redis_url, "test-shared", 2.0)
    slots = [p.reserve() for p in (one, two, one, two, two, one)]
    assert _spaced(slots, one.interval)
    later = max(slots) + 10
    one.hold_until(later)
    assert two.reserve() >= later
    one.client.delete(one.key)
