"""State of `/settings`: the signed-in user's own account settings.

Every handler re-checks the session first (`_require_user()`, field cases B24, B26) and changes nothing
without one. The vars hold only the user's own, displayable settings: no hash, no token, no other user's
data. Passwords (to confirm a change, or a new one) come with the submitted forms and are never stored.

Changing the email or the password, or deleting the account, asks for the current password (throttled with
the login form, so a left-open browser is no way to guess it). A password change mails a security notice
and ends the user's other sessions; an email change takes effect only once the link mailed to the new
address is opened, and then the old address gets a notice.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import reflex as rx

from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.models import User
from jobwatch.services import account_mail, accounts, unsubscribe
from jobwatch.ui import routes
from jobwatch.ui.state.account import sentence
from jobwatch.ui.state.auth import AuthState, CurrentUser, signed_out

#: What the delete form asks the user to type, besides the password.
DELETE_CONFIRMATION = "delete my account"


def _text(form_data: dict[str, Any], key: str) -> str:
    value = form_data.get(key, "")
    return value if isinstance(value, str) else ""


def _int(form_data: dict[str, Any], key: str, what: str) -> int:
    try:
        return int(_text(form_data, key) or str(form_data.get(key, "")))
    except ValueError:
        raise BadInput(f"choose {what}") from None


class SettingsState(AuthState):
    """`/settings`: profile and digest times, pausing notifications, email, password, sessions, export, deletion."""

    loaded: bool = False
    #: Changes whenever the stored settings are (re)read, so the uncontrolled forms start from them again.
    form_key: int = 0

    display_name: str = ""
    timezone: str = "UTC"
    digest_hour: str = "8"
    weekly_day: str = "0"
    #: The local date notifications resume on (`YYYY-MM-DD`), or empty when they are not paused.
    paused_until: str = ""
    email: str = ""
    email_verified: bool = False
    #: The new address waiting for its confirmation link to be opened, or empty.
    pending_email: str = ""

    profile_notice: str = ""
    profile_error: str = ""
    pause_notice: str = ""
    pause_error: str = ""
    email_notice: str = ""
    email_error: str = ""
    password_notice: str = ""
    password_error: str = ""
    sessions_notice: str = ""
    delete_error: str = ""
    #: The delete form is open (the first click only opens it).
    confirm_delete: bool = False

    def _clear_messages(self) -> None:
        for name in (
            "profile_notice",
            "profile_error",
            "pause_notice",
            "pause_error",
            "email_notice",
            "email_error",
            "password_notice",
            "password_error",
            "sessions_notice",
            "delete_error",
        ):
            setattr(self, name, "")

    def _reload(self, user: CurrentUser) -> None:
        with session_scope() as session:
            p = accounts.profile(session=session, user_id=user.id)
        self.display_name = p.display_name
        self.timezone = p.timezone
        self.digest_hour = str(p.digest_hour)
        self.weekly_day = str(p.weekly_day)
        self.paused_until = p.notifications_paused_until.isoformat() if p.notifications_paused_until else ""
        self.email = p.email
        self.email_verified = p.email_verified
        self.pending_email = p.pending_email or ""
        self.form_key += 1
        self.loaded = True

    @rx.event
    def load(self):
        """`on_load`: check the session, then read the user's settings."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._refresh_unread(user)
        self._clear_messages()
        self.confirm_delete = False
        self._reload(user)
        return None

    @rx.event
    def save_profile(self, form_data: dict[str, Any]):
        """Save `display_name`, `timezone`, `digest_hour` and `weekly_day` from the form."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._clear_messages()
        try:
            with session_scope() as session:
                accounts.update_profile(
                    session=session,
                    user_id=user.id,
                    display_name=_text(form_data, "display_name"),
                    timezone=_text(form_data, "timezone"),
                    digest_hour=_int(form_data, "digest_hour", "an hour"),
                    weekly_day=_int(form_data, "weekly_day", "a day of the week"),
                )
        except BadInput as exc:
            self.profile_error = sentence(str(exc))
            return None
        self._reload(user)
        self.profile_notice = "Saved."
        return None

    @rx.event
    def pause(self, form_data: dict[str, Any]):
        """Pause every notification email until the form's `paused_until` date (local, `YYYY-MM-DD`)."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._clear_messages()
        try:
            try:
                until = date.fromisoformat(_text(form_data, "paused_until").strip())
            except ValueError:
                raise BadInput("choose the date notifications should start again") from None
            with session_scope() as session:
                accounts.pause_notifications(session=session, user_id=user.id, until=until)
        except BadInput as exc:
            self.pause_error = sentence(str(exc))
            return None
        self._reload(user)
        self.pause_notice = f"Notification emails are paused until {until:%A %-d %B %Y}."
        return None

    @rx.event
    def resubscribe_all(self):
        """Turn digest email back on for every alert of the user (after unsubscribing from a digest)."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._clear_messages()
        with session_scope() as session:
            changed = unsubscribe.resubscribe(session=session, user_id=user.id)
        self._reload(user)
        self.pause_notice = (
            f"Digest emails are on again for {changed} alert{'' if changed == 1 else 's'}."
            if changed
            else "Digest emails were already on for all your alerts."
        )
        return None

    @rx.event
    def resume(self):
        """Send notification emails again from now on."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._clear_messages()
        with session_scope() as session:
            accounts.pause_notifications(session=session, user_id=user.id, until=None)
        self._reload(user)
        self.pause_notice = "Notification emails are on again."
        return None

    @rx.event
    def change_email(self, form_data: dict[str, Any]):
        """Mail a confirmation link to the form's `new_email` after checking `email_password`."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._clear_messages()
        try:
            with session_scope() as session:
                new_email = account_mail.start_email_change(
                    session=session,
                    user_id=user.id,
                    new_email=_text(form_data, "new_email"),
                    password=_text(form_data, "email_password"),
                )
        except BadInput as exc:  # throttle.Throttled too
            self.email_error = sentence(str(exc))
            return None
        self._reload(user)
        self.email_notice = (
            f"We sent a link to {new_email}. Open it to confirm the new address; until then jobwatch keeps "
            f"writing to {user.email}."
        )
        return None

    @rx.event
    def resend_verification(self):
        """Mail a new link that confirms the current address (older links stop working)."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._clear_messages()
        with session_scope() as session:
            row = session.get(User, user.id)
            if row is not None and row.email_verified_at is None:
                account_mail.send_verification(session=session, user=row)
        self._reload(user)
        self.email_notice = f"We sent a new confirmation link to {user.email}."
        return None

    @rx.event
    def change_password(self, form_data: dict[str, Any]):
        """Change the password (`current_password`, `new_password`); other sessions end, a notice is mailed."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._clear_messages()
        try:
            with session_scope() as session:
                row = accounts.change_password(
                    session=session,
                    user_id=user.id,
                    current_password=_text(form_data, "current_password"),
                    new_password=_text(form_data, "new_password"),
                    keep_token=self.session_token,
                )
                account_mail.notify_password_changed(session=session, user=row, how="on the Settings page")
        except BadInput as exc:
            self.password_error = sentence(str(exc))
            return None
        self.password_notice = "Your password is changed. Every other device was logged out."
        return None

    @rx.event
    def logout_everywhere(self):
        """End every session of the user, this one included."""
        user = self._require_user()
        if user is None:
            return signed_out()
        with session_scope() as session:
            accounts.revoke_all_sessions(session=session, user_id=user.id)
        return [AuthState.drop_session, rx.redirect(f"{routes.LOGIN}?done=everywhere")]

    @rx.event
    def export_data(self):
        """Download everything jobwatch keeps about the user as a JSON file (sent to this browser only)."""
        user = self._require_user()
        if user is None:
            return signed_out()
        with session_scope() as session:
            data = accounts.export_data(session=session, user_id=user.id)
        filename = f"jobwatch-export-{data['exported_at'][:10]}.json"
        return rx.download(
            data=json.dumps(data, indent=2, ensure_ascii=False), filename=filename, mime_type="application/json"
        )

    @rx.event
    def open_delete(self):
        """Show the delete form (nothing is deleted yet)."""
        if self._require_user() is None:
            return signed_out()
        self._clear_messages()
        self.confirm_delete = True
        return None

    @rx.event
    def cancel_delete(self):
        """Close the delete form."""
        if self._require_user() is None:
            return signed_out()
        self.confirm_delete = False
        self.delete_error = ""
        return None

    @rx.event
    def delete_account(self, form_data: dict[str, Any]):
        """Delete the account and everything in it, once `confirm` reads `DELETE_CONFIRMATION` and the
        `delete_password` is right; then this tab is signed out."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._clear_messages()
        if _text(form_data, "confirm").strip().lower() != DELETE_CONFIRMATION:
            self.delete_error = f'Type "{DELETE_CONFIRMATION}" to confirm.'
            return None
        try:
            with session_scope() as session:
                accounts.delete_account(session=session, user_id=user.id, password=_text(form_data, "delete_password"))
        except BadInput as exc:  # a wrong password, or throttle.Throttled
            self.delete_error = sentence(str(exc))
            return None
        return [AuthState.drop_session, rx.redirect(f"{routes.LOGIN}?done=deleted")]
