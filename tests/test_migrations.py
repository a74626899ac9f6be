"""The one Alembic history: upgrade, downgrade to base and upgrade again, on SQLite and PostgreSQL (B27)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlmodel import SQLModel

import jobwatch.models  # noqa: F401
from jobwatch import migrations
from jobwatch.db import make_engine
from tests.conftest import DATABASES, _postgres_database


@pytest.fixture(params=DATABASES)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
    else:
        gen = _postgres_database()
        yield next(gen)
        gen.close()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_history_upgrades_downgrades_and_upgrades_again(fresh_url: str) -> None:
    expected = set(SQLModel.metadata.tables)
    migrations.upgrade(fresh_url)
    assert expected <= _tables(fresh_url)
    migrations.check(fresh_url)  # no model change without a revision

    migrations.downgrade(fresh_url, "base")
    assert _tables(fresh_url) <= {"alembic_version"}

    migrations.upgrade(fresh_url)
    assert expected <= _tables(fresh_url)
    migrations.check(fresh_url)


def test_nothing_creates_tables_outside_alembic() -> None:
    # Field case B27: tables appear only through migrations, so autogenerate always sees the difference.
    root = Path(__file__).resolve().parent.parent
    sources = [*root.joinpath("jobwatch").rglob("*.py"), *root.joinpath("workers").rglob("*.py")]
    sources.append(root / "rxconfig.py")
    offenders = [str(p) for p in sources if p.exists() and "create_all(" in p.read_text()]
    assert offenders == []
