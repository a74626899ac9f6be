"""Throttling of logins and account mail, shared by every process: state in Redis or in the database.

A `Rule` allows `limit` counted hits per key (an email, a client address) in a sliding `window`. The limits:

| rule               | key                  | limit                 | what it stops                                  |
| ------------------ | -------------------- | --------------------- | ---------------------------------------------- |
| `login-account`    | the email as typed   | 5 failures / 15 min   | guessing one account's password                |
| `login-address`    | client address       | 30 failures / 15 min  | one machine trying many accounts (stuffing)    |
| `signup-address`   | client address       | 10 / hour             | mass sign-ups and mail bombing through them    |
| `reset-address`    | client address       | 10 / hour             | mail bombing through "forgot password"         |
| `account-mail`     | the recipient        | 5 / hour              | flooding one inbox with account mail           |

The account rule counts any email string the same way, registered or not, so being throttled says nothing
about whether an account exists (field case B30); a success clears that account's failures. The address
rule is looser (an office or a phone carrier puts many people behind one address) and a success does not
clear it, so an attacker cannot reset their count by logging into an account of their own. Locking an
account for 15 minutes lets someone annoy its owner, never lock them out for good, and a password reset
by email still works while it lasts.

`acquire()` counts a hit *before* the password is checked (the hit is stored and committed first, then
counted), so parallel guesses from several processes cannot slip past the limit together; a refused
attempt is not kept, so hammering a locked account does not extend its lock. On SQLite, throttle before
the caller's own session writes anything (a standalone store's commit waits for that write lock).

Storage: with `REDIS_URL` set, one sorted set per rule and key (`jobwatch:throttle:<rule>:<hmac>`, scored by
time, expiring with the window); otherwise rows of `throttle_hit`. Keys are stored as HMAC-SHA256 under
`SECRET_KEY`, so neither holds the emails or addresses it counts.

Errors: `Throttled` (a `BadInput`) with `retry_after` in whole seconds and a message that says how long to wait.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobwatch.config import get_settings
from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.models import ThrottleHit

if TYPE_CHECKING:
    import redis


@dataclass(frozen=True, slots=True)
class Rule:
    """A limit: at most `limit` hits per key within the sliding `window`; `name` is stored with each hit."""

    name: str
    limit: int
    window: timedelta


LOGIN_ACCOUNT = Rule("login-account", 5, timedelta(minutes=15))
LOGIN_ADDRESS = Rule("login-address", 30, timedelta(minutes=15))
SIGNUP_ADDRESS = Rule("signup-address", 10, timedelta(hours=1))
RESET_ADDRESS = Rule("reset-address", 10, timedelta(hours=1))
ACCOUNT_MAIL = Rule("account-mail", 5, timedelta(hours=1))

#: No rule's window is longer than this; older hits are deleted whatever their rule.
LONGEST_WINDOW = timedelta(hours=1)


def wait_text(seconds: int) -> str:
    """`"45 seconds"`, `"1 minute"`, `"12 minutes"`: how long to wait, rounded up to whole minutes past 60 s."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class Throttled(BadInput):
    """Too many attempts: wait `retry_after` seconds (at least 1). The message says so in words."""

    def __init__(self, retry_after: int, what: str = "attempts") -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(f"too many {what}; please wait {wait_text(self.retry_after)} and try again")


class ThrottleStore(Protocol):
    """Where hits are kept. Every method is atomic on its own and safe to call from several processes."""

    def add(self, rule: Rule, key_hash: str, now: float) -> tuple[str, int]:
        """Store one hit; return its id and how many hits of the key are inside the window, this one included."""
        ...

    def remove(self, rule: Rule, key_hash: str, hit_id: str) -> None:
        """Forget one hit (a refused or successful attempt)."""
        ...

    def clear(self, rule: Rule, key_hash: str) -> None:
        """Forget every hit of the key."""
        ...

    def retry_after(self, rule: Rule, key_hash: str, now: float) -> float:
        """Seconds until the key has fewer than `rule.limit` hits in the window (0 when it already has)."""
        ...


