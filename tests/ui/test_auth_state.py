"""Reflex states without a browser: every handler re-checks the session in the database (B24, B26), and
nothing secret but the session token reaches a browser-synced var.

Each "tab" is a fresh Reflex state tree, as Reflex keeps one per browser tab; handlers are called directly
(`Handler.fn(state, ...)`) the way Reflex's event processor calls them.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import pytest
import reflex as rx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import jobwatch.jobwatch  # noqa: F401  (registers the app and every page state)
from jobwatch.models import Board, JobAlert, JobPosting, Notification, OutboxMessage, User
from jobwatch.services import account_mail, accounts
from jobwatch.storage import ingest_postings
from jobwatch.ui import routes
from jobwatch.ui.state.account import LOGIN_FAILED, LoginState, RegisterState
from jobwatch.ui.state.alerts import AlertBuilderState, AlertsState
from jobwatch.ui.state.auth import AuthState
from jobwatch.ui.state.boards import BoardsState
from jobwatch.ui.state.inbox import InboxState
from jobwatch.ui.state.jobs import JobsState
from tests.factories import make_alert, make_board, make_posting
from tests.ui.handlers import call

S = TypeVar("S", bound=rx.State)
PASSWORD = "correct horse battery"


class Tab:
    """One browser tab's state tree."""

    def __init__(self, token: str = "") -> None:
        self.root = rx.State(_reflex_internal_init=True)
        self.auth: AuthState = self.root.substates[AuthState.get_name()]  # type: ignore[assignment]
        self.auth.session_token = token

    def state(self, cls: type[S]) -> S:
        return self.auth.substates[cls.get_name()]  # type: ignore[return-value]

    def synced_json(self) -> str:
        """Everything this tab's state would send to the browser."""
        return json.dumps(self.root.dict(), default=str)


def _redirects_to_login(result: Any) -> bool:
    events = result if isinstance(result, list) else [result]
    text = repr(events)
    return "drop_session" in text and f'"{routes.LOGIN}"' in text


def _sign_up(engine: Engine, email: str) -> tuple[int, str]:
    with Session(engine) as s:
        user = accounts.register(session=s, email=email, password=PASSWORD)
        token = accounts.create_session(session=s, user=user)
        s.commit()
        return user.id or 0, token


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return len(s.exec(select(model)).all())


def test_register_says_check_your_email_then_login_sets_only_the_token(db: Engine) -> None:
    tab = Tab()
    register = tab.state(RegisterState)
    assert call(RegisterState.submit, register, {"email": "Ada@Example.test", "password": PASSWORD}) is None
    account_mail.wait_for_background()
    assert register.sent_to == "ada@example.test" and register.error == ""
    assert tab.auth.session_token == ""  # registering signs nobody in
    with Session(db) as s:
        user = s.exec(select(User)).one()
        assert [m.subject for m in s.exec(select(OutboxMessage)).all()] == ["Confirm your email address"]

    result = call(LoginState.submit, tab.state(LoginState), {"email": "ada@example.test", "password": PASSWORD})
    assert f'"{routes.HOME}"' in repr(result)
    token = tab.auth.session_token
    assert token
    with Session(db) as s:
        assert accounts.user_for_token(session=s, token=token) == user
    # The browser gets the token and nothing derived from it, and never the password or its hash.
    synced = tab.synced_json()
    assert accounts.hash_token(token) not in synced
    assert user.password_hash not in synced
    assert PASSWORD not in synced


def test_login_failures_look_alike(db: Engine) -> None:
    _sign_up(db, "known@example.test")
    answers = []
    for email, password in [
        ("known@example.test", "wrong password"),
        ("nobody@example.test", "wrong password"),
        ("known@example.test", "p" * 2000),
        ("", ""),
    ]:
        tab = Tab()
        login = tab.state(LoginState)
        assert call(LoginState.submit, login, {"email": email, "password": password}) is None
        answers.append(login.error)
        assert tab.auth.session_token == ""
    assert answers == [LOGIN_FAILED] * 4

    tab = Tab()
    call(LoginState.submit, tab.state(LoginState), {"email": "known@example.test", "password": PASSWORD})
    assert tab.auth.session_token


def test_duplicate_registration_answers_the_same_and_mails_the_owner(db: Engine) -> None:
    """B30: registering a known address looks exactly like registering a new one; its owner gets a notice."""
    _sign_up(db, "known@example.test")
    answers = []
    for email in ("known@example.test", "new@example.test"):
        tab = Tab()
        register = tab.state(RegisterState)
        assert call(RegisterState.submit, register, {"email": email, "password": PASSWORD}) is None
        answers.append((register.error, register.sent_to.replace(email, "EMAIL"), tab.auth.session_token))
    account_mail.wait_for_background()
    assert answers[0] == answers[1] == ("", "EMAIL", "")
    with Session(db) as s:
        mail = {(m.to_email, m.subject) for m in s.exec(select(OutboxMessage)).all()}
    assert mail == {
        ("known@example.test", "You already have a jobwatch account"),
        ("new@example.test", "Confirm your email address"),
    }


