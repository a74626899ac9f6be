"""`/emails`: a user reads only their own emails from the local outbox; handlers re-check the session."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from jobwatch.models import OutboxMessage
from jobwatch.ui.state.emails import EmailsState
from tests.ui.test_auth_state import Tab, _redirects_to_login, _sign_up


def _mail(engine: Engine, to: str, subject: str) -> int:
    with Session(engine) as s:
        row = OutboxMessage(to_email=to, from_email="jobwatch@localhost", subject=subject, html="<p>hi</p>", text="hi")
        s.add(row)
        s.commit()
        return row.id or 0


def test_user_sees_only_their_own_emails(db: Engine) -> None:
    _, token = _sign_up(db, "ada@example.test")
    _sign_up(db, "bob@example.test")
    first = _mail(db, "ada@example.test", "2 new jobs for “Python”")
    other = _mail(db, "bob@example.test", "Bob's digest")
    latest = _mail(db, "ada@example.test", "1 new job for “Go”")

    tab = Tab(token)
    emails = tab.state(EmailsState)
    EmailsState.load.fn(emails)
    assert [e.subject for e in emails.emails] == ["1 new job for “Go”", "2 new jobs for “Python”"]
    assert emails.open_id == latest and emails.uses_outbox
    EmailsState.open_email.fn(emails, first)
    assert emails.open_id == first
    EmailsState.open_email.fn(emails, other)  # not in the user's list: nothing changes
    assert emails.open_id == first
    assert "Bob" not in tab.synced_json()


def test_without_a_session_nothing_is_listed(db: Engine) -> None:
    _mail(db, "ada@example.test", "secret digest")
    tab = Tab("forged-token")
    emails = tab.state(EmailsState)
    assert _redirects_to_login(EmailsState.load.fn(emails))
    assert emails.emails == []
