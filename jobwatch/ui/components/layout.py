"""The shared page layout: a "Skip to content" link for keyboard users, a navigation bar (Alerts, Inbox with
its unread count, Jobs, Boards, Emails, Settings, Admin for operators only; the current page marked with
`aria-current`), the user menu (the account's email: Settings, Emails, Admin, Log out), the light/dark switch
and a visible `Log out` button, over a centred content column that also fits a phone.

`protected()` renders a page's content only once a handler has found a live session in the database
(`AuthState.signed_in`); until then, and in the prerendered HTML, it shows a spinner (field case B26).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.vars.base import Var

from jobwatch.ui import routes
from jobwatch.ui.components.forms import VISUALLY_HIDDEN
from jobwatch.ui.state.auth import AuthState

CONTENT_WIDTH = "960px"
#: The navigation bar is wider than the content, so that links and the account menu fit one line on a laptop.
HEADER_WIDTH = "1200px"


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


def _current(href: str) -> rx.Var:
    # The current page is `href` or below it (`/alerts/new` is under Alerts).
    path = rx.State.router.url.path
    return (path == href) | path.startswith(href + "/")


def nav_link(text: str, href: str, *extra: rx.Component) -> rx.Component:
    """A navigation link; `extra` follows the text (the unread badge). The current page's link is bold and
    carries `aria-current="page"`."""
    current = _current(href)
    return rx.link(
        rx.hstack(
            rx.text(text, size="3", weight=rx.cond(current, "bold", "regular")), *extra, spacing="1", align="center"
        ),
        href=href,
        underline="hover",
        color_scheme=rx.cond(current, "indigo", "gray"),
        high_contrast=True,
        aria_current=rx.cond(current, "page", "false"),
    )


FOCUS_MAIN: Var[Any] = Var(
    _js_expr="((e) => { const main = document.getElementById('main'); "
    "if (main) { e.preventDefault(); main.focus(); main.scrollIntoView(); } })"
)


def skip_link() -> rx.Component:
    """The first stop of the Tab key: jumps past the navigation to the page's content."""
    return rx.el.a(
        "Skip to content",
        href="#main",
        # Move the focus itself: a fragment link alone scrolls but leaves the focus where it was in Chromium.
        custom_attrs={"onClick": FOCUS_MAIN},
        style={
            "position": "absolute",
            "left": "-10000px",
            "top": "8px",
            "z_index": "1000",
            "padding": "8px 12px",
            "border_radius": "var(--radius-2)",
            "background": "var(--accent-9)",
            "color": "var(--accent-contrast)",
            "&:focus": {"left": "8px"},
        },
    )


def user_menu() -> rx.Component:
    """The account menu: its trigger shows the email (only an icon on a phone); Settings, Emails, Admin (for
    operators), Log out. Radix gives it keyboard support (arrows, Escape) and menu roles."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("circle_user", size=18),
                rx.text(AuthState.user_email, size="2", display=rx.breakpoints(initial="none", sm="inline")),
                rx.el.span("Account menu", style=VISUALLY_HIDDEN),
                rx.icon("chevron_down", size=14),
                variant="ghost",
                color_scheme="gray",
                size="2",
                type="button",
            )
        ),
        rx.menu.content(
            rx.menu.item("Settings", on_select=rx.redirect(routes.SETTINGS)),
            rx.menu.item("Emails sent to you", on_select=rx.redirect(routes.EMAILS)),
            rx.cond(AuthState.is_admin, rx.menu.item("Admin", on_select=rx.redirect(routes.ADMIN))),
            rx.menu.separator(),
            rx.menu.item("Log out", on_select=AuthState.logout, color_scheme="red"),
        ),
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
                user_menu(),
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
            max_width=HEADER_WIDTH,
            margin_x="auto",
            padding_x="16px",
            padding_y="10px",
        ),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background_color=rx.color("gray", 2),
    )


def page_shell(title: str | rx.Var, *children: rx.Component, actions: rx.Component | None = None) -> rx.Component:
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
        skip_link(),
        navbar(),
        rx.el.main(
            rx.flex(header, *children, direction="column", spacing="5", width="100%"),
            id="main",
            tab_index=-1,
            outline="none",
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


def loading_list() -> rx.Component:
    """What a list shows while its first data is on the way: a small spinner, announced as busy."""
    return rx.center(
        rx.spinner(size="2"),
        rx.el.span("Loading…", style=VISUALLY_HIDDEN),
        padding_y="32px",
        width="100%",
        aria_busy="true",
        role="status",
    )


def protected(title: str | rx.Var, *children: rx.Component, actions: rx.Component | None = None) -> rx.Component:
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


def not_found_page() -> rx.Component:
    """The page of any unknown address (Reflex's `404` route), in the app's look, with ways back."""
    return auth_card(
        "Page not found",
        rx.text("There is nothing at this address. It may have moved, or the link may be mistyped."),
        rx.flex(
            rx.link(rx.button("Go to your alerts", size="3", tab_index=-1), href=routes.ALERTS),
            rx.link(rx.button("Browse jobs", size="3", variant="soft", tab_index=-1), href=routes.JOBS),
            spacing="3",
            wrap="wrap",
        ),
    )
