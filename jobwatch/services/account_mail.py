"""Account mail: sign-up, address verification, password reset, email change, and security notices.

Every message goes through `make_sender()` with `kind="account"` and no `List-Unsubscribe` header: account
mail is only ever sent because someone acted on the account, so unsubscribing from digests, or pausing
notifications, never stops it (field case B14). Templates are `mail/templates/account_*.html|txt`; the HTML
is autoescaped, so an address or a display name shows as inert text.

No enumeration (field case B30): `sign_up` and `request_password_reset` do the same visible thing whether or
not the address has an account. Signing up with a registered address mails its owner a notice ("you already
have an account") instead of a verification link; a reset for an unknown address sends nothing. The pages
run these through `run_in_background`, so the answer comes back at once and a slow mail service cannot show
in the response time either.

Per recipient, at most `throttle.ACCOUNT_MAIL` messages an hour are sent (the rest are dropped silently), so
the forms cannot be used to flood someone's inbox. A message that the mail service refuses is logged and
dropped: the user can ask again (`SendError` never reaches the page, which must answer the same anyway).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from datetime import timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobwatch.config import get_settings
from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.mail.senders import EmailMessage, Sender, SendError, make_sender
from jobwatch.models import User, utcnow
from jobwatch.services import accounts, throttle

log = logging.getLogger(__name__)

#: Subjects, one per message kind.
SUBJECTS = {
    "verify": "Confirm your email address",
    "exists": "You already have a jobwatch account",
    "reset": "Set a new jobwatch password",
    "change_email": "Confirm your new email address",
    "password_changed": "Your jobwatch password was changed",
    "email_changed": "Your jobwatch email address was changed",
}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("jobwatch", "mail/templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _url(path: str, token: str | None = None) -> str:
    base = get_settings().app_url.rstrip("/")
    return f"{base}{path}" + (f"?token={quote(token, safe='')}" if token else "")


def _lifetime(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{minutes // 60} hours"


def render(kind: str, *, to: str, name: str | None, **context: Any) -> EmailMessage:
    """The message of `kind` (a key of `SUBJECTS`) to `to`: subject, HTML and text from the templates.

    `context` fills the template (`button_url`/`button_label` for the call to action, and the kind's own
    values). Raises `jinja2.UndefinedError` when the template needs a value that is missing."""
    env = _environment()
    values = {"subject": SUBJECTS[kind], "to": to, "name": name, "button_url": None, "button_label": "", **context}
    return EmailMessage(
        to=to,
        from_=get_settings().email_from,
        subject=SUBJECTS[kind],
        html=env.get_template(f"account_{kind}.html").render(values),
        text=env.get_template(f"account_{kind}.txt").render(values),
        kind="account",
    )


def _deliver(
    session: Session,
    message: EmailMessage,
    *,
    sender: Sender | None,
    store: throttle.ThrottleStore | None,
) -> bool:
    # Counted in the caller's transaction (it has written already; see `throttle.DatabaseStore`).
    if not throttle.allow(throttle.ACCOUNT_MAIL, message.to, store=store or throttle.default_store(session)):
        log.warning("account mail to one recipient over the hourly limit; dropped: %s", message.subject)
        return False
    try:
        (sender or make_sender()).send(message, session=session)
    except SendError:
        log.exception("account mail was not accepted: %s", message.subject)
        return False
    return True


def send_verification(
    *, session: Session, user: User, sender: Sender | None = None, store: throttle.ThrottleStore | None = None
) -> bool:
    """Mail the user a link that confirms their current address (a new one; older links stop working).

    Returns whether a message went out (False: over the hourly limit, or refused by the mail service)."""
    token = accounts.issue_token(session=session, user=user, purpose=accounts.PURPOSE_VERIFY)
    message = render(
        "verify",
        to=user.email,
        name=user.display_name,
        button_url=_url("/verify-email", token),
        button_label="Confirm my email address",
        lifetime=_lifetime(accounts.TOKEN_LIFETIMES[accounts.PURPOSE_VERIFY]),
    )
    return _deliver(session, message, sender=sender, store=store)


def sign_up(
    *,
    session: Session,
    email: str,
    password: str,
    sender: Sender | None = None,
    store: throttle.ThrottleStore | None = None,
) -> User | None:
    """Register without telling whether the address was free: returns the new user (mailed a verification
    link), or None when the address already has an account (its owner is mailed a notice instead, after
    the same password hashing, so both paths cost about the same).

    Raises `BadInput` for an invalid email or password (rules that do not depend on who is registered), and
    `accounts.RegistrationRefused` when a concurrent sign-up took the address (roll back then)."""
    normalized = accounts.normalize_email(email)
    accounts.validate_password(password)
    existing = session.exec(select(User).where(User.email == normalized)).first()
    if existing is not None:
        accounts.hash_password(password)  # the cost of the other path; the result is thrown away
        message = render(
            "exists",
            to=existing.email,
            name=existing.display_name,
            login_url=_url("/login"),
            button_url=_url("/forgot-password"),
            button_label="Reset my password",
        )
        _deliver(session, message, sender=sender, store=store)
        return None
    user = accounts.register(session=session, email=normalized, password=password)
    send_verification(session=session, user=user, sender=sender, store=store)
    return user


def request_password_reset(
    *, session: Session, email: str, sender: Sender | None = None, store: throttle.ThrottleStore | None = None
) -> bool:
    """Mail a password-reset link (30 minutes, single use) when `email` has an account; nothing otherwise.

    Returns whether a message went out; the page must not show it (it answers the same either way).
    Never raises `BadInput`: a malformed address has no account."""
    try:
        normalized = accounts.normalize_email(email)
    except BadInput:
        return False
    user = session.exec(select(User).where(User.email == normalized)).first()
    if user is None:
        return False
    token = accounts.issue_token(session=session, user=user, purpose=accounts.PURPOSE_RESET)
    message = render(
        "reset",
        to=user.email,
        name=user.display_name,
        button_url=_url("/reset-password", token),
        button_label="Set a new password",
        lifetime=_lifetime(accounts.TOKEN_LIFETIMES[accounts.PURPOSE_RESET]),
    )
    return _deliver(session, message, sender=sender, store=store)


def start_email_change(
    *,
    session: Session,
    user_id: int,
    new_email: str,
    password: str,
    sender: Sender | None = None,
    store: throttle.ThrottleStore | None = None,
) -> str:
    """Check the password, then mail a confirmation link to the new address; returns that address
    (normalized). The account keeps its email until the link is opened. When another account has the
    address, nothing is sent, and the caller answers the same ("we sent a link to ..."), so the form tells
    nobody who is registered. Raises `BadInput` (`accounts.WrongPassword`, a malformed or unchanged
    address) or `throttle.Throttled`."""
    user, email, token = accounts.start_email_change(
        session=session, user_id=user_id, new_email=new_email, password=password, store=store
    )
    if token is not None:
        message = render(
            "change_email",
            to=email,
            name=user.display_name,
            old_email=user.email,
            button_url=_url("/verify-email", token),
            button_label="Confirm my new address",
            lifetime=_lifetime(accounts.TOKEN_LIFETIMES[accounts.PURPOSE_CHANGE_EMAIL]),
        )
        _deliver(session, message, sender=sender, store=store)
    return email


def _when() -> str:
    return utcnow().strftime("%Y-%m-%d at %H:%M UTC")


def notify_password_changed(
    *,
    session: Session,
    user: User,
    how: str = "",
    sender: Sender | None = None,
    store: throttle.ThrottleStore | None = None,
) -> bool:
    """The security notice after a password change or reset (`how`: "from the settings page", say)."""
    message = render(
        "password_changed",
        to=user.email,
        name=user.display_name,
        when=_when(),
        how=how,
        button_url=_url("/forgot-password"),
        button_label="Reset my password",
    )
    return _deliver(session, message, sender=sender, store=store)


def notify_email_changed(
    *,
    session: Session,
    user: User,
    old_email: str,
    sender: Sender | None = None,
    store: throttle.ThrottleStore | None = None,
) -> bool:
    """The security notice to the *old* address once an email change is confirmed."""
    message = render("email_changed", to=old_email, name=user.display_name, new_email=user.email, when=_when())
    return _deliver(session, message, sender=sender, store=store)


def confirm_email(
    *, session: Session, token: str | None, sender: Sender | None = None, store: throttle.ThrottleStore | None = None
) -> accounts.EmailConfirmation:
    """`accounts.confirm_email`, then the notice to the old address when the link completed a change.
    Raises `BadInput(accounts.INVALID_LINK)`."""
    result = accounts.confirm_email(session=session, token=token)
    if result.previous_email:
        notify_email_changed(
            session=session, user=result.user, old_email=result.previous_email, sender=sender, store=store
        )
    return result


def reset_password(
    *,
    session: Session,
    token: str | None,
    password: str,
    sender: Sender | None = None,
    store: throttle.ThrottleStore | None = None,
) -> User:
    """`accounts.reset_password` (every session ends), then the security notice. Raises `BadInput`."""
    user = accounts.reset_password(session=session, token=token, password=password)
    notify_password_changed(session=session, user=user, how="with a reset link", sender=sender, store=store)
    return user


# --- work off the request path -----------------------------------------------------------------------------

_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="account-mail")
_pending: set[Future[None]] = set()
_pending_lock = threading.Lock()


def run_in_background(work: Callable[[Session], object], *, engine: Engine | None = None) -> Future[None]:
    """Run `work(session)` in a short committed session on a worker thread and return at once.

    Pages use it so that whether an address has an account, or how slow the mail service is, never shows in
    how long the answer takes. Errors are logged (the page has answered already)."""

    def job() -> None:
        try:
            with session_scope(engine) as session:
                work(session)
        except Exception:
            log.exception("account mail work failed")

    future: Future[None] = _executor.submit(job)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_forget)
    return future


def _forget(future: Future[None]) -> None:
    with _pending_lock:
        _pending.discard(future)


def wait_for_background(timeout: float = 30.0) -> None:
    """Wait until the work started by `run_in_background` so far is done (for tests and shutdown)."""
    with _pending_lock:
        pending = list(_pending)
    wait_futures(pending, timeout=timeout)
