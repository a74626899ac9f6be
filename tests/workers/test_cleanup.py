"""The cleanup task's retention (`services.cleanup`): what goes, what stays, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from jobwatch.config import ConfigError, Settings, get_settings
from jobwatch.models import (
    AlertMatch,
    AuthToken,
    JobPosting,
    Notification,
    OutboxMessage,
    ScrapeRun,
    TaskRun,
    UserJobInteraction,
    UserSession,
    utcnow,
)
from jobwatch.services.cleanup import ABANDONED, run_cleanup
from tests.factories import make_alert, make_board, make_user

NOW = utcnow()


def _posting(s: Session, board_id: int, n: int, closed_days: int | None) -> JobPosting:
    posting = JobPosting(
        board_id=board_id,
        source="greenhouse",
        board="acme",
        external_id=f"p{n}",
        title=f"Posting {n}",
        content_hash="x" * 64,
        first_seen_at=NOW - timedelta(days=400),
        closed_at=None if closed_days is None else NOW - timedelta(days=closed_days),
    )
    s.add(posting)
    s.flush()
    return posting


def _count(s: Session, model: type) -> int:
    return int(s.exec(select(func.count()).select_from(model)).one())


def test_cleanup_deletes_what_is_old_and_keeps_what_people_rely_on(db: Engine) -> None:
    with Session(db) as s:
        user = make_user(s)
        assert user.id is not None
        board = make_board(s)
        assert board.id is not None
        alert = make_alert(s, user, {"keywords": ["x"]})
        s.add_all(
            [
                UserSession(user_id=user.id, token_hash="a" * 64, expires_at=NOW - timedelta(minutes=1)),
                UserSession(user_id=user.id, token_hash="b" * 64, expires_at=NOW + timedelta(days=1)),
                UserSession(
                    user_id=user.id,
                    token_hash="c" * 64,
                    expires_at=NOW + timedelta(days=1),
                    revoked_at=NOW - timedelta(days=2),
                ),
                AuthToken(user_id=user.id, purpose="reset", token_hash="d" * 64, expires_at=NOW - timedelta(days=8)),
                AuthToken(user_id=user.id, purpose="reset", token_hash="e" * 64, expires_at=NOW - timedelta(days=1)),
                ScrapeRun(board_id=board.id, started_at=NOW - timedelta(days=31), status="ok"),
                ScrapeRun(board_id=board.id, started_at=NOW - timedelta(days=29), status="ok"),
                ScrapeRun(board_id=board.id, started_at=NOW - timedelta(hours=2), status="running"),
                TaskRun(task="t", huey_id="old", state="finished", queued_at=NOW - timedelta(days=31)),
                TaskRun(task="t", huey_id="new", state="failed", queued_at=NOW - timedelta(days=1)),
                TaskRun(
                    task="t",
                    huey_id="stuck",
                    state="started",
                    queued_at=NOW - timedelta(hours=3),
                    started_at=NOW - timedelta(hours=3),
                ),
                OutboxMessage(
                    to_email="a@example.test",
                    from_email="j@example.test",
                    subject="old",
                    html="",
                    text="",
                    created_at=NOW - timedelta(days=31),
                ),
                OutboxMessage(to_email="a@example.test", from_email="j@example.test", subject="new", html="", text=""),
            ]
        )
        gone = _posting(s, board.id, 1, closed_days=181)
        saved = _posting(s, board.id, 2, closed_days=400)
        applied = _posting(s, board.id, 3, closed_days=400)
        recent = _posting(s, board.id, 4, closed_days=100)
        still_open = _posting(s, board.id, 5, closed_days=None)
        hidden = _posting(s, board.id, 6, closed_days=300)
        assert alert.id is not None and gone.id and saved.id and applied.id and hidden.id
        s.add_all(
            [
                AlertMatch(alert_id=alert.id, posting_id=gone.id),
                Notification(user_id=user.id, posting_id=gone.id, alert_ids=[alert.id]),
                UserJobInteraction(user_id=user.id, posting_id=saved.id, saved_at=NOW - timedelta(days=500)),
                UserJobInteraction(user_id=user.id, posting_id=applied.id, applied_at=NOW - timedelta(days=500)),
                UserJobInteraction(user_id=user.id, posting_id=hidden.id, hidden_at=NOW - timedelta(days=500)),
            ]
        )
        s.commit()
        kept_ids = {saved.id, applied.id, recent.id, still_open.id}

    summary = run_cleanup(now=NOW)
    assert summary.as_dict() == {
        "abandoned_scrape_runs": 1,
        "abandoned_task_runs": 1,
        "sessions": 2,
        "tokens": 1,
        "scrape_runs": 1,
        "task_runs": 1,
        "outbox": 1,
        "postings": 2,
    }
    with Session(db) as s:
        assert {p.id for p in s.exec(select(JobPosting)).all()} == kept_ids
        assert _count(s, Notification) == 0 and _count(s, AlertMatch) == 0  # cascaded with the posting
        assert len(s.exec(select(UserJobInteraction)).all()) == 2  # saved and applied ones stay
        assert [t.token_hash[0] for t in s.exec(select(AuthToken)).all()] == ["e"]
        assert [x.token_hash[0] for x in s.exec(select(UserSession)).all()] == ["b"]
        assert [o.subject for o in s.exec(select(OutboxMessage)).all()] == ["new"]
        stuck = s.exec(select(TaskRun).where(TaskRun.huey_id == "stuck")).one()
        assert (stuck.state, stuck.error) == ("failed", ABANDONED)
        assert sorted(r.status for r in s.exec(select(ScrapeRun)).all()) == ["failed", "ok"]
    # Idempotent: a second pass has nothing left to do.
    assert set(run_cleanup(now=NOW).as_dict().values()) == {0}


def test_retention_settings_have_safe_bounds(settings_env: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    assert (settings.retention_closed_postings_days, settings.retention_runs_days) == (180, 30)
    with pytest.raises(ValueError):
        Settings(retention_closed_postings_days=30)  # inside the repost window
    with pytest.raises(ConfigError):
        Settings(schedule_every_seconds=7)
    settings_env.setenv("RETENTION_OUTBOX_DAYS", "3")
    get_settings.cache_clear()
    assert get_settings().retention_outbox_days == 3
