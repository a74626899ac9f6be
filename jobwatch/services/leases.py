"""Leases: locks on periodic work that expire, so a killed worker's lock frees itself (issue 7, field case B22).

A lease is a named lock with a time to live. Each holder is identified by a random token: `acquire()` succeeds
only when the lease is free or its previous holder let it expire, and `renew()` and `release()` act only when
the caller's token is the one stored, so nobody can extend or delete a live holder's lease (unlike Huey's
`lock_task`, whose lock never expires after a SIGKILL and is cleared wholesale by `flush_locks`). While the
guarded work runs, `lease()` and `with_lease()` renew the lease from a heartbeat thread every third of its TTL;
when the process dies the heartbeat dies with it and the lease is free again at most one TTL later.

Storage, chosen per call by the settings (the same choice as the Huey instance, `workers.huey_app`):

- `REDIS_URL` set: Redis, key `jobwatch:lease:<name>`. `SET key token NX PX ttl` takes a lease; renew and
  release are Lua compare-and-pexpire / compare-and-delete scripts, atomic on the server. This is the
  deployment where several consumers (on several hosts) run at once.
- `REDIS_URL` unset: in process (`LocalLeaseBackend`, a `threading.Lock` around a dict of token and expiry).
  Without Redis the queue is Huey's SQLite file in the data folder and the documented setup runs a single
  consumer (`jobwatch worker`, thread workers), so every task that could contend for a lease runs in this one
  process and a process-local lease is exact there; a killed process takes its leases with it.
  The database was considered and not used: the only shared table that could hold a lease without a migration,
  `rate_limit_slot` (`key`, `next_at`), has no column for the holder's token, and a lease without one cannot
  refuse a release or renewal by a non-holder. Several consumers need `REDIS_URL`.

Expiry compares times of one clock: the Redis server's for Redis, `time.monotonic` (injectable) in process.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import ParamSpec, Protocol, TypeVar

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_REDIS_PREFIX = "jobwatch:lease:"

_RENEW_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return 0
"""
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class LeaseBackend(Protocol):
    """Where leases live. Every operation is atomic; `token` identifies the holder."""

    def acquire(self, name: str, token: str, ttl_seconds: float) -> bool:
        """Take lease `name` for `token` if it is free or expired; True when taken."""
        ...

    def renew(self, name: str, token: str, ttl_seconds: float) -> bool:
        """Push the expiry of `name` to now + TTL if `token` still holds it; True when renewed."""
        ...

    def release(self, name: str, token: str) -> bool:
        """Free lease `name` if `token` holds it; True when freed, False (and nothing done) otherwise."""
        ...


def _ttl_ms(ttl_seconds: float) -> int:
    if ttl_seconds <= 0:
        raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds!r}")
    return max(1, round(ttl_seconds * 1000))


