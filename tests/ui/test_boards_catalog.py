"""`/boards`: the starter catalog is listed with what is watched, and one click watches a board."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobwatch.catalog import CATALOG
from jobwatch.models import Board
from jobwatch.ui.state.boards import BoardsState
from tests.ui.test_auth_state import Tab, _redirects_to_login, _sign_up


def test_catalog_board_is_watched_in_one_click(db: Engine) -> None:
    _, token = _sign_up(db, "ada@example.test")
    tab = Tab(token)
    state = tab.state(BoardsState)
    BoardsState.load.fn(state)
    assert len(state.catalog) == len(CATALOG) and not any(c.watched for c in state.catalog)

    first = state.catalog[0]
    BoardsState.watch_catalog_board.fn(state, first.key)
    assert state.error == "" and first.key.split(":")[1] in state.notice.lower()
    assert next(c for c in state.catalog if c.key == first.key).watched
    with Session(db) as s:
        assert [b.key for b in s.exec(select(Board)).all()] == [first.key]

    BoardsState.watch_catalog_board.fn(state, "greenhouse:not-in-the-catalog")
    assert "not in the catalog" in state.error
    with Session(db) as s:
        assert len(s.exec(select(Board)).all()) == 1


def test_catalog_handler_without_a_session_adds_nothing(db: Engine) -> None:
    tab = Tab("forged")
    state = tab.state(BoardsState)
    assert _redirects_to_login(BoardsState.watch_catalog_board.fn(state, CATALOG[0].key))
    with Session(db) as s:
        assert s.exec(select(Board)).all() == []