@pytest.mark.parametrize(
    ("state_cls", "handler", "args"),
    [
        (AlertsState, "load", ()),
        (AlertsState, "delete_alert", ("ALERT",)),
        (AlertBuilderState, "load", ()),
        (AlertBuilderState, "set_field", ("keywords", "python")),
        (AlertBuilderState, "save", ({"name": "python", "keywords": "python"},)),
        (InboxState, "load", ()),
        (InboxState, "mark_read", ("NOTE",)),
        (InboxState, "mark_all_read", ()),
        (BoardsState, "load", ()),
        (BoardsState, "add_board", ({"board": "greenhouse:newco"},)),
        (BoardsState, "scrape_now", ("BOARD",)),
        (BoardsState, "show_postings", ("BOARD",)),
        (JobsState, "load", ()),
        (JobsState, "search", ({"q": "engineer"},)),
        (AuthState, "require_login", ()),
    ],
)
@pytest.mark.parametrize("token", ["", "forged-token-that-was-never-issued-000000"])
def test_handlers_without_a_session_change_and_reveal_nothing(
    db: Engine, state_cls: type[rx.State], handler: str, args: tuple[Any, ...], token: str
) -> None:
    """B26: a crafted event with no (or a forged) session is refused server-side and changes nothing."""
    user_id, _ = _sign_up(db, "victim@example.test")
    with Session(db) as s:
        user = s.get(User, user_id)
        assert user is not None
        alert = make_alert(s, user, {"keywords": ["rust"]}, name="secret alert")
        board = make_board(s)
        ingest_postings(session=s, board=board, complete=True, postings=[make_posting(title="Secret Engineer")])
        posting_id = s.exec(select(JobPosting)).one().id
        note = Notification(user_id=user_id, posting_id=posting_id or 0, alert_ids=[alert.id or 0])
        s.add(note)
        s.commit()
        ids = {"ALERT": alert.id, "NOTE": note.id, "BOARD": board.id}
    before = {m.__name__: _count(db, m) for m in (JobAlert, Board, Notification)}

    tab = Tab(token)
    state = tab.state(state_cls) if state_cls is not AuthState else tab.auth
    real_args = [ids.get(a, a) if isinstance(a, str) else a for a in args]
    result = call(getattr(state_cls, handler), state, *real_args)

    assert _redirects_to_login(result)
    assert {m.__name__: _count(db, m) for m in (JobAlert, Board, Notification)} == before
    with Session(db) as s:
        assert s.exec(select(Notification)).one().read_at is None
    synced = tab.synced_json()
    assert "secret alert" not in synced and "Secret Engineer" not in synced and "victim@" not in synced
    assert tab.auth.signed_in is False


def test_logout_in_one_tab_stops_the_other_tab(db: Engine) -> None:
    """B24: tab 2 keeps its token after tab 1 logs out, but its next event is refused and creates nothing."""
    _, token = _sign_up(db, "ada@example.test")
    tab1, tab2 = Tab(token), Tab(token)
    assert call(AlertsState.load, tab1.state(AlertsState)) is None
    assert call(AlertsState.load, tab2.state(AlertsState)) is None
    assert tab1.auth.signed_in and tab2.auth.signed_in

    assert _redirects_to_login(call(AuthState.logout, tab1.auth))
    builder = tab2.state(AlertBuilderState)
    result = call(AlertBuilderState.save, builder, {"name": "python", "keywords": "python"})
    assert _redirects_to_login(result)
    assert _count(db, JobAlert) == 0
    assert tab2.auth.signed_in is False


def test_drop_session_clears_every_page_state(db: Engine) -> None:
    """After sign-out, nothing of the last user stays in the tab for the next user of the browser."""
    _, token = _sign_up(db, "ada@example.test")
    with Session(db) as s:
        user = s.exec(select(User)).one()
        make_alert(s, user, {"keywords": ["python"]}, name="ada's alert")
        s.commit()
    tab = Tab(token)
    call(AlertsState.load, tab.state(AlertsState))
    assert "ada's alert" in tab.synced_json()
    call(AuthState.drop_session, tab.auth)
    synced = tab.synced_json()
    assert "ada's alert" not in synced and "ada@example.test" not in synced
    assert tab.auth.session_token == ""


