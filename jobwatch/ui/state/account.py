"""States of the login and register pages.

Passwords arrive with the form's submit event and are never kept in a var: the forms are uncontrolled, so
the browser's state holds no password, and no error message repeats one.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.services import accounts
from jobwatch.ui import routes
from jobwatch.ui.state.auth import AuthState

#: The one answer for every failed login (unknown email, wrong password, malformed input): B29, B30.
LOGIN_FAILED = "Invalid email or password."


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


class LoginState(AuthState):
    """`/login`: checks the credentials and starts a server-side session."""

    error: str = ""

    @rx.event
    def load(self):
        """`on_load`: clear the last error; a signed-in user goes straight to the alerts page."""
        self.error = ""
        return AuthState.skip_if_signed_in

    @rx.event
    def submit(self, form_data: dict[str, Any]):
        """Log in with the form's `email` and `password`; on success set the cookie and go to the alerts."""
        email, password = _text(form_data, "email"), _text(form_data, "password")
        with session_scope() as session:
            user = accounts.authenticate(session=session, email=email, password=password)
            token = accounts.create_session(session=session, user=user) if user is not None else None
        if token is None:
            self.error = LOGIN_FAILED
            return None
        self.error = ""
        self.session_token = token
        return rx.redirect(routes.HOME)


class RegisterState(AuthState):
    """`/register`: creates the account, signs the new user in, and goes to the alerts page."""

    error: str = ""

    @rx.event
    def load(self):
        """`on_load`: clear the last error; a signed-in user goes straight to the alerts page."""
        self.error = ""
        return AuthState.skip_if_signed_in

    @rx.event
    def submit(self, form_data: dict[str, Any]):
        """Register with the form's `email` and `password` (rules and messages: `services.accounts`)."""
        email, password = _text(form_data, "email"), _text(form_data, "password")
        try:
            with session_scope() as session:
                user = accounts.register(session=session, email=email, password=password)
                token = accounts.create_session(session=session, user=user)
        except BadInput as exc:
            self.error = sentence(str(exc))
            return None
        self.error = ""
        self.session_token = token
        return rx.redirect(routes.HOME)
