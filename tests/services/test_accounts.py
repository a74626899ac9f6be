"""Accounts: argon2 hashing (B28), no truncation and byte-counted limits (B29), no user enumeration (B30),
server-side sessions that expire and can be revoked, throttled login, single-use link tokens, settings,
deletion and export, operator roles, and the health check."""

from __future__ import annotations

import hashlib
import json
import logging
import statistics
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobwatch.errors import BadInput
from jobwatch.models import (
    AuthToken,
    JobAlert,
    JobPosting,
    Notification,
    OutboxMessage,
    User,
    UserSession,
    utcnow,
)
from jobwatch.services import accounts, throttle
from jobwatch.services.health import health
from jobwatch.storage import ingest_postings
from tests.factories import make_alert, make_board, make_posting


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


# --- login with throttling (more in test_throttle.py) ----------------------------------------------------


def test_login_gives_a_session_and_throttles_with_the_same_message_for_any_email(session: Session) -> None:
    _register(session)
    store = throttle.MemoryStore()
    token = accounts.login(
        session=session, email="known@example.test", password="mypassword", address="192.0.2.1", store=store
    )
    assert token is not None and accounts.user_for_token(session=session, token=token) is not None
    messages = []
    for email in ("known@example.test", "nobody@example.test"):
        for _ in range(throttle.LOGIN_ACCOUNT.limit):
            assert accounts.login(session=session, email=email, password="wrong-pass", address="", store=store) is None
        with pytest.raises(throttle.Throttled) as refused:
            accounts.login(session=session, email=email, password="wrong-pass", address="", store=store)
        messages.append(str(refused.value))
    assert messages[0] == messages[1] == "too many failed log-in attempts; please wait 15 minutes and try again"


def test_login_timing_does_not_tell_whether_the_account_exists(session: Session) -> None:
    """B30: a wrong password for a known and for an unknown email cost about the same (one argon2 check)."""
    _register(session)

    def median(email: str) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            assert accounts.authenticate(session=session, email=email, password="wrong-password") is None
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    known, unknown = median("known@example.test"), median("nobody@example.test")
    assert 0.5 < known / unknown < 2.0, (known, unknown)


# --- single-use tokens -----------------------------------------------------------------------------------


def _token_rows(session: Session, user: User) -> list[AuthToken]:
    return list(session.exec(select(AuthToken).where(AuthToken.user_id == user.id)).all())


def test_reset_tokens_are_random_stored_hashed_short_lived_and_single_use(session: Session) -> None:
    user = _register(session)
    old_session = accounts.create_session(session=session, user=user)
    token = accounts.issue_token(session=session, user=user, purpose=accounts.PURPOSE_RESET)
    (row,) = _token_rows(session, user)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.model_dump_json()
    assert row.expires_at - row.created_at == timedelta(minutes=30)
    assert row.email == "known@example.test"
    # Looking at a link does not use it up (mail scanners open links, B14).
    assert accounts.reset_token_is_valid(session=session, token=token)
    assert accounts.reset_token_is_valid(session=session, token=token)
    # A refused password leaves the link usable.
    with pytest.raises(BadInput, match="too short"):
        accounts.reset_password(session=session, token=token, password="short")
    assert accounts.reset_password(session=session, token=token, password="brand new password") == user
    assert accounts.authenticate(session=session, email=user.email, password="brand new password") == user
    assert accounts.user_for_token(session=session, token=old_session) is None  # every session ended
    assert user.email_verified_at is not None  # the link reached the address
    with pytest.raises(BadInput, match="not valid any more"):
        accounts.reset_password(session=session, token=token, password="another new password")
    assert not accounts.reset_token_is_valid(session=session, token=token)


