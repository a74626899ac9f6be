"""Health of what the web app depends on: the database and the task queue (`GET /healthz`, `jobwatch status`)."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from sqlalchemy import text

from jobwatch.db import get_engine

log = logging.getLogger(__name__)


def check_db() -> str:
    """`"ok"` when `SELECT 1` answers on the configured database, else `"error"` (the cause is logged)."""
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
    except Exception:
        log.exception("health: database check failed")
        return "error"
    return "ok"


def check_queue() -> str:
    """`"ok"` when Huey's storage (Redis, or the SQLite file) answers, `"error"` when it does not.

    `"unknown"` when the queue module is not there (`workers.huey_app` is imported lazily, so the web app
    starts without it); that does not make the app unhealthy.
    """
    try:
        huey_app = importlib.import_module("workers.huey_app")
    except ImportError:
        return "unknown"
    try:
        # One round trip to the storage; Redis and SQLite storages both implement it.
        huey_app.huey.pending_count()
    except Exception:
        log.exception("health: queue check failed")
        return "error"
    return "ok"


def health() -> tuple[bool, dict[str, Any]]:
    """`(healthy, report)`: report is `{"db": "ok"|"error", "queue": "ok"|"error"|"unknown"}`.

    Healthy means the database answers and the queue does not report an error.
    """
    report = {"db": check_db(), "queue": check_queue()}
    healthy = report["db"] == "ok" and report["queue"] != "error"
    return healthy, report
