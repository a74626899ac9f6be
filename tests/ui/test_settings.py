"""The settings page and the signed-out account pages, driven through their Reflex handlers without a browser.

Every settings handler re-checks the session and changes nothing without one (B24, B26); what the page
shows is the user's own data and never a hash or a token; the forgot-password page answers the same for any
address (B30); reset and verification links work once; login throttling answers with a wait.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import jobwatch.jobwatch  # noqa: F401  (registers the app and every page state)
from jobwatch.models import AuthToken, JobAlert, OutboxMessage, User, UserSession, utcnow
from jobwatch.services import account_mail, accounts, throttle
from jobwatch.ui import routes
from jobwatch.ui.state.account import (
    RESET_SENT,
    ForgotPasswordState,
    LoginState,
    ResetPasswordState,
    VerifyEmailState,
)
from jobwatch.ui.state.auth import AuthState
from jobwatch.ui.state.settings import DELETE_CONFIRMATION, SettingsState
from tests.factories import make_alert
from tests.ui.test_auth_state import PASSWORD, Tab, _redirects_to_login, _sign_up


def _at(tab: Tab, path: str, ip: str = "") -> Tab:
    """Put the tab on `path` (with its query), as the browser's router data would."""
    tab.root.router = RouterData.from_router_data(
        {"headers": {"origin": "http://jobwatch.test"}, "asPath": path, "pathname": path.split("?")[0], "ip": ip}
    )
    return tab


def _without_router(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_router(v) for k, v in value.items() if "router" not in k}
    return value


def _settings(token: str) -> tuple[Tab, SettingsState]:
    tab = Tab(token)
    state = tab.state(SettingsState)
    assert SettingsState.load.fn(state) is None
    return tab, state


def _outbox(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as s:
        return list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())  # type: ignore[arg-type]


def _token_in(message: OutboxMessage, path: str) -> str:
    match = re.search(rf"{path}\?token=([A-Za-z0-9_%-]+)", message.text)
    assert match, message.text
    return unquote(match.group(1))


# --- no session, no change -------------------------------------------------------------------------------

HANDLERS: list[tuple[str, tuple[Any, ...]]] = [
    ("load", ()),
    ("save_profile", ({"display_name": "Mallory", "timezone": "UTC", "digest_hour": "3", "weekly_day": "2"},)),
    ("pause", ({"paused_until": "2099-01-01"},)),
    ("resume", ()),
    ("change_email", ({"new_email": "mallory@example.test", "email_password": PASSWORD},)),
    ("resend_verification", ()),
    ("change_password", ({"current_password": PASSWORD, "new_password": "mallory's password"},)),
    ("logout_everywhere", ()),
    ("export_data", ()),
    ("open_delete", ()),
    ("cancel_delete", ()),
    ("delete_account", ({"confirm": DELETE_CONFIRMATION, "delete_password": PASSWORD},)),
]


@pytest.mark.parametrize(("handler", "args"), HANDLERS)
@pytest.mark.parametrize("token", ["", "forged-token-that-was-never-issued-000000", "REVOKED"])
def test_settings_handlers_without_a_session_change_and_reveal_nothing(
    db: Engine, handler: str, args: tuple[Any, ...], token: str
) -> None:
    """B26: a crafted event with no, a forged or a revoked session is refused and changes nothing."""
    user_id, real_token = _sign_up(db, "victim@example.test")
    if token == "REVOKED":
        token = real_token
        with Session(db) as s:
            accounts.revoke_session(session=s, token=real_token)
            s.commit()
    with Session(db) as s:
        before = s.get(User, user_id)
        assert before is not None
        snapshot = before.model_dump()
        sessions = [r.model_dump() for r in s.exec(select(UserSession)).all()]
    tab = Tab(token)
    result = getattr(SettingsState, handler).fn(tab.state(SettingsState), *args)
    account_mail.wait_for_background()

    assert _redirects_to_login(result)
    with Session(db) as s:
        after = s.get(User, user_id)
        assert after is not None and after.model_dump() == snapshot
        assert [r.model_dump() for r in s.exec(select(UserSession)).all()] == sessions
        assert s.exec(select(AuthToken)).all() == []
    assert _outbox(db) == []
    synced = tab.synced_json()
    assert "victim@" not in synced
    assert tab.auth.signed_in is False


# --- the page's own data -----------------------------------------------------------------------------------


