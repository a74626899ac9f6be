"""Account mail: sign-up without enumeration, verification, reset, email change and security notices, all in
the local outbox as `kind="account"`; never suppressed by digest unsubscribes (B14); escaped; rate-limited
per recipient; a refused message never reaches the page."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobwatch.errors import BadInput
from jobwatch.mail.senders import EmailMessage, TransientSendError
from jobwatch.models import JobAlert, OutboxMessage, User, utcnow
from jobwatch.services import account_mail, accounts, throttle
from jobwatch.services.unsubscribe import unsubscribe, unsubscribe_token
from tests.factories import make_alert

PASSWORD = "correct horse battery"


@pytest.fixture()
def store() -> throttle.MemoryStore:
    return throttle.MemoryStore()


def _outbox(session: Session, to: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)  # type: ignore[arg-type]
    rows = list(session.exec(query).all())
    return [r for r in rows if to is None or r.to_email == to]


def _link(message: OutboxMessage, path: str) -> str:
    match = re.search(rf"http://jobwatch\.test{path}\?token=([A-Za-z0-9_%-]+)", message.text)
    assert match, message.text
    assert match.group(0) in message.html
    return unquote(match.group(1))


def test_sign_up_mails_a_verification_link(session: Session, store: throttle.MemoryStore) -> None:
    user = account_mail.sign_up(session=session, email=" Ada@Example.test", password=PASSWORD, store=store)
    assert user is not None and user.email == "ada@example.test" and user.email_verified_at is None
    (message,) = _outbox(session)
    assert (message.to_email, message.kind, message.subject) == (
        "ada@example.test",
        "account",
        "Confirm your email address",
    )
    assert "List-Unsubscribe" not in message.headers
    token = _link(message, "/verify-email")
    assert accounts.confirm_email(session=session, token=token).email == "ada@example.test"
    assert user.email_verified_at is not None


def test_sign_up_with_a_registered_address_tells_its_owner_and_nobody_else(
    session: Session, store: throttle.MemoryStore
) -> None:
    existing = accounts.register(session=session, email="ada@example.test", password=PASSWORD)
    assert (
        account_mail.sign_up(session=session, email="ADA@example.test", password="other password", store=store) is None
    )
    assert session.exec(select(User)).all() == [existing]
    (message,) = _outbox(session)
    assert message.to_email == "ada@example.test" and message.kind == "account"
    assert message.subject == "You already have a jobwatch account"
    assert "http://jobwatch.test/login" in message.text and "http://jobwatch.test/forgot-password" in message.text
    # The password of the account is unchanged.
    assert accounts.authenticate(session=session, email="ada@example.test", password=PASSWORD) == existing


def test_sign_up_refuses_bad_input_the_same_way_for_everyone(session: Session, store: throttle.MemoryStore) -> None:
    accounts.register(session=session, email="ada@example.test", password=PASSWORD)
    for email in ("ada@example.test", "new@example.test"):
        with pytest.raises(BadInput, match="too short"):
            account_mail.sign_up(session=session, email=email, password="short", store=store)
    assert _outbox(session) == []


def test_reset_mail_only_for_known_addresses(session: Session, store: throttle.MemoryStore) -> None:
    user = accounts.register(session=session, email="known@example.test", password=PASSWORD)
    assert account_mail.request_password_reset(session=session, email="nobody@example.test", store=store) is False
    assert account_mail.request_password_reset(session=session, email="not an email", store=store) is False
    assert _outbox(session) == []
    assert account_mail.request_password_reset(session=session, email="Known@example.test ", store=store) is True
    (message,) = _outbox(session)
    assert message.subject == "Set a new jobwatch password" and message.kind == "account"
    token = _link(message, "/reset-password")
    account_mail.reset_password(session=session, token=token, password="brand new password", store=store)
    assert accounts.authenticate(session=session, email=user.email, password="brand new password") == user
    notice = _outbox(session)[-1]
    assert notice.subject == "Your jobwatch password was changed" and "with a reset link" in notice.text


def test_account_mail_ignores_digest_unsubscribes_and_suppression(
    session: Session, store: throttle.MemoryStore
) -> None:
    """B14: unsubscribing from digests (and a suppressed address, or paused notifications) never stops account
    mail such as a password reset."""
    user = accounts.register(session=session, email="known@example.test", password=PASSWORD)
    make_alert(session, user, {"keywords": ["python"]})
    assert unsubscribe(session=session, token=unsubscribe_token(user.id or 0))
    assert all("email" not in a.channels for a in session.exec(select(JobAlert)).all())
    user.email_suppressed_at = utcnow()
    user.notifications_paused_until = utcnow().replace(year=utcnow().year + 1)
    session.add(user)
    session.flush()
    assert account_mail.request_password_reset(session=session, email="known@example.test", store=store) is True
    assert [m.subject for m in _outbox(session)] == ["Set a new jobwatch password"]


def test_account_mail_per_recipient_is_limited(session: Session, store: throttle.MemoryStore) -> None:
    accounts.register(session=session, email="known@example.test", password=PASSWORD)
    sent = [
        account_mail.request_password_reset(session=session, email="known@example.test", store=store)
        for _ in range(throttle.ACCOUNT_MAIL.limit + 2)
    ]
    assert sent == [True] * throttle.ACCOUNT_MAIL.limit + [False, False]
    assert len(_outbox(session)) == throttle.ACCOUNT_MAIL.limit


def test_names_and_addresses_are_escaped_in_html(session: Session, store: throttle.MemoryStore) -> None:
    user = accounts.register(session=session, email="known@example.test", password=PASSWORD)
    user.display_name = '<script>alert("x")</script> & Co'
    session.add(user)
    session.flush()
    account_mail.send_verification(session=session, user=user, store=store)
    (message,) = _outbox(session)
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in message.html
    assert '<script>alert("x")</script> & Co' in message.text  # plain text is not escaped


def test_email_change_mails_the_new_address_then_notifies_the_old_one(
    session: Session, store: throttle.MemoryStore
) -> None:
    user = accounts.register(session=session, email="old@example.test", password=PASSWORD)
    new = account_mail.start_email_change(
        session=session, user_id=user.id or 0, new_email="New@example.test", password=PASSWORD, store=store
    )
    assert new == "new@example.test"
    (confirm,) = _outbox(session)
    assert confirm.to_email == "new@example.test" and "old@example.test" in confirm.text
    result = account_mail.confirm_email(session=session, token=_link(confirm, "/verify-email"), store=store)
    assert result.previous_email == "old@example.test" and user.email == "new@example.test"
    notice = _outbox(session)[-1]
    assert notice.to_email == "old@example.test" and notice.subject == "Your jobwatch email address was changed"
    assert "new@example.test" in notice.text


def test_email_change_to_a_registered_address_sends_nothing(session: Session, store: throttle.MemoryStore) -> None:
    user = accounts.register(session=session, email="old@example.test", password=PASSWORD)
    accounts.register(session=session, email="taken@example.test", password=PASSWORD)
    assert (
        account_mail.start_email_change(
            session=session, user_id=user.id or 0, new_email="taken@example.test", password=PASSWORD, store=store
        )
        == "taken@example.test"
    )
    assert _outbox(session) == []


class _FailingSender:
    def send(self, message: EmailMessage, *, session: Session) -> str:
        raise TransientSendError("mail service down")


def test_a_refused_message_is_logged_not_raised(session: Session, store: throttle.MemoryStore) -> None:
    accounts.register(session=session, email="known@example.test", password=PASSWORD)
    sent = account_mail.request_password_reset(
        session=session, email="known@example.test", sender=_FailingSender(), store=store
    )
    assert sent is False


def test_background_work_commits_in_its_own_session(db: Engine) -> None:
    def work(session: Session) -> None:
        account_mail.sign_up(session=session, email="ada@example.test", password=PASSWORD)

    account_mail.run_in_background(work).result(timeout=30)
    account_mail.wait_for_background()
    with Session(db) as s:
        assert s.exec(select(User.email)).all() == ["ada@example.test"]
        assert [m.subject for m in _outbox(s)] == ["Confirm your email address"]


def test_background_errors_are_logged(db: Engine, caplog: pytest.LogCaptureFixture) -> None:
    def work(session: Session) -> None:
        raise RuntimeError("boom")

    account_mail.run_in_background(work).result(timeout=30)
    assert "account mail work failed" in caplog.text
