"""`/alerts` (the user's alerts) and `/alerts/new` (the alert builder with its live `Preview` region)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.vars.base import Var

from jobwatch.ui import routes
from jobwatch.ui.components.forms import error_callout, field, label, notice_callout
from jobwatch.ui.components.layout import empty_state, loading, loading_list, protected
from jobwatch.ui.state.alerts import AlertBuilderState, AlertRow, AlertsState
from jobwatch.ui.state.views import PostingRow

#: How long the builder waits after the last keystroke before it refreshes the preview.
DEBOUNCE_MS = 350


def _new_alert_button() -> rx.Component:
    return rx.link(rx.button(rx.icon("plus", size=16), "New alert", size="2"), href=routes.NEW_ALERT)


def _delete_dialog(alert: AlertRow) -> rx.Component:
    """Delete, after a confirmation that names the alert (Escape or Cancel keeps it)."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                rx.icon("trash_2", size=16),
                "Delete",
                color_scheme="red",
                variant="soft",
                size="2",
                type="button",
                aria_label="Delete alert " + alert.name,
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this alert?"),
            rx.alert_dialog.description(
                "“",
                alert.name,
                "” stops watching for jobs, and its matches leave your alerts list. Jobs already in your inbox stay.",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray", type="button")),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete alert",
                        color_scheme="red",
                        type="button",
                        on_click=AlertsState.delete_alert(alert.id),
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="440px",
        ),
    )


