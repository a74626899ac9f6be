"""The worker's cached alert index follows changes that another process makes to alerts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jobwatch.core.matching import prepare
from jobwatch.db import make_engine
from jobwatch.models import JobAlert
from jobwatch.services.alert_index import alert_engine, forget_engines
from tests.factories import make_alert, make_posting, make_user

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)


@pytest.fixture()
def other_process(db: Engine) -> Iterator[Engine]:
    """A second engine on the same database, standing in for the web app's process."""
    forget_engines()
    other = make_engine(db.url.render_as_string(hide_password=False))
    yield other
    other.dispose()
    forget_engines()


def _matched(db: Engine, title: str) -> set[str]:
    with Session(db) as s:
        index = alert_engine(s).index
        return set(index.match(prepare(make_posting(title=title, id="p")), now=NOW))


def test_index_follows_creates_edits_pauses_and_deletes(db: Engine, other_process: Engine) -> None:
    with Session(other_process) as s:
        user = make_user(s)
        python = make_alert(s, user, {"keywords": ["python"]}, created_at=T0)
        rust = make_alert(s, user, {"keywords": ["rust"]}, created_at=T0)
        s.commit()
        ids = {"python": str(python.id), "rust": str(rust.id)}
    assert _matched(db, "Python and Rust") == {ids["python"], ids["rust"]}

    with Session(other_process) as s:  # edit (updated_at bumped), pause, create
        edited = s.get(JobAlert, int(ids["python"]))
        assert edited is not None
        edited.filters = {"keywords": ["golang"]}
        edited.updated_at = T0 + timedelta(minutes=5)
        paused = s.get(JobAlert, int(ids["rust"]))
        assert paused is not None
        paused.is_active = False
        user = make_user(s)
        ids["new"] = str(make_alert(s, user, {"title_keywords": ["rust"]}, created_at=T0).id)
        s.add_all([edited, paused])
        s.commit()
    assert _matched(db, "Python and Rust") == {ids["new"]}
    assert _matched(db, "Golang") == {ids["python"]}

    with Session(other_process) as s:  # resume one, delete another
        paused = s.get(JobAlert, int(ids["rust"]))
        assert paused is not None
        paused.is_active = True
        s.add(paused)
        gone = s.get(JobAlert, int(ids["new"]))
        s.delete(gone)
        s.commit()
    assert _matched(db, "Python and Rust") == {ids["rust"]}


def test_an_edit_without_a_new_updated_at_is_still_seen(db: Engine, other_process: Engine) -> None:
    with Session(other_process) as s:
        alert = make_alert(s, make_user(s), {"keywords": ["python"]}, created_at=T0)
        s.commit()
        alert_id = str(alert.id)
    assert _matched(db, "Python") == {alert_id}
    with Session(other_process) as s:
        row = s.get(JobAlert, int(alert_id))
        assert row is not None
        row.filters = {"keywords": ["kotlin"]}
        s.add(row)
        s.commit()
    assert _matched(db, "Python") == set()
    assert _matched(db, "Kotlin") == {alert_id}


def test_refresh_compiles_only_what_changed(db: Engine, other_process: Engine) -> None:
    with Session(other_process) as s:
        user = make_user(s)
        for word in ("python", "rust", "go"):
            make_alert(s, user, {"keywords": [word]}, created_at=T0)
        s.commit()
    with Session(db) as s:
        engine = alert_engine(s)
        assert len(engine.index) == 3
        summary = engine.refresh(s)
        assert (summary.added, summary.removed) == (0, 0)


def test_stored_filters_that_no_longer_parse_are_skipped(db: Engine, other_process: Engine) -> None:
    with Session(other_process) as s:
        user = make_user(s)
        make_alert(s, user, {"bogus": 1}, created_at=T0)
        ok = make_alert(s, user, {"keywords": ["python"]}, created_at=T0)
        s.commit()
        ok_id = str(ok.id)
    assert _matched(db, "Python") == {ok_id}
