"""Pacing shared by every worker process: at most N calls per second to one service, all processes together.

A pace is one number, the next free moment (Unix seconds), kept in Redis when `REDIS_URL` is set and in the
`rate_limit_slot` table otherwise. `reserve()` atomically takes the next slot (`max(now, next free)`) and moves
the next free moment one interval on; the caller then waits until its slot, doing other useful work meanwhile
if it has any (`wait_until`). `hold_until(t)` pushes the next free moment to `t` for everyone, which is how a
429's `retry-after` reaches the other processes. Slots are spaced by `1 / rate` plus a small margin, so jitter
between our clock and the service's never puts three calls in one of its seconds.

Clocks: processes on different hosts compare Unix times, so their clocks must be synchronized (NTP).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

#: Added to every interval: covers the jitter between our send time and the service's arrival time.
DEFAULT_MARGIN_SECONDS = 0.02
FIRST_STEP_GUESS_SECONDS = 0.05
_REDIS_TTL_SECONDS = 3600

_RESERVE_LUA = """
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
if nxt < now then nxt = now end
redis.call('SET', KEYS[1], string.format('%.6f', nxt + tonumber(ARGV[2])), 'EX', tonumber(ARGV[3]))
return string.format('%.6f', nxt)
"""
_HOLD_LUA = """
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
end
return 1
"""


class Pacer(Protocol):
    """A shared pace: `reserve()` returns the Unix time at which the caller may make its call."""

    interval: float

    def reserve(self) -> float:
        """Take the next slot; returns its Unix time (now or later). Never blocks."""
        ...

    def hold_until(self, moment: float) -> None:
        """Let no call of any process start before `moment` (Unix seconds)."""
        ...


class RedisPacer:
    """A pace kept in Redis under `jobwatch:pace:<name>` (atomic Lua scripts)."""

    def __init__(self, redis_url: str, name: str, rate_per_second: float, margin: float = DEFAULT_MARGIN_SECONDS):
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self.key = f"jobwatch:pace:{name}"
        self.interval = 1.0 / rate_per_second + margin
        self._reserve = self.client.register_script(_RESERVE_LUA)
        self._hold = self.client.register_script(_HOLD_LUA)

    def reserve(self) -> float:
        """Take the next slot; returns its Unix time."""
        value = self._reserve(keys=[self.key], args=[f"{time.time():.6f}", f"{self.interval:.6f}", _REDIS_TTL_SECONDS])
        return float(value.decode() if isinstance(value, bytes) else value)

    def hold_until(self, moment: float) -> None:
        """No call before `moment`."""
        self._hold(keys=[self.key], args=[f"{moment:.6f}", _REDIS_TTL_SECONDS])


class DatabasePacer:
    """A pace kept in one `rate_limit_slot` row: one atomic `UPDATE ... RETURNING` per reservation."""

    def __init__(self, engine: Engine, name: str, rate_per_second: float, margin: float = DEFAULT_MARGIN_SECONDS):
        self.engine = engine
        self.key = name
        self.interval = 1.0 / rate_per_second + margin

    def reserve(self) -> float:
        """Take the next slot; returns its Unix time."""
        statement = text(
            "UPDATE rate_limit_slot SET next_at = "
            "(CASE WHEN next_at > :now THEN next_at ELSE :now END) + :interval "
            'WHERE "key" = :key RETURNING next_at'
        )
        for _ in range(3):
            now = time.time()
            with self.engine.begin() as conn:
                row = conn.execute(statement, {"now": now, "interval": self.interval, "key": self.key}).first()
            if row is not None:
                return float(row[0]) - self.interval
            self._create_row()
        raise RuntimeError(f"rate_limit_slot row {self.key!r} could not be created")

    def hold_until(self, moment: float) -> None:
        """No call before `moment`."""
        self._create_row()
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE rate_limit_slot SET next_at = CASE WHEN next_at > :m THEN next_at ELSE :m END "
                    'WHERE "key" = :key'
                ),
                {"m": moment, "key": self.key},
            )

    def _create_row(self) -> None:
        try:
            with self.engine.begin() as conn:
                exists = conn.execute(text('SELECT 1 FROM rate_limit_slot WHERE "key" = :key'), {"key": self.key})
                if exists.first() is None:
                    conn.execute(
                        text('INSERT INTO rate_limit_slot ("key", next_at) VALUES (:key, 0)'), {"key": self.key}
                    )
        except IntegrityError:
            pass  # another process created it first: that row is the one we want


def make_pacer(
    name: str, rate_per_second: float, *, engine: Engine | None = None, redis_url: str | None = None
) -> Pacer:
    """The shared pace `name`: in Redis when `redis_url` (default: `REDIS_URL`) is set, else in the database."""
    from jobwatch.config import get_settings
    from jobwatch.db import get_engine

    url = redis_url if redis_url is not None else get_settings().redis_url
    if url:
        return RedisPacer(url, name, rate_per_second)
    return DatabasePacer(engine or get_engine(), name, rate_per_second)


def wait_until(
    moment: float,
    *,
    work: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Return at Unix time `moment`; until then call `work()` (one short step each) while it returns True.

    A step is started only when it should end before `moment` (judged by the longest step so far, with
    room to spare): a call that leaves late squeezes the gap to the next one below the service's limit.
    The waiting is real time: this is the pace itself, not a stand-in for synchronization.
    """
    # Until a step has been timed, assume one takes 50 ms: the first step of a run (cold caches, a first
    # transaction) is the one most likely to run long and push the call past its slot.
    longest = FIRST_STEP_GUESS_SECONDS
    while work is not None and clock() + 2.5 * longest + 0.01 < moment:
        started = clock()
        if not work():
            break
        took = clock() - started
        longest = took if longest == FIRST_STEP_GUESS_SECONDS and took < longest else max(longest, took)
    remaining = moment - clock()
    if remaining > 0:
        sleep(remaining)
