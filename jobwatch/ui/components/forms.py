"""Form pieces whose labels are real `<label for=...>` elements, so screen readers and outside browser
tests find fields by the labels CONTRACT section 4 fixes."""

from __future__ import annotations

from typing import Any

import reflex as rx


def label(text: str, html_for: str) -> rx.Component:
    """A visible `<label for=html_for>` in the theme's small, medium-weight text."""
    return rx.el.label(rx.text(text, as_="span", size="2", weight="medium"), html_for=html_for)


def field(
    text: str,
    field_id: str,
    *,
    hint: str | None = None,
    error: rx.Var | None = None,
    **input_props: Any,
) -> rx.Component:
    """A labelled text input: the label, the input (`id` and `name` are `field_id`), a hint, an error.

    `error` is a string Var; the message shows under the field when it is not empty.
    """
    children: list[rx.Component] = [
        label(text, field_id),
        rx.input(id=field_id, name=field_id, size="3", width="100%", **input_props),
    ]
    if hint:
        children.append(rx.text(hint, size="1", color_scheme="gray"))
    if error is not None:
        children.append(rx.cond(error != "", rx.text(error, size="1", color_scheme="red")))
    return rx.flex(*children, direction="column", spacing="1", width="100%")


def error_callout(message: rx.Var) -> rx.Component:
    """A red callout with `message` (a string Var), shown only when it is not empty; announced politely."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
    )


def notice_callout(message: rx.Var) -> rx.Component:
    """A green callout with `message`, shown only when it is not empty."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="check", color_scheme="green", role="status", width="100%"),
    )


#: Hides content visually while keeping it for screen readers (the usual "sr-only" rules).
VISUALLY_HIDDEN = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "padding": "0",
    "margin": "-1px",
    "overflow": "hidden",
    "clip": "rect(0, 0, 0, 0)",
    "white_space": "nowrap",
    "border": "0",
}


def hidden_label(text: str, html_for: str) -> rx.Component:
    """A `<label for=...>` only screen readers see (for a field whose purpose the layout shows)."""
    return rx.el.label(text, html_for=html_for, style=VISUALLY_HIDDEN)


def pager(page: Any, page_count: Any, go_to_page: Any) -> rx.Component:
    """`Previous page` / `Page N of M` / `Next page` under a paged list (shown only when there are several
    pages): `page` and `page_count` are the state's Vars, `go_to_page` its event handler taking a page number."""
    return rx.cond(
        page_count > 1,
        rx.el.nav(
            rx.flex(
                rx.button(
                    "Previous page",
                    on_click=go_to_page(page - 1),
                    disabled=page <= 1,
                    variant="soft",
                    size="2",
                    type="button",
                ),
                rx.text("Page ", page, " of ", page_count, size="2", aria_live="polite"),
                rx.button(
                    "Next page",
                    on_click=go_to_page(page + 1),
                    disabled=page >= page_count,
                    variant="soft",
                    size="2",
                    type="button",
                ),
                spacing="3",
                align="center",
                justify="center",
            ),
            aria_label="Pages",
        ),
    )
