"""The signed-out pages: `/login`, `/register`, `/forgot-password`, and `/` (which only redirects).

Labels and button names are CONTRACT section 4's: `Email`, `Password`, `Create account`, `Log in`,
`Forgot password?`. The forms are uncontrolled, so no password is ever held in a synced var.
"""

from __future__ import annotations

import reflex as rx

from jobwatch.services.accounts import MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES
from jobwatch.ui import routes
from jobwatch.ui.components.forms import error_callout, field
from jobwatch.ui.components.layout import auth_card, loading
from jobwatch.ui.state.account import LoginState, RegisterState


def _email_field() -> rx.Component:
    return field("Email", "email", type="email", auto_complete="email", required=True, max_length=254)


def login_page() -> rx.Component:
    """`/login`: email and password, `Log in`, and links to register and to reset a password."""
    return auth_card(
        "Log in",
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


def register_page() -> rx.Component:
    """`/register`: email and one password field, `Create account`; then straight to the alerts."""
    return auth_card(
        "Create your account",
        rx.text(
            "Get told once about new jobs that fit your alerts, from the company boards you watch.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.flex(
                error_callout(RegisterState.error),
                _email_field(),
                field(
                    "Password",
                    "password",
                    type="password",
                    auto_complete="new-password",
                    required=True,
                    hint=f"At least {MIN_PASSWORD_BYTES} characters (up to {MAX_PASSWORD_BYTES:,} bytes).",
                ),
                rx.button("Create account", type="submit", size="3", width="100%"),
                direction="column",
                spacing="4",
            ),
            on_submit=RegisterState.submit,
            reset_on_submit=False,
        ),
        rx.text("Already have an account? ", rx.link("Log in", href=routes.LOGIN), size="2"),
    )


def forgot_password_page() -> rx.Component:
    """`/forgot-password`: password reset by email is not there yet; says so and links back."""
    return auth_card(
        "Forgot password?",
        rx.callout(
            "Password reset by email is coming soon. Until then, ask the person who runs this jobwatch to "
            "set a new password for you.",
            icon="info",
        ),
        rx.link("Back to log in", href=routes.LOGIN, size="2"),
    )


def index_page() -> rx.Component:
    """`/`: a spinner while `AuthState.route_home` sends the user to the alerts or to the login page."""
    return loading()
