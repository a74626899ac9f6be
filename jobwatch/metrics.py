"""`GET /metrics`: Prometheus text format, read from the shared database and the Huey queue at scrape time.

Nothing is counted in the web process's memory: every figure is a query (or a queue length) made when
Prometheus scrapes, so the figures cover the work of every worker process, survive restarts, and are the same
whichever server process answers. Rows that retention prunes leave the counts, so the per-status figures are
gauges of the rows stored, and the `..._last_hour` gauges give the recent rate.

Families (all gauges; label values are the stored status strings):

| name | labels | what |
| --- | --- | --- |
| `jobwatch_up` | `component` (`database`, `queue`) | 1 when it answered this scrape |
| `jobwatch_boards` | `state` (`active`, `paused`) | watched boards |
| `jobwatch_boards_failing` | | active boards whose last scrape failed |
| `jobwatch_boards_overdue` | | active boards due more than 15 minutes ago (the scheduler or workers are behind) |
| `jobwatch_last_scrape_success_timestamp_seconds` | | newest successful scrape of any board (Unix time) |
| `jobwatch_scrape_runs` | `status` | scrape runs stored (`running`, `ok`, `partial`, `failed`) |
| `jobwatch_scrape_runs_last_hour` | `status` | scrape runs started in the last hour |
| `jobwatch_postings` | `state` (`open`, `closed`) | postings stored |
| `jobwatch_alerts` | `state` (`active`, `paused`) | alerts |
| `jobwatch_alert_matches` | | alert-posting matches stored |
| `jobwatch_notifications` | `email_status` | inbox items (`pending`, `sent`, `skipped`, `failed`) |
| `jobwatch_notifications_last_hour` | | inbox items created in the last hour |
| `jobwatch_digests` | `status` | digest emails (`pending`, `sent`, `failed`) |
| `jobwatch_digests_sent_last_hour`, `jobwatch_digests_failed_last_hour` | | digests sent / failed recently |
| `jobwatch_oldest_pending_digest_age_seconds` | | age of the oldest digest not yet accepted (0: none) |
| `jobwatch_mail_batches` | `status` | Resend batch calls (`pending`, `sent`, `failed`) |
| `jobwatch_outbox_messages` | `kind` | emails written to the local outbox (when `RESEND_API_KEY` is unset) |
| `jobwatch_mail_events` | `type` | bounces and complaints reported by the mail service's webhook |
| `jobwatch_users` | | accounts |
| `jobwatch_queue_length` | | Huey tasks waiting in the queue |
| `jobwatch_queue_scheduled` | | Huey tasks scheduled for later (retries, delayed tasks) |
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from jobwatch.config import get_settings
from jobwatch.db import session_scope
from jobwatch.models import (
    AlertMatch,
    Board,
    Digest,
    JobAlert,
    JobPosting,
    MailBatch,
    MailEvent,
    Notification,
    OutboxMessage,
    ScrapeRun,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

#: A board due longer ago than this counts as overdue (`jobwatch_boards_overdue`).
OVERDUE_AFTER = timedelta(minutes=15)


def _gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


def _by(session: Session, column: Any, *where: Any) -> dict[str, int]:
    query = select(column, func.count()).group_by(column)
    for condition in where:
        query = query.where(condition)
    return {str(key): int(n) for key, n in session.exec(query).all()}


def _count(session: Session, model: Any, *where: Any) -> int:
    query = select(func.count()).select_from(model)
    for condition in where:
        query = query.where(condition)
    return int(session.exec(query).one())


def _by_active(session: Session, column: Any) -> dict[str, int]:
    counts = {"active": 0, "paused": 0}
    for flag, n in session.exec(select(column, func.count()).group_by(column)).all():
        counts["active" if flag else "paused"] += int(n)
    return counts


def _labelled(
    name: str, documentation: str, label: str, values: dict[str, int], always: tuple[str, ...] = ()
) -> GaugeMetricFamily:
    family = _gauge(name, documentation, [label])
    for key in sorted(set(values) | set(always)):
        family.add_metric([key], values.get(key, 0))
    return family


def database_families(session: Session) -> list[GaugeMetricFamily]:
    """Every database-backed family (see the module doc), read in one session. Raises on database errors."""
    now = utcnow()
    hour_ago = now - timedelta(hours=1)
    out: list[GaugeMetricFamily] = []

    out.append(_labelled("jobwatch_boards", "Watched boards, by state.", "state", _by_active(session, Board.is_active)))
    failing = _gauge("jobwatch_boards_failing", "Active boards whose last scrape failed.")
    failing.add_metric([], _count(session, Board, Board.is_active.is_(True), Board.last_run_status == "failed"))  # type: ignore[attr-defined]
    out.append(failing)
    overdue = _gauge("jobwatch_boards_overdue", "Active boards due more than 15 minutes ago.")
    overdue.add_metric(
        [],
        _count(session, Board, Board.is_active.is_(True), Board.next_scrape_at < now - OVERDUE_AFTER),  # type: ignore[attr-defined,operator]
    )
    out.append(overdue)
    newest = session.exec(select(func.max(Board.last_success_at))).one()
    last = _gauge(
        "jobwatch_last_scrape_success_timestamp_seconds", "Unix time of the newest successful scrape of any board."
    )
    last.add_metric([], newest.timestamp() if newest is not None else 0)
    out.append(last)

    statuses = ("running", "ok", "partial", "failed")
    out.append(
        _labelled(
            "jobwatch_scrape_runs", "Scrape runs stored, by status.", "status", _by(session, ScrapeRun.status), statuses
        )
    )
    out.append(
        _labelled(
            "jobwatch_scrape_runs_last_hour",
            "Scrape runs started in the last hour, by status.",
            "status",
            _by(session, ScrapeRun.status, ScrapeRun.started_at >= hour_ago),
            statuses,
        )
    )

    open_count = _count(session, JobPosting, JobPosting.closed_at.is_(None))  # type: ignore[union-attr]
    closed_count = _count(session, JobPosting, JobPosting.closed_at.is_not(None))  # type: ignore[union-attr]
    out.append(
        _labelled(
            "jobwatch_postings", "Postings stored, by state.", "state", {"open": open_count, "closed": closed_count}
        )
    )
    out.append(_labelled("jobwatch_alerts", "Alerts, by state.", "state", _by_active(session, JobAlert.is_active)))
    matches = _gauge("jobwatch_alert_matches", "Alert-posting matches stored.")
    matches.add_metric([], _count(session, AlertMatch))
    out.append(matches)
    out.append(
        _labelled(
            "jobwatch_notifications",
            "Inbox items, by email status.",
            "email_status",
            _by(session, Notification.email_status),
            ("pending", "sent", "skipped", "failed"),
        )
    )
    recent = _gauge("jobwatch_notifications_last_hour", "Inbox items created in the last hour.")
    recent.add_metric([], _count(session, Notification, Notification.created_at >= hour_ago))
    out.append(recent)

    digest_statuses = ("pending", "sent", "failed")
    out.append(
        _labelled(
            "jobwatch_digests", "Digest emails, by status.", "status", _by(session, Digest.status), digest_statuses
        )
    )
    sent_recent = _gauge(
        "jobwatch_digests_sent_last_hour", "Digest emails accepted by the mail service in the last hour."
    )
    sent_recent.add_metric([], _count(session, Digest, Digest.status == "sent", Digest.sent_at >= hour_ago))  # type: ignore[operator]
    out.append(sent_recent)
    failed_recent = _gauge("jobwatch_digests_failed_last_hour", "Digest emails that failed, created in the last hour.")
    failed_recent.add_metric([], _count(session, Digest, Digest.status == "failed", Digest.created_at >= hour_ago))
    out.append(failed_recent)
    oldest = session.exec(select(func.min(Digest.created_at)).where(Digest.status == "pending")).one()
    age = _gauge(
        "jobwatch_oldest_pending_digest_age_seconds",
        "Age of the oldest digest not yet accepted by the mail service (0: none pending).",
    )
    age.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0)
    out.append(age)
    out.append(
        _labelled(
            "jobwatch_mail_batches",
            "Mail service batch calls, by status.",
            "status",
            _by(session, MailBatch.status),
            digest_statuses,
        )
    )
    out.append(
        _labelled(
            "jobwatch_outbox_messages",
            "Emails in the local outbox, by kind.",
            "kind",
            _by(session, OutboxMessage.kind),
            ("account", "digest"),
        )
    )
    out.append(
        _labelled(
            "jobwatch_mail_events",
            "Mail service events acted on (bounces, complaints), by type.",
            "type",
            _by(session, MailEvent.type),
            ("email.bounced", "email.complained"),
        )
    )
    users = _gauge("jobwatch_users", "Accounts.")
    users.add_metric([], _count(session, User))
    out.append(users)
    return out


def queue_families(huey: Any) -> list[GaugeMetricFamily]:
    """`jobwatch_queue_length` and `jobwatch_queue_scheduled` of `huey`. Raises when its storage fails."""
    length = _gauge("jobwatch_queue_length", "Huey tasks waiting in the queue.")
    length.add_metric([], huey.pending_count())
    scheduled = _gauge("jobwatch_queue_scheduled", "Huey tasks scheduled for later (retries, delayed tasks).")
    scheduled.add_metric([], huey.scheduled_count())
    return [length, scheduled]


class JobwatchCollector(Collector):
    """A Prometheus collector that queries the database and the queue on every `collect()`.

    A part that fails (database or queue down) is left out and reported as `jobwatch_up{component} 0`, so a
    scrape still answers with what is known.
    """

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = _gauge("jobwatch_up", "1 when the component answered this scrape.", ["component"])
        families: list[GaugeMetricFamily] = []
        try:
            with session_scope() as session:
                families.extend(database_families(session))
            up.add_metric(["database"], 1)
        except Exception:
            log.exception("metrics: database query failed")
            up.add_metric(["database"], 0)
        try:
            from workers.huey_app import huey

            families.extend(queue_families(huey))
            up.add_metric(["queue"], 1)
        except Exception:
            log.exception("metrics: queue length unavailable")
            up.add_metric(["queue"], 0)
        yield up
        yield from families


def make_registry() -> CollectorRegistry:
    """A registry with only `JobwatchCollector` (no per-process figures: they would differ per server process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobwatchCollector())
    return registry


REGISTRY = make_registry()


async def metrics(request: Request) -> Response:
    """`GET /metrics`: the Prometheus text exposition (version 0.0.4) of `REGISTRY`.

    With `METRICS_TOKEN` set, a request without `Authorization: Bearer <token>` gets 401.
    """
    token = get_settings().metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return PlainTextResponse(
                "metrics need a bearer token", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
    body = await run_in_threadpool(generate_latest, REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4, headers={"Cache-Control": "no-store"})
