"""The whole pipeline on recorded boards: scrape (Huey tasks, immediate mode), match, inbox, digest.

A loopback HTTP server replays board responses behind the `<SOURCE>_API_URL` settings: the recorded files
of `JOBWATCH_FIXTURES_DIR` when it is set, else the project's own small files in `tests/fixtures/`.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from jobwatch.config import get_settings
from jobwatch.db import session_scope
from jobwatch.models import Board, JobPosting, Notification, OutboxMessage, ScrapeRun, utcnow
from jobwatch.services.alerts import create_alert
from jobwatch.services.boards import add_board
from tests.factories import make_user
from tests.loopback import BoardServer, Reply

OWN_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

#: Recorded files used when JOBWATCH_FIXTURES_DIR is set: two complete boards per source (a trimmed file whose
#: `meta.total` exceeds its jobs reads, rightly, as a partial scrape).
RECORDED = {
    "greenhouse": ["greenhouse/jobs_content_anthropic_4.json", "greenhouse/jobs_content_honeycomb_2.json"],
    "lever": ["lever/postings_spotify_4.json", "lever/postings_leverdemo_6.json"],
    "ashby": ["ashby/job_board_ramp_6.json", "ashby/job_board_render_2.json"],
}
PATHS = {
    "greenhouse": "/greenhouse/v1/boards/{token}/jobs",
    "lever": "/lever/v0/postings/{token}",
    "ashby": "/ashby/posting-api/job-board/{token}",
}


def _board_files() -> dict[str, list[Path]]:
    root = os.environ.get("JOBWATCH_FIXTURES_DIR")
    if root:
        return {source: [Path(root) / name for name in names] for source, names in RECORDED.items()}
    found: dict[str, list[Path]] = {}
    for source in PATHS:
        files = sorted(p for p in (OWN_FIXTURES / source).glob("*.json") if not p.stem.endswith("_v2"))
        found[source] = [p for p in files if _items(source, json.loads(p.read_bytes()))][:2]
    return found


def _items(source: str, data: Any) -> list[dict[str, Any]]:
    """The list of postings inside a board response (by reference, so edits change `data`)."""
    if source == "greenhouse":
        return data.get("jobs", []) if isinstance(data, dict) else []
    if source == "lever":
        return data if isinstance(data, list) else []
    return data.get("jobs", []) if isinstance(data, dict) else []


def _next_version(source: str, data: Any, titles: list[str]) -> Any:
    """The board's next response: the first posting dropped, one new posting per title added at the top."""
    data = copy.deepcopy(data)
    items = _items(source, data)
    template = items[0]
    dropped = items.pop(0)
    title_key = "text" if source == "lever" else "title"
    for n, title in enumerate(titles):
        fresh = copy.deepcopy(template)
        fresh[title_key] = title
        fresh["id"] = (
            int(str(dropped["id"])[-6:]) + 900_000 + n if source == "greenhouse" else f"e2e-new-{n}-{dropped['id']}"
        )
        for key in ("content", "description", "descriptionPlain", "descriptionHtml", "descriptionBody"):
            if key in fresh:
                fresh[key] = ""
        for key in (
            "lists",
            "additional",
            "additionalPlain",
            "opening",
            "openingPlain",
            "descriptionBodyPlain",
        ):
            fresh.pop(key, None)
        items.insert(0, fresh)
    return data


@pytest.fixture()
def pipeline(db: Engine, settings_env: pytest.MonkeyPatch) -> Iterator[tuple[BoardServer, Any]]:
    """The loopback server behind the API URL settings, and the Huey tasks in immediate mode."""
    with BoardServer() as server:
        for source in PATHS:
            settings_env.setenv(f"{source.upper()}_API_URL", f"{server.url}/{source}")
        get_settings.cache_clear()
        from workers import tasks
        from workers.huey_app import huey

        huey.immediate = True
        try:
            yield server, tasks
        finally:
            huey.immediate = False


def _make_due(engine: Engine) -> None:
    with Session(engine) as s:
        s.exec(update(Board).values(next_scrape_at=utcnow() - timedelta(seconds=1)))  # type: ignore[call-overload]
        s.commit()


