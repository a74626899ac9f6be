"""Helpers for the end-to-end runs of real `jobwatch worker` processes (tests/e2e/test_consumers*.py).

Self-written board responses (Greenhouse, Lever and Ashby shapes, a few postings each, titles from a small
vocabulary so alerts match predictably), seeding of boards, users and alerts, worker processes with their
logs in files, and `wait_for`, which polls a condition (never a fixed sleep) and fails with the workers' logs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from jobwatch.models import Board, JobAlert, TaskRun, User, utcnow
from tests.loopback import BoardServer, Reply

PATHS = {
    "greenhouse": "/greenhouse/v1/boards/{token}/jobs",
    "lever": "/lever/v0/postings/{token}",
    "ashby": "/ashby/posting-api/job-board/{token}",
}
TITLES = [
    "Senior Rust Engineer",
    "Python Developer",
    "Data Scientist",
    "Product Designer",
    "Account Executive",
    "Rust and Python Platform Engineer",
]
#: Alert keywords per user (cycled); `cobol` matches nothing, so those users are never due.
KEYWORDS = [["rust"], ["python"], ["data scientist"], ["designer"], ["cobol"]]
PERIODIC = ("scrape_due_boards", "match_catch_up", "send_due_digests_task", "cleanup_task")


def posting_url(source: str, token: str, n: int) -> str:
    """The public URL of posting `n` of a board: unique per posting, so digests can be checked for repeats."""
    return f"https://jobs.example.test/{source}/{token}/{n}"


def board_body(source: str, token: str, count: int) -> bytes:
    """A board response of `source` listing `count` postings (titles from `TITLES`)."""
    items: list[dict[str, Any]] = []
    for n in range(count):
        title = TITLES[n % len(TITLES)]
        url = posting_url(source, token, n)
        if source == "greenhouse":
            items.append(
                {
                    "id": 7_000_000 + n,
                    "title": title,
                    "absolute_url": url,
                    "location": {"name": "Remote"},
                    "updated_at": "2026-11-01T10:00:00Z",
                    "first_published": "2026-11-01T10:00:00Z",
                    "company_name": f"Company {token}",
                    "content": "&lt;p&gt;Work with us.&lt;/p&gt;",
                    "departments": [],
                    "offices": [],
                }
            )
        elif source == "lever":
            items.append(
                {
                    "id": f"{token}-{n:04d}",
                    "text": title,
                    "hostedUrl": url,
                    "categories": {"location": "Remote", "commitment": "Full-time", "allLocations": ["Remote"]},
                    "createdAt": 1_790_000_000_000,
                    "description": "<p>Work with us.</p>",
                    "workplaceType": "remote",
                }
            )
        else:
            items.append(
                {
                    "id": f"{token}-{n:04d}",
                    "title": title,
                    "location": "Remote",
                    "isListed": True,
                    "isRemote": True,
                    "workplaceType": "Remote",
                    "employmentType": "FullTime",
                    "publishedAt": "2026-11-01T10:00:00.000Z",
                    "jobUrl": url,
                    "descriptionHtml": "<p>Work with us.</p>",
                }
            )
    if source == "greenhouse":
        return json.dumps({"jobs": items, "meta": {"total": len(items)}}).encode()
    if source == "lever":
        return json.dumps(items).encode()
    return json.dumps({"apiVersion": "1", "jobs": items}).encode()


def serve_boards(server: BoardServer, boards: int, per_board: int) -> list[str]:
    """Put `boards` boards (sources in turn) on `server`; returns their keys (`greenhouse:co-0`, ...)."""
    keys = []
    sources = list(PATHS)
    for n in range(boards):
        source = sources[n % len(sources)]
        token = f"co-{n}"
        server.replies[PATHS[source].format(token=token)] = Reply(200, board_body(source, token, per_board))
        keys.append(f"{source}:{token}")
    return keys


def seed(session: Session, keys: list[str], users: int) -> None:
    """Store the boards (already past their baseline, so their postings are new) and `users` verified users,
    each with one daily email alert on `KEYWORDS` (cycled), settled up to now (not due until `make_due`)."""
    now = utcnow()
    for key in keys:
        ats, token = key.split(":", 1)
        session.add(Board(key=key, ats=ats, token=token, baseline_at=now - timedelta(days=1), next_scrape_at=now))
    session.flush()
    for n in range(users):
        user = User(email=f"seeker{n}@example.test", password_hash="!unusable", email_verified_at=now)
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(
            JobAlert(
                user_id=user.id,
                name=f"Alert {n}",
                filters={"title_keywords": KEYWORDS[n % len(KEYWORDS)]},
                frequency="daily",
                channels=["inbox", "email"],
                created_at=now - timedelta(hours=1),
                updated_at=now,
                digest_cursor_at=now + timedelta(days=1),
            )
        )
    session.commit()


def make_due(session: Session) -> None:
    """Make every alert's daily digest due now."""
    session.exec(update(JobAlert).values(digest_cursor_at=utcnow() - timedelta(days=2)))  # type: ignore[call-overload]
    session.commit()


@dataclass
class Worker:
    """One `jobwatch worker` process, its arguments and its log file."""

    args: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    pids: list[int] = field(default_factory=list)

    def start(self) -> Worker:
        """Start (or restart) the process."""
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jobwatch.cli", "worker", *self.args],
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        handle.close()
        self.pids.append(self.proc.pid)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM and wait for the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)


def worker_env(base: dict[str, str]) -> dict[str, str]:
    """The environment of a worker process: this one's, plus `base`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(base)
    return env


def wait_for(
    condition: Callable[[], Any], *, timeout: float, what: str, logs: list[Path] | None = None, every: float = 0.2
) -> Any:
    """Poll `condition` until it returns something truthy (returned) or `timeout` seconds pass (AssertionError
    naming `what`, with the tail of each log)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p}\n" + p.read_text(errors="replace")[-3000:] for p in logs or [] if p.exists())
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tails}")
        time.sleep(every)  # the polling interval of a condition wait


def slot_runs(session: Session) -> list[TaskRun]:
    """Every recorded run of a periodic task."""
    return list(session.exec(select(TaskRun).where(col(TaskRun.task).in_(PERIODIC))).all())


def pid_of(consumer: str | None) -> int | None:
    """The process id in a `host:pid/Thread` consumer identity."""
    if not consumer:
        return None
    return int(consumer.split("/", 1)[0].rsplit(":", 1)[1])
