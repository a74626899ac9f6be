"""The one Huey instance, chosen by settings: Redis when `REDIS_URL` is set, else SQLite storage.

The SQLite storage lives in its own file in the data folder, never in the app's database (field case B23),
and waits on a locked file instead of failing (Huey's SqliteStorage sets a busy timeout and WAL). Every task
run is recorded in the `task_run` table (`workers.recording`). Task results expire after a day in Redis; in
the SQLite storage the hourly cleanup task deletes them.
"""

from __future__ import annotations

from huey import Huey, RedisExpireHuey, SqliteHuey

from jobwatch.config import get_settings
from jobwatch.observability import install_task_logging
from workers import recording

#: How long Redis keeps a task's result.
RESULTS_TTL_SECONDS = 24 * 3600


def make_huey() -> Huey:
    """Build the Huey instance for the current settings (`immediate` stays off; tests switch it on)."""
    settings = get_settings()
    if settings.redis_url:
        # Task results expire after a day: nothing reads them in production, and a plain RedisHuey keeps every
        # one forever (the task-run records hold each run's summary).
        instance: Huey = RedisExpireHuey("jobwatch", url=settings.redis_url, expire_time=RESULTS_TTL_SECONDS)
    else:
        instance = SqliteHuey("jobwatch", filename=str(settings.data_dir / "huey.db"), timeout=30)
    recording.install(instance)
    return instance


huey = make_huey()
install_task_logging(huey)  # task ids on every log record of a task (jobwatch.observability)
