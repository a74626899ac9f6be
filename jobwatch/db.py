"""The database engine (one per process) and short session scopes.

SQLite gets WAL, a busy timeout and foreign keys switched on at every connection, so the web process and a
worker can write to one file without "database is locked" errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from jobwatch.config import get_settings


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for `url` (SQLite or PostgreSQL through psycopg 3) with jobwatch's connection setup."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's default transaction handling is kept on purpose: it begins a transaction only at the first
    # write, so a read never holds a snapshot that a later write in the same session would have to upgrade
    # (which fails at once with SQLITE_BUSY instead of waiting for the busy timeout).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process's engine for the configured `DATABASE_URL`."""
    return make_engine(get_settings().effective_database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A short session: committed when the block ends normally, rolled back on an exception, then closed."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