def test_settings_show_only_the_users_own_data_and_no_secrets(db: Engine) -> None:
    user_id, token = _sign_up(db, "ada@example.test")
    _sign_up(db, "bob@example.test")
    with Session(db) as s:
        ada = s.get(User, user_id)
        assert ada is not None
        reset = accounts.issue_token(session=s, user=ada, purpose=accounts.PURPOSE_RESET)
        s.commit()
        password_hash = ada.password_hash
    tab, state = _settings(token)
    assert state.loaded and state.email == "ada@example.test" and state.timezone == "UTC"
    assert state.digest_hour == "8" and state.weekly_day == "0" and not state.email_verified
    synced = tab.synced_json()
    assert "bob@" not in synced
    for secret in (password_hash, accounts.hash_token(token), reset, accounts.hash_token(reset), PASSWORD):
        assert secret not in synced


def test_save_profile_and_its_errors(db: Engine) -> None:
    user_id, token = _sign_up(db, "ada@example.test")
    _, state = _settings(token)
    key = state.form_key
    form = {"display_name": " Ada L. ", "timezone": "Europe/Berlin", "digest_hour": "6", "weekly_day": "4"}
    SettingsState.save_profile.fn(state, form)
    assert state.profile_notice == "Saved." and state.profile_error == ""
    assert (state.display_name, state.timezone, state.digest_hour, state.weekly_day) == (
        "Ada L.",
        "Europe/Berlin",
        "6",
        "4",
    )
    assert state.form_key > key  # the forms start again from the stored values
    with Session(db) as s:
        user = s.get(User, user_id)
        assert user is not None
        assert (user.display_name, user.timezone, user.digest_hour, user.weekly_day) == (
            "Ada L.",
            "Europe/Berlin",
            6,
            4,
        )
    SettingsState.save_profile.fn(state, {**form, "timezone": "Nowhere/Else"})
    assert state.profile_error == "Choose a time zone from the list." and state.profile_notice == ""
    SettingsState.save_profile.fn(state, {**form, "digest_hour": "noon"})
    assert state.profile_error == "Choose an hour."


def test_pause_and_resume(db: Engine) -> None:
    user_id, token = _sign_up(db, "ada@example.test")
    _, state = _settings(token)
    until = (utcnow() + timedelta(days=14)).date()
    SettingsState.pause.fn(state, {"paused_until": until.isoformat()})
    assert state.pause_error == "" and state.paused_until == until.isoformat()
    assert state.pause_notice.startswith("Notification emails are paused until ")
    with Session(db) as s:
        user = s.get(User, user_id)
        assert user is not None and user.notifications_paused_until is not None
    SettingsState.pause.fn(state, {"paused_until": "yesterday"})
    assert state.pause_error == "Choose the date notifications should start again."
    SettingsState.pause.fn(state, {"paused_until": "2000-01-01"})
    assert state.pause_error == "Choose a date after today."
    SettingsState.resume.fn(state)
    assert state.paused_until == "" and state.pause_notice == "Notification emails are on again."


def test_change_email_through_the_link_and_resend_verification(db: Engine) -> None:
    _, token = _sign_up(db, "ada@example.test")
    _, state = _settings(token)
    SettingsState.change_email.fn(state, {"new_email": "ada@new.test", "email_password": "wrong password"})
    assert state.email_error == "That is not your current password."
    SettingsState.change_email.fn(state, {"new_email": "ada@new.test", "email_password": PASSWORD})
    assert state.email_error == "" and "We sent a link to ada@new.test" in state.email_notice
    assert state.pending_email == "ada@new.test" and state.email == "ada@example.test"
    (confirm,) = _outbox(db)
    assert confirm.to_email == "ada@new.test"

    verify = _at(Tab(), f"{routes.VERIFY_EMAIL}?token={quote(_token_in(confirm, '/verify-email'))}")
    VerifyEmailState.load.fn(verify.state(VerifyEmailState))
    page = verify.state(VerifyEmailState)
    assert page.checked and page.confirmed and page.message == "Your email address is now ada@new.test."
    assert verify.auth.signed_in is False  # the link signs nobody in
    assert [m.to_email for m in _outbox(db)][-1] == "ada@example.test"  # the notice to the old address

    SettingsState.load.fn(state)
    assert state.email == "ada@new.test" and state.email_verified and state.pending_email == ""
    SettingsState.resend_verification.fn(state)  # already confirmed: nothing is sent
    assert len(_outbox(db)) == 2


def test_change_password_keeps_this_tab_and_ends_the_others(db: Engine) -> None:
    user_id, token = _sign_up(db, "ada@example.test")
    with Session(db) as s:
        user = s.get(User, user_id)
        assert user is not None
        other_token = accounts.create_session(session=s, user=user)
        s.commit()
    tab, state = _settings(token)
    SettingsState.change_password.fn(state, {"current_password": "nope nope", "new_password": "brand new password"})
    assert state.password_error == "That is not your current password."
    SettingsState.change_password.fn(state, {"current_password": PASSWORD, "new_password": "brand new password"})
    assert state.password_error == "" and state.password_notice.startswith("Your password is changed.")
    assert SettingsState.load.fn(state) is None  # still signed in here
    other = Tab(other_token)
    assert _redirects_to_login(SettingsState.load.fn(other.state(SettingsState)))
    assert [m.subject for m in _outbox(db)] == ["Your jobwatch password was changed"]
    assert "brand new password" not in tab.synced_json()


