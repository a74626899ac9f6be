"""`/admin`: admins see boards, runs, failures, mail and users and may remove a board; everyone else gets nothing.

Every handler re-checks the session and the admin flag in the database (B26): signed-out and forged tabs are
sent to the login page, signed-in non-admins to the alerts page, and neither loads or changes anything.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobwatch.models import Board, Digest, JobPosting, OutboxMessage, ScrapeRun, User, utcnow
from jobwatch.services import accounts, admin
from jobwatch.storage import ingest_postings
from jobwatch.ui import routes
from jobwatch.ui.state.admin import AdminState
from tests.factories import make_alert, make_board, make_posting
from tests.ui.test_auth_state import Tab, _count, _redirects_to_login, _sign_up


def _admin(engine: Engine, email: str = "root@example.test") -> tuple[int, str]:
    user_id, token = _sign_up(engine, email)
    with Session(engine) as s:
        user = s.get(User, user_id)
        assert user is not None
        user.is_admin = True
        s.add(user)
        s.commit()
    return user_id, token


def _seed(engine: Engine) -> dict[str, int]:
    """A user with an alert, a healthy board with a posting and a run, a failing board, mail of every kind."""
    user_id, _ = _sign_up(engine, "victim@example.test")
    with Session(engine) as s:
        user = s.get(User, user_id)
        assert user is not None
        make_alert(s, user, {"keywords": ["rust"]}, name="secret alert")
        user.email_suppressed_at = utcnow()
        user.email_suppression_reason = "bounced: mailbox full"
        s.add(user)
        good = make_board(s, "greenhouse:acme", last_run_status="ok", last_run_at=utcnow())
        ingest_postings(session=s, board=good, complete=True, postings=[make_posting(title="Secret Engineer")])
        bad = make_board(
            s, "lever:broken", last_run_status="failed", last_error="HTTP 503 from upstream", consecutive_failures=4
        )
        s.add(ScrapeRun(board_id=good.id or 0, status="ok", new_count=1, finished_at=utcnow()))
        s.add(ScrapeRun(board_id=bad.id or 0, status="failed", error="HTTP 503 from upstream", finished_at=utcnow()))
        mail = OutboxMessage(
            to_email="victim@example.test",
            from_email="jobwatch@localhost",
            subject="Victim's digest",
            html="<p>secret html</p>",
            text="secret text",
        )
        s.add(mail)
        s.add(
            Digest(
                user_id=user_id,
                to_email="victim@example.test",
                subject="Refused digest",
                status="failed",
                error="422 invalid address",
            )
        )
        s.commit()
        return {"good": good.id or 0, "bad": bad.id or 0, "mail": mail.id or 0, "user": user_id}


def _redirects_to_alerts(result: Any) -> bool:
    text = repr(result if isinstance(result, list) else [result])
    return f'"{routes.ALERTS}"' in text and "drop_session" not in text


def test_admin_sees_boards_runs_failures_mail_and_users(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _seed(db)
    _, token = _admin(db)
    monkeypatch.setattr(admin, "queue_length", lambda: 3)
    tab = Tab(token)
    state = tab.state(AdminState)
    assert AdminState.load.fn(state) is None
    assert state.loaded and tab.auth.is_admin

    boards = {b.key: b for b in state.boards}
    assert boards["greenhouse:acme"].health == "healthy" and boards["greenhouse:acme"].open_postings == 1
    assert boards["lever:broken"].health == "failing" and boards["lever:broken"].failures == 4
    assert boards["lever:broken"].last_error == "HTTP 503 from upstream"
    assert [b.key for b in state.failing_boards] == ["lever:broken"]
    assert {(r.board, r.status) for r in state.runs} == {("greenhouse:acme", "ok"), ("lever:broken", "failed")}
    assert [(r.board, r.error) for r in state.failed_runs] == [("lever:broken", "HTTP 503 from upstream")]
    assert state.queue == "3"
    assert [(m.recipient, m.subject) for m in state.outbox] == [("victim@example.test", "Victim's digest")]
    assert [(s.email, s.reason) for s in state.suppressed] == [("victim@example.test", "bounced: mailbox full")]
    assert [(r.recipient, r.error) for r in state.refused] == [("victim@example.test", "422 invalid address")]
    users = {u.email: u for u in state.users}
    assert users["victim@example.test"].alerts == 1 and not users["victim@example.test"].admin
    assert users["root@example.test"].admin and users["root@example.test"].alerts == 0

    # No email is open until one is picked; its HTML is read then. An id not listed opens nothing.
    assert state.open_mail_id == 0 and "secret html" not in tab.synced_json()
    AdminState.open_mail.fn(state, ids["mail"])
    assert state.open_mail_id == ids["mail"] and state.open_mail_html == "<p>secret html</p>"
    AdminState.open_mail.fn(state, ids["mail"] + 1000)
    assert state.open_mail_id == ids["mail"]
    AdminState.close_mail.fn(state)
    assert state.open_mail_id == 0 and state.open_mail_html == ""

    # Nothing secret reaches the browser: no password hash, no session token hash.
    synced = tab.synced_json()
    with Session(db) as s:
        for user in s.exec(select(User)).all():
            assert user.password_hash not in synced
    assert accounts.hash_token(token) not in synced


def test_queue_unavailable_is_said_so(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _, token = _admin(db)
    monkeypatch.setattr(admin, "queue_length", lambda: None)
    state = Tab(token).state(AdminState)
    AdminState.load.fn(state)
    assert state.queue == "unavailable"


def test_admin_removes_a_board_with_its_postings_and_runs(db: Engine) -> None:
    ids = _seed(db)
    _, token = _admin(db)
    state = Tab(token).state(AdminState)
    AdminState.load.fn(state)
    assert AdminState.remove_board.fn(state, ids["good"]) is None
    assert "greenhouse:acme" in state.notice and state.error == ""
    assert [b.key for b in state.boards] == ["lever:broken"]
    with Session(db) as s:
        assert [b.key for b in s.exec(select(Board)).all()] == ["lever:broken"]
        assert s.exec(select(JobPosting)).all() == []
        assert [r.board_id for r in s.exec(select(ScrapeRun)).all()] == [ids["bad"]]
    # Removing it again (a second click, another admin was faster) says so and changes nothing.
    AdminState.remove_board.fn(state, ids["good"])
    assert state.error and _count(db, Board) == 1


@pytest.mark.parametrize(
    ("handler", "args"),
    [
        ("load", ()),
        ("refresh", ()),
        ("open_mail", ("MAIL",)),
        ("close_mail", ()),
        ("remove_board", ("GOOD",)),
        ("remove_board", ("BAD",)),
    ],
)
@pytest.mark.parametrize("who", ["signed-out", "forged", "user"])
def test_non_admins_get_nothing_and_change_nothing(db: Engine, handler: str, args: tuple[Any, ...], who: str) -> None:
    """B26: a signed-out or forged tab goes to the login page, a signed-in user who is no admin to the alerts
    page; either way nothing is loaded into the page and no board is removed."""
    ids = _seed(db)
    _, user_token = _sign_up(db, "plain@example.test")
    token = {"signed-out": "", "forged": "forged-token-that-was-never-issued-000000", "user": user_token}[who]
    before = {m.__name__: _count(db, m) for m in (Board, JobPosting, ScrapeRun)}

    tab = Tab(token)
    state = tab.state(AdminState)
    real_args = [{"MAIL": ids["mail"], "GOOD": ids["good"], "BAD": ids["bad"]}[a] for a in args]
    result = getattr(AdminState, handler).fn(state, *real_args)

    if who == "user":
        assert _redirects_to_alerts(result)
        assert tab.auth.signed_in and not tab.auth.is_admin
    else:
        assert _redirects_to_login(result)
        assert tab.auth.signed_in is False
    assert {m.__name__: _count(db, m) for m in (Board, JobPosting, ScrapeRun)} == before
    assert not state.loaded and state.boards == [] and state.users == [] and state.outbox == []
    assert state.open_mail_id == 0 and state.queue == ""
    synced = tab.synced_json()
    for secret in ("secret alert", "victim@", "Victim's digest", "secret html", "lever:broken", "mailbox full"):
        assert secret not in synced


def test_a_demoted_admin_loses_the_page_data_on_the_next_event(db: Engine) -> None:
    ids = _seed(db)
    admin_id, token = _admin(db)
    tab = Tab(token)
    state = tab.state(AdminState)
    AdminState.load.fn(state)
    assert state.boards
    with Session(db) as s:
        user = s.get(User, admin_id)
        assert user is not None
        user.is_admin = False
        s.add(user)
        s.commit()
    assert _redirects_to_alerts(AdminState.remove_board.fn(state, ids["good"]))
    assert _count(db, Board) == 2
    assert state.boards == [] and not state.loaded and "victim@" not in tab.synced_json()
