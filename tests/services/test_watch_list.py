"""The shared watch list: the per-user daily limit, admins only removing, the starter catalog, board health.

Health is checked end to end: real scrapes (`services.ingest.scrape_board`) fail the way the network makes
them fail (through an `httpx.MockTransport`, or the address guard refusing before any request), and the
board's stored state reads as the right health.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobwatch.catalog import CATALOG
from jobwatch.errors import BadInput
from jobwatch.models import Board, Company, utcnow
from jobwatch.scrapers.base import BoardNotFound, RateLimited, ScrapeError, UnsafeURL, UpstreamError
from jobwatch.scrapers.boards import parse_board_token
from jobwatch.scrapers.http import make_client
from jobwatch.services.boards import (
    HEALTH_STATES,
    BoardLimitReached,
    NotAllowed,
    add_board,
    add_catalog_board,
    board_health,
    boards_added_recently,
    catalog_entries,
    health_of_error,
    list_boards,
    require_admin,
)
from jobwatch.services.ingest import scrape_board
from tests.factories import make_board, make_user


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"network used for {request.url}")


# --- the daily limit -----------------------------------------------------------------------------------


def test_a_user_adds_boards_up_to_the_daily_limit(session: Session, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("BOARDS_PER_USER_PER_DAY", "2")
    user = make_user(session)
    now = utcnow()
    first, created = add_board(session=session, text="greenhouse:acme1", user=user, now=now)
    assert created and first.added_by_user_id == user.id
    add_board(session=session, text="lever:acme2", user=user, now=now + timedelta(minutes=1))
    assert boards_added_recently(session=session, user_id=user.id or 0, now=now + timedelta(minutes=2)) == 2

    with pytest.raises(BoardLimitReached, match="2 boards in the last 24 hours"):
        add_board(session=session, text="ashby:acme3", user=user, now=now + timedelta(minutes=2))
    assert session.exec(select(Board).where(Board.key == "ashby:acme3")).first() is None
    # A board that is already watched is still returned (no new board, nothing counted)...
    again, created = add_board(session=session, text="Greenhouse:ACME1", user=user, now=now + timedelta(minutes=3))
    assert again.id == first.id and not created
    # ...and 24 hours after the first add there is room for one more.
    _, created = add_board(session=session, text="ashby:acme3", user=user, now=now + timedelta(hours=24, minutes=1))
    assert created


def test_over_the_limit_nothing_is_fetched(session: Session, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("BOARDS_PER_USER_PER_DAY", "0")
    user = make_user(session)
    with (
        make_client(transport=httpx.MockTransport(_no_network)) as client,
        pytest.raises(BoardLimitReached),
    ):
        add_board(session=session, text="https://careers.example.test/jobs", user=user, client=client)


def test_limits_are_per_user_and_admins_and_operators_have_none(
    session: Session, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv("BOARDS_PER_USER_PER_DAY", "1")
    alice, bob, admin = make_user(session), make_user(session), make_user(session, is_admin=True)
    add_board(session=session, text="greenhouse:one", user=alice)
    add_board(session=session, text="greenhouse:two", user=bob)
    for n in range(3):
        _, created = add_board(session=session, text=f"greenhouse:admin{n}", user=admin)
        assert created
        _, created = add_board(session=session, text=f"greenhouse:cli{n}", user=None)
        assert created
    with pytest.raises(BoardLimitReached):
        add_board(session=session, text="greenhouse:three", user=alice)
    cli = session.exec(select(Board).where(Board.key == "greenhouse:cli0")).one()
    assert cli.added_by_user_id is None


def test_the_default_limit_is_twenty(session: Session, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.delenv("BOARDS_PER_USER_PER_DAY", raising=False)
    user = make_user(session)
    now = utcnow()
    for n in range(20):
        add_board(session=session, text=f"lever:company{n}", user=user, now=now)
    with pytest.raises(BoardLimitReached):
        add_board(session=session, text="lever:company20", user=user, now=now)


def test_only_admins_may_remove_boards(session: Session) -> None:
    admin, user = make_user(session, is_admin=True), make_user(session)
    assert require_admin(admin) is admin
    for who in (user, None):
        with pytest.raises(NotAllowed):
            require_admin(who)


# --- the starter catalog -------------------------------------------------------------------------------


def test_the_catalog_holds_about_thirty_valid_boards_across_sources() -> None:
    keys = [parse_board_token(entry.key).key for entry in CATALOG]
    assert len(keys) >= 30
    assert len(set(keys)) == len(keys)
    assert keys == [entry.key for entry in CATALOG]  # written as `boards add` would store them
    assert len({entry.source for entry in CATALOG}) >= 6
    assert all(entry.name.strip() for entry in CATALOG)
    assert "greenhouse:stripe" in keys and "lever:spotify" in keys and "ashby:ramp" in keys


def test_catalog_entries_say_which_are_watched(session: Session) -> None:
    watched = make_board(session, "greenhouse:stripe")
    entries = {entry.key: entry for entry in catalog_entries(session=session)}
    assert len(entries) == len(CATALOG)
    assert entries["greenhouse:stripe"].watched and entries["greenhouse:stripe"].board_id == watched.id
    assert not entries["lever:spotify"].watched and entries["lever:spotify"].board_id is None
    assert entries["ashby:ramp"].name == "Ramp" and entries["ashby:ramp"].source == "ashby"


def test_picking_from_the_catalog_adds_the_board_with_its_company_name(session: Session) -> None:
    user = make_user(session)
    board, created = add_catalog_board(session=session, key="workable:huggingface", user=user)
    assert created and board.name == "Hugging Face" and board.added_by_user_id == user.id
    assert session.get_one(Company, board.company_id).name == "Hugging Face"
    assert next(e for e in catalog_entries(session=session) if e.key == "workable:huggingface").watched
    with pytest.raises(BadInput, match="not in the catalog"):
        add_catalog_board(session=session, key="greenhouse:not-listed", user=user)


# --- board health --------------------------------------------------------------------------------------


def test_health_states_from_stored_runs() -> None:
    assert HEALTH_STATES == ("unchecked", "healthy", "failing", "missing", "blocked")
    assert board_health(last_run_status=None, last_error=None) == "unchecked"
    assert board_health(last_run_status="ok", last_error=None) == "healthy"
    assert board_health(last_run_status="partial", last_error="not read completely") == "failing"
    assert board_health(last_run_status="failed", last_error="HTTP 503 Service Unavailable from x") == "failing"


@pytest.mark.parametrize(
    ("exc", "health"),
    [
        (BoardNotFound("HTTP 404 from u"), "missing"),
        (UnsafeURL("refused: 127.0.0.1 is a loopback address"), "blocked"),
        (ScrapeError("the robots.txt of https://x.test/jobs disallows reading it"), "blocked"),
        (RateLimited("HTTP 429"), "failing"),
        (UpstreamError("HTTP 500"), "failing"),
    ],
)
def test_health_of_a_read_error(exc: Exception, health: str) -> None:
    assert health_of_error(exc) == health


def _handler(status: int, body: bytes = b"", content_type: str = "application/json") -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(200, content=b"User-agent: *\nDisallow: /\n", headers={"Content-Type": "text/plain"})
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    ("key", "transport", "health"),
    [
        ("greenhouse:fine", _handler(200, b'{"jobs": [], "meta": {"total": 0}}'), "healthy"),
        ("greenhouse:acmee", _handler(404, b'{"status": 404}'), "missing"),
        ("lever:gone", _handler(410, b""), "missing"),
        ("greenhouse:forbidden", _handler(403, b"no"), "failing"),
        ("greenhouse:botcheck", _handler(200, b"<html><title>Just a moment...</title></html>", "text/html"), "failing"),
        ("jsonld:https://careers.example.test/jobs", _handler(200, b"<html></html>", "text/html"), "blocked"),
        ("jsonld:http://127.0.0.1:9/jobs", None, "blocked"),  # the guard refuses before any request
    ],
)
def test_health_after_a_real_scrape(db: Engine, key: str, transport: httpx.MockTransport | None, health: str) -> None:
    with Session(db) as s:
        board_id = make_board(s, key).id or 0
        s.commit()
    client = make_client(transport=transport) if transport is not None else None
    try:
        scrape_board(board_id, engine=db, client=client)
    finally:
        if client is not None:
            client.close()
    with Session(db) as s:
        [summary] = [b for b in list_boards(session=s) if b.id == board_id]
    assert summary.health == health, summary.last_error
