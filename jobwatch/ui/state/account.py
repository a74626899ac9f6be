"""States of the signed-out pages: log in, register, forgot password, reset password, verify an email.

Passwords arrive with the form's submit event and are never kept in a var: the forms are uncontrolled, so
the browser's state holds no password, and no error message repeats one. Link tokens (reset, verification)
are read from the page URL on the server at each event and never copied into a var.

No page tells whether an address has an account (field case B30): a failed login always says `LOGIN_FAILED`;
registering always ends with "check your email" (a registered address gets a notice instead of a link, see
`services.account_mail.sign_up`); asking for a reset link always says `RESET_SENT`. Sign-up and reset mail
are written off the request path (`account_mail.run_in_background`), so the answer takes as long either way.
Throttling (`services.throttle`) answers with how long to wait, whatever the address.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.services import account_mail, accounts, throttle
from jobwatch.ui import routes
from jobwatch.ui.state.auth import AuthState

#: The one answer for every failed login (unknown email, wrong password, malformed input): B29, B30.
LOGIN_FAILED = "Invalid email or password."
#: The one answer to "send me a reset link", whether or not the address has an account (B30).
RESET_SENT = (
    "If an account uses {email}, we have sent it a link to set a new password. The link works for 30 minutes; "
    "check your spam folder if it has not arrived in a few minutes."
)
#: What the login page says after `?done=<key>` (the pages that end by sending the user to log in).
LOGIN_NOTICES = {
    "reset": "Your new password is set and every other session has ended. Log in with the new password.",
    "deleted": "Your account and everything in it were deleted.",
    "everywhere": "You are logged out on every device.",
}


def sentence(message: str) -> str:
    """A service message (lower-case, no full stop) as a sentence for the page."""
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def _text(form_data: dict[str, Any], key: str) -> str:
    value = form_data.get(key, "")
    return value if isinstance(value, str) else ""


def client_address(state: rx.State) -> str:
    """The client's IP address as Reflex saw the websocket connection (behind a proxy: set Reflex's
    `trusted_proxy_hops`, or every user shares the proxy's address and its limit)."""
    return state.router.session.client_ip or ""


def link_token(state: rx.State) -> str:
    """The `token` query parameter of the page the event came from (reset and verification links)."""
    return state.router.url.query_parameters.get("token", "")


class LoginState(AuthState):
    """`/login`: checks the credentials (throttled) and starts a server-side session."""

    error: str = ""
    notice: str = ""

    @rx.event
    def load(self):
        """`on_load`: clear the last error, show the notice of `?done=...`; a signed-in user goes to the alerts."""
        self.error = ""
        self.notice = LOGIN_NOTICES.get(self.router.url.query_parameters.get("done", ""), "")
        return AuthState.skip_if_signed_in

    @rx.event
    def submit(self, form_data: dict[str, Any]):
        """Log in with the form's `email` and `password`; on success set the cookie and go to the alerts."""
        email, password = _text(form_data, "email"), _text(form_data, "password")
        self.notice = ""
        try:
            with session_scope() as session:
                token = accounts.login(session=session, email=email, password=password, address=client_address(self))
        except throttle.Throttled as exc:
            self.error = sentence(str(exc))
            return None
        if token is None:
            self.error = LOGIN_FAILED
            return None
        self.error = ""
        self.session_token = token
        return rx.redirect(routes.HOME)


class RegisterState(AuthState):
    """`/register`: checks the form, then mails a verification link (or, for a registered address, a notice
    to its owner) and shows "check your email" either way. Nobody is signed in by registering."""

    error: str = ""
    #: The address the "check your email" message names (what the user typed, normalized); empty: the form.
    sent_to: str = ""

    @rx.event
    def load(self):
        """`on_load`: back to an empty form; a signed-in user goes straight to the alerts page."""
        self.error = ""
        self.sent_to = ""
        return AuthState.skip_if_signed_in

    @rx.event
    def submit(self, form_data: dict[str, Any]):
        """Register with the form's `email` and `password` (rules and messages: `services.accounts`)."""
        email, password = _text(form_data, "email"), _text(form_data, "password")
        try:
            normalized = accounts.normalize_email(email)
            accounts.validate_password(password)
            throttle.acquire([(throttle.SIGNUP_ADDRESS, client_address(self))], what="sign-ups from your network")
        except BadInput as exc:
            self.error = sentence(str(exc))
            return None

        def work(session: Any) -> None:
            account_mail.sign_up(session=session, email=normalized, password=password)

        account_mail.run_in_background(work)
        self.error = ""
        self.sent_to = normalized
        return None

    @rx.event
    def start_over(self):
        """Back to the form (a typo in the address)."""
        self.sent_to = ""
        self.error = ""


class ForgotPasswordState(AuthState):
    """`/forgot-password`: mails a reset link to the address when it has an account; says the same either way."""

    error: str = ""
    notice: str = ""

    @rx.event
    def load(self):
        """`on_load`: an empty form."""
        self.error = ""
        self.notice = ""

    @rx.event
    def submit(self, form_data: dict[str, Any]):
        """Ask for a reset link for the form's `email` (throttled per client address)."""
        try:
            email = accounts.normalize_email(_text(form_data, "email"))
            throttle.acquire([(throttle.RESET_ADDRESS, client_address(self))], what="reset requests")
        except BadInput as exc:
            self.error = sentence(str(exc))
            self.notice = ""
            return None

        def work(session: Any) -> None:
            account_mail.request_password_reset(session=session, email=email)

        account_mail.run_in_background(work)
        self.error = ""
        self.notice = RESET_SENT.format(email=email)
        return None


class ResetPasswordState(AuthState):
    """`/reset-password?token=...`: a new password from a reset link (single use, 30 minutes)."""

    #: False until `load` has looked at the link; then `link_ok` says whether the form is shown.
    checked: bool = False
    link_ok: bool = False
    error: str = ""

    @rx.event
    def load(self):
        """`on_load`: check the link without using it up (mail scanners open links too)."""
        with session_scope() as session:
            self.link_ok = accounts.reset_token_is_valid(session=session, token=link_token(self))
        self.error = ""
        self.checked = True

    @rx.event
    def submit(self, form_data: dict[str, Any]):
        """Set the form's `password` with the link's token; then every session ends and the user logs in."""
        try:
            with session_scope() as session:
                account_mail.reset_password(
                    session=session, token=link_token(self), password=_text(form_data, "password")
                )
        except BadInput as exc:
            self.error = sentence(str(exc))
            if str(exc) == accounts.INVALID_LINK:
                self.link_ok = False
            return None
        return [AuthState.drop_session, rx.redirect(f"{routes.LOGIN}?done=reset", replace=True)]


class VerifyEmailState(AuthState):
    """`/verify-email?token=...`: confirms the address a verification or email-change link was sent to."""

    checked: bool = False
    confirmed: bool = False
    message: str = ""

    @rx.event
    def load(self):
        """`on_load`: use the link; say what happened, and where to go next."""
        try:
            with session_scope() as session:
                result = account_mail.confirm_email(session=session, token=link_token(self))
            self.confirmed = True
            if result.previous_email:
                self.message = f"Your email address is now {result.email}."
            else:
                self.message = f"Thank you: {result.email} is confirmed."
        except BadInput as exc:
            self.confirmed = False
            self.message = sentence(str(exc)) + " Log in and ask for a new link on the Settings page."
        # Whether to offer "Log in" or "Go to your alerts" (the link itself never signs anyone in).
        self._require_user()
        self.checked = True
