"""Task runs where operators look: `/admin`'s Tasks tab (state) and `jobwatch status` (a real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jobwatch.models import Board, TaskRun, utcnow
from jobwatch.services import admin, taskruns
from jobwatch.ui.state.admin import AdminState
from tests.ui.test_admin import _admin
from tests.ui.test_auth_state import Tab


def _runs(engine: Engine) -> None:
    now = utcnow()
    with Session(engine) as s:
        s.add_all(
            [
                TaskRun(
                    task="scrape_due_boards",
                    slot="2026-11-30T10:00Z",
                    huey_id="a",
                    state="finished",
                    queued_at=now - timedelta(minutes=2),
                    detail="12",
                    duration_seconds=0.4,
                    attempts=1,
                ),
                TaskRun(
                    task="scrape_due_boards",
                    slot="2026-11-30T10:01Z",
                    huey_id="b",
                    state="finished",
                    queued_at=now - timedelta(minutes=1),
                    detail="3",
                    duration_seconds=0.2,
                    attempts=1,
                    consumer="box:12/Worker-1",
                ),
                TaskRun(
                    task="send_due_digests_task",
                    slot="2026-11-30T10:00Z",
                    huey_id="c",
                    state="failed",
                    queued_at=now,
                    error="OperationalError: server closed the connection",
                    attempts=3,
                ),
                Board(
                    key="lever:broken",
                    ats="lever",
                    token="broken",
                    last_run_status="failed",
                    last_error="HTTP 503",
                    consecutive_failures=2,
                ),
            ]
        )
        s.commit()


def test_admin_tasks_tab_shows_last_runs_and_failures(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _runs(db)
    _, token = _admin(db)
    monkeypatch.setattr(admin, "queue_length", lambda: 5)
    monkeypatch.setattr(admin, "scheduled_count", lambda: 1)
    state = Tab(token).state(AdminState)
    assert AdminState.load.fn(state) is None
    assert (state.queue, state.scheduled) == ("5", "1")
    last = {r.task: r for r in state.task_runs}
    assert set(last) == {"scrape_due_boards", "send_due_digests_task"}
    assert (last["scrape_due_boards"].slot, last["scrape_due_boards"].detail) == ("2026-11-30T10:01Z", "3")
    assert last["scrape_due_boards"].duration == "0.2 s" and last["scrape_due_boards"].consumer == "box:12/Worker-1"
    assert [(r.task, r.state, r.attempts) for r in state.task_failures] == [("send_due_digests_task", "failed", 3)]


def test_status_command_prints_tasks_and_failing_boards(db: Engine, database_url: str) -> None:
    _runs(db)
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "jobwatch.cli", "status"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["queue_length"] == 0  # the embedded SQLite queue of this run's data folder, empty
    assert [b["board"] for b in status["failing_boards"]] == ["lever:broken"]
    tasks = status["tasks"]
    assert tasks["states"] == {"finished": 2, "failed": 1} and tasks["scheduled"] == 0
    assert [(r["task"], r["state"]) for r in tasks["last_runs"]] == [
        ("scrape_due_boards", "finished"),
        ("send_due_digests_task", "failed"),
    ]
    assert tasks["failures"][0]["error"] == "OperationalError: server closed the connection"
    assert taskruns.STATES == ("queued", "started", "finished", "failed")
