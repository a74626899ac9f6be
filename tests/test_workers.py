"""The Huey instance follows the settings: Redis when `REDIS_URL` is set, else SQLite in its own file."""

from __future__ import annotations

from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey

from jobwatch.config import get_settings
from workers.huey_app import make_huey


def test_default_is_sqlite_storage_apart_from_the_app_database(
    settings_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings_env.setenv("JOBWATCH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    huey = make_huey()
    assert isinstance(huey, SqliteHuey)
    assert Path(huey.storage.filename) == tmp_path / "huey.db"
    assert Path(huey.storage.filename) != Path(get_settings().effective_database_url.removeprefix("sqlite:///"))


def test_redis_when_configured_round_trips_a_task(settings_env: pytest.MonkeyPatch, redis_url: str) -> None:
    settings_env.setenv("REDIS_URL", redis_url)
    get_settings.cache_clear()
    huey = make_huey()
    assert isinstance(huey, RedisHuey)

    @huey.task()
    def add(a: int, b: int) -> int:
        return a + b

    result = add(2, 3)
    assert huey.pending_count() == 1
    task = huey.dequeue()
    assert task is not None
    huey.execute(task)
    assert result.get() == 5
    assert huey.pending_count() == 0


def test_consumer_target_registers_every_task() -> None:
    from workers.main import huey

    names = {name.rsplit(".", 1)[-1] for name in huey._registry._registry}
    assert {
        "scrape_board_task",
        "scrape_due_boards",
        "match_new_postings_task",
        "match_catch_up",
        "send_due_digests_task",
    } <= names


def test_worker_command_consumes_tasks_and_stops_on_sigterm(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    from workers.main import huey
    from workers.tasks import match_new_postings_task

    # The worker inherits this run's data folder, so it reads the same Huey storage file as `huey` here.
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "jobwatch.cli", "worker", "--no-scheduler", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert not huey.immediate
        result = match_new_postings_task()
        assert result.get(blocking=True, timeout=60) == 0  # ran in the worker: nothing to match
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert out == ""  # stdout is for data only