class DatabaseStore:
    """Hits as `throttle_hit` rows.

    Standalone (the default), each call is its own short, committed transaction on `engine` (default: the
    configured database), so every process sees a hit at once. On SQLite such a call waits for any open write
    transaction, so callers throttle *before* their own session writes (as `accounts.login` does).

    Bound to a caller's `session`, hits are written in that session's transaction instead (flushed, committed
    with it): for limits that may be a little late across processes (account mail per recipient), checked
    after the caller has already written.
    """

    def __init__(self, engine: Engine | None = None, *, session: Session | None = None) -> None:
        self.engine = engine
        self.session = session

    @contextmanager
    def _scope(self) -> Iterator[Session]:
        if self.session is not None:
            yield self.session
            self.session.flush()
        else:
            with session_scope(self.engine) as session:
                yield session

    def add(self, rule: Rule, key_hash: str, now: float) -> tuple[str, int]:
        """Insert (and, standalone, commit) the hit, then count in a new transaction, so concurrent hits of
        other processes are all seen."""
        moment = _moment(now)
        with self._scope() as session:
            session.exec(delete(ThrottleHit).where(col(ThrottleHit.created_at) < moment - LONGEST_WINDOW))
            hit = ThrottleHit(rule=rule.name, key_hash=key_hash, created_at=moment)
            session.add(hit)
            session.flush()
            hit_id = str(hit.id)
        with self._scope() as session:
            count = session.exec(
                select(func.count())
                .select_from(ThrottleHit)
                .where(
                    ThrottleHit.rule == rule.name,
                    ThrottleHit.key_hash == key_hash,
                    col(ThrottleHit.created_at) > moment - rule.window,
                )
            ).one()
        return hit_id, int(count)

    def remove(self, rule: Rule, key_hash: str, hit_id: str) -> None:
        """Delete one hit row."""
        with self._scope() as session:
            session.exec(delete(ThrottleHit).where(col(ThrottleHit.id) == int(hit_id)))

    def clear(self, rule: Rule, key_hash: str) -> None:
        """Delete every row of the key."""
        with self._scope() as session:
            session.exec(
                delete(ThrottleHit).where(col(ThrottleHit.rule) == rule.name, col(ThrottleHit.key_hash) == key_hash)
            )

    def retry_after(self, rule: Rule, key_hash: str, now: float) -> float:
        """When the `limit`-th newest hit leaves the window, the key is below the limit again."""
        moment = _moment(now)
        with self._scope() as session:
            oldest_counted = session.exec(
                select(ThrottleHit.created_at)
                .where(
                    ThrottleHit.rule == rule.name,
                    ThrottleHit.key_hash == key_hash,
                    col(ThrottleHit.created_at) > moment - rule.window,
                )
                .order_by(col(ThrottleHit.created_at).desc())
                .offset(rule.limit - 1)
                .limit(1)
            ).first()
        if oldest_counted is None:
            return 0.0
        return max(0.0, (oldest_counted + rule.window - moment).total_seconds())


class RedisStore:
    """Hits as members of one sorted set per key, scored by time; the set expires with the window."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @staticmethod
    def _key(rule: Rule, key_hash: str) -> str:
        return f"jobwatch:throttle:{rule.name}:{key_hash}"

    def add(self, rule: Rule, key_hash: str, now: float) -> tuple[str, int]:
        """Trim, add and count in one MULTI/EXEC, so the count includes every hit that came before."""
        key = self._key(rule, key_hash)
        hit_id = f"{now:.6f}:{secrets.token_hex(6)}"
        window = rule.window.total_seconds()
        pipe = self.client.pipeline(transaction=True)
        pipe.zremrangebyscore(key, "-inf", now - window)
        pipe.zadd(key, {hit_id: now})
        pipe.zcard(key)
        pipe.expire(key, math.ceil(window) + 1)
        results = pipe.execute()
        return hit_id, int(results[2])

    def remove(self, rule: Rule, key_hash: str, hit_id: str) -> None:
        """Remove one member."""
        self.client.zrem(self._key(rule, key_hash), hit_id)

    def clear(self, rule: Rule, key_hash: str) -> None:
        """Delete the key's set."""
        self.client.delete(self._key(rule, key_hash))

    def retry_after(self, rule: Rule, key_hash: str, now: float) -> float:
        """When the `limit`-th newest member leaves the window."""
        key = self._key(rule, key_hash)
        window = rule.window.total_seconds()
        members = self.client.zrevrangebyscore(
            key, "+inf", f"({now - window}", start=rule.limit - 1, num=1, withscores=True
        )
        if not members:
            return 0.0
        return max(0.0, float(members[0][1]) + window - now)


