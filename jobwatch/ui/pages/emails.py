"""`/emails`: the user's emails from the local outbox, newest first, one open beside the list."""

from __future__ import annotations

import reflex as rx

from jobwatch.ui.components.layout import empty_state, protected
from jobwatch.ui.state.emails import EmailRow, EmailsState


def _list_item(email: EmailRow) -> rx.Component:
    return rx.button(
        rx.flex(
            rx.text(email.subject, weight="medium", size="2", align="left"),
            rx.text(email.sent, size="1", color_scheme="gray"),
            direction="column",
            align="start",
            spacing="1",
        ),
        on_click=EmailsState.open_email(email.id),
        variant=rx.cond(EmailsState.open_id == email.id, "soft", "ghost"),
        color_scheme="gray",
        height="auto",
        padding="10px",
        width="100%",
        justify="start",
        type="button",
    )


def _viewer(email: EmailRow) -> rx.Component:
    return rx.cond(
        EmailsState.open_id == email.id,
        rx.flex(
            rx.heading(email.subject, size="4", as_="h2"),
            rx.text(email.sent, size="1", color_scheme="gray"),
            # Our own template's HTML (scraped text in it is escaped), in a frame that may run nothing.
            rx.el.iframe(
                src_doc=email.html,
                sandbox="allow-popups allow-popups-to-escape-sandbox",
                title="Email: " + email.subject,
                width="100%",
                height="640px",
                style={"border": "1px solid var(--gray-a6)", "border_radius": "8px", "background": "white"},
            ),
            rx.el.details(
                rx.el.summary("Plain-text version"),
                rx.el.pre(email.text, style={"white_space": "pre-wrap", "font_size": "13px"}),
            ),
            direction="column",
            spacing="2",
            width="100%",
        ),
    )


def emails_page() -> rx.Component:
    """`/emails`: what jobwatch would have mailed the user (digests), as the local outbox holds it."""
    return protected(
        "Emails",
        rx.cond(
            EmailsState.uses_outbox,
            rx.text(
                "No mail service is set up, so jobwatch keeps the emails it would send here.",
                size="2",
                color_scheme="gray",
            ),
            rx.text("Emails are sent through Resend; older ones kept here are listed.", size="2", color_scheme="gray"),
        ),
        rx.cond(
            EmailsState.emails.length() > 0,
            rx.grid(
                rx.flex(rx.foreach(EmailsState.emails, _list_item), direction="column", spacing="1"),
                rx.box(rx.foreach(EmailsState.emails, _viewer)),
                columns=rx.breakpoints(initial="1", md="260px 1fr"),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                EmailsState.loaded,
                empty_state("mail", "No emails yet. Digests of your alerts' new matches show up here."),
            ),
        ),
    )