def test_logout_everywhere(db: Engine) -> None:
    _, token = _sign_up(db, "ada@example.test")
    _, state1 = _settings(token)
    _, state2 = _settings(token)
    result = SettingsState.logout_everywhere.fn(state1)
    assert "drop_session" in repr(result) and "/login?done=everywhere" in repr(result)
    assert _redirects_to_login(SettingsState.save_profile.fn(state2, {"display_name": "x"}))


def test_export_is_a_json_download_of_the_users_data(db: Engine) -> None:
    user_id, token = _sign_up(db, "ada@example.test")
    other_id, _ = _sign_up(db, "bob@example.test")
    with Session(db) as s:
        for uid, name in ((user_id, "Ada's alert"), (other_id, "Bob's alert")):
            u = s.get(User, uid)
            assert u is not None
            make_alert(s, u, {"keywords": ["python"]}, name=name)
        s.commit()
    tab, state = _settings(token)
    event = SettingsState.export_data.fn(state)
    assert isinstance(event, rx.event.EventSpec)
    args = {name._js_expr: value for name, value in event.args}
    url = str(args["url"]._var_value if hasattr(args["url"], "_var_value") else args["url"])
    assert "jobwatch-export-" in str(args["filename"])
    payload = json.loads(base64.b64decode(url.split("base64,", 1)[1].strip('"')))
    assert payload["account"]["email"] == "ada@example.test"
    assert [a["name"] for a in payload["alerts"]] == ["Ada's alert"]
    assert "bob@" not in json.dumps(payload) and "password_hash" not in json.dumps(payload)
    assert "Ada's alert" not in tab.synced_json()  # the file goes to the browser once, not into state


def test_delete_account_needs_the_phrase_and_the_password(db: Engine) -> None:
    user_id, token = _sign_up(db, "ada@example.test")
    with Session(db) as s:
        u = s.get(User, user_id)
        assert u is not None
        make_alert(s, u, {"keywords": ["python"]})
        s.commit()
    tab, state = _settings(token)
    SettingsState.open_delete.fn(state)
    assert state.confirm_delete
    assert SettingsState.delete_account.fn(state, {"confirm": "yes", "delete_password": PASSWORD}) is None
    assert state.delete_error == f'Type "{DELETE_CONFIRMATION}" to confirm.'
    SettingsState.delete_account.fn(state, {"confirm": DELETE_CONFIRMATION, "delete_password": "wrong password"})
    assert state.delete_error == "That is not your current password."
    with Session(db) as s:
        assert s.get(User, user_id) is not None
    result = SettingsState.delete_account.fn(
        state, {"confirm": DELETE_CONFIRMATION.upper(), "delete_password": PASSWORD}
    )
    assert "drop_session" in repr(result) and "/login?done=deleted" in repr(result)
    with Session(db) as s:
        assert s.get(User, user_id) is None
        assert s.exec(select(JobAlert)).all() == [] and s.exec(select(UserSession)).all() == []
    asyncio.run(AuthState.drop_session.fn(tab.auth))
    assert "ada@example.test" not in tab.synced_json()


# --- signed-out pages ------------------------------------------------------------------------------------


def test_forgot_password_answers_the_same_and_mails_only_a_known_address(db: Engine) -> None:
    """B30: the same message for a known and an unknown address; mail only for the known one."""
    _sign_up(db, "known@example.test")
    notices = []
    for email in ("known@example.test", "nobody@example.test"):
        tab = _at(Tab(), routes.FORGOT_PASSWORD, ip="192.0.2.50")
        forgot = tab.state(ForgotPasswordState)
        assert ForgotPasswordState.submit.fn(forgot, {"email": email}) is None
        notices.append((forgot.error, forgot.notice.replace(email, "EMAIL")))
    account_mail.wait_for_background()
    assert notices[0] == notices[1] == ("", RESET_SENT.format(email="EMAIL"))
    assert [(m.to_email, m.subject) for m in _outbox(db)] == [("known@example.test", "Set a new jobwatch password")]

    tab = _at(Tab(), routes.FORGOT_PASSWORD)
    ForgotPasswordState.submit.fn(tab.state(ForgotPasswordState), {"email": "not an email"})
    assert tab.state(ForgotPasswordState).error == "Enter a valid email address."


