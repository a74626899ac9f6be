"""Login throttling: per account and per client address, with a clear wait, on every store (database on SQLite
and PostgreSQL, Redis), and shared by separate processes (two subprocesses logging in to the same database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobwatch.config import PROJECT_DIR, get_settings
from jobwatch.models import ThrottleHit
from jobwatch.services import accounts, throttle
from jobwatch.services.throttle import Rule, Throttled

RULE = Rule("test-rule", 3, timedelta(minutes=10))
PASSWORD = "correct horse battery"


@pytest.fixture(params=["memory", "database", "redis"])
def store(request: pytest.FixtureRequest, db: Engine) -> Iterator[throttle.ThrottleStore]:
    """Each store kind (next to each database, so the database one runs on SQLite and PostgreSQL)."""
    if request.param == "memory":
        yield throttle.MemoryStore()
    elif request.param == "database":
        yield throttle.DatabaseStore(db)
    else:
        import redis

        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        client.flushdb()
        yield throttle.RedisStore(client)
        client.flushdb()
        client.close()


def test_limit_then_a_clear_wait_that_ends_when_the_oldest_hit_leaves_the_window(
    store: throttle.ThrottleStore,
) -> None:
    start = 1_900_000_000.0
    for i in range(3):
        throttle.acquire([(RULE, "ada@example.test")], store=store, now=start + i * 60)
    with pytest.raises(Throttled) as refused:
        throttle.acquire([(RULE, "ada@example.test")], store=store, now=start + 180)
    # The first hit leaves the 10-minute window at start + 600: 420 s from now.
    assert refused.value.retry_after == 420
    assert str(refused.value) == "too many attempts; please wait 7 minutes and try again"
    # A refused attempt is not kept: hammering does not extend the wait.
    with pytest.raises(Throttled) as again:
        throttle.acquire([(RULE, "ada@example.test")], store=store, now=start + 190)
    assert again.value.retry_after == 410
    # Other keys are not affected; after the wait the key may try again.
    throttle.acquire([(RULE, "bob@example.test")], store=store, now=start + 190)
    throttle.acquire([(RULE, "ada@example.test")], store=store, now=start + 601)


def test_forgive_and_clear(store: throttle.ThrottleStore) -> None:
    now = 1_900_000_000.0
    for _ in range(3):
        ticket = throttle.acquire([(RULE, "k")], store=store, now=now)
    ticket.forgive(RULE)  # the last one succeeded: not counted
    throttle.acquire([(RULE, "k")], store=store, now=now)
    with pytest.raises(Throttled):
        throttle.acquire([(RULE, "k")], store=store, now=now)
    throttle.clear(RULE, "k", store=store)
    throttle.acquire([(RULE, "k")], store=store, now=now)


def test_refusal_by_one_rule_counts_nothing_under_the_others(store: throttle.ThrottleStore) -> None:
    loose = Rule("test-loose", 100, timedelta(minutes=10))
    now = 1_900_000_000.0
    for _ in range(3):
        throttle.acquire([(RULE, "acct"), (loose, "addr")], store=store, now=now)
    for _ in range(5):
        with pytest.raises(Throttled):
            throttle.acquire([(RULE, "acct"), (loose, "addr")], store=store, now=now)
    assert store.add(loose, throttle.key_hash(loose, "addr"), now)[1] == 4


def test_wait_text() -> None:
    assert throttle.wait_text(1) == "1 second"
    assert throttle.wait_text(45) == "45 seconds"
    assert throttle.wait_text(60) == "1 minute"
    assert throttle.wait_text(61) == "2 minutes"
    assert throttle.wait_text(900) == "15 minutes"


def test_database_hits_hold_no_emails_or_addresses(db: Engine) -> None:
    throttle.acquire([(throttle.LOGIN_ACCOUNT, "ada@example.test"), (throttle.LOGIN_ADDRESS, "203.0.113.9")])
    with Session(db) as s:
        rows = s.exec(select(ThrottleHit)).all()
    assert {r.rule for r in rows} == {"login-account", "login-address"}
    dumped = repr([r.model_dump() for r in rows])
    assert "ada@" not in dumped and "203.0.113.9" not in dumped
    assert all(len(r.key_hash) == 64 for r in rows)


# --- login ---------------------------------------------------------------------------------------------


def _user(db: Engine, email: str = "ada@example.test") -> None:
    with Session(db) as s:
        accounts.register(session=s, email=email, password=PASSWORD)
        s.commit()


def _login(db: Engine, email: str, password: str, address: str = "198.51.100.7") -> str:
    try:
        with Session(db) as s:
            token = accounts.login(session=s, email=email, password=password, address=address)
            s.commit()
    except Throttled as exc:
        return f"throttled:{exc.retry_after}"
    return "ok" if token else "failed"


def test_login_is_throttled_per_account_with_the_same_answer_for_unknown_emails(db: Engine) -> None:
    _user(db)
    for email in ("ada@example.test", "nobody@example.test"):
        results = [_login(db, email, "wrong password") for _ in range(6)]
        assert results[:5] == ["failed"] * 5
        assert results[5].startswith("throttled:")
        assert 890 <= int(results[5].split(":")[1]) <= 900
    # Even the right password waits; other accounts from the same address do not.
    assert _login(db, "ADA@example.test ", PASSWORD).startswith("throttled:")
    _user(db, "bob@example.test")
    assert _login(db, "bob@example.test", PASSWORD) == "ok"


def test_a_successful_login_clears_the_account_failures_but_not_the_address(db: Engine) -> None:
    _user(db)
    for _ in range(4):
        assert _login(db, "ada@example.test", "wrong password", address="192.0.2.1") == "failed"
    assert _login(db, "ada@example.test", PASSWORD, address="192.0.2.1") == "ok"
    for _ in range(5):
        assert _login(db, "ada@example.test", "wrong password", address="192.0.2.1") == "failed"
    with Session(db) as s:
        address_hits = s.exec(
            select(ThrottleHit).where(ThrottleHit.key_hash == throttle.key_hash(throttle.LOGIN_ADDRESS, "192.0.2.1"))
        ).all()
    assert len(address_hits) == 9  # 4 + 5 failures; the success was not counted


def test_one_address_trying_many_accounts_is_throttled(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    assert throttle.LOGIN_ADDRESS.limit == 30
    # The same rule with a smaller limit, so the test needs fewer (slow, argon2) login attempts.
    monkeypatch.setattr(throttle, "LOGIN_ADDRESS", Rule(throttle.LOGIN_ADDRESS.name, 4, throttle.LOGIN_ADDRESS.window))
    results = [_login(db, f"user{i}@example.test", "guess-guess") for i in range(throttle.LOGIN_ADDRESS.limit + 1)]
    assert results[:-1] == ["failed"] * throttle.LOGIN_ADDRESS.limit
    assert results[-1].startswith("throttled:")
    assert _login(db, "user0@example.test", "guess-guess", address="192.0.2.200") == "failed"


# --- two processes -------------------------------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import json, sys
    from jobwatch.db import session_scope
    from jobwatch.services import accounts, throttle

    results = []
    for _ in range(int(sys.argv[1])):
        try:
            with session_scope() as session:
                token = accounts.login(session=session, email=sys.argv[2], password=sys.argv[3], address=sys.argv[4])
            results.append("ok" if token else "failed")
        except throttle.Throttled as exc:
            results.append("throttled")
    print(json.dumps(results))
    """
)


