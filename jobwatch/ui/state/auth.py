"""The base state of every page: who is signed in, checked against the database on every event.

The browser holds one secret, the session token, in a cookie (`AuthState.session_token`). Nothing derived
from it (its hash, the user's id, another user's data) is ever put in a var that is synced to the browser.
Reflex keeps state per browser tab, so a tab can hold a token that was revoked in another tab; that is why
no handler trusts `signed_in`: every handler that reads or changes user data calls `_require_user()`, which
looks the token up in the database (field cases B24, B26). A handler that finds no live session changes
nothing and answers with `AuthState.drop_session`, which clears this tab's state and goes to the login page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from jobwatch.config import get_settings
from jobwatch.db import session_scope
from jobwatch.services import accounts, inbox
from jobwatch.ui import routes

SESSION_COOKIE = "jobwatch_session"


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The signed-in user as handlers need it (server-side only: never stored in a synced var)."""

    id: int
    email: str
    is_admin: bool


def lookup_user(token: str | None) -> CurrentUser | None:
    """The user of a live session token, or None (one short database session)."""
    if not token:
        return None
    with session_scope() as session:
        user = accounts.user_for_token(session=session, token=token)
        if user is None or user.id is None:
            return None
        return CurrentUser(id=user.id, email=user.email, is_admin=user.is_admin)


def _cookie_secure() -> bool:
    # Browsers drop a `Secure` cookie on plain http, which would make local use impossible.
    return get_settings().app_url.startswith("https://")


class AuthState(rx.State):
    """Signed-in status for the layout, and the session check every page state inherits."""

    #: The session token: the only secret in the browser. SameSite=Lax, Secure when APP_URL is https.
    session_token: str = rx.Cookie(
        "",
        name=SESSION_COOKIE,
        path="/",
        max_age=get_settings().session_hours * 3600,
        same_site="lax",
        secure=_cookie_secure(),
    )
    #: True only after a handler found a live session in the database; pages show data only then.
    signed_in: bool = False
    user_email: str = ""
    is_admin: bool = False
    unread_count: int = 0

    def _require_user(self) -> CurrentUser | None:
        """Re-check the session in the database. Returns the user, or None after marking the tab signed out.

        Callers must change nothing and return `signed_out()` when this returns None.
        """
        user = lookup_user(self.session_token)
        if user is None:
            self.signed_in = False
            return None
        self.signed_in = True
        self.user_email = user.email
        self.is_admin = user.is_admin
        return user

    def _refresh_unread(self, user: CurrentUser) -> None:
        with session_scope() as session:
            self.unread_count = inbox.unread_count(session=session, user_id=user.id)

    @rx.event
    async def drop_session(self) -> Any:
        """Forget everything this tab knew: every page state is reset and the cookie removed (`signed_out()`
        follows this with the redirect to the login page)."""
        auth = self if type(self) is AuthState else await self.get_state(AuthState)
        # Load every page state of the tab first: `reset()` recurses only into loaded substates, and a
        # state left out would keep the last user's data for the next one to log in on this tab.
        pending = list(AuthState.get_substates())
        while pending:
            cls = pending.pop()
            await self.get_state(cls)
            pending.extend(cls.get_substates())
        auth.reset()
        return rx.remove_cookie(SESSION_COOKIE, {"path": "/"})

    @rx.event
    def require_login(self):
        """`on_load` of protected pages with no data of their own: go to the login page without a session."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._refresh_unread(user)
        return None

    @rx.event
    def route_home(self):
        """`on_load` of `/`: the alerts page when signed in, else the login page."""
        user = self._require_user()
        if user is None:
            return [AuthState.drop_session, rx.redirect(routes.LOGIN, replace=True)]
        return rx.redirect(routes.HOME, replace=True)

    @rx.event
    def skip_if_signed_in(self):
        """`on_load` of the login and register pages: a signed-in user goes to the alerts page."""
        if lookup_user(self.session_token) is not None:
            return rx.redirect(routes.HOME, replace=True)
        self.signed_in = False
        return None

    @rx.event
    def logout(self):
        """Revoke the session in the database (every tab loses it), then sign this tab out."""
        token = self.session_token
        if token:
            with session_scope() as session:
                accounts.revoke_session(session=session, token=token)
        return signed_out()


def signed_out() -> list[Any]:
    """The events a handler returns when `_require_user()` found no live session: clear the tab, then go to
    the login page."""
    return [AuthState.drop_session, rx.redirect(routes.LOGIN)]
