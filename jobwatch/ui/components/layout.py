"""The shared page layout: a navigation bar (Alerts, Inbox with its unread count, Jobs, Boards, Emails,
Settings, Admin for operators only, the user's email, `Log out`, light/dark switch) over a centred content
column that also fits a phone.

`protected()` renders a page's content only once a handler has found a live session in the database
(`AuthState.signed_in`); until then, and in the prerendered HTML, it shows a spinner (field case B26).
"""

from __future__ import annotations

import reflex as rx

from jobwatch.ui import routes
from jobwatch.ui.state.auth import AuthState

CONTENT_WIDTH = "960px"


def brand() -> rx.Component:
    """The app's name, linking home."""
    return rx.link(
        rx.hstack(
            rx.icon("radar", size=20),
            rx.text("jobwatch", size="4", weight="bold"),
            spacing="2",
            align="center",
        ),
        href=routes.INDEX,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
    )


def nav_link(text: str, href: str, *extra: rx.Component) -> rx.Component:
    """A navigation link; `extra` follows the text (the unread badge)."""
    return rx.link(
        rx.hstack(rx.text(text, size="3"), *extra, spacing="1", align="center"),
        href=href,
        underline="hover",
        color_scheme="gray",
        high_contrast=True,
    )


def navbar() -> rx.Component:
    """The top bar of every signed-in page; its items wrap onto a second line on narrow screens."""
    unread_badge = rx.cond(
        AuthState.unread_count > 0,
        rx.badge(AuthState.unread_count, color_scheme="red", variant="solid", radius="full"),
    )
    return rx.el.header(
        rx.flex(
            brand(),
            rx.el.nav(
                rx.flex(
                    nav_link("Alerts", routes.ALERTS),
                    nav_link("Inbox", routes.INBOX, unread_badge),
                    nav_link("Jobs", routes.JOBS),
                    nav_link("Boards", routes.BOARDS),
                    nav_link("Emails", routes.EMAILS),
                    nav_link("Settings", routes.SETTINGS),
                    rx.cond(AuthState.is_admin, nav_link("Admin", routes.ADMIN)),
                    spacing="4",
                    wrap="wrap",
                    align="center",
                ),
                aria_label="Main",
            ),
            rx.spacer(),
            rx.flex(
                rx.text(AuthState.user_email, size="2", color_scheme="gray", trim="both"),
                rx.color_mode.button(size="2", variant="ghost", aria_label="Switch light or dark mode"),
                rx.button("Log out", on_click=AuthState.logout, variant="soft", size="2", type="button"),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            align="center",
            spacing="5",
            wrap="wrap",
            row_gap="2",
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            padding_x="16px",
            padding_y="10px",
        ),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background_color=rx.color("gray", 2),
    )


def page_shell(title: str, *children: rx.Component, actions: rx.Component | None = None) -> rx.Component:
    """A signed-in page: the navbar, then a heading (with optional actions on its right) and the content."""
    header = rx.flex(
        rx.heading(title, as_="h1", size="7"),
        rx.spacer(),
        *([actions] if actions is not None else []),
        align="center",
        wrap="wrap",
        spacing="3",
        width="100%",
    )
    return rx.box(
        navbar(),
        rx.el.main(
            rx.flex(header, *children, direction="column", spacing="5", width="100%"),
            max_width=CONTENT_WIDTH,
            margin_x="auto",
            padding_x="16px",
            padding_top="28px",
            padding_bottom="48px",
        ),
        min_height="100vh",
    )


def loading() -> rx.Component:
    """What a protected page shows until its session check answered (and in prerendered HTML)."""
    return rx.center(rx.spinner(size="3"), height="60vh", aria_busy="true")


def protected(title: str, *children: rx.Component, actions: rx.Component | None = None) -> rx.Component:
    """`page_shell(...)` shown only to a signed-in user; a spinner before the check (B26)."""
    return rx.cond(AuthState.signed_in, page_shell(title, *children, actions=actions), loading())


def auth_card(title: str, *children: rx.Component) -> rx.Component:
    """The centred card of the signed-out pages (login, register, forgot password)."""
    return rx.center(
        rx.card(
            rx.flex(
                rx.flex(
                    brand(),
                    rx.spacer(),
                    rx.color_mode.button(size="2", variant="ghost", aria_label="Switch light or dark mode"),
                    align="center",
                    width="100%",
                ),
                rx.heading(title, as_="h1", size="6"),
                *children,
                direction="column",
                spacing="5",
            ),
            size="4",
            width="100%",
            max_width="420px",
        ),
        min_height="100vh",
        padding="16px",
    )


def empty_state(icon: str, text: str, *extra: rx.Component) -> rx.Component:
    """A friendly placeholder for an empty list."""
    return rx.card(
        rx.flex(
            rx.icon(icon, size=28, color=rx.color("gray", 9)),
            rx.text(text, color_scheme="gray", align="center"),
            *extra,
            direction="column",
            align="center",
            spacing="3",
            padding_y="24px",
        ),
        width="100%",
    )
