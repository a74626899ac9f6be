"""The operators' read views: board health, recent and failed runs, users with alert counts, the outbox, the
task queue length."""

from __future__ import annotations

import sys
import types
from datetime import timedelta

import pytest
from sqlmodel import Session

from jobwatch.models import Company, OutboxMessage, ScrapeRun, utcnow
from jobwatch.services import admin
from jobwatch.storage import ingest_postings
from tests.factories import make_alert, make_board, make_posting, make_user


def _run(session: Session, board_id: int, status: str, minutes_ago: int, error: str | None = None) -> ScrapeRun:
    started = utcnow() - timedelta(minutes=minutes_ago)
    run = ScrapeRun(
        board_id=board_id,
        started_at=started,
        finished_at=started + timedelta(seconds=5),
        status=status,
        new_count=2,
        unchanged_count=3,
        error=error,
    )
    session.add(run)
    session.flush()
    return run


def test_board_health_lists_every_board_with_health_failures_and_open_postings(session: Session) -> None:
    company = Company(name="Acme Corp", slug="acme")
    session.add(company)
    session.flush()
    healthy = make_board(session, "greenhouse:acme", company_id=company.id)
    ingest_postings(session=session, board=healthy, complete=True, postings=[make_posting(), make_posting()])
    healthy.last_run_status, healthy.last_run_at = "ok", utcnow()
    make_board(
        session,
        "lever:gone",
        last_run_status="failed",
        last_error="HTTP 404 from https://api.lever.co/v0/postings/gone",
        consecutive_failures=3,
    )
    make_board(session, "ashby:flaky", last_run_status="partial", last_error="HTTP 503", consecutive_failures=1)
    make_board(session, "workable:new")
    session.flush()

    rows = {b.key: b for b in admin.board_health(session=session)}
    assert list(rows) == ["ashby:flaky", "greenhouse:acme", "lever:gone", "workable:new"]
    assert rows["greenhouse:acme"].health == "healthy"
    assert rows["greenhouse:acme"].company == "Acme Corp" and rows["greenhouse:acme"].open_postings == 2
    assert rows["lever:gone"].health == "missing" and rows["lever:gone"].consecutive_failures == 3
    assert rows["lever:gone"].last_error is not None and "404" in rows["lever:gone"].last_error
    assert rows["ashby:flaky"].health == "failing"
    assert rows["workable:new"].health == "unchecked" and rows["workable:new"].company is None


def test_recent_runs_are_newest_first_limited_and_filterable(session: Session) -> None:
    a = make_board(session, "greenhouse:a")
    b = make_board(session, "lever:b")
    _run(session, a.id or 0, "ok", 30)
    _run(session, b.id or 0, "failed", 20, error="HTTP 500 from upstream")
    _run(session, a.id or 0, "partial", 10, error="stopped after 3 pages")
    newest = _run(session, b.id or 0, "ok", 1)

    runs = admin.recent_runs(session=session)
    assert [(r.board_key, r.status) for r in runs] == [
        ("lever:b", "ok"),
        ("greenhouse:a", "partial"),
        ("lever:b", "failed"),
        ("greenhouse:a", "ok"),
    ]
    assert runs[0].id == newest.id and runs[0].new_count == 2 and runs[0].unchanged_count == 3
    assert [r.status for r in admin.recent_runs(session=session, limit=2)] == ["ok", "partial"]
    failed = admin.recent_runs(session=session, failed_only=True)
    assert [(r.board_key, r.error) for r in failed] == [
        ("greenhouse:a", "stopped after 3 pages"),
        ("lever:b", "HTTP 500 from upstream"),
    ]


def test_users_overview_counts_alerts_and_flags(session: Session) -> None:
    now = utcnow()
    ada = make_user(session, email="ada@example.test", is_admin=True, created_at=now - timedelta(days=2))
    bob = make_user(
        session,
        email="bob@example.test",
        email_verified_at=None,
        email_suppressed_at=now,
        created_at=now - timedelta(days=1),
    )
    make_alert(session, ada, {"keywords": ["python"]})
    make_alert(session, ada, {"keywords": ["go"]})

    rows = admin.users_overview(session=session)
    assert [(u.email, u.verified, u.is_admin, u.suppressed, u.alerts) for u in rows] == [
        ("bob@example.test", False, False, True, 0),
        ("ada@example.test", True, True, False, 2),
    ]
    assert rows[0].id == bob.id
    assert [u.email for u in admin.users_overview(session=session, limit=1)] == ["bob@example.test"]
    assert not hasattr(rows[0], "password_hash")


def test_outbox_overview_lists_every_recipient_and_opens_one(session: Session) -> None:
    for n, to in enumerate(["ada@example.test", "bob@example.test"]):
        session.add(
            OutboxMessage(
                to_email=to,
                from_email="jobwatch@localhost",
                subject=f"digest {n}",
                html=f"<p>{n}</p>",
                text=str(n),
                created_at=utcnow() + timedelta(seconds=n),
            )
        )
    session.flush()
    items = admin.outbox_overview(session=session)
    assert [(i.to_email, i.subject) for i in items] == [
        ("bob@example.test", "digest 1"),
        ("ada@example.test", "digest 0"),
    ]
    opened = admin.outbox_message(session=session, message_id=items[1].id)
    assert opened is not None and opened.html == "<p>0</p>"
    assert admin.outbox_message(session=session, message_id=10**9) is None


def test_queue_length_reads_huey_or_says_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    class Queue:
        def __init__(self, answer: int | None) -> None:
            self.answer = answer

        def pending_count(self) -> int:
            if self.answer is None:
                raise ConnectionError("redis is down")
            return self.answer

    module = types.ModuleType("workers.huey_app")
    module.huey = Queue(7)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "workers.huey_app", module)
    assert admin.queue_length() == 7
    module.huey = Queue(None)  # type: ignore[attr-defined]
    assert admin.queue_length() is None