class RedisLeaseBackend:
    """Leases in Redis: `SET NX PX` to take one, Lua compare-and-pexpire / compare-and-delete for the holder."""

    def __init__(self, redis_url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self._renew = self.client.register_script(_RENEW_LUA)
        self._release = self.client.register_script(_RELEASE_LUA)

    def acquire(self, name: str, token: str, ttl_seconds: float) -> bool:
        """Take `name` for `token` when the key is absent (Redis drops it when its TTL runs out)."""
        return bool(self.client.set(_REDIS_PREFIX + name, token, nx=True, px=_ttl_ms(ttl_seconds)))

    def renew(self, name: str, token: str, ttl_seconds: float) -> bool:
        """Reset the TTL of `name` only while `token` holds it."""
        return bool(self._renew(keys=[_REDIS_PREFIX + name], args=[token, _ttl_ms(ttl_seconds)]))

    def release(self, name: str, token: str) -> bool:
        """Delete `name` only while `token` holds it."""
        return bool(self._release(keys=[_REDIS_PREFIX + name], args=[token]))


class LocalLeaseBackend:
    """Leases in this process (the embedded single-consumer default): a dict of (token, expiry) under a lock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._held: dict[str, tuple[str, float]] = {}

    def _holder(self, name: str) -> str | None:
        entry = self._held.get(name)
        if entry is None:
            return None
        if entry[1] <= self.clock():
            del self._held[name]
            return None
        return entry[0]

    def acquire(self, name: str, token: str, ttl_seconds: float) -> bool:
        """Take `name` for `token` when nobody holds it or its holder's expiry has passed."""
        _ttl_ms(ttl_seconds)
        with self._lock:
            if self._holder(name) is not None:
                return False
            self._held[name] = (token, self.clock() + ttl_seconds)
            return True

    def renew(self, name: str, token: str, ttl_seconds: float) -> bool:
        """Move the expiry of `name` to now + TTL only while `token` holds it (an expired lease is lost)."""
        _ttl_ms(ttl_seconds)
        with self._lock:
            if self._holder(name) != token:
                return False
            self._held[name] = (token, self.clock() + ttl_seconds)
            return True

    def release(self, name: str, token: str) -> bool:
        """Free `name` only while `token` holds it."""
        with self._lock:
            if self._holder(name) != token:
                return False
            del self._held[name]
            return True


_LOCAL = LocalLeaseBackend()


@lru_cache(maxsize=8)
def _redis_backend(redis_url: str) -> RedisLeaseBackend:
    return RedisLeaseBackend(redis_url)


def make_lease_backend(redis_url: str | None = None) -> LeaseBackend:
    """The lease storage: Redis when `redis_url` (default: `REDIS_URL`) is set, else this process's leases."""
    from jobwatch.config import get_settings

    url = redis_url if redis_url is not None else get_settings().redis_url
    if url:
        return _redis_backend(url)
    return _LOCAL


class Lease:
    """One holder's claim on lease `name`: a fresh random token, used by `acquire`, `renew` and `release`."""

    def __init__(self, name: str, *, ttl_seconds: float, backend: LeaseBackend | None = None) -> None:
        _ttl_ms(ttl_seconds)
        self.name = name
        self.ttl_seconds = ttl_seconds
        self.backend = backend if backend is not None else make_lease_backend()
        self.token = secrets.token_hex(16)

    def acquire(self) -> bool:
        """Take the lease if it is free or expired; True when this holder now has it."""
        return self.backend.acquire(self.name, self.token, self.ttl_seconds)

    def renew(self) -> bool:
        """Extend the lease by its TTL from now; False when this holder no longer has it."""
        return self.backend.renew(self.name, self.token, self.ttl_seconds)

    def release(self) -> bool:
        """Free the lease if this holder has it; a lease someone else holds is left alone."""
        return self.backend.release(self.name, self.token)


class _Heartbeat:
    """Renews a held lease every `every` seconds from a daemon thread until stopped."""

    def __init__(self, held: Lease, every: float) -> None:
        self.held = held
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{held.name}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                renewed = self.held.renew()
            except Exception:
                log.exception("lease %r: renewal failed", self.held.name)
                continue
            if not renewed:
                log.warning("lease %r: lost before the work finished (expired or taken over)", self.held.name)
                return

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def lease(
    name: str,
    *,
    ttl_seconds: float,
    backend: LeaseBackend | None = None,
    renew_every: float | None = None,
) -> Iterator[bool]:
    """Try to take lease `name`; yields True when taken (then renewed while inside and released at the end).

    Yields False, and does nothing else, when another holder has a live lease. `renew_every` defaults to a
    third of the TTL; 0 turns the heartbeat off (the lease then lasts one TTL from the start at most).
    """
    held = Lease(name, ttl_seconds=ttl_seconds, backend=backend)
    if not held.acquire():
        yield False
        return
    every = ttl_seconds / 3 if renew_every is None else renew_every
    try:
        if every > 0:
            with _Heartbeat(held, every):
                yield True
        else:
            yield True
    finally:
        held.release()


def with_lease(
    name: str, ttl_seconds: float | None = None, *, backend: Callable[[], LeaseBackend] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R | None]]:
    """Decorate a function to run only under lease `name`; while another holder has it, skip: log, return None.

    `ttl_seconds` defaults to the `WORKER_LEASE_SECONDS` setting, read at each call. The storage is chosen at
    each call too (`backend()` when given, else `make_lease_backend()`), so a process sees its current
    settings. Put it under Huey's `task`/`periodic_task` decorator; the name is kept.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R | None]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
            from jobwatch.config import get_settings

            store = backend() if backend is not None else make_lease_backend()
            ttl = ttl_seconds if ttl_seconds is not None else get_settings().worker_lease_seconds
            with lease(name, ttl_seconds=ttl, backend=store) as held:
                if not held:
                    log.info("%s skipped: lease %r is held by another run", func.__name__, name)
                    return None
                return func(*args, **kwargs)

        return wrapper

    return decorate


__all__ = [
    "Lease",
    "LeaseBackend",
    "LocalLeaseBackend",
    "RedisLeaseBackend",
    "lease",
    "make_lease_backend",
    "with_lease",
]
