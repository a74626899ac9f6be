"""`/inbox`: the user's notifications, unread first, with mark read, mark all read, save, applied and hide.

Each action button's accessible name carries the posting's title ("Save: Senior Engineer"), so screen reader
users and browser tests can tell the cards' buttons apart.
"""

from __future__ import annotations

import reflex as rx

from jobwatch.ui.components.layout import empty_state, protected
from jobwatch.ui.state.inbox import InboxRow, InboxState


def _item(item: InboxRow) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.cond(
                item.unread,
                rx.box(
                    width="8px",
                    height="8px",
                    border_radius="50%",
                    background_color=rx.color("accent", 9),
                    flex_shrink="0",
                    aria_label="unread",
                ),
            ),
            rx.flex(
                rx.cond(
                    item.url != "",
                    rx.link(
                        item.title,
                        href=item.url,
                        is_external=True,
                        weight=rx.cond(item.unread, "bold", "regular"),
                        on_click=InboxState.mark_read(item.id),
                    ),
                    rx.text(item.title, weight=rx.cond(item.unread, "bold", "regular")),
                ),
                rx.text(
                    item.company,
                    rx.cond(item.location != "", " · " + item.location, ""),
                    size="2",
                    color_scheme="gray",
                ),
                rx.text(
                    "Matched ",
                    item.alerts,
                    " · ",
                    item.received,
                    rx.cond(item.closed, " · no longer listed", ""),
                    size="1",
                    color_scheme="gray",
                ),
                direction="column",
                spacing="1",
                flex="1",
                min_width="0",
            ),
            rx.flex(
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
                    on_click=InboxState.set_saved(item.id, ~item.saved),
                    variant=rx.cond(item.saved, "solid", "soft"),
                    size="1",
                    type="button",
                    aria_pressed=rx.cond(item.saved, "true", "false"),
                    aria_label="Save: " + item.title,
                ),
                rx.button(
                    rx.cond(item.applied, "Applied", "Mark applied"),
                    on_click=InboxState.set_applied(item.id, ~item.applied),
                    variant=rx.cond(item.applied, "solid", "soft"),
                    color_scheme="green",
                    size="1",
                    type="button",
                    aria_pressed=rx.cond(item.applied, "true", "false"),
                    aria_label="Applied: " + item.title,
                ),
                rx.button(
                    "Hide",
                    on_click=InboxState.hide(item.id),
                    variant="soft",
                    color_scheme="gray",
                    size="1",
                    type="button",
                    aria_label="Hide: " + item.title,
                ),
                spacing="2",
                wrap="wrap",
                justify="end",
            ),
            align="center",
            spacing="3",
        ),
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
        ),
        rx.cond(
            InboxState.items.length() > 0,
            rx.flex(rx.foreach(InboxState.items, _item), direction="column", spacing="3"),
            rx.cond(
                InboxState.loaded,
                empty_state("inbox", "Nothing here yet. New jobs that match your alerts show up here."),
            ),
        ),
        actions=rx.button(
            "Mark all read",
            on_click=InboxState.mark_all_read,
            variant="soft",
            type="button",
            disabled=InboxState.unread_count == 0,
        ),
    )