def test_forgot_password_is_throttled_per_address(db: Engine) -> None:
    for i in range(throttle.RESET_ADDRESS.limit):
        tab = _at(Tab(), routes.FORGOT_PASSWORD, ip="192.0.2.60")
        ForgotPasswordState.submit.fn(tab.state(ForgotPasswordState), {"email": f"n{i}@example.test"})
    tab = _at(Tab(), routes.FORGOT_PASSWORD, ip="192.0.2.60")
    forgot = tab.state(ForgotPasswordState)
    ForgotPasswordState.submit.fn(forgot, {"email": "n@example.test"})
    assert forgot.error.startswith("Too many reset requests; please wait ") and forgot.notice == ""
    account_mail.wait_for_background()


def test_reset_link_sets_the_password_once_and_ends_every_session(db: Engine) -> None:
    _, old_token = _sign_up(db, "ada@example.test")
    with Session(db) as s:
        assert account_mail.request_password_reset(session=s, email="ada@example.test")
        s.commit()
    token = _token_in(_outbox(db)[0], "/reset-password")
    path = f"{routes.RESET_PASSWORD}?token={quote(token)}"

    # Opening the page (twice, as a scanner and then the user would) does not use the link up.
    for _ in range(2):
        tab = _at(Tab(old_token), path)
        ResetPasswordState.load.fn(tab.state(ResetPasswordState))
        assert tab.state(ResetPasswordState).checked and tab.state(ResetPasswordState).link_ok
    page = tab.state(ResetPasswordState)
    assert ResetPasswordState.submit.fn(page, {"password": "short"}) is None
    assert page.error.startswith("The password is too short") and page.link_ok
    result = ResetPasswordState.submit.fn(page, {"password": "brand new password"})
    assert "drop_session" in repr(result) and "/login?done=reset" in repr(result)
    # The token is only in the router's copy of the URL (which the browser has anyway), never in a var.
    assert token not in json.dumps(_without_router(tab.root.dict()), default=str)
    with Session(db) as s:
        assert accounts.user_for_token(session=s, token=old_token) is None
        assert accounts.authenticate(session=s, email="ada@example.test", password="brand new password")

    again = _at(Tab(), path)
    ResetPasswordState.load.fn(again.state(ResetPasswordState))
    assert again.state(ResetPasswordState).link_ok is False
    ResetPasswordState.submit.fn(again.state(ResetPasswordState), {"password": "another new password"})
    assert again.state(ResetPasswordState).error.startswith("This link is not valid any more")

    login = _at(Tab(), f"{routes.LOGIN}?done=reset")
    LoginState.load.fn(login.state(LoginState))
    assert login.state(LoginState).notice.startswith("Your new password is set")


def test_a_bad_verification_link_says_what_to_do(db: Engine) -> None:
    tab = _at(Tab(), f"{routes.VERIFY_EMAIL}?token=nonsense-token-nonsense-token-nonsense")
    VerifyEmailState.load.fn(tab.state(VerifyEmailState))
    page = tab.state(VerifyEmailState)
    assert page.checked and not page.confirmed
    assert page.message.startswith("This link is not valid any more") and "Settings page" in page.message


def test_login_throttle_message_says_how_long_to_wait(db: Engine) -> None:
    _sign_up(db, "ada@example.test")
    for _ in range(throttle.LOGIN_ACCOUNT.limit):
        tab = _at(Tab(), routes.LOGIN, ip="192.0.2.70")
        LoginState.submit.fn(tab.state(LoginState), {"email": "ada@example.test", "password": "wrong password"})
        assert tab.state(LoginState).error == "Invalid email or password."
    tab = _at(Tab(), routes.LOGIN, ip="192.0.2.70")
    login = tab.state(LoginState)
    assert LoginState.submit.fn(login, {"email": "ada@example.test", "password": PASSWORD}) is None
    assert login.error == "Too many failed log-in attempts; please wait 15 minutes and try again."
    assert tab.auth.session_token == ""


def test_email_every_alert_again(db: Engine) -> None:
    user_id, token = _sign_up(db, "ada@example.test")
    with Session(db) as s:
        user = s.get_one(User, user_id)
        muted = make_alert(s, user, {"keywords": ["python"]}, channels=["inbox"])
        make_alert(s, user, {"keywords": ["rust"]})
        s.commit()
        muted_id = muted.id
    state = Tab(token).state(SettingsState)
    SettingsState.resubscribe_all.fn(state)
    assert state.pause_notice == "Digest emails are on again for 1 alert."
    with Session(db) as s:
        assert "email" in s.get_one(JobAlert, muted_id).channels
    SettingsState.resubscribe_all.fn(state)
    assert state.pause_notice == "Digest emails were already on for all your alerts."
    # Without a session nothing changes.
    assert _redirects_to_login(SettingsState.resubscribe_all.fn(Tab("forged").state(SettingsState)))