def test_a_user_cannot_delete_another_users_alert(db: Engine) -> None:
    ada_id, _ = _sign_up(db, "ada@example.test")
    _, bob_token = _sign_up(db, "bob@example.test")
    with Session(db) as s:
        ada = s.get(User, ada_id)
        assert ada is not None
        alert_id = make_alert(s, ada, {"keywords": ["python"]}).id
        s.commit()
    tab = Tab(bob_token)
    call(AlertsState.delete_alert, tab.state(AlertsState), alert_id)
    assert _count(db, JobAlert) == 1


def test_signed_in_user_builds_previews_saves_and_deletes_an_alert(db: Engine) -> None:
    _, token = _sign_up(db, "ada@example.test")
    with Session(db) as s:
        board = make_board(s)
        ingest_postings(
            session=s,
            board=board,
            complete=True,
            postings=[make_posting(title="Python Developer"), make_posting(title="Java Developer")],
        )
        s.commit()
    tab = Tab(token)
    builder = tab.state(AlertBuilderState)
    call(AlertBuilderState.load, builder)
    assert builder.preview_ready is False and "Fill in" in builder.draft_message
    call(AlertBuilderState.set_field, builder, "keywords", "python")
    assert builder.preview_ready and builder.preview_count == "1 matching open job"
    assert [p.title for p in builder.preview_postings] == ["Python Developer"]

    call(AlertBuilderState.set_field, builder, "posted_within", "soon")
    # Shown under its own field ("Posted within (days)"), whose name differs from the filter key.
    assert "whole number of days" in builder.field_errors["posted_within"] and builder.preview_ready is False
    call(AlertBuilderState.set_field, builder, "posted_within", "400")  # out of range: the same words
    assert builder.field_errors == {"posted_within": "Enter a whole number of days, 1 to 365."}
    assert builder.preview_ready is False
    call(AlertBuilderState.set_field, builder, "posted_within", "")
    call(AlertBuilderState.set_field, builder, "min_salary", "lots")
    assert "yearly amount" in builder.field_errors["min_salary"]
    call(AlertBuilderState.set_field, builder, "min_salary", "")
    call(AlertBuilderState.set_field, builder, "employment_types", "freelance")
    assert "freelance" in builder.field_errors["employment_types"]
    call(AlertBuilderState.set_field, builder, "employment_types", "Full time")
    assert builder.preview_ready

    # A name is required; the form's submitted values win over the synced ones.
    assert call(AlertBuilderState.save, builder, {"name": "", "keywords": "python"}) is None
    assert builder.form_error and _count(db, JobAlert) == 0
    call(AlertBuilderState.set_frequency, builder, "hourly")  # not a choice: ignored
    assert builder.frequency == "daily"
    call(AlertBuilderState.set_frequency, builder, "weekly")
    result = call(AlertBuilderState.save, builder, {"name": "Python", "keywords": "python", "frequency": "instant"})
    assert f'"{routes.ALERTS}"' in repr(result)
    with Session(db) as s:
        alert = s.exec(select(JobAlert)).one()
        assert alert.filters == {"keywords": ["python"], "employment_types": ["full_time"]}
        assert alert.frequency == "instant"  # the submitted form wins

    alerts = tab.state(AlertsState)
    call(AlertsState.load, alerts)
    assert [a.name for a in alerts.alerts] == ["Python"]
    call(AlertsState.delete_alert, alerts, alert.id)
    assert alerts.alerts == [] and _count(db, JobAlert) == 0


def test_alert_switches_pause_and_email(db: Engine) -> None:
    user_id, token = _sign_up(db, "ada@example.test")
    other_id, other_token = _sign_up(db, "bob@example.test")
    with Session(db) as s:
        user = s.get_one(User, user_id)
        alert = make_alert(s, user, {"keywords": ["python"]}, name="Python")
        s.commit()
        alert_id = alert.id
    tab = Tab(token)
    alerts_state = tab.state(AlertsState)
    call(AlertsState.load, alerts_state)
    assert alerts_state.alerts[0].active and alerts_state.alerts[0].emails and alerts_state.alerts[0].feed
    call(AlertsState.set_active, alerts_state, alert_id, False)
    call(AlertsState.set_email, alerts_state, alert_id, False)
    assert not alerts_state.alerts[0].active and not alerts_state.alerts[0].emails

    # Another user's crafted events change nothing.
    intruder = Tab(other_token).state(AlertsState)
    call(AlertsState.set_active, intruder, alert_id, True)
    call(AlertsState.set_email, intruder, alert_id, True)
    with Session(db) as s:
        stored = s.get_one(JobAlert, alert_id)
        assert stored.is_active is False and "email" not in stored.channels
    assert other_id != user_id
