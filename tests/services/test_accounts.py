"""Accounts: argon2 hashing (B28), no truncation and byte-counted limits (B29), no user enumeration (B30),
server-side sessions that expire and can be revoked, and the health check."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobwatch.errors import BadInput
from jobwatch.models import User, UserSession, utcnow
from jobwatch.services import accounts
from jobwatch.services.health import health


def _register(session: Session, email: str = "known@example.test", password: str = "mypassword") -> User:
    return accounts.register(session=session, email=email, password=password)


# --- hashing ---------------------------------------------------------------------------------------------


def test_mypassword_hashes_with_argon2_and_verifies_without_trapped_errors(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = _register(session, password="mypassword")
    assert user.password_hash.startswith("$argon2id$")
    assert "mypassword" not in user.password_hash
    assert accounts.authenticate(session=session, email="known@example.test", password="mypassword") == user
    # B28: passlib + bcrypt 4.1+ logged "(trapped) error reading bcrypt version" on every hash.
    assert not [r for r in caplog.records if "trapped" in r.getMessage() or "bcrypt" in r.getMessage()]
    assert accounts.pwd_context.schemes() == ("argon2",)


def test_72_byte_password_is_not_opened_by_a_longer_one(session: Session) -> None:
    _register(session, password="a" * 72)
    assert accounts.authenticate(session=session, email="known@example.test", password="a" * 72 + "b") is None
    assert accounts.authenticate(session=session, email="known@example.test", password="a" * 72) is not None


def test_76_byte_emoji_password_is_accepted(session: Session) -> None:
    password = "💫" * 19
    assert len(password) == 19 and len(password.encode()) == 76
    _register(session, password=password)
    assert accounts.authenticate(session=session, email="known@example.test", password=password) is not None


def test_password_limits_are_counted_in_bytes_with_clear_messages(session: Session) -> None:
    accounts.validate_password("a" * 1024)
    with pytest.raises(BadInput, match=r"too long: at most 1,024 bytes"):
        accounts.validate_password("a" * 1025)
    # 513 characters, but 1,026 bytes: refused, because the limit is in bytes.
    with pytest.raises(BadInput, match=r"too long"):
        accounts.validate_password("é" * 513)
    with pytest.raises(BadInput, match=r"too short: use at least 8 characters"):
        accounts.validate_password("short")
    with pytest.raises(BadInput, match="too long"):
        _register(session, password="x" * 2000)
    assert session.exec(select(User)).first() is None


@pytest.mark.parametrize("length", [100, 1025, 2000])
def test_long_password_at_login_is_a_normal_failure(session: Session, length: int) -> None:
    _register(session)
    assert accounts.authenticate(session=session, email="known@example.test", password="p" * length) is None


@pytest.mark.parametrize(
    ("email", "password"),
    [("", ""), ("not an email", "mypassword"), ("known@example.test", ""), ("x" * 5000, "y" * 5000)],
)
def test_malformed_login_input_never_raises(session: Session, email: str, password: str) -> None:
    _register(session)
    assert accounts.authenticate(session=session, email=email, password=password) is None


# --- enumeration -----------------------------------------------------------------------------------------


def test_login_runs_exactly_one_verification_for_known_and_unknown_users(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(session)
    real = accounts.verify_password
    hashes: list[str] = []

    def spy(password: str, password_hash: str) -> tuple[bool, str | None]:
        hashes.append(password_hash)
        return real(password, password_hash)

    monkeypatch.setattr(accounts, "verify_password", spy)
    cases = [
        ("nobody@example.test", "wrong-password"),
        ("known@example.test", "wrong-password"),
        ("not an email", "wrong-password"),
        ("nobody@example.test", "p" * 2000),
    ]
    for email, password in cases:
        hashes.clear()
        assert accounts.authenticate(session=session, email=email, password=password) is None
        assert len(hashes) == 1, (email, hashes)
        # The unknown-user path verifies against a real argon2 hash with the live parameters.
        assert hashes[0].startswith("$argon2id$")


def test_duplicate_registration_is_refused_without_saying_the_account_exists(session: Session) -> None:
    _register(session)
    with pytest.raises(accounts.RegistrationRefused) as refused:
        _register(session, email="  Known@Example.TEST ", password="another-password")
    message = str(refused.value).lower()
    assert "exist" not in message and "already registered" not in message
    assert isinstance(refused.value, BadInput)


def test_emails_are_normalized_and_checked() -> None:
    assert accounts.normalize_email("  Ada@Example.COM ") == "ada@example.com"
    for bad in ["", "ada", "ada@", "@example.com", "ada@example", "ada @example.com", "a@b@c.com", "ada@ex..com"]:
        with pytest.raises(BadInput, match="valid email"):
            accounts.normalize_email(bad)


def test_operator_create_user_sets_admin_and_refuses_duplicates(session: Session) -> None:
    admin = accounts.create_user(session=session, email="Ops@Example.test", password="a-long-password", is_admin=True)
    assert admin.is_admin and admin.email == "ops@example.test"
    with pytest.raises(BadInput, match="already exists"):
        accounts.create_user(session=session, email="ops@example.test", password="a-long-password")


# --- sessions --------------------------------------------------------------------------------------------


def test_session_token_is_stored_only_as_its_sha256(session: Session) -> None:
    user = _register(session)
    token = accounts.create_session(session=session, user=user)
    assert len(token) >= 40
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert accounts.user_for_token(session=session, token=token) == user
    assert accounts.user_for_token(session=session, token=row.token_hash) is None


def test_sessions_expire(session: Session) -> None:
    user = _register(session)
    token = accounts.create_session(session=session, user=user)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.expires_at - row.created_at == timedelta(hours=24 * 14)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.flush()
    assert accounts.user_for_token(session=session, token=token) is None


def test_revoked_sessions_are_refused(session: Session) -> None:
    user = _register(session)
    first = accounts.create_session(session=session, user=user)
    second = accounts.create_session(session=session, user=user)
    assert accounts.revoke_session(session=session, token=first) is True
    assert accounts.revoke_session(session=session, token=first) is False
    assert accounts.user_for_token(session=session, token=first) is None
    assert accounts.user_for_token(session=session, token=second) == user
    assert accounts.revoke_all_sessions(session=session, user_id=user.id or 0) == 1
    assert accounts.user_for_token(session=session, token=second) is None


@pytest.mark.parametrize("token", [None, "", "short", "x" * 43, "y" * 5000])
def test_unknown_tokens_find_nobody(session: Session, token: str | None) -> None:
    _register(session)
    assert accounts.user_for_token(session=session, token=token) is None
    assert accounts.revoke_session(session=session, token=token) is False


# --- health ----------------------------------------------------------------------------------------------


def test_health_reports_database_and_queue(db: Engine) -> None:
    healthy, report = health()
    assert healthy is True
    assert report == {"db": "ok", "queue": "ok"}
