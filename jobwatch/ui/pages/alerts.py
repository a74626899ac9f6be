"""`/alerts` (the user's alerts) and `/alerts/new` (the alert builder with its live `Preview` region)."""

from __future__ import annotations

import reflex as rx

from jobwatch.ui import routes
from jobwatch.ui.components.forms import error_callout, field, label
from jobwatch.ui.components.layout import empty_state, protected
from jobwatch.ui.state.alerts import AlertBuilderState, AlertRow, AlertsState
from jobwatch.ui.state.views import PostingRow

#: How long the builder waits after the last keystroke before it refreshes the preview.
DEBOUNCE_MS = 350


def _new_alert_button() -> rx.Component:
    return rx.link(rx.button(rx.icon("plus", size=16), "New alert", size="2"), href=routes.NEW_ALERT)


def _alert_card(alert: AlertRow) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.flex(
                rx.text(alert.name, weight="bold", size="4"),
                rx.text(alert.summary, size="2", color_scheme="gray"),
                rx.flex(
                    rx.badge(alert.frequency, variant="soft"),
                    rx.cond(~alert.active, rx.badge("paused", color_scheme="amber", variant="soft")),
                    rx.cond(~alert.emails, rx.badge("no email", color_scheme="gray", variant="soft")),
                    rx.text(
                        alert.matches,
                        rx.cond(alert.matches == 1, " match", " matches"),
                        " since ",
                        alert.created,
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="2",
                    align="center",
                ),
                direction="column",
                spacing="1",
                flex="1",
                min_width="0",
            ),
            rx.flex(
                rx.button(
                    rx.cond(alert.active, "Pause", "Resume"),
                    on_click=AlertsState.set_active(alert.id, ~alert.active),
                    variant="soft",
                    color_scheme="gray",
                    size="2",
                    type="button",
                    aria_label=rx.cond(alert.active, "Pause ", "Resume ") + alert.name,
                ),
                rx.button(
                    rx.cond(alert.emails, "Email off", "Email on"),
                    on_click=AlertsState.set_email(alert.id, ~alert.emails),
                    variant="soft",
                    color_scheme="gray",
                    size="2",
                    type="button",
                    aria_label=rx.cond(alert.emails, "Stop emails for ", "Email me about ") + alert.name,
                ),
                rx.link(
                    rx.button(rx.icon("rss", size=16), "Feed", variant="ghost", size="2", type="button"),
                    href=alert.feed,
                    is_external=True,
                    aria_label="Atom feed of " + alert.name,
                ),
                spacing="2",
                wrap="wrap",
            ),
            rx.button(
                rx.icon("trash_2", size=16),
                "Delete",
                on_click=AlertsState.delete_alert(alert.id),
                color_scheme="red",
                variant="soft",
                type="button",
                aria_label="Delete alert " + alert.name,
            ),
            align="center",
            spacing="3",
        ),
        width="100%",
    )


def alerts_page() -> rx.Component:
    """`/alerts`: one card per alert with a delete button, and a link to the builder."""
    return protected(
        "Alerts",
        rx.cond(
            AlertsState.alerts.length() > 0,
            rx.flex(rx.foreach(AlertsState.alerts, _alert_card), direction="column", spacing="3"),
            rx.cond(
                AlertsState.loaded,
                empty_state(
                    "bell",
                    "No alerts yet. An alert watches every board for jobs that fit it and tells you once.",
                    _new_alert_button(),
                ),
            ),
        ),
        actions=_new_alert_button(),
    )


def _text_field(text: str, key: str, hint: str | None = None, **props: object) -> rx.Component:
    """A builder field bound to `AlertBuilderState.<key>`, refreshing the preview after a pause."""
    return field(
        text,
        key,
        hint=hint,
        error=AlertBuilderState.field_errors.get(key, ""),
        value=getattr(AlertBuilderState, key),
        on_change=lambda value: AlertBuilderState.set_field(key, value),
        debounce_timeout=DEBOUNCE_MS,
        **props,
    )


def _posting_item(posting: PostingRow) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.cond(
                posting.url != "",
                rx.link(posting.title, href=posting.url, is_external=True, weight="medium"),
                rx.text(posting.title, weight="medium"),
            ),
            rx.text(
                posting.company,
                rx.cond(posting.location != "", " · " + posting.location, ""),
                rx.cond(posting.posted != "", " · " + posting.posted, ""),
                size="1",
                color_scheme="gray",
            ),
            direction="column",
        ),
        padding_y="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        list_style_type="none",
    )