def test_scrape_match_notify_end_to_end(pipeline: tuple[BoardServer, Any], db: Engine) -> None:
    server, tasks = pipeline
    files = _board_files()
    assert sum(len(v) for v in files.values()) >= 6, files
    responses: dict[str, Any] = {}
    with session_scope() as s:
        user = make_user(s, email="ada@example.test")
        user_id = user.id
        for source, paths in files.items():
            for n, path in enumerate(paths):
                token = f"{path.stem.replace('_', '-')}-{n}"
                add_board(session=s, text=f"{source}:{token}")
                url_path = PATHS[source].format(token=token)
                responses[url_path] = (source, json.loads(path.read_bytes()))
                server.replies[url_path] = Reply(200, path.read_bytes())
        create_alert(session=s, user_id=user_id, name="Rust", filters={"title_keywords": ["rust"]}, frequency="instant")
        create_alert(
            session=s,
            user_id=user_id,
            name="Platform",
            filters={"keywords": ["platform engineer"]},
            frequency="instant",
        )

    # 1. The first scrape of every board is its baseline: postings stored, nothing announced.
    tasks.scrape_due_boards()
    with Session(db) as s:
        runs = s.exec(select(ScrapeRun)).all()
        assert len(runs) == 6 and {r.status for r in runs} == {"ok"}, [(r.status, r.error) for r in runs]
        stored = s.exec(select(JobPosting)).all()
        assert stored and all(p.is_baseline for p in stored)
        baseline_count = len(stored)
        assert s.exec(select(Notification)).all() == []
    tasks.send_due_digests_task()
    with Session(db) as s:
        assert s.exec(select(OutboxMessage)).all() == []

    # 2. Next responses: each board drops its first posting and adds two; two of the new ones match.
    new_titles = {
        0: ["Senior Rust Engineer", "Office Manager"],
        1: ["Platform Engineer, Infrastructure", "Account Executive"],
    }
    changed: dict[str, Any] = {}
    for n, (url_path, (source, data)) in enumerate(sorted(responses.items())):
        nxt = _next_version(source, data, new_titles[n % 2])
        changed[url_path] = nxt
        server.replies[url_path] = Reply(200, json.dumps(nxt).encode())
    _make_due(db)
    tasks.scrape_due_boards()
    with Session(db) as s:
        closed = s.exec(select(JobPosting).where(col(JobPosting.closed_at).is_not(None))).all()
        assert len(closed) == 6  # exactly the dropped posting of each board
        assert len(s.exec(select(JobPosting)).all()) == baseline_count + 12
        notes = s.exec(select(Notification).where(Notification.user_id == user_id)).all()
        titles = sorted(s.get_one(JobPosting, n.posting_id).title for n in notes)
        assert titles == sorted(["Senior Rust Engineer"] * 3 + ["Platform Engineer, Infrastructure"] * 3)

    tasks.send_due_digests_task()
    with Session(db) as s:
        outbox = s.exec(select(OutboxMessage)).all()
        assert len(outbox) == 1 and outbox[0].to_email == "ada@example.test"
        assert outbox[0].subject == "6 new jobs for 2 of your alerts"
        assert outbox[0].text.count("Senior Rust Engineer") == 3

    # 3. A scrape with nothing new adds nothing and sends nothing.
    _make_due(db)
    tasks.scrape_due_boards()
    tasks.send_due_digests_task()
    with Session(db) as s:
        assert len(s.exec(select(Notification)).all()) == 6
        assert len(s.exec(select(OutboxMessage)).all()) == 1
        assert len(s.exec(select(JobPosting).where(col(JobPosting.closed_at).is_not(None))).all()) == 6

    # 4. Boards answering 500, 429 or an HTML interstitial fail their runs and close nothing.
    bad = sorted(changed)[:3]
    server.replies[bad[0]] = Reply(500, b'{"error":"boom"}')
    server.replies[bad[1]] = Reply(429, b'{"error":"slow down"}', headers={"Retry-After": "0"})
    server.replies[bad[2]] = Reply(200, b"<html><title>Just a moment...</title></html>", "text/html")
    _make_due(db)
    tasks.scrape_due_boards()
    with Session(db) as s:
        failed = s.exec(select(ScrapeRun).where(ScrapeRun.status == "failed")).all()
        assert len(failed) == 3 and all(r.error for r in failed)
        assert len(s.exec(select(JobPosting).where(col(JobPosting.closed_at).is_not(None))).all()) == 6
        boards = s.exec(select(Board).where(Board.last_run_status == "failed")).all()
        assert len(boards) == 3