class MemoryStore:
    """Hits in this process's memory: for tests and single-process tools only (it holds across nothing)."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, str], dict[str, float]] = {}
        self._lock = threading.Lock()

    def add(self, rule: Rule, key_hash: str, now: float) -> tuple[str, int]:
        """Store the hit and count the key's hits in the window."""
        with self._lock:
            hits = self.hits.setdefault((rule.name, key_hash), {})
            for old in [h for h, t in hits.items() if t <= now - rule.window.total_seconds()]:
                del hits[old]
            hit_id = secrets.token_hex(8)
            hits[hit_id] = now
            return hit_id, len(hits)

    def remove(self, rule: Rule, key_hash: str, hit_id: str) -> None:
        """Forget one hit."""
        with self._lock:
            self.hits.get((rule.name, key_hash), {}).pop(hit_id, None)

    def clear(self, rule: Rule, key_hash: str) -> None:
        """Forget the key."""
        with self._lock:
            self.hits.pop((rule.name, key_hash), None)

    def retry_after(self, rule: Rule, key_hash: str, now: float) -> float:
        """When the `limit`-th newest hit leaves the window."""
        window = rule.window.total_seconds()
        with self._lock:
            times = sorted(
                (t for t in self.hits.get((rule.name, key_hash), {}).values() if t > now - window), reverse=True
            )
        if len(times) < rule.limit:
            return 0.0
        return max(0.0, times[rule.limit - 1] + window - now)


def _moment(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)


def key_hash(rule: Rule, key: str) -> str:
    """HMAC-SHA256 (hex, 64 characters) of `key` under `SECRET_KEY`, per rule: what the stores keep."""
    secret = get_settings().effective_secret_key.encode()
    return hmac.new(secret, f"{rule.name}\x00{key}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


@lru_cache(maxsize=1)
def _redis_store(url: str) -> RedisStore:
    import redis

    return RedisStore(redis.Redis.from_url(url))


def default_store(session: Session | None = None) -> ThrottleStore:
    """Redis when `REDIS_URL` is set (one client per process), else the configured database: standalone
    transactions, or inside `session` when one is given (see `DatabaseStore`)."""
    url = get_settings().redis_url
    return _redis_store(url) if url else DatabaseStore(session=session)


@dataclass
class Ticket:
    """The hits one `acquire()` call stored: `(rule, key hash, hit id)` each."""

    store: ThrottleStore
    hits: list[tuple[Rule, str, str]] = field(default_factory=list)

    def forgive(self, rule: Rule) -> None:
        """Un-count this ticket's hit under `rule` (the attempt succeeded, or did not happen)."""
        for hit_rule, hashed, hit_id in self.hits:
            if hit_rule == rule:
                self.store.remove(hit_rule, hashed, hit_id)
        self.hits = [h for h in self.hits if h[0] != rule]

    def forgive_all(self) -> None:
        """Un-count every hit of this ticket."""
        for hit_rule, hashed, hit_id in self.hits:
            self.store.remove(hit_rule, hashed, hit_id)
        self.hits = []


def acquire(
    checks: list[tuple[Rule, str]],
    *,
    store: ThrottleStore | None = None,
    now: float | None = None,
    what: str = "attempts",
) -> Ticket:
    """Count one hit under each `(rule, key)`; return the `Ticket` that holds them.

    Raises `Throttled` (with the longest wait among the rules over their limit) when any key would go over
    its limit; the hits of a refused call are removed again. Empty keys are not counted. `now` is a Unix
    time (tests move it); `what` names the attempts in the message ("failed log-in attempts").
    """
    store = store or default_store()
    moment = time.time() if now is None else now
    ticket = Ticket(store=store)
    over: list[tuple[Rule, str]] = []
    for rule, key in checks:
        if not key:
            continue
        hashed = key_hash(rule, key)
        hit_id, count = store.add(rule, hashed, moment)
        ticket.hits.append((rule, hashed, hit_id))
        if count > rule.limit:
            over.append((rule, hashed))
    if over:
        ticket.forgive_all()
        wait = max(store.retry_after(rule, hashed, moment) for rule, hashed in over)
        raise Throttled(math.ceil(wait) or 1, what)
    return ticket


def clear(rule: Rule, key: str, *, store: ThrottleStore | None = None) -> None:
    """Forget every hit of `key` under `rule` (a successful login clears the account's failures)."""
    if key:
        (store or default_store()).clear(rule, key_hash(rule, key))


def allow(rule: Rule, key: str, *, store: ThrottleStore | None = None, now: float | None = None) -> bool:
    """Count one hit of `key` under `rule` and say whether it is within the limit (never raises `Throttled`).

    For limits that are enforced silently, such as account mail to one recipient.
    """
    try:
        acquire([(rule, key)], store=store, now=now)
    except Throttled:
        return False
    return True
