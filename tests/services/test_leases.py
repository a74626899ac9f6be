"""Leases expire, belong to one token, and make a guarded task skip while another holder has them (issue 7)."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import cast

import pytest

from jobwatch.config import get_settings
from jobwatch.services.leases import (
    Lease,
    LeaseBackend,
    LocalLeaseBackend,
    RedisLeaseBackend,
    lease,
    make_lease_backend,
    with_lease,
)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["local", "redis"])
def backend(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[LeaseBackend]:
    """Each backend: in process on a fake clock, and Redis (this run's database)."""
    if request.param == "local":
        yield LocalLeaseBackend(clock=clock)
    else:
        redis_url = request.getfixturevalue("redis_url")
        store = RedisLeaseBackend(redis_url)
        yield store
        store.client.close()


def _pttl(store: RedisLeaseBackend, key: str) -> int:
    """The key's remaining time to live, in milliseconds."""
    return cast(int, store.client.pttl(key))


def _name() -> str:
    return f"test-{secrets.token_hex(4)}"


def test_acquire_release_then_acquire_again(backend: LeaseBackend) -> None:
    name = _name()
    first = Lease(name, ttl_seconds=30, backend=backend)
    assert first.acquire()
    assert first.release()
    second = Lease(name, ttl_seconds=30, backend=backend)
    assert second.acquire()
    assert second.release()
    assert not second.release()  # already free: nothing to do


def test_second_holder_refused_while_first_is_live(backend: LeaseBackend) -> None:
    name = _name()
    first = Lease(name, ttl_seconds=30, backend=backend)
    second = Lease(name, ttl_seconds=30, backend=backend)
    assert first.token != second.token
    assert first.acquire()
    assert not second.acquire()
    assert not first.acquire()  # a lease is not re-entrant either
    assert first.release()
    assert second.acquire()


def test_release_by_non_holder_does_nothing(backend: LeaseBackend) -> None:
    name = _name()
    holder = Lease(name, ttl_seconds=30, backend=backend)
    other = Lease(name, ttl_seconds=30, backend=backend)
    assert holder.acquire()
    assert not other.release()
    assert not Lease(name, ttl_seconds=30, backend=backend).acquire()  # still held
    assert holder.renew()  # and still the holder's
    assert holder.release()


def test_local_lease_expires(clock: FakeClock) -> None:
    store = LocalLeaseBackend(clock=clock)
    killed = Lease("periodic", ttl_seconds=10, backend=store)
    assert killed.acquire()  # ...and its worker is SIGKILLed: nobody releases it
    clock.now += 9.9
    assert not Lease("periodic", ttl_seconds=10, backend=store).acquire()
    clock.now += 0.1
    taker = Lease("periodic", ttl_seconds=10, backend=store)
    assert taker.acquire()
    assert not killed.renew()  # the old holder lost it
    assert not killed.release()  # and cannot free the new holder's lease
    assert not Lease("periodic", ttl_seconds=10, backend=store).acquire()


def test_local_renew_extends_only_for_the_holder(clock: FakeClock) -> None:
    store = LocalLeaseBackend(clock=clock)
    holder = Lease("periodic", ttl_seconds=10, backend=store)
    other = Lease("periodic", ttl_seconds=10, backend=store)
    assert holder.acquire()
    clock.now += 8
    assert not other.renew()
    assert holder.renew()  # now expires at +18
    clock.now += 8  # +16: would have expired without the renewal
    assert not other.acquire()
    clock.now += 2  # +18
    assert other.acquire()


def test_redis_lease_expires(redis_url: str) -> None:
    store = RedisLeaseBackend(redis_url)
    try:
        name = _name()
        killed = Lease(name, ttl_seconds=0.2, backend=store)
        assert killed.acquire()  # never released: expiry alone must free it
        taker = Lease(name, ttl_seconds=30, backend=store)
        assert not taker.acquire()
        assert _wait_for(taker.acquire)
        assert not killed.renew()
        assert not killed.release()
        assert store.client.get(f"jobwatch:lease:{name}") == taker.token.encode()
        assert taker.release()
    finally:
        store.client.close()


def test_redis_renew_extends_only_for_the_holder(redis_url: str) -> None:
    store = RedisLeaseBackend(redis_url)
    try:
        name = _name()
        key = f"jobwatch:lease:{name}"
        holder = Lease(name, ttl_seconds=1, backend=store)
        other = Lease(name, ttl_seconds=60, backend=store)
        assert holder.acquire()
        assert 0 < _pttl(store, key) <= 1000
        assert not other.renew()
        assert _pttl(store, key) <= 1000  # untouched by the non-holder
        extended = Lease(name, ttl_seconds=60, backend=store)
        extended.token = holder.token  # the holder renewing with a longer TTL
        assert extended.renew()
        assert _pttl(store, key) > 1000
        assert holder.release()
    finally:
        store.client.close()


def test_backend_follows_settings(settings_env: pytest.MonkeyPatch, redis_url: str) -> None:
    assert isinstance(make_lease_backend(), LocalLeaseBackend)
    settings_env.setenv("REDIS_URL", redis_url)
    get_settings.cache_clear()
    assert isinstance(make_lease_backend(), RedisLeaseBackend)


def test_lease_context_releases_and_reports(backend: LeaseBackend) -> None:
    name = _name()
    with lease(name, ttl_seconds=30, backend=backend) as held:
        assert held
        with lease(name, ttl_seconds=30, backend=backend) as again:
            assert not again
    with lease(name, ttl_seconds=30, backend=backend) as after:
        assert after  # released at the end of the first block


def test_heartbeat_renews_while_work_runs(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = RedisLeaseBackend(redis_url)
    try:
        name = _name()
        renewed = threading.Event()
        original = store.renew

        def spy(lease_name: str, token: str, ttl_seconds: float) -> bool:
            result = original(lease_name, token, ttl_seconds)
            renewed.set()
            return result

        monkeypatch.setattr(store, "renew", spy)
        with lease(name, ttl_seconds=0.3, backend=store, renew_every=0.05) as held:
            assert held
            assert renewed.wait(5)
            # Renewed every 50 ms, a 300 ms lease outlives many TTLs of work.
            deadline = time.monotonic() + 0.6
            while time.monotonic() < deadline:
                assert not Lease(name, ttl_seconds=30, backend=store).acquire()
                time.sleep(0.05)
        assert Lease(name, ttl_seconds=30, backend=store).acquire()
    finally:
        store.client.close()


def test_decorator_skips_while_held(backend: LeaseBackend, caplog: pytest.LogCaptureFixture) -> None:
    name = _name()
    calls: list[int] = []

    @with_lease(name, ttl_seconds=30, backend=lambda: backend)
    def periodic(x: int) -> int:
        """Count the runs."""
        calls.append(x)
        return x * 2

    assert periodic.__name__ == "periodic"  # Huey registers tasks by name
    assert periodic(1) == 2
    other = Lease(name, ttl_seconds=30, backend=backend)
    assert other.acquire()
    with caplog.at_level(logging.INFO, logger="jobwatch.services.leases"):
        assert periodic(2) is None
    assert calls == [1]
    assert any("skipped" in r.getMessage() for r in caplog.records)
    assert other.release()
    assert periodic(3) == 6
    assert calls == [1, 3]


def test_decorator_releases_when_the_work_fails(backend: LeaseBackend) -> None:
    name = _name()

    @with_lease(name, ttl_seconds=30, backend=lambda: backend)
    def failing() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing()
    assert Lease(name, ttl_seconds=30, backend=backend).acquire()


def test_periodic_task_skips_while_its_lease_is_held() -> None:
    from workers import tasks
    from workers.huey_app import huey

    holder = Lease("send-due-digests", ttl_seconds=30, backend=make_lease_backend())
    assert holder.acquire()
    huey.immediate = True
    try:
        assert tasks.send_due_digests_task().get() is None  # skipped: never reached the database
    finally:
        huey.immediate = False
        assert holder.release()


def test_ttl_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Lease("x", ttl_seconds=0, backend=LocalLeaseBackend())