def preview_region() -> rx.Component:
    """The live preview of the draft: the count and the newest matching postings (`aria-label="Preview"`)."""
    return rx.el.section(
        rx.card(
            rx.flex(
                rx.heading("Preview", as_="h2", size="4"),
                rx.cond(
                    AlertBuilderState.preview_ready,
                    rx.flex(
                        rx.text(AlertBuilderState.preview_count, weight="bold", size="3"),
                        rx.el.ul(
                            rx.foreach(AlertBuilderState.preview_postings, _posting_item), padding="0", margin="0"
                        ),
                        direction="column",
                        spacing="2",
                    ),
                    rx.text(AlertBuilderState.draft_message, size="2", color_scheme="gray"),
                ),
                direction="column",
                spacing="3",
            ),
            width="100%",
        ),
        aria_label="Preview",
        aria_live="polite",
        width="100%",
        # Beside the long form on wide screens, the preview stays in view while the user scrolls.
        position=rx.breakpoints(initial="static", md="sticky"),
        top="16px",
    )


#: A native select styled like the theme's inputs (native, so keyboards and screen readers get the platform's).
SELECT_STYLE = {
    "height": "var(--space-7)",
    "padding": "0 var(--space-3)",
    "border_radius": "var(--radius-2)",
    "border": "1px solid var(--gray-a7)",
    "background": "var(--color-surface)",
    "color": "var(--gray-12)",
    "font_size": "var(--font-size-3)",
    "width": "100%",
}


def _builder_form() -> rx.Component:
    return rx.form(
        rx.flex(
            error_callout(AlertBuilderState.form_error),
            _text_field("Name", "name", required=True, max_length=100, placeholder="Python jobs in Berlin"),
            _text_field(
                "Keywords",
                "keywords",
                "Comma-separated; in the title or the description.",
                placeholder="python, django",
            ),
            _text_field(
                "Title keywords",
                "title_keywords",
                "Comma-separated; in the title only.",
                placeholder="backend engineer",
            ),
            _text_field(
                "Exclude keywords",
                "exclude_keywords",
                "Jobs that mention any of these are skipped.",
                placeholder="senior, manager",
            ),
            _text_field("Companies", "companies", placeholder="stripe, acme"),
            _text_field(
                "Locations",
                "locations",
                "Cities, regions or countries; Remote for remote jobs.",
                placeholder="Berlin, Germany, Remote",
            ),
            _text_field("Departments", "departments", placeholder="Engineering"),
            _text_field(
                "Employment types", "employment_types", "full time, part time, contract, temporary, internship"
            ),
            rx.flex(
                rx.checkbox(
                    id="remote_only",
                    name="remote_only",
                    checked=AlertBuilderState.remote_only,
                    on_change=AlertBuilderState.set_remote_only,
                ),
                label("Remote only", "remote_only"),
                spacing="2",
                align="center",
            ),
            rx.grid(
                _text_field("Posted within (days)", "posted_within", input_mode="numeric", placeholder="30"),
                _text_field(
                    "Minimum salary",
                    "min_salary",
                    "Yearly; jobs without a salary still match.",
                    input_mode="numeric",
                    placeholder="90000",
                ),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="4",
                width="100%",
            ),
            rx.flex(
                label("Email me", "frequency"),
                rx.el.select(
                    rx.el.option("As soon as a job matches", value="instant"),
                    rx.el.option("Daily digest", value="daily"),
                    rx.el.option("Weekly digest", value="weekly"),
                    id="frequency",
                    name="frequency",
                    value=AlertBuilderState.frequency,
                    on_change=AlertBuilderState.set_frequency,
                    style=SELECT_STYLE,
                ),
                rx.text(
                    "Matches always appear in your inbox at once; digests arrive at your digest hour.",
                    size="1",
                    color_scheme="gray",
                ),
                direction="column",
                spacing="1",
                width="100%",
            ),
            rx.flex(
                rx.button("Save alert", type="submit", size="3"),
                rx.link(
                    rx.button("Cancel", variant="soft", color_scheme="gray", size="3", type="button"),
                    href=routes.ALERTS,
                ),
                spacing="3",
            ),
            direction="column",
            spacing="4",
        ),
        on_submit=AlertBuilderState.save,
        reset_on_submit=False,
        width="100%",
    )


def new_alert_page() -> rx.Component:
    """`/alerts/new`: the builder on the left, the live preview beside it (below it on a phone)."""
    return protected(
        "New alert",
        rx.grid(
            _builder_form(),
            preview_region(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="6",
            width="100%",
            align_items="start",
        ),
    )
