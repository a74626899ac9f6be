"""`/settings`: the signed-in user's account, one labelled section (a `region`) per topic.

Profile and digest times, pausing notification emails, the email address (with re-confirmation), the
password, sessions, export and deletion. Forms are uncontrolled and start from the stored values (`form_key`
remounts them whenever those are read again); password fields are never bound to a var.
"""

from __future__ import annotations

import reflex as rx

from jobwatch.services.accounts import MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES, WEEKDAYS, timezones
from jobwatch.ui.components.forms import error_callout, field, label, notice_callout
from jobwatch.ui.components.layout import protected
from jobwatch.ui.pages.alerts import SELECT_STYLE
from jobwatch.ui.state.settings import DELETE_CONFIRMATION, SettingsState


def _section(title: str, section_id: str, *children: rx.Component, description: str | None = None) -> rx.Component:
    heading_id = f"{section_id}-heading"
    head: list[rx.Component] = [rx.heading(title, as_="h2", size="4", id=heading_id)]
    if description:
        head.append(rx.text(description, size="2", color_scheme="gray"))
    return rx.el.section(
        rx.card(rx.flex(*head, *children, direction="column", spacing="3"), size="3", width="100%"),
        aria_labelledby=heading_id,
        width="100%",
    )


def _select(text: str, field_id: str, options: list[tuple[str, str]], default: rx.Var) -> rx.Component:
    return rx.flex(
        label(text, field_id),
        rx.el.select(
            *[rx.el.option(name, value=value) for value, name in options],
            id=field_id,
            name=field_id,
            default_value=default,
            style=SELECT_STYLE,
        ),
        direction="column",
        spacing="1",
        width="100%",
    )


