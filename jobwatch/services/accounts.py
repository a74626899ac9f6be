"""Accounts and login sessions: register, authenticate, server-side sessions, operator-created users.

Passwords are hashed with argon2 through passlib's maintained fork (`libpass`), never bcrypt: bcrypt drops
everything past 72 bytes (field case B29) and passlib 1.7 breaks with bcrypt 4.1+/5 (B28). A password is 8
to `MAX_PASSWORD_BYTES` bytes of UTF-8, counted in bytes so that an emoji counts as what it costs to hash.

Login does exactly one password-hash verification whether or not the email is registered (a dummy hash for
unknown emails), so response times do not tell who has an account (B30); `authenticate` never raises for
odd input (a 100- or 2,000-character password, a malformed email): it answers None like any wrong password.

Registration and enumeration: `register` refuses an already registered email with `RegistrationRefused`
(for operators' tools and tests). The sign-up form goes through `account_mail.sign_up`, which never tells:
a new address gets an account and a verification link, a registered one gets a notice ("you already have an
account: log in or reset your password"), and the page says "check your email" either way. Nobody is
signed in by registering; they log in (verified or not) once they have read the mail.

Links in account mail carry single-use tokens (`AuthToken`, only the SHA-256 stored): verifying an address
(48 hours), confirming an email change (24 hours, sent to the new address), resetting a password (30
minutes). Issuing a token retires the user's earlier unused tokens of the same purpose; using one is an
atomic `UPDATE ... WHERE used_at IS NULL`, so two clicks cannot both succeed. A password reset or change
ends the user's other sessions.

Throttling (`services.throttle`): `login` counts failures per account and per client address before the
password is checked; re-entering the password to change the email or password or to delete the account
counts against the same per-account limit.

Sessions: the browser holds a random token (`secrets.token_urlsafe(32)`); the database holds only its
SHA-256 (`UserSession.token_hash`), so a leaked database does not yield usable sessions. Every request
re-checks the token here (`user_for_token`), so logging out (revocation) takes effect at once everywhere.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from passlib.context import CryptContext
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from jobwatch.config import get_settings
from jobwatch.errors import BadInput
from jobwatch.models import (
    AuthToken,
    Digest,
    JobAlert,
    JobPosting,
    Notification,
    OutboxMessage,
    User,
    UserJobInteraction,
    UserSession,
    utcnow,
)
from jobwatch.services import throttle

MIN_PASSWORD_BYTES = 8
#: Longest password accepted, in UTF-8 bytes (argon2 has no limit of its own; this bounds the work).
MAX_PASSWORD_BYTES = 1024
MAX_EMAIL_LENGTH = 254
#: How stale `UserSession.last_seen_at` may get before a request writes it again (keeps reads read-only).
LAST_SEEN_RESOLUTION = timedelta(minutes=5)

# One scheme on purpose: argon2 has no input-length limit and needs no bcrypt backend (B28, B29).
pwd_context = CryptContext(schemes=["argon2"], deprecated="auto")

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s.][^@\s]*\.[^@\s]*[^@\s.]$")


class RegistrationRefused(BadInput):
    """The email cannot be registered. The message is deliberately the same whatever the reason."""

    def __init__(self) -> None:
        super().__init__(
            "could not create an account with that email; if you already have one, log in or reset your password"
        )


def normalize_email(text: str) -> str:
    """`text` trimmed and lower-cased. Raises `BadInput("enter a valid email address")` when it is not one.

    The check is deliberately loose (one `@`, a dotted domain, no spaces, at most 254 characters): the
    only real test of an address is mail reaching it.
    """
    email = (text or "").strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL_RE.match(email) or ".." in email.split("@")[1]:
        raise BadInput("enter a valid email address")
    return email


def validate_password(password: str) -> None:
    """Raise `BadInput` unless `password` is 8 to 1,024 bytes long in UTF-8 (counted in bytes, B29)."""
    if not isinstance(password, str):
        raise BadInput("enter a password")
    size = len(password.encode("utf-8", "surrogatepass"))
    if size < MIN_PASSWORD_BYTES:
        raise BadInput(f"the password is too short: use at least {MIN_PASSWORD_BYTES} characters")
    if size > MAX_PASSWORD_BYTES:
        raise BadInput(
            f"the password is too long: at most {MAX_PASSWORD_BYTES:,} bytes (UTF-8; most characters are one "
            "byte, accented letters two, emoji four)"
        )


def hash_password(password: str) -> str:
    """The argon2 hash of an already validated password."""
    return pwd_context.hash(password)


def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """Check `password` against `password_hash`: `(ok, new_hash)`; `new_hash` is set when the stored hash
    uses outdated parameters and should be replaced. Never raises for a malformed hash (answers False)."""
    try:
        return pwd_context.verify_and_update(password, password_hash)
    except (ValueError, TypeError):
        return False, None


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # A hash with the live parameters, made once per process, so that verifying against it costs what a
    # real verification costs (B30).
    return hash_password(secrets.token_urlsafe(24))


def register(*, session: Session, email: str, password: str) -> User:
    """Create an account and return it (flushed, so `id` is set).

    Raises `BadInput` for an invalid email or password and `RegistrationRefused` (a `BadInput` with a
    message that does not reveal whether the account exists) for an email that is already registered;
    after that error the session must be rolled back (`session_scope` does).
    """
    email = normalize_email(email)
    validate_password(password)
    # Hash first: a refused duplicate then costs as much time as a successful registration.
    password_hash = hash_password(password)
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise RegistrationRefused()
    user = User(email=email, password_hash=password_hash)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        # Lost a race with a concurrent registration of the same email. No savepoint here: SQLite's driver
        # cannot nest one in a transaction reliably; the caller's `session_scope` rolls back on the raise.
        raise RegistrationRefused() from None
    return user


def create_user(*, session: Session, email: str, password: str, is_admin: bool = False) -> User:
    """Create an account for an operator (`jobwatch users create`); unlike `register` it says plainly
    when the email is taken. Raises `BadInput`."""
    email = normalize_email(email)
    validate_password(password)
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise BadInput(f"a user with the email {email} already exists")
    user = User(email=email, password_hash=hash_password(password), is_admin=is_admin)
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The user whose email and password these are, or None. Never raises for malformed input.

    Runs one argon2 verification on every path (a dummy hash for an unknown or malformed email, B30). A
    password longer than `MAX_PASSWORD_BYTES` cannot belong to any account; it is answered None after the
    same single verification (of a bounded prefix, so huge input does not cost more work). Upgrades the
    stored hash when its parameters are outdated.
    """
    user, new_hash = _check_credentials(session, email, password)
    if user is not None:
        _store_rehash(session, user, new_hash)
    return user