def test_expired_replaced_and_foreign_tokens_do_not_work(session: Session) -> None:
    user = _register(session)
    first = accounts.issue_token(session=session, user=user, purpose=accounts.PURPOSE_RESET)
    second = accounts.issue_token(session=session, user=user, purpose=accounts.PURPOSE_RESET)
    assert not accounts.reset_token_is_valid(session=session, token=first)  # replaced by the newer link
    verify = accounts.issue_token(session=session, user=user, purpose=accounts.PURPOSE_VERIFY)
    assert not accounts.reset_token_is_valid(session=session, token=verify)  # another purpose
    row = session.exec(select(AuthToken).where(AuthToken.token_hash == accounts.hash_token(second))).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.flush()
    for token in (first, second, verify, "x" * 43, "", None):
        with pytest.raises(BadInput, match="not valid any more"):
            accounts.reset_password(session=session, token=token, password="brand new password")
    assert accounts.authenticate(session=session, email=user.email, password="mypassword") == user


def test_verification_link_confirms_the_address_once(session: Session) -> None:
    user = _register(session)
    assert user.email_verified_at is None
    token = accounts.issue_token(session=session, user=user, purpose=accounts.PURPOSE_VERIFY)
    (row,) = _token_rows(session, user)
    assert row.expires_at - row.created_at == timedelta(hours=48)
    result = accounts.confirm_email(session=session, token=token)
    assert result.email == "known@example.test" and result.previous_email is None and not result.already
    assert user.email_verified_at is not None
    # Opening it again (another tab, a scanner that ran first) says the same, and changes nothing.
    assert accounts.confirm_email(session=session, token=token).already
    with pytest.raises(BadInput, match="not valid any more"):
        accounts.confirm_email(session=session, token="y" * 43)


def test_email_change_needs_the_password_and_the_new_address_to_confirm(session: Session) -> None:
    user = _register(session)
    store = throttle.MemoryStore()
    with pytest.raises(accounts.WrongPassword):
        accounts.start_email_change(
            session=session, user_id=user.id or 0, new_email="new@example.test", password="nope-nope", store=store
        )
    with pytest.raises(BadInput, match="already your email"):
        accounts.start_email_change(
            session=session, user_id=user.id or 0, new_email="KNOWN@example.test", password="mypassword", store=store
        )
    _, email, token = accounts.start_email_change(
        session=session, user_id=user.id or 0, new_email=" New@Example.test", password="mypassword", store=store
    )
    assert email == "new@example.test" and token is not None
    assert user.email == "known@example.test"  # nothing changes before the link is opened
    assert accounts.profile(session=session, user_id=user.id or 0).pending_email == "new@example.test"
    # A verification link for the old address proves nothing about the new one, and vice versa.
    result = accounts.confirm_email(session=session, token=token)
    assert (result.email, result.previous_email) == ("new@example.test", "known@example.test")
    assert user.email == "new@example.test" and user.email_verified_at is not None
    assert accounts.profile(session=session, user_id=user.id or 0).pending_email is None


def test_email_change_to_a_taken_address_looks_the_same_but_sends_nothing(session: Session) -> None:
    user = _register(session)
    _register(session, email="taken@example.test")
    _, email, token = accounts.start_email_change(
        session=session,
        user_id=user.id or 0,
        new_email="taken@example.test",
        password="mypassword",
        store=throttle.MemoryStore(),
    )
    assert email == "taken@example.test" and token is None
    # An address taken between the request and the click: the link fails without saying why.
    _, _, token = accounts.start_email_change(
        session=session,
        user_id=user.id or 0,
        new_email="free@example.test",
        password="mypassword",
        store=throttle.MemoryStore(),
    )
    _register(session, email="free@example.test")
    with pytest.raises(BadInput, match="not valid any more"):
        accounts.confirm_email(session=session, token=token)
    assert user.email == "known@example.test"


def test_a_verify_link_for_an_address_the_account_no_longer_has_fails(session: Session) -> None:
    user = _register(session)
    token = accounts.issue_token(session=session, user=user, purpose=accounts.PURPOSE_VERIFY)
    user.email = "other@example.test"
    session.add(user)
    session.flush()
    with pytest.raises(BadInput, match="not valid any more"):
        accounts.confirm_email(session=session, token=token)
    assert user.email_verified_at is None


# --- settings --------------------------------------------------------------------------------------------