def _spawn(attempts: int, email: str, password: str, address: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(attempts), email, password, address],
        cwd=PROJECT_DIR,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _results(process: subprocess.Popen[str]) -> list[str]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out)


@pytest.fixture(params=["database", "redis"])
def shared_backend(request: pytest.FixtureRequest, db: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The processes' shared throttle state: the database (`DATABASE_URL`) or Redis (`REDIS_URL`)."""
    if request.param == "redis":
        import redis

        url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        monkeypatch.setenv("REDIS_URL", url)
        get_settings.cache_clear()
    yield request.param
    get_settings.cache_clear()


def test_two_processes_share_one_limit(shared_backend: str, db: Engine) -> None:
    _user(db)
    limit = throttle.LOGIN_ACCOUNT.limit
    # One process uses 3 of the 5 failures; the other gets the remaining 2, then waits.
    assert _results(_spawn(3, "ada@example.test", "wrong password", "192.0.2.10")) == ["failed"] * 3
    assert _results(_spawn(3, "ada@example.test", "wrong password", "192.0.2.11")) == ["failed"] * 2 + ["throttled"]
    assert _login(db, "ada@example.test", PASSWORD).startswith("throttled:")
    assert limit == 5


def test_parallel_processes_never_get_more_than_the_limit_together(shared_backend: str, db: Engine) -> None:
    _user(db)
    started = time.monotonic()
    processes = [_spawn(4, "ada@example.test", "wrong password", f"192.0.2.{20 + i}") for i in range(3)]
    results = [r for p in processes for r in _results(p)]
    assert time.monotonic() - started < 120
    assert results.count("failed") <= throttle.LOGIN_ACCOUNT.limit
    assert results.count("throttled") >= len(results) - throttle.LOGIN_ACCOUNT.limit
    assert "ok" not in results
