"""The signed-out pages: `/login`, `/register`, `/forgot-password`, `/reset-password`, `/verify-email`, and `/`
(which only redirects).

Labels and button names are CONTRACT section 4's: `Email`, `Password`, `Create account`, `Log in`,
`Forgot password?`, `Send reset link`, `New password`, `Set password`. The forms are uncontrolled, so no
password is ever held in a synced var.
"""

from __future__ import annotations

import reflex as rx

from jobwatch.services.accounts import MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES
from jobwatch.ui import routes
from jobwatch.ui.components.forms import error_callout, field, notice_callout
from jobwatch.ui.components.layout import auth_card, loading
from jobwatch.ui.state.account import (
    ForgotPasswordState,
    LoginState,
    RegisterState,
    ResetPasswordState,
    VerifyEmailState,
)

PASSWORD_HINT = f"At least {MIN_PASSWORD_BYTES} characters (up to {MAX_PASSWORD_BYTES:,} bytes)."


def _email_field() -> rx.Component:
    return field("Email", "email", type="email", auto_complete="email", required=True, max_length=254)


def _checking() -> rx.Component:
    return rx.center(rx.spinner(size="3"), padding_y="24px", aria_busy="true")


def _back_to_login() -> rx.Component:
    return rx.link("Back to log in", href=routes.LOGIN, size="2")


def login_page() -> rx.Component:
    """`/login`: email and password, `Log in`, and links to register and to reset a password."""
    return auth_card(
        "Log in",
        notice_callout(LoginState.notice),
        rx.form(
            rx.flex(
                error_callout(LoginState.error),
                _email_field(),
                field("Password", "password", type="password", auto_complete="current-password", required=True),
                rx.button("Log in", type="submit", size="3", width="100%"),
                direction="column",
                spacing="4",
            ),
            on_submit=LoginState.submit,
            reset_on_submit=False,
        ),
        rx.flex(
            rx.link("Forgot password?", href=routes.FORGOT_PASSWORD, size="2"),
            rx.text(
                "New here? ",
                rx.link("Create an account", href=routes.REGISTER),
                size="2",
            ),
            justify="between",
            wrap="wrap",
            spacing="2",
        ),
    )


def _check_your_email() -> rx.Component:
    return rx.flex(
        rx.callout.root(
            rx.callout.icon(rx.icon("mail")),
            rx.callout.text(
                "We sent a message to ",
                rx.text(RegisterState.sent_to, as_="span", weight="bold"),
                ". Open the link in it to confirm your address, then log in.",
            ),
            color_scheme="green",
            role="status",
        ),
        rx.text(
            "Nothing there after a few minutes? Look in your spam folder, or use another address.",
            size="2",
            color_scheme="gray",
        ),
        rx.button(
            "Use another address",
            on_click=RegisterState.start_over,
            variant="soft",
            color_scheme="gray",
            size="2",
            type="button",
        ),
        rx.link(rx.button("Log in", size="3", width="100%", type="button"), href=routes.LOGIN),
        direction="column",
        spacing="4",
    )


def register_page() -> rx.Component:
    """`/register`: email and one password field, `Create account`; then "check your email"."""
    form = rx.form(
        rx.flex(
            error_callout(RegisterState.error),
            _email_field(),
            field(
                "Password",
                "password",
                type="password",
                auto_complete="new-password",
                required=True,
                hint=PASSWORD_HINT,
            ),
            rx.button("Create account", type="submit", size="3", width="100%"),
            direction="column",
            spacing="4",
        ),
        on_submit=RegisterState.submit,
        reset_on_submit=False,
    )
    return auth_card(
        "Create your account",
        rx.cond(
            RegisterState.sent_to != "",
            _check_your_email(),
            rx.flex(
                rx.text(
                    "Get told once about new jobs that fit your alerts, from the company boards you watch.",
                    size="2",
                    color_scheme="gray",
                ),
                form,
                direction="column",
                spacing="4",
            ),
        ),
        rx.text("Already have an account? ", rx.link("Log in", href=routes.LOGIN), size="2"),
    )


def forgot_password_page() -> rx.Component:
    """`/forgot-password`: `Email`, `Send reset link`; the same answer whether or not the address is known."""
    return auth_card(
        "Forgot password?",
        rx.text(
            "Enter the email address of your account and we will send you a link to set a new password.",
            size="2",
            color_scheme="gray",
        ),
        notice_callout(ForgotPasswordState.notice),
        rx.form(
            rx.flex(
                error_callout(ForgotPasswordState.error),
                _email_field(),
                rx.button("Send reset link", type="submit", size="3", width="100%"),
                direction="column",
                spacing="4",
            ),
            on_submit=ForgotPasswordState.submit,
            reset_on_submit=False,
        ),
        _back_to_login(),
    )


def reset_password_page() -> rx.Component:
    """`/reset-password?token=...`: `New password`, `Set password`; or why the link does not work."""
    form = rx.form(
        rx.flex(
            error_callout(ResetPasswordState.error),
            field(
                "New password",
                "password",
                type="password",
                auto_complete="new-password",
                required=True,
                hint=PASSWORD_HINT,
            ),
            rx.button("Set password", type="submit", size="3", width="100%"),
            direction="column",
            spacing="4",
        ),
        on_submit=ResetPasswordState.submit,
        reset_on_submit=False,
    )
    invalid = rx.flex(
        rx.callout(
            "This link does not work any more: it was used already, a newer one was sent, or its 30 minutes "
            "are over. Ask for a new one.",
            icon="triangle_alert",
            color_scheme="amber",
            role="alert",
        ),
        rx.link(rx.button("Send a new link", size="3", width="100%", type="button"), href=routes.FORGOT_PASSWORD),
        direction="column",
        spacing="4",
    )
    return auth_card(
        "Set a new password",
        rx.cond(ResetPasswordState.checked, rx.cond(ResetPasswordState.link_ok, form, invalid), _checking()),
        _back_to_login(),
    )


def verify_email_page() -> rx.Component:
    """`/verify-email?token=...`: confirms the address, then offers the way on."""
    next_step = rx.cond(
        VerifyEmailState.signed_in,
        rx.link(rx.button("Go to your settings", size="3", width="100%", type="button"), href=routes.SETTINGS),
        rx.link(rx.button("Log in", size="3", width="100%", type="button"), href=routes.LOGIN),
    )
    result = rx.flex(
        rx.cond(
            VerifyEmailState.confirmed,
            rx.callout(VerifyEmailState.message, icon="check", color_scheme="green", role="status"),
            rx.callout(VerifyEmailState.message, icon="triangle_alert", color_scheme="amber", role="alert"),
        ),
        next_step,
        direction="column",
        spacing="4",
    )
    return auth_card("Confirm your email", rx.cond(VerifyEmailState.checked, result, _checking()))


def index_page() -> rx.Component:
    """`/`: a spinner while `AuthState.route_home` sends the user to the alerts or to the login page."""
    return loading()