def test_password_change_checks_the_current_one_and_ends_other_sessions(session: Session) -> None:
    user = _register(session)
    here = accounts.create_session(session=session, user=user)
    elsewhere = accounts.create_session(session=session, user=user)
    store = throttle.MemoryStore()
    kwargs = {"session": session, "user_id": user.id or 0, "keep_token": here, "store": store}
    with pytest.raises(accounts.WrongPassword):
        accounts.change_password(current_password="wrong-password", new_password="brand new password", **kwargs)
    with pytest.raises(BadInput, match="same as the current"):
        accounts.change_password(current_password="mypassword", new_password="mypassword", **kwargs)
    with pytest.raises(BadInput, match="too long"):
        accounts.change_password(current_password="mypassword", new_password="x" * 1025, **kwargs)
    accounts.change_password(current_password="mypassword", new_password="brand new password", **kwargs)
    assert accounts.user_for_token(session=session, token=here) == user
    assert accounts.user_for_token(session=session, token=elsewhere) is None
    assert accounts.authenticate(session=session, email=user.email, password="brand new password") == user


def test_password_checks_in_settings_share_the_login_limit(session: Session) -> None:
    user = _register(session)
    store = throttle.MemoryStore()
    for _ in range(throttle.LOGIN_ACCOUNT.limit):
        with pytest.raises(accounts.WrongPassword):
            accounts.reauthenticate(session=session, user_id=user.id or 0, password="guess-guess", store=store)
    with pytest.raises(throttle.Throttled):
        accounts.reauthenticate(session=session, user_id=user.id or 0, password="mypassword", store=store)
    with pytest.raises(throttle.Throttled):
        accounts.login(session=session, email=user.email, password="mypassword", address="", store=store)


def test_profile_settings_are_validated(session: Session) -> None:
    user = _register(session)
    uid = user.id or 0
    accounts.update_profile(
        session=session, user_id=uid, display_name="  Ada  ", timezone="Europe/Berlin", digest_hour=7, weekly_day=4
    )
    p = accounts.profile(session=session, user_id=uid)
    assert (p.display_name, p.timezone, p.digest_hour, p.weekly_day) == ("Ada", "Europe/Berlin", 7, 4)
    assert p.email == "known@example.test" and not p.email_verified and p.notifications_paused_until is None
    good = {"display_name": "", "timezone": "UTC", "digest_hour": 8, "weekly_day": 0}
    for bad, message in [
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"timezone": "../../etc/passwd"}, "time zone"),
        ({"digest_hour": 24}, "hour"),
        ({"digest_hour": -1}, "hour"),
        ({"weekly_day": 7}, "day of the week"),
        ({"display_name": "x" * 101}, "too long"),
        ({"display_name": "Ada\u202eevil"}, "control characters"),
    ]:
        with pytest.raises(BadInput, match=message):
            accounts.update_profile(session=session, user_id=uid, **{**good, **bad})  # type: ignore[arg-type]
    accounts.update_profile(session=session, user_id=uid, **good)  # type: ignore[arg-type]
    assert user.display_name is None
    assert "Europe/Berlin" in accounts.timezones() and "UTC" in accounts.timezones()


