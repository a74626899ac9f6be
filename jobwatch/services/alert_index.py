"""The worker's compiled index of active alerts, kept in step with the database across processes.

Compiling 100K alerts takes seconds, so the index is built once per process and database and then refreshed
before each use: one query reads `(id, updated_at, filters as text)` of every active alert, and only the
alerts that are new or whose version differs are compiled again; alerts that were deleted or paused
(`is_active` false) drop out. The web app changes alerts in another process; comparing every active row's
version with the cached one sees creations, edits, pauses, resumptions and deletions alike, whatever order
they came in. The filters text is part of the version so that an edit that forgot to bump `updated_at` is
still seen.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, cast
from sqlmodel import Session, col, select

from jobwatch.core.filters import FilterError, parse_filters
from jobwatch.core.matching import AlertIndex, TermStatistics, collector_paused, compile_alert, prepare
from jobwatch.models import JobAlert, JobPosting
from jobwatch.storage import posting_from_row

#: How many recent open postings estimate how rare each term is when an index is first built.
STATISTICS_SAMPLE = 1000


@dataclass
class AlertEngine:
    """One database's compiled alert index and the version of each alert in it.

    `versions` maps alert id to `(updated_at, filters text)`; alerts whose stored filters no longer parse
    (edited by hand) are kept in `versions` so that they are not parsed again, but not in the index.
    """

    index: AlertIndex
    versions: dict[int, tuple[datetime, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self, session: Session) -> RefreshSummary:
        """Bring the index up to date with the active alerts visible to `session`."""
        rows = session.exec(
            select(JobAlert.id, JobAlert.updated_at, cast(JobAlert.filters, String)).where(
                col(JobAlert.is_active).is_(True)
            )
        ).all()
        current = {alert_id: (updated_at, text) for alert_id, updated_at, text in rows if alert_id is not None}
        summary = RefreshSummary()
        # The first refresh compiles every active alert: the collector is paused as for any index build.
        with self.lock, collector_paused():
            for alert_id in [known for known in self.versions if known not in current]:
                del self.versions[alert_id]
                self.index.remove(str(alert_id))
                summary.removed += 1
            for alert_id, version in current.items():
                known = self.versions.get(alert_id)
                if known == version:
                    continue
                if known is not None:
                    self.index.remove(str(alert_id))
                    summary.removed += 1
                self.versions[alert_id] = version
                try:
                    filters = parse_filters(json.loads(version[1]))
                except (FilterError, ValueError):
                    continue  # stored filters are validated on save; a row edited by hand must not stop matching
                self.index.add(compile_alert(str(alert_id), filters))
                summary.added += 1
        return summary


@dataclass(slots=True)
class RefreshSummary:
    """How many alerts one refresh compiled into the index and dropped from it (an edit counts as both)."""

    added: int = 0
    removed: int = 0


_engines: dict[str, AlertEngine] = {}
_engines_lock = threading.Lock()


def _statistics(session: Session) -> TermStatistics:
    rows = session.exec(
        select(JobPosting)
        .where(col(JobPosting.closed_at).is_(None))
        .order_by(col(JobPosting.first_seen_at).desc())
        .limit(STATISTICS_SAMPLE)
    ).all()
    return TermStatistics(prepare(posting_from_row(row), document=row.search_tokens) for row in rows)


def alert_engine(session: Session) -> AlertEngine:
    """The process's engine for the database of `session`, refreshed (built on first use)."""
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = AlertEngine(index=AlertIndex(stats=_statistics(session)))
    engine.refresh(session)
    return engine


def forget_engines() -> None:
    """Drop every cached engine (the next use rebuilds); for tests and for operators after a restore."""
    with _engines_lock:
        _engines.clear()
