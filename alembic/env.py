"""Alembic environment: the one migration history of jobwatch, for SQLite and PostgreSQL.

Every table module is imported here (field case B27: autogenerate only sees imported models). The URL is
`jobwatch.config`'s, unless the caller put a connection or URL into `config.attributes`.
"""

from __future__ import annotations

from sqlmodel import SQLModel

import jobwatch.models  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import context
from jobwatch.config import get_settings
from jobwatch.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


# Full-text objects made with raw SQL by revisions 7c1f3a9e5b2d and b41c7e9d2f6a (the SQLite FTS5 table and its
# shadow tables, PostgreSQL's generated `search_vector` column and its GIN index): not expressible in the
# models, so autogenerate must not see them.
_FULL_TEXT_NAMES = ("job_posting_fts", "ix_job_posting_search_tokens", "ix_job_posting_search_vector", "search_vector")


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    hidden = type_ in ("table", "index", "column") and name is not None and name.startswith(_FULL_TEXT_NAMES)
    return not hidden


def _configure(connection: object | None = None, url: str | None = None) -> None:
    context.configure(
        include_name=_include_name,
        connection=connection,  # type: ignore[arg-type]
        url=url,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates tables instead
        literal_binds=connection is None,
    )


def run_migrations_offline() -> None:
    _configure(url=config.attributes.get("url") or get_settings().effective_database_url)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.attributes.get("url") or get_settings().effective_database_url)
    with engine.connect() as conn:
        _configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