def test_pause_until_a_local_date(session: Session) -> None:
    user = _register(session)
    uid = user.id or 0
    accounts.update_profile(
        session=session, user_id=uid, display_name="", timezone="Asia/Tokyo", digest_hour=8, weekly_day=0
    )
    today = utcnow().astimezone(ZoneInfo("Asia/Tokyo")).date()
    until = today + timedelta(days=10)
    accounts.pause_notifications(session=session, user_id=uid, until=until)
    assert user.notifications_paused_until == datetime.combine(until, dtime.min, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert accounts.profile(session=session, user_id=uid).notifications_paused_until == until
    for bad in (today, today - timedelta(days=1), today + timedelta(days=400)):
        with pytest.raises(BadInput):
            accounts.pause_notifications(session=session, user_id=uid, until=bad)
    accounts.pause_notifications(session=session, user_id=uid, until=None)
    assert user.notifications_paused_until is None


def test_delete_account_removes_everything_of_the_user_and_nothing_else(session: Session) -> None:
    user = _register(session)
    other = _register(session, email="other@example.test")
    for u in (user, other):
        accounts.create_session(session=session, user=u)
        accounts.issue_token(session=session, user=u, purpose=accounts.PURPOSE_VERIFY)
        make_alert(session, u, {"keywords": ["python"]})
        session.add(OutboxMessage(to_email=u.email, from_email="j@x.test", subject="s", html="h", text="t"))
    board = make_board(session)
    ingest_postings(session=session, board=board, complete=True, postings=[make_posting()])
    posting = session.exec(select(JobPosting)).one()
    for u in (user, other):
        session.add(Notification(user_id=u.id or 0, posting_id=posting.id or 0, alert_ids=[]))
    session.flush()
    store = throttle.MemoryStore()
    with pytest.raises(accounts.WrongPassword):
        accounts.delete_account(session=session, user_id=user.id or 0, password="wrong-password", store=store)
    uid = user.id
    assert accounts.delete_account(session=session, user_id=uid or 0, password="mypassword", store=store) == (
        "known@example.test"
    )
    session.expire_all()
    for model in (UserSession, AuthToken, JobAlert, Notification):
        rows = session.exec(select(model)).all()
        assert rows and all(r.user_id == other.id for r in rows), model  # type: ignore[attr-defined]
    assert [m.to_email for m in session.exec(select(OutboxMessage)).all()] == ["other@example.test"]
    assert session.get(User, uid) is None and session.get(User, other.id) is not None
    assert session.exec(select(JobPosting)).one()  # postings are shared, not the user's


def test_export_has_the_users_data_and_no_secrets(session: Session) -> None:
    user = _register(session)
    token = accounts.create_session(session=session, user=user)
    reset = accounts.issue_token(session=session, user=user, purpose=accounts.PURPOSE_RESET)
    make_alert(session, user, {"keywords": ["python"]}, name="Python jobs")
    other = _register(session, email="other@example.test")
    make_alert(session, other, {"keywords": ["rust"]}, name="Other's alert")
    data = accounts.export_data(session=session, user_id=user.id or 0)
    text = json.dumps(data)
    assert data["account"]["email"] == "known@example.test"
    assert [a["name"] for a in data["alerts"]] == ["Python jobs"]
    assert len(data["sessions"]) == 1
    for secret in (user.password_hash, token, accounts.hash_token(token), reset, accounts.hash_token(reset)):
        assert secret not in text
    assert "Other's alert" not in text and "other@example.test" not in text


def test_operators_grant_and_list_roles(session: Session) -> None:
    _register(session)
    assert accounts.set_admin(session=session, email="KNOWN@example.test", is_admin=True).is_admin
    assert [(u.email, u.is_admin) for u in accounts.list_users(session=session)] == [("known@example.test", True)]
    assert not accounts.set_admin(session=session, email="known@example.test", is_admin=False).is_admin
    with pytest.raises(BadInput, match="no user"):
        accounts.set_admin(session=session, email="nobody@example.test", is_admin=True)


def test_cli_users_admin_and_list(db: Engine) -> None:
    from typer.testing import CliRunner

    from jobwatch.cli import app

    with Session(db) as s:
        _register(s)
        s.commit()
    runner = CliRunner()
    granted = runner.invoke(app, ["users", "admin", "known@example.test"])
    assert granted.exit_code == 0, granted.output
    assert json.loads(granted.stdout.splitlines()[0])["is_admin"] is True
    listed = runner.invoke(app, ["users", "list"])
    row = json.loads(listed.stdout.splitlines()[0])
    assert (row["email"], row["is_admin"], row["email_verified"]) == ("known@example.test", True, False)
    assert "password" not in listed.stdout
    revoked = runner.invoke(app, ["users", "admin", "known@example.test", "--revoke"])
    assert json.loads(revoked.stdout.splitlines()[0])["is_admin"] is False
    assert runner.invoke(app, ["users", "admin", "nobody@example.test"]).exit_code != 0