def _profile() -> rx.Component:
    return _section(
        "Profile and digest times",
        "profile",
        notice_callout(SettingsState.profile_notice),
        error_callout(SettingsState.profile_error),
        rx.form(
            rx.flex(
                field(
                    "Display name",
                    "display_name",
                    default_value=SettingsState.display_name,
                    max_length=100,
                    auto_complete="nickname",
                    hint="How digests greet you. Optional.",
                ),
                _select(
                    "Time zone", "timezone", [(tz, tz.replace("_", " ")) for tz in timezones()], SettingsState.timezone
                ),
                rx.grid(
                    _select(
                        "Digest hour",
                        "digest_hour",
                        [(str(h), f"{h:02d}:00") for h in range(24)],
                        SettingsState.digest_hour,
                    ),
                    _select(
                        "Weekly digest day",
                        "weekly_day",
                        [(str(i), day) for i, day in enumerate(WEEKDAYS)],
                        SettingsState.weekly_day,
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="4",
                    width="100%",
                ),
                rx.text(
                    "Daily digests arrive at the digest hour in your time zone; weekly ones on that day, too.",
                    size="1",
                    color_scheme="gray",
                ),
                rx.box(rx.button("Save settings", type="submit", size="3")),
                direction="column",
                spacing="4",
            ),
            on_submit=SettingsState.save_profile,
            reset_on_submit=False,
            key=SettingsState.form_key,
        ),
    )


def _pause() -> rx.Component:
    return _section(
        "Pause notifications",
        "pause",
        notice_callout(SettingsState.pause_notice),
        error_callout(SettingsState.pause_error),
        rx.cond(
            SettingsState.paused_until != "",
            rx.flex(
                rx.text(
                    "Notification emails are paused until ",
                    rx.text(SettingsState.paused_until, as_="span", weight="bold"),
                    " (they start again that day, in your time zone).",
                    size="2",
                ),
                rx.box(
                    rx.button(
                        "Resume notifications", on_click=SettingsState.resume, type="button", variant="soft", size="2"
                    )
                ),
                direction="column",
                spacing="2",
            ),
        ),
        rx.box(
            rx.button(
                "Email me about every alert again",
                on_click=SettingsState.resubscribe_all,
                type="button",
                variant="soft",
                size="2",
            )
        ),
        rx.form(
            rx.flex(
                field("Pause notifications until", "paused_until", type="date", required=True),
                rx.box(rx.button("Pause notifications", type="submit", size="3", variant="soft")),
                direction="column",
                spacing="3",
            ),
            on_submit=SettingsState.pause,
            reset_on_submit=True,
        ),
        description="No digest emails until that date (a holiday, a new job). Your inbox keeps filling, and "
        "account emails such as password resets still arrive. Unsubscribed from a digest? The button turns "
        "email back on for all your alerts.",
    )


def _email() -> rx.Component:
    status = rx.cond(
        SettingsState.email_verified,
        rx.badge("Confirmed", color_scheme="green"),
        rx.badge("Not confirmed yet", color_scheme="amber"),
    )
    return _section(
        "Email address",
        "email",
        rx.flex(rx.text(SettingsState.email, weight="medium"), status, spacing="2", align="center", wrap="wrap"),
        rx.cond(
            ~SettingsState.email_verified,
            rx.flex(
                rx.text(
                    "Open the link we sent you to confirm this address; digests go only to confirmed addresses.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.box(
                    rx.button(
                        "Send confirmation link again",
                        on_click=SettingsState.resend_verification,
                        type="button",
                        variant="soft",
                        size="2",
                    )
                ),
                direction="column",
                spacing="2",
            ),
        ),
        rx.cond(
            SettingsState.pending_email != "",
            rx.text(
                "Waiting for you to open the link sent to ",
                rx.text(SettingsState.pending_email, as_="span", weight="bold"),
                ".",
                size="2",
            ),
        ),
        notice_callout(SettingsState.email_notice),
        error_callout(SettingsState.email_error),
        rx.form(
            rx.flex(
                field("New email", "new_email", type="email", auto_complete="email", required=True, max_length=254),
                field(
                    "Current password",
                    "email_password",
                    type="password",
                    required=True,
                    auto_complete="current-password",
                ),
                rx.box(rx.button("Change email", type="submit", size="3")),
                direction="column",
                spacing="3",
            ),
            on_submit=SettingsState.change_email,
            reset_on_submit=True,
        ),
    )


def _password() -> rx.Component:
    return _section(
        "Password",
        "password",
        notice_callout(SettingsState.password_notice),
        error_callout(SettingsState.password_error),
        rx.form(
            rx.flex(
                field(
                    "Current password",
                    "current_password",
                    type="password",
                    required=True,
                    auto_complete="current-password",
                ),
                field(
                    "New password",
                    "new_password",
                    type="password",
                    required=True,
                    auto_complete="new-password",
                    hint=f"At least {MIN_PASSWORD_BYTES} characters (up to {MAX_PASSWORD_BYTES:,} bytes). "
                    "Changing it logs out every other device.",
                ),
                rx.box(rx.button("Change password", type="submit", size="3")),
                direction="column",
                spacing="3",
            ),
            on_submit=SettingsState.change_password,
            reset_on_submit=True,
        ),
    )


def _sessions_and_data() -> rx.Component:
    return _section(
        "Sessions and your data",
        "data",
        rx.text(
            "Logged in on a computer you no longer use? Log out everywhere: every session ends, this one too.",
            size="2",
        ),
        rx.box(
            rx.button(
                "End all sessions", on_click=SettingsState.logout_everywhere, type="button", variant="soft", size="2"
            )
        ),
        rx.text(
            "Everything jobwatch keeps about you (account, alerts, inbox, digests, sessions) as one JSON file.",
            size="2",
        ),
        rx.box(
            rx.button(
                rx.icon("download", size=16),
                "Export my data",
                on_click=SettingsState.export_data,
                type="button",
                variant="soft",
                size="2",
            )
        ),
    )


def _delete() -> rx.Component:
    confirm_form = rx.form(
        rx.flex(
            rx.callout(
                "This deletes your account, alerts, inbox and digests at once. It cannot be undone.",
                icon="triangle_alert",
                color_scheme="red",
            ),
            error_callout(SettingsState.delete_error),
            field(
                f'Type "{DELETE_CONFIRMATION}"',
                "confirm",
                required=True,
                auto_complete="off",
            ),
            field(
                "Current password",
                "delete_password",
                type="password",
                required=True,
                auto_complete="current-password",
            ),
            rx.flex(
                rx.button("Delete my account forever", type="submit", color_scheme="red", size="3"),
                rx.button(
                    "Cancel",
                    on_click=SettingsState.cancel_delete,
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    size="3",
                ),
                spacing="3",
                wrap="wrap",
            ),
            direction="column",
            spacing="3",
        ),
        on_submit=SettingsState.delete_account,
        reset_on_submit=False,
    )
    return _section(
        "Delete account",
        "delete",
        rx.cond(
            SettingsState.confirm_delete,
            confirm_form,
            rx.box(
                rx.button(
                    "Delete my account…",
                    on_click=SettingsState.open_delete,
                    type="button",
                    color_scheme="red",
                    variant="soft",
                    size="2",
                )
            ),
        ),
    )


def settings_page() -> rx.Component:
    """`/settings`: every section, once the session check has answered (a spinner before, B26)."""
    return protected(
        "Settings",
        _profile(),
        _pause(),
        _email(),
        _password(),
        _sessions_and_data(),
        _delete(),
    )
