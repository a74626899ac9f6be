"""Accounts and login sessions: register, authenticate, server-side sessions, operator-created users.

Passwords are hashed with argon2 through passlib's maintained fork (`libpass`), never bcrypt: bcrypt drops
everything past 72 bytes (field case B29) and passlib 1.7 breaks with bcrypt 4.1+/5 (B28). A password is 8
to `MAX_PASSWORD_BYTES` bytes of UTF-8, counted in bytes so that an emoji counts as what it costs to hash.

Login does exactly one password-hash verification whether or not the email is registered (a dummy hash for
unknown emails), so response times do not tell who has an account (B30); `authenticate` never raises for
odd input (a 100- or 2,000-character password, a malformed email): it answers None like any wrong password.

Registration and enumeration: `register` refuses an already registered email with `RegistrationRefused`,
whose message does not say that the account exists ("could not create an account ... log in or reset your
password"), after hashing the password so both paths cost the same. A sign-up form that logs the new user
straight in cannot hide existence completely (the login that follows either works or not); the message and
equal timing keep it from being a cheap oracle. Once email verification lands, a duplicate registration
should answer "check your email" and mail the owner instead.

Sessions: the browser holds a random token (`secrets.token_urlsafe(32)`); the database holds only its
SHA-256 (`UserSession.token_hash`), so a leaked database does not yield usable sessions. Every request
re-checks the token here (`user_for_token`), so logging out (revocation) takes effect at once everywhere.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from functools import lru_cache

from passlib.context import CryptContext
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from jobwatch.config import get_settings
from jobwatch.errors import BadInput
from jobwatch.models import User, UserSession, utcnow

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
        return None
    if new_hash is not None:
        user.password_hash = new_hash
        session.add(user)
        session.flush()
    return user


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
