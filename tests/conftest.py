"""Test fixtures: real databases (SQLite and PostgreSQL), settings isolated per run, small factories.

Every test run creates its own SQLite file and its own PostgreSQL database (dropped at the end), and
migrates both with the project's Alembic history. `session` wraps each test in a transaction rolled back
at its end (SQLAlchemy's "join a session into an external transaction" recipe); `db` gives services that
commit their own short sessions a migrated, empty database, emptied again after the test.

Environment:
- `JOBWATCH_TEST_DATABASES`: `sqlite,postgres` (default) or one of them.
- `JOBWATCH_TEST_POSTGRES_URL`: a server URL with rights to create databases
  (default `postgresql+psycopg://postgres@127.0.0.1:5432/postgres`). If the server is unreachable the
  PostgreSQL half is skipped, except under `CI=true`, where that is an error.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

# Settings must not come from a developer's .env or data folder: point everything at a temp folder first.
_RUN_DIR = Path(tempfile.mkdtemp(prefix="jobwatch-tests-"))
os.environ["JOBWATCH_DATA_DIR"] = str(_RUN_DIR / "data")
os.environ["JOBWATCH_ENV"] = "test"
os.environ["SECRET_KEY"] = "test-" + secrets.token_urlsafe(16)
os.environ["APP_URL"] = "http://jobwatch.test"
for _var in ("DATABASE_URL", "REDIS_URL", "RESEND_API_KEY", "RESEND_API_URL"):
    os.environ.pop(_var, None)

from passlib.context import CryptContext  # noqa: E402

from jobwatch import migrations  # noqa: E402
from jobwatch.services import accounts as _accounts  # noqa: E402

# Still argon2 through passlib, with the cheapest parameters: production's cost (~150 ms a hash) would make
# hashing most of the suite's time. Processes the tests start (the CLI, `jobwatch serve`) keep the real cost.
_accounts.pwd_context = CryptContext(
    schemes=["argon2"], argon2__memory_cost=1024, argon2__time_cost=1, argon2__parallelism=1
)
from jobwatch.config import get_settings  # noqa: E402
from jobwatch.db import get_engine, make_engine  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "JOBWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASES = [d.strip() for d in os.environ.get("JOBWATCH_TEST_DATABASES", "sqlite,postgres").split(",") if d]


def _postgres_database() -> Iterator[str]:
    """Create a database of this run's own on the PostgreSQL server; drop it afterwards."""
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"jobwatch_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}: {exc}")
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty database of this run: SQLite file or PostgreSQL database (one per kind)."""
    if request.param == "sqlite":
        url = f"sqlite:///{_RUN_DIR / f'test-{secrets.token_hex(4)}.db'}"
        migrations.upgrade(url)
        yield url
    elif request.param == "postgres":
        gen = _postgres_database()
        url = next(gen)
        migrations.upgrade(url)
        yield url
        gen.close()
    else:
        raise ValueError(f"unknown test database {request.param!r}")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on this run's database."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture()
def session(engine: Engine) -> Iterator[Session]:
    """A session in a transaction that is rolled back when the test ends (commits become savepoints)."""
    with engine.connect() as connection:
        transaction = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
            yield s
        transaction.rollback()


def _empty_tables(eng: Engine) -> None:
    with eng.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture()
def db(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The run's database as the process's configured database (`DATABASE_URL`), emptied after the test.

    For code that opens its own sessions through `jobwatch.db.session_scope()` and commits.
    """
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        yield get_engine()
    finally:
        get_engine().dispose()
        get_engine.cache_clear()
        get_settings.cache_clear()
        _empty_tables(engine)


@pytest.fixture()
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Change settings through the environment inside a test; the cached settings are reset around it."""
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


REDIS_SERVER_URL = os.environ.get("JOBWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis database number of this run's own (claimed on db 0, flushed and released at the end)."""
    import redis

    claims = redis.Redis.from_url(f"{REDIS_SERVER_URL}/0")
    try:
        claims.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Redis unreachable at {REDIS_SERVER_URL}: {exc}")
    for number in range(1, 16):
        key = f"jobwatch-test:db:{number}"
        if claims.set(key, str(os.getpid()), nx=True, ex=3 * 3600):
            break
    else:
        pytest.fail("every Redis database 1-15 is claimed by another test run")
    url = f"{REDIS_SERVER_URL}/{number}"
    own = redis.Redis.from_url(url)
    own.flushdb()
    try:
        yield url
    finally:
        own.flushdb()
        own.close()
        claims.delete(key)
        claims.close()