def _check_credentials(session: Session, email: str, password: str) -> tuple[User | None, str | None]:
    # `authenticate` without writing anything: the user (or None) and a replacement hash when it is due.
    try:
        email = normalize_email(email)
    except BadInput:
        email = ""
    if not isinstance(password, str):
        password = ""
    raw = password.encode("utf-8", "surrogatepass")
    acceptable = MIN_PASSWORD_BYTES <= len(raw) <= MAX_PASSWORD_BYTES
    candidate = password if acceptable else raw[:MAX_PASSWORD_BYTES].decode("utf-8", "ignore")
    user = session.exec(select(User).where(User.email == email)).first() if email else None
    ok, new_hash = verify_password(candidate, user.password_hash if user else _dummy_hash())
    if user is None or not ok or not acceptable:
        return None, None
    return user, new_hash


def _store_rehash(session: Session, user: User, new_hash: str | None) -> None:
    if new_hash is not None:
        user.password_hash = new_hash
        session.add(user)
        session.flush()


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(*, session: Session, user: User) -> str:
    """Start a login session for `user` and return its token (the only copy; the database keeps the
    SHA-256). It expires after `settings.session_hours`."""
    if user.id is None:
        raise ValueError("the user must be saved before a session can be created")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(hours=get_settings().session_hours),
            last_seen_at=now,
        )
    )
    session.flush()
    return token


def _looks_like_token(token: object) -> bool:
    # token_urlsafe(32) gives 43 characters; anything far off is not ours and needs no query.
    return isinstance(token, str) and 20 <= len(token) <= 200


