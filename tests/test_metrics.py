"""`GET /metrics`: Prometheus text read from the shared database and the queue at scrape time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from sqlmodel import select

import jobwatch.jobwatch as web
from jobwatch.db import session_scope
from jobwatch.models import (
    AlertMatch,
    Digest,
    JobPosting,
    MailBatch,
    MailEvent,
    Notification,
    OutboxMessage,
    ScrapeRun,
    utcnow,
)
from jobwatch.storage import ingest_postings
from tests.asgi import AsgiClient
from tests.factories import make_alert, make_board, make_posting, make_user


def _scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = AsgiClient(web.http_routes).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def _v(values: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return values[(name, tuple(sorted(labels.items())))]


def test_metrics_cover_the_workers_work_from_the_database(db: Engine) -> None:
    now = utcnow()
    with session_scope() as session:
        ok_board = make_board(session, "greenhouse:acme", last_run_status="ok", last_success_at=now)
        failing = make_board(session, "lever:broken", last_run_status="failed", next_scrape_at=now - timedelta(hours=2))
        make_board(session, "ashby:paused", is_active=False, last_run_status="failed")
        ingest_postings(session=session, board=ok_board, postings=[make_posting() for _ in range(3)], complete=True)
        ingest_postings(session=session, board=ok_board, postings=[], complete=True)  # closes all three
        ingest_postings(session=session, board=ok_board, postings=[make_posting(), make_posting()], complete=True)
        session.add(ScrapeRun(board_id=failing.id, status="failed", started_at=now - timedelta(hours=3)))
        session.add(ScrapeRun(board_id=failing.id, status="failed"))
        session.add(ScrapeRun(board_id=ok_board.id, status="ok"))
        user = make_user(session)
        alert = make_alert(session, user, {"keywords": ["engineer"]})
        make_alert(session, user, {"keywords": ["rust"]}, is_active=False)
        session.flush()
        posting_ids = list(session.exec(select(JobPosting.id)).all())
        session.add(AlertMatch(alert_id=alert.id, posting_id=posting_ids[0]))
        session.add(Notification(user_id=user.id, posting_id=posting_ids[0], alert_ids=[alert.id], email_status="sent"))
        session.add(Notification(user_id=user.id, posting_id=posting_ids[1], alert_ids=[alert.id]))
        batch = MailBatch(idempotency_key="jobwatch-batch-1-x", from_email="a@example.test", status="sent", size=1)
        session.add(batch)
        for status in ("sent", "failed", "pending"):
            session.add(
                Digest(
                    user_id=user.id,
                    to_email=user.email,
                    subject="s",
                    status=status,
                    sent_at=now if status == "sent" else None,
                    created_at=now - timedelta(minutes=10),
                )
            )
        session.add(OutboxMessage(to_email=user.email, from_email="a@example.test", subject="s", html="", text=""))
        session.add(MailEvent(event_id="msg_1", type="email.bounced", to_email=user.email))

    values = _scrape()
    assert _v(values, "jobwatch_up", component="database") == 1
    assert _v(values, "jobwatch_up", component="queue") == 1
    assert _v(values, "jobwatch_boards", state="active") == 2
    assert _v(values, "jobwatch_boards", state="paused") == 1
    assert _v(values, "jobwatch_boards_failing") == 1  # the paused failing board does not count
    assert _v(values, "jobwatch_boards_overdue") == 1
    assert _v(values, "jobwatch_last_scrape_success_timestamp_seconds") == pytest.approx(now.timestamp(), abs=1)
    assert _v(values, "jobwatch_scrape_runs", status="failed") == 2
    assert _v(values, "jobwatch_scrape_runs", status="ok") == 1
    assert _v(values, "jobwatch_scrape_runs", status="partial") == 0
    assert _v(values, "jobwatch_scrape_runs_last_hour", status="failed") == 1
    assert _v(values, "jobwatch_postings", state="open") == 2
    assert _v(values, "jobwatch_postings", state="closed") == 3
    assert _v(values, "jobwatch_alerts", state="active") == 1
    assert _v(values, "jobwatch_alerts", state="paused") == 1
    assert _v(values, "jobwatch_alert_matches") == 1
    assert _v(values, "jobwatch_notifications", email_status="sent") == 1
    assert _v(values, "jobwatch_notifications", email_status="pending") == 1
    assert _v(values, "jobwatch_notifications_last_hour") == 2
    for status in ("sent", "failed", "pending"):
        assert _v(values, "jobwatch_digests", status=status) == 1
    assert _v(values, "jobwatch_digests_sent_last_hour") == 1
    assert _v(values, "jobwatch_digests_failed_last_hour") == 1
    assert _v(values, "jobwatch_oldest_pending_digest_age_seconds") == pytest.approx(600, abs=30)
    assert _v(values, "jobwatch_mail_batches", status="sent") == 1
    assert _v(values, "jobwatch_outbox_messages", kind="digest") == 1
    assert _v(values, "jobwatch_mail_events", type="email.bounced") == 1
    assert _v(values, "jobwatch_users") == 1


def test_queue_length_counts_tasks_enqueued_by_any_process(db: Engine) -> None:
    from workers.main import huey
    from workers.tasks import match_new_postings_task

    huey.flush()
    assert not huey.immediate
    try:
        match_new_postings_task()
        match_new_postings_task()
        assert _v(_scrape(), "jobwatch_queue_length") == 2
    finally:
        huey.flush()
    assert _v(_scrape(), "jobwatch_queue_length") == 0


def test_a_database_outage_still_answers_with_up_zero(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import jobwatch.metrics as metrics

    def broken(_session: object) -> list[object]:
        raise RuntimeError("connection refused")

    monkeypatch.setattr(metrics, "database_families", broken)
    values = _scrape()
    assert _v(values, "jobwatch_up", component="database") == 0
    assert _v(values, "jobwatch_up", component="queue") == 1
    assert not any(name == "jobwatch_postings" for name, _ in values)


def test_metrics_token_is_asked_for_when_set(db: Engine, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("METRICS_TOKEN", "s3cret-token")
    client = AsgiClient(web.http_routes)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200
    assert "jobwatch_postings" in response.text


def test_every_family_is_in_the_module_table_and_nothing_else(db: Engine) -> None:
    """The table in `jobwatch/metrics.py`'s docstring (which docs/runbook.md must cover) is what is exported."""
    import re

    import jobwatch.metrics as metrics

    documented = set(re.findall(r"`(jobwatch_[a-z_]+)`", metrics.__doc__ or ""))
    exported = {name for name, _labels in _scrape()}
    assert exported == documented
