"""`/inbox`: the user's notifications, unread first, in pages; views (all, unread, saved, applied), a filter
by alert; mark read, mark all read, save, applied, hide; each title opens the posting's page.

Each action button's accessible name carries the posting's title ("Save: Senior Engineer"), so screen reader
users and browser tests can tell the cards' buttons apart. Links other than the title do not repeat it, so
"the link named <title>" stays one link.
"""

from __future__ import annotations

import reflex as rx

from jobwatch.ui.components.forms import VISUALLY_HIDDEN, label, pager
from jobwatch.ui.components.layout import empty_state, loading_list, protected
from jobwatch.ui.pages.alerts import SELECT_STYLE
from jobwatch.ui.pages.jobs import closed_badge
from jobwatch.ui.state.inbox import VIEW_LABELS, AlertChoice, InboxRow, InboxState


def _item(item: InboxRow) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.cond(
                item.unread,
                rx.box(
                    rx.el.span("unread", style=VISUALLY_HIDDEN),
                    width="8px",
                    height="8px",
                    border_radius="50%",
                    background_color=rx.color("accent", 9),
                    flex_shrink="0",
                    position="relative",
                ),
            ),
            rx.flex(
                rx.flex(
                    rx.link(
                        item.title,
                        href=item.page,
                        weight=rx.cond(item.unread, "bold", "regular"),
                        on_click=InboxState.mark_read(item.id),
                    ),
                    closed_badge(item.closed),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(
                    item.company,
                    rx.cond(item.location != "", " · " + item.location, ""),
                    size="2",
                    color_scheme="gray",
                ),
                rx.text(
                    rx.cond(item.alerts != "", "Matched " + item.alerts + " · ", ""),
                    item.received,
                    size="1",
                    color_scheme="gray",
                ),
                direction="column",
                spacing="1",
                flex="1",
                min_width="200px",
            ),
            rx.flex(
                rx.cond(
                    (item.url != "") & ~item.closed,
                    rx.link(
                        rx.flex(rx.text("Apply"), rx.icon("external_link", size=14), spacing="1", align="center"),
                        href=item.url,
                        is_external=True,
                        rel="noopener noreferrer nofollow",
                        size="2",
                    ),
                ),
                rx.cond(
                    item.unread,
                    rx.button(
                        "Mark read",
                        on_click=InboxState.mark_read(item.id),
                        variant="soft",
                        size="1",
                        type="button",
                        aria_label="Mark read: " + item.title,
                    ),
                ),
                rx.button(
                    rx.cond(item.saved, "Saved", "Save"),
                    on_click=InboxState.set_saved(item.posting_id, ~item.saved),
                    variant=rx.cond(item.saved, "solid", "soft"),
                    size="1",
                    type="button",
                    aria_pressed=rx.cond(item.saved, "true", "false"),
                    aria_label="Save: " + item.title,
                ),
                rx.button(
                    rx.cond(item.applied, "Applied", "Mark applied"),
                    on_click=InboxState.set_applied(item.posting_id, ~item.applied),
                    variant=rx.cond(item.applied, "solid", "soft"),
                    color_scheme="green",
                    size="1",
                    type="button",
                    aria_pressed=rx.cond(item.applied, "true", "false"),
                    aria_label="Applied: " + item.title,
                ),
                rx.button(
                    "Hide",
                    on_click=InboxState.hide(item.posting_id),
                    variant="soft",
                    color_scheme="gray",
                    size="1",
                    type="button",
                    aria_label="Hide: " + item.title,
                ),
                spacing="2",
                wrap="wrap",
                justify="end",
                align="center",
            ),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        width="100%",
    )


def _controls() -> rx.Component:
    def view_button(value: str, text: str) -> rx.Component:
        return rx.button(
            text,
            on_click=InboxState.set_view(value),
            variant=rx.cond(InboxState.view == value, "solid", "soft"),
            color_scheme=rx.cond(InboxState.view == value, "indigo", "gray"),
            aria_pressed=rx.cond(InboxState.view == value, "true", "false"),
            size="2",
            type="button",
        )

    def alert_option(choice: AlertChoice) -> rx.Component:
        return rx.el.option(choice.name, value=choice.id)

    return rx.flex(
        rx.flex(
            *[view_button(value, text) for value, text in VIEW_LABELS],
            spacing="2",
            role="group",
            aria_label="Show",
            wrap="wrap",
        ),
        rx.spacer(),
        rx.flex(
            label("Alert", "alert-filter"),
            rx.el.select(
                rx.el.option("Every alert", value=""),
                rx.foreach(InboxState.alert_choices, alert_option),
                id="alert-filter",
                value=InboxState.alert_filter,
                on_change=InboxState.set_alert_filter,
                style={**SELECT_STYLE, "width": "auto", "min_width": "180px"},
            ),
            spacing="2",
            align="center",
        ),
        align="center",
        wrap="wrap",
        spacing="3",
        width="100%",
    )


def inbox_page() -> rx.Component:
    """`/inbox`: one card per notification, newest first among the unread, then the read ones."""
    return protected(
        "Inbox",
        rx.cond(
            InboxState.mail_notice != "",
            rx.callout(InboxState.mail_notice, icon="mail-warning", color_scheme="amber", role="status"),
        ),
        rx.text(
            rx.cond(
                InboxState.unread_count == 1,
                "1 unread notification",
                InboxState.unread_count.to_string() + " unread notifications",
            ),
            color_scheme="gray",
            size="2",
            aria_live="polite",
        ),
        _controls(),
        rx.cond(
            InboxState.loaded,
            rx.cond(
                InboxState.items.length() > 0,
                rx.flex(rx.foreach(InboxState.items, _item), direction="column", spacing="3"),
                rx.match(
                    InboxState.view,
                    ("saved", empty_state("bookmark", "No saved jobs. Save a job to keep it here.")),
                    ("applied", empty_state("send", "No jobs marked applied yet.")),
                    ("unread", empty_state("check_check", "All caught up: nothing unread.")),
                    empty_state("inbox", "Nothing here yet. New jobs that match your alerts show up here."),
                ),
            ),
            loading_list(),
        ),
        pager(InboxState.page, InboxState.page_count, InboxState.go_to_page),
        actions=rx.button(
            "Mark all read",
            on_click=InboxState.mark_all_read,
            variant="soft",
            type="button",
            disabled=InboxState.unread_count == 0,
        ),
    )