def user_for_token(*, session: Session, token: str | None) -> User | None:
    """The user of a live session (not expired, not revoked), or None for any other token.

    The lookup is by the token's SHA-256 (an indexed equality on a hash, so response time does not depend
    on how much of a guessed token is right). Refreshes `last_seen_at` at most every few minutes.
    """
    if not _looks_like_token(token):
        return None
    assert isinstance(token, str)
    row = session.exec(select(UserSession).where(UserSession.token_hash == hash_token(token))).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None:
        return None
    if row.last_seen_at is None or now - row.last_seen_at > LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
        session.add(row)
        session.flush()
    return user


def revoke_session(*, session: Session, token: str | None) -> bool:
    """End the session of `token` (log out). True when a live session was revoked."""
    if not _looks_like_token(token):
        return False
    assert isinstance(token, str)
    row = session.exec(select(UserSession).where(UserSession.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.add(row)
    session.flush()
    return True


def revoke_all_sessions(*, session: Session, user_id: int) -> int:
    """End every live session of a user (after a password change, say). Returns how many were revoked."""
    result = session.exec(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)


def set_password(*, session: Session, email: str, password: str) -> User:
    """Give an existing user a new password (an operator's reset) and end all their sessions.

    Raises `BadInput` for an invalid password or when no user has that email (operators may know that).
    """
    validate_password(password)
    user = session.exec(select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        raise BadInput(f"no user with the email {normalize_email(email)}")
    user.password_hash = hash_password(password)
    session.add(user)
    revoke_all_sessions(session=session, user_id=user.id or 0)
    session.flush()
    return user


# --- login with throttling -------------------------------------------------------------------------------


def _throttle_key(email: str) -> str:
    # The same key for "Ada@x.test" and " ada@x.test", and a key for input that is not an email at all (it
    # is throttled like any other), so throttling never depends on whether an account exists.
    try:
        return normalize_email(email)
    except BadInput:
        return (email or "").strip().lower()[:MAX_EMAIL_LENGTH]


def login(
    *, session: Session, email: str, password: str, address: str, store: throttle.ThrottleStore | None = None
) -> str | None:
    """Log in: a new session token, or None for any wrong or malformed credentials.

    Counts the attempt per account (the email as typed) and per client `address` first, and raises
    `throttle.Throttled` (its message says how long to wait, the same for every email) when either is over
    its limit. A success clears the account's failures and does not count against the address.
    """
    ticket = throttle.acquire(
        [(throttle.LOGIN_ACCOUNT, _throttle_key(email)), (throttle.LOGIN_ADDRESS, address)],
        store=store,
        what="failed log-in attempts",
    )
    user, new_hash = _check_credentials(session, email, password)
    if user is None:
        return None
    # Throttle bookkeeping before this session writes (on SQLite the store's commit would wait for it).
    throttle.clear(throttle.LOGIN_ACCOUNT, _throttle_key(email), store=ticket.store)
    ticket.forgive(throttle.LOGIN_ADDRESS)
    _store_rehash(session, user, new_hash)
    return create_session(session=session, user=user)


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise BadInput("this account no longer exists")
    return user


class WrongPassword(BadInput):
    """The password given to confirm a change is not the account's."""

    def __init__(self) -> None:
        super().__init__("that is not your current password")


def reauthenticate(
    *, session: Session, user_id: int, password: str, store: throttle.ThrottleStore | None = None
) -> User:
    """The user, after checking that `password` is theirs (before a sensitive change).

    Raises `WrongPassword`, or `throttle.Throttled` when the account has too many failures (this check and
    the login form share that limit, so the settings page is no way around it).
    """
    user = _user(session, user_id)
    key = user.email
    ticket = throttle.acquire([(throttle.LOGIN_ACCOUNT, key)], store=store, what="wrong passwords")
    raw = password.encode("utf-8", "surrogatepass") if isinstance(password, str) else b""
    ok = len(raw) <= MAX_PASSWORD_BYTES and verify_password(password, user.password_hash)[0]
    if not ok:
        raise WrongPassword()
    ticket.forgive_all()
    throttle.clear(throttle.LOGIN_ACCOUNT, key, store=ticket.store)
    return user


def revoke_other_sessions(*, session: Session, user_id: int, keep_token: str | None) -> int:
    """End every live session of the user except the one of `keep_token`. Returns how many were revoked."""
    keep = hash_token(keep_token) if _looks_like_token(keep_token) and keep_token else ""
    result = session.exec(
        update(UserSession)
        .where(
            col(UserSession.user_id) == user_id,
            col(UserSession.revoked_at).is_(None),
            col(UserSession.token_hash) != keep,
        )
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)


# --- single-use tokens for account mail --------------------------------------------------------------------

PURPOSE_VERIFY = "verify_email"
PURPOSE_CHANGE_EMAIL = "change_email"
PURPOSE_RESET = "reset_password"
#: How long each kind of link works.
TOKEN_LIFETIMES = {
    PURPOSE_VERIFY: timedelta(hours=48),
    PURPOSE_CHANGE_EMAIL: timedelta(hours=24),
    PURPOSE_RESET: timedelta(minutes=30),
}
INVALID_LINK = "this link is not valid any more: it was used already, replaced by a newer one, or it expired"


def issue_token(*, session: Session, user: User, purpose: str, email: str | None = None) -> str:
    """A new single-use token for `purpose` (one of `TOKEN_LIFETIMES`), mailed to `email` (default: the
    user's). Returns the token (the only copy; the database keeps its SHA-256). Earlier unused tokens of the
    same user and purpose stop working, so only the newest link does."""
    if purpose not in TOKEN_LIFETIMES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    if user.id is None:
        raise ValueError("the user must be saved before a token can be issued")
    now = utcnow()
    session.exec(
        update(AuthToken)
        .where(col(AuthToken.user_id) == user.id, col(AuthToken.purpose) == purpose, col(AuthToken.used_at).is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + TOKEN_LIFETIMES[purpose],
            email=email or user.email,
        )
    )
    session.flush()
    return token


def _token_row(session: Session, token: str | None, purposes: tuple[str, ...]) -> AuthToken | None:
    if not _looks_like_token(token):
        return None
    assert isinstance(token, str)
    row = session.exec(select(AuthToken).where(AuthToken.token_hash == hash_token(token))).first()
    if row is None or row.purpose not in purposes:
        return None
    return row


def _live(row: AuthToken | None) -> bool:
    return row is not None and row.used_at is None and row.expires_at > utcnow()


def _use(session: Session, row: AuthToken) -> bool:
    # Atomic: of two concurrent uses of one token, only one UPDATE matches a row.
    result = session.exec(
        update(AuthToken).where(col(AuthToken.id) == row.id, col(AuthToken.used_at).is_(None)).values(used_at=utcnow())
    )
    return int(result.rowcount or 0) == 1


def reset_token_is_valid(*, session: Session, token: str | None) -> bool:
    """Whether a password-reset token would work now (the reset page asks before showing its form).

    Only looks: opening the link (mail scanners fetch links too) never uses the token up (field case B14)."""
    return _live(_token_row(session, token, (PURPOSE_RESET,)))


def reset_password(*, session: Session, token: str | None, password: str) -> User:
    """Set a new password with a reset token; the token is used up and every session of the user ends.

    The new password is checked first (a refused password leaves the link usable). Confirms the email
    address too when the link went to the user's current address (it reached them). Raises `BadInput`
    (password rules, or `INVALID_LINK` for an unknown, used, replaced or expired token)."""
    validate_password(password)
    row = _token_row(session, token, (PURPOSE_RESET,))
    if row is None or not _live(row) or not _use(session, row):
        raise BadInput(INVALID_LINK)
    user = _user(session, row.user_id)
    user.password_hash = hash_password(password)
    if row.email == user.email and user.email_verified_at is None:
        user.email_verified_at = utcnow()
    session.add(user)
    revoke_all_sessions(session=session, user_id=row.user_id)
    session.flush()
    return user


@dataclass(frozen=True, slots=True)
class EmailConfirmation:
    """The outcome of a verification link: the user, the address confirmed, and the address it replaced
    (`previous_email`, set only when the link completed an email change)."""

    user: User
    email: str
    previous_email: str | None = None
    already: bool = False


def confirm_email(*, session: Session, token: str | None) -> EmailConfirmation:
    """Use a verification or email-change token: the address it was sent to becomes the user's, confirmed.

    Opening the link twice (a second tab, a mail scanner that ran first) answers the same success with
    `already=True` while that address is still the user's confirmed one. Raises `BadInput(INVALID_LINK)`
    for an unknown, replaced or expired token, and also when the new address was taken by another
    account meanwhile (without saying so)."""
    row = _token_row(session, token, (PURPOSE_VERIFY, PURPOSE_CHANGE_EMAIL))
    if row is None or row.email is None:
        raise BadInput(INVALID_LINK)
    user = _user(session, row.user_id)
    if row.used_at is not None:
        if user.email == row.email and user.email_verified_at is not None and row.expires_at > utcnow():
            return EmailConfirmation(user=user, email=user.email, already=True)
        raise BadInput(INVALID_LINK)
    if row.expires_at <= utcnow():
        raise BadInput(INVALID_LINK)
    if row.purpose == PURPOSE_VERIFY and row.email != user.email:
        raise BadInput(INVALID_LINK)  # the account changed its email since: that link proves nothing now
    taken = session.exec(select(User.id).where(User.email == row.email, col(User.id) != user.id)).first()
    if taken is not None or not _use(session, row):
        raise BadInput(INVALID_LINK)
    previous = user.email if user.email != row.email else None
    user.email = row.email
    user.email_verified_at = utcnow()
    session.add(user)
    session.flush()
    return EmailConfirmation(user=user, email=user.email, previous_email=previous)


# --- settings ------------------------------------------------------------------------------------------

MAX_DISPLAY_NAME = 100
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: The longest pause, counted from today.
MAX_PAUSE = timedelta(days=366)


@lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    """Every IANA time zone name the system knows, sorted (`UTC` included)."""
    return tuple(sorted(zoneinfo.available_timezones() | {"UTC"}))


@dataclass(frozen=True, slots=True)
class Profile:
    """A user's settings as the settings page shows them (no hash, no tokens).

    `notifications_paused_until` is the local date notifications resume on, or None.
    """

    email: str
    email_verified: bool
    display_name: str
    timezone: str
    digest_hour: int
    weekly_day: int
    notifications_paused_until: date | None
    pending_email: str | None
    is_admin: bool


def profile(*, session: Session, user_id: int) -> Profile:
    """The user's settings. Raises `BadInput` when the account is gone."""
    user = _user(session, user_id)
    now = utcnow()
    paused = None
    if user.notifications_paused_until is not None and user.notifications_paused_until > now:
        paused = user.notifications_paused_until.astimezone(_zone(user.timezone)).date()
    pending = session.exec(
        select(AuthToken.email)
        .where(
            AuthToken.user_id == user_id,
            AuthToken.purpose == PURPOSE_CHANGE_EMAIL,
            col(AuthToken.used_at).is_(None),
            col(AuthToken.expires_at) > now,
        )
        .order_by(col(AuthToken.created_at).desc())
    ).first()
    return Profile(
        email=user.email,
        email_verified=user.email_verified_at is not None,
        display_name=user.display_name or "",
        timezone=user.timezone,
        digest_hour=user.digest_hour,
        weekly_day=user.weekly_day,
        notifications_paused_until=paused,
        pending_email=pending,
        is_admin=user.is_admin,
    )


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def update_profile(
    *, session: Session, user_id: int, display_name: str, timezone: str, digest_hour: int, weekly_day: int
) -> User:
    """Save the display name (trimmed; empty clears it; at most 100 characters, no control characters),
    the IANA `timezone`, `digest_hour` (0-23) and `weekly_day` (0 = Monday). Raises `BadInput`."""
    name = (display_name or "").strip()
    if len(name) > MAX_DISPLAY_NAME:
        raise BadInput(f"the display name is too long: at most {MAX_DISPLAY_NAME} characters")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise BadInput("the display name cannot contain control characters")
    if timezone not in timezones():
        raise BadInput("choose a time zone from the list")
    if not isinstance(digest_hour, int) or not 0 <= digest_hour <= 23:
        raise BadInput("choose an hour between 0 and 23")
    if not isinstance(weekly_day, int) or not 0 <= weekly_day <= 6:
        raise BadInput("choose a day of the week")
    user = _user(session, user_id)
    user.display_name = name or None
    user.timezone = timezone
    user.digest_hour = digest_hour
    user.weekly_day = weekly_day
    session.add(user)
    session.flush()
    return user


def pause_notifications(*, session: Session, user_id: int, until: date | None) -> User:
    """Pause every notification email until the start of the local day `until` (the user's time zone);
    None resumes them now. Raises `BadInput` unless `until` is after today and at most a year ahead."""
    user = _user(session, user_id)
    if until is None:
        user.notifications_paused_until = None
    else:
        zone = _zone(user.timezone)
        today = utcnow().astimezone(zone).date()
        if until <= today:
            raise BadInput("choose a date after today")
        if until > today + MAX_PAUSE:
            raise BadInput("notifications can be paused for at most a year")
        user.notifications_paused_until = datetime.combine(until, time.min, tzinfo=zone).astimezone(UTC)
    session.add(user)
    session.flush()
    return user


def change_password(
    *,
    session: Session,
    user_id: int,
    current_password: str,
    new_password: str,
    keep_token: str | None,
    store: throttle.ThrottleStore | None = None,
) -> User:
    """Give the user a new password after checking the current one; every other session ends (the one of
    `keep_token`, the browser that made the change, stays). Raises `BadInput` (`WrongPassword`, password
    rules, the same password again) or `throttle.Throttled`."""
    validate_password(new_password)
    user = reauthenticate(session=session, user_id=user_id, password=current_password, store=store)
    if verify_password(new_password, user.password_hash)[0]:
        raise BadInput("the new password is the same as the current one")
    user.password_hash = hash_password(new_password)
    session.add(user)
    revoke_other_sessions(session=session, user_id=user_id, keep_token=keep_token)
    session.flush()
    return user


def start_email_change(
    *,
    session: Session,
    user_id: int,
    new_email: str,
    password: str,
    store: throttle.ThrottleStore | None = None,
) -> tuple[User, str, str | None]:
    """Check the password and the new address; returns `(user, normalized new email, token)`.

    The token (to be mailed to the new address) is None when another account already uses that address:
    the caller answers exactly as when it is free, so the form does not tell who has an account. The
    user's email stays as it is until the link is opened. Raises `BadInput` or `throttle.Throttled`."""
    email = normalize_email(new_email)
    user = reauthenticate(session=session, user_id=user_id, password=password, store=store)
    if email == user.email:
        raise BadInput("that is already your email address")
    taken = session.exec(select(User.id).where(User.email == email)).first() is not None
    token = None if taken else issue_token(session=session, user=user, purpose=PURPOSE_CHANGE_EMAIL, email=email)
    return user, email, token


def delete_account(
    *, session: Session, user_id: int, password: str, store: throttle.ThrottleStore | None = None
) -> str:
    """Delete the account and everything of it (alerts, inbox, digests, sessions, tokens by cascade, and
    the local outbox's messages to its address) after checking the password. Returns the deleted email.
    Raises `WrongPassword`, `throttle.Throttled` or `BadInput`."""
    user = reauthenticate(session=session, user_id=user_id, password=password, store=store)
    email = user.email
    session.exec(delete(OutboxMessage).where(col(OutboxMessage.to_email) == email))
    session.exec(delete(User).where(col(User.id) == user_id))
    session.expunge(user)
    session.flush()
    return email


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def export_data(*, session: Session, user_id: int) -> dict[str, Any]:
    """Everything jobwatch keeps about the user, as JSON-ready data (no password hash, no token hashes):
    `account`, `alerts`, `notifications` (with each posting's title, company and link), `job_interactions`,
    `digests`, `sessions` (times only), `emails` (account and digest mail in the local outbox).
    Raises `BadInput` when the account is gone."""
    user = _user(session, user_id)
    alerts = session.exec(select(JobAlert).where(JobAlert.user_id == user_id).order_by(col(JobAlert.id))).all()
    notes = session.exec(
        select(Notification, JobPosting)
        .join(JobPosting, col(JobPosting.id) == Notification.posting_id)
        .where(Notification.user_id == user_id)
        .order_by(col(Notification.id))
    ).all()
    interactions = session.exec(
        select(UserJobInteraction, JobPosting)
        .join(JobPosting, col(JobPosting.id) == UserJobInteraction.posting_id)
        .where(UserJobInteraction.user_id == user_id)
        .order_by(col(UserJobInteraction.id))
    ).all()
    digests = session.exec(select(Digest).where(Digest.user_id == user_id).order_by(col(Digest.id))).all()
    sessions = session.exec(
        select(UserSession).where(UserSession.user_id == user_id).order_by(col(UserSession.id))
    ).all()
    emails = session.exec(
        select(OutboxMessage).where(OutboxMessage.to_email == user.email).order_by(col(OutboxMessage.id))
    ).all()

    def posting(p: JobPosting) -> dict[str, Any]:
        return {"id": p.id, "title": p.title, "company": p.company, "url": p.url, "source": p.source}

    return {
        "format": "jobwatch-export-1",
        "exported_at": utcnow().isoformat(),
        "account": {
            "email": user.email,
            "email_verified_at": _iso(user.email_verified_at),
            "display_name": user.display_name,
            "timezone": user.timezone,
            "digest_hour": user.digest_hour,
            "weekly_day": user.weekly_day,
            "is_admin": user.is_admin,
            "notifications_paused_until": _iso(user.notifications_paused_until),
            "email_suppressed_at": _iso(user.email_suppressed_at),
            "created_at": _iso(user.created_at),
        },
        "alerts": [
            {
                "id": a.id,
                "name": a.name,
                "filters": a.filters,
                "frequency": a.frequency,
                "channels": a.channels,
                "is_active": a.is_active,
                "created_at": _iso(a.created_at),
                "updated_at": _iso(a.updated_at),
                "last_notified_at": _iso(a.last_notified_at),
            }
            for a in alerts
        ],
        "notifications": [
            {
                "posting": posting(p),
                "alert_ids": n.alert_ids,
                "created_at": _iso(n.created_at),
                "read_at": _iso(n.read_at),
                "email_status": n.email_status,
            }
            for n, p in notes
        ],
        "job_interactions": [
            {
                "posting": posting(p),
                "saved_at": _iso(i.saved_at),
                "applied_at": _iso(i.applied_at),
                "hidden_at": _iso(i.hidden_at),
                "viewed_at": _iso(i.viewed_at),
            }
            for i, p in interactions
        ],
        "digests": [
            {
                "subject": d.subject,
                "to_email": d.to_email,
                "posting_count": d.posting_count,
                "status": d.status,
                "created_at": _iso(d.created_at),
                "sent_at": _iso(d.sent_at),
            }
            for d in digests
        ],
        "sessions": [
            {
                "created_at": _iso(s.created_at),
                "expires_at": _iso(s.expires_at),
                "last_seen_at": _iso(s.last_seen_at),
                "revoked_at": _iso(s.revoked_at),
            }
            for s in sessions
        ],
        "emails": [
            {"subject": m.subject, "kind": m.kind, "created_at": _iso(m.created_at), "text": m.text} for m in emails
        ],
    }


# --- operators -----------------------------------------------------------------------------------------


def set_admin(*, session: Session, email: str, is_admin: bool) -> User:
    """Give or take the operator role (`jobwatch users admin`). Raises `BadInput` for an unknown email."""
    user = session.exec(select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        raise BadInput(f"no user with the email {normalize_email(email)}")
    user.is_admin = is_admin
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True, slots=True)
class UserSummary:
    """One account as operators list it."""

    id: int
    email: str
    is_admin: bool
    email_verified: bool
    created_at: datetime


def list_users(*, session: Session) -> list[UserSummary]:
    """Every account, oldest first (for `jobwatch users list`)."""
    rows = session.exec(select(User).order_by(col(User.id))).all()
    return [
        UserSummary(
            id=u.id or 0,
            email=u.email,
            is_admin=u.is_admin,
            email_verified=u.email_verified_at is not None,
            created_at=u.created_at,
        )
        for u in rows
    ]