def _alert_card(alert: AlertRow) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.flex(
                rx.link(
                    alert.name, href=alert.edit_url, weight="bold", size="4", color_scheme="gray", high_contrast=True
                ),
                rx.text(alert.summary, size="2", color_scheme="gray"),
                rx.flex(
                    rx.badge(alert.frequency, variant="soft"),
                    rx.cond(~alert.active, rx.badge("paused", color_scheme="amber", variant="soft")),
                    rx.cond(~alert.emails, rx.badge("no email", color_scheme="gray", variant="soft")),
                    rx.text(
                        alert.week_matches,
                        rx.cond(alert.week_matches == 1, " match", " matches"),
                        " this week · ",
                        alert.matches,
                        " since ",
                        alert.created,
                        size="1",
                        color_scheme="gray",
                    ),
                    rx.text("Last notified: ", alert.last_notified, size="1", color_scheme="gray"),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                direction="column",
                spacing="1",
                flex="1",
                min_width="240px",
            ),
            rx.flex(
                rx.link(
                    rx.button(
                        rx.icon("pencil", size=16), "Edit", variant="soft", size="2", type="button", tab_index=-1
                    ),
                    href=alert.edit_url,
                    aria_label="Edit " + alert.name,
                ),
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
                rx.button(
                    rx.icon("copy", size=16),
                    "Duplicate",
                    on_click=AlertsState.duplicate_alert(alert.id),
                    variant="soft",
                    color_scheme="gray",
                    size="2",
                    type="button",
                    aria_label="Duplicate " + alert.name,
                ),
                rx.link(
                    rx.button(rx.icon("rss", size=16), "Feed", variant="ghost", size="2", type="button", tab_index=-1),
                    href=alert.feed,
                    is_external=True,
                    aria_label="Atom feed of " + alert.name,
                ),
                _delete_dialog(alert),
                spacing="2",
                wrap="wrap",
                align="center",
            ),
            align="center",
            spacing="3",
            wrap="wrap",
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
                loading_list(),
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


#: Runs in the browser on a key press inside a chip field's box (a plain DOM handler: no event goes to the
#: server per keystroke). Enter with text typed must not submit the form: it blurs the box, which sends the
#: text (the debounced input flushes on blur) and `commit_chips` (the box's `on_blur`), then puts the focus
#: back for the next value. Enter in an empty box still submits the form.
ENTER_ADDS_CHIPS: Var[Any] = Var(
    _js_expr="((e) => { const box = e.target; if (e.key === 'Enter' && box?.value && box.value.trim() !== '') "
    "{ e.preventDefault(); box.blur(); box.focus(); } })"
)


def _chip(value: rx.Var, key: str) -> rx.Component:
    return rx.el.li(
        rx.badge(
            value,
            rx.el.button(
                rx.icon("x", size=12),
                type="button",
                on_click=AlertBuilderState.remove_chip(key, value),
                aria_label="Remove " + value,
                style={
                    "background": "none",
                    "border": "none",
                    "padding": "0 0 0 4px",
                    "cursor": "pointer",
                    "color": "inherit",
                    "display": "inline-flex",
                },
            ),
            size="2",
            variant="soft",
            radius="full",
        ),
        list_style_type="none",
    )


def _chip_field(
    text: str, key: str, hint: str | None = None, options: rx.Var | None = None, **props: object
) -> rx.Component:
    """A list field as chips: typed text becomes a chip on Enter or when the box loses focus; commas
    separate values too; each chip has a remove button. `options` feed a native datalist of suggestions."""
    chips = getattr(AlertBuilderState, f"{key}_chips")
    list_id = f"{key}-suggestions"
    extra: dict[str, object] = {"custom_attrs": {"list": list_id}} if options is not None else {}
    children: list[rx.Component] = [
        label(text, key),
        rx.cond(
            chips.length() > 0,
            rx.el.ul(
                rx.foreach(chips, lambda chip: _chip(chip, key)),
                display="flex",
                flex_wrap="wrap",
                gap="6px",
                padding="0",
                margin="0",
            ),
        ),
        rx.el.div(
            rx.input(
                id=key,
                name=key,
                size="3",
                width="100%",
                value=getattr(AlertBuilderState, key),
                on_change=lambda value: AlertBuilderState.set_field(key, value),
                on_blur=AlertBuilderState.commit_chips(key),
                debounce_timeout=DEBOUNCE_MS,
                auto_complete="off",
                **extra,
                **props,
            ),
            custom_attrs={"onKeyDown": ENTER_ADDS_CHIPS},
            width="100%",
        ),
    ]
    if options is not None:
        children.append(rx.el.datalist(rx.foreach(options, lambda option: rx.el.option(value=option)), id=list_id))
    if hint:
        children.append(rx.text(hint, size="1", color_scheme="gray"))
    error = AlertBuilderState.field_errors.get(key, "")
    children.append(rx.cond(error != "", rx.text(error, size="1", color_scheme="red", role="alert")))
    return rx.flex(*children, direction="column", spacing="1", width="100%")


def _posting_item(posting: PostingRow) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.link(posting.title, href=routes.JOBS + "/" + posting.id.to_string(), weight="medium"),
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
                        rx.cond(
                            AlertBuilderState.preview_postings.length() > 0,
                            rx.el.ul(
                                rx.foreach(AlertBuilderState.preview_postings, _posting_item), padding="0", margin="0"
                            ),
                            rx.text(
                                "No open job matches yet. The alert still watches: new jobs that fit will reach you.",
                                size="2",
                                color_scheme="gray",
                            ),
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
            _chip_field(
                "Keywords",
                "keywords",
                "In the title or the description. Separate several with commas; Enter adds them as chips.",
                placeholder="python, django",
            ),
            _chip_field("Title keywords", "title_keywords", "In the title only.", placeholder="backend engineer"),
            _chip_field(
                "Exclude keywords",
                "exclude_keywords",
                "Jobs that mention any of these are skipped.",
                placeholder="senior, manager",
            ),
            _chip_field(
                "Companies",
                "companies",
                "Suggested from the boards jobwatch watches.",
                options=AlertBuilderState.company_options,
                placeholder="stripe, acme",
            ),
            _chip_field(
                "Locations",
                "locations",
                "Cities, regions or countries; Remote for remote jobs.",
                options=AlertBuilderState.location_options,
                placeholder="Berlin, Germany, Remote",
            ),
            _chip_field(
                "Departments",
                "departments",
                options=AlertBuilderState.department_options,
                placeholder="Engineering",
            ),
            _chip_field(
                "Employment types",
                "employment_types",
                "full time, part time, contract, temporary, internship; none: any type.",
                options=AlertBuilderState.employment_options,
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
                rx.button(
                    rx.icon("send", size=16),
                    "Send me a sample digest now",
                    on_click=AlertBuilderState.send_sample,
                    type="button",
                    variant="soft",
                    size="3",
                ),
                rx.link(
                    rx.button("Cancel", variant="soft", color_scheme="gray", size="3", type="button", tab_index=-1),
                    href=routes.ALERTS,
                ),
                spacing="3",
                wrap="wrap",
            ),
            error_callout(AlertBuilderState.sample_error),
            notice_callout(AlertBuilderState.sample_notice),
            direction="column",
            spacing="4",
        ),
        on_submit=AlertBuilderState.save,
        reset_on_submit=False,
        width="100%",
    )


def _builder() -> rx.Component:
    return rx.cond(
        AlertBuilderState.not_found,
        empty_state(
            "search_x",
            "There is no such alert among yours.",
            rx.link("Back to your alert list", href=routes.ALERTS),
        ),
        rx.grid(
            _builder_form(),
            preview_region(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="6",
            width="100%",
            align_items="start",
        ),
    )


def new_alert_page() -> rx.Component:
    """`/alerts/new`: the builder on the left, the live preview beside it (below it on a phone)."""
    return protected("New alert", _builder())


def edit_alert_page() -> rx.Component:
    """`/alerts/{id}`: the builder with one of the user's alerts; saving changes it."""
    return protected("Edit alert", rx.cond(AlertBuilderState.loaded, _builder(), loading()))
