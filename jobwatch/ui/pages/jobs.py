"""`/jobs` (postings with search, facets, pages and "Save this search as an alert") and `/jobs/{id}` (one
posting: its description, the apply link, whether it is closed, and the user's marks)."""

from __future__ import annotations

import reflex as rx

from jobwatch.ui import routes
from jobwatch.ui.components.forms import error_callout, hidden_label, pager
from jobwatch.ui.components.layout import empty_state, loading, loading_list, protected
from jobwatch.ui.state.jobs import FacetRow, JobsState, PostingState
from jobwatch.ui.state.views import PostingRow

#: Table columns shown from the `sm` breakpoint (768 px) up, and what shows only below it.
WIDE_ONLY = rx.breakpoints(initial="none", sm="table-cell")
WIDE_ONLY_HIDDEN = rx.breakpoints(initial="block", sm="none")


def closed_badge(closed: rx.Var) -> rx.Component:
    """A red "Closed" badge when `closed` is true (the posting is no longer listed by its board)."""
    return rx.cond(closed, rx.badge("Closed", color_scheme="red", variant="soft"))


def posting_table(rows: rx.Var) -> rx.Component:
    """A table of postings: title (a link to the posting's page), company, location, posted."""

    def row(posting: PostingRow) -> rx.Component:
        return rx.table.row(
            rx.table.cell(
                rx.flex(
                    rx.link(posting.title, href=posting.page, weight="medium"),
                    rx.cond(posting.workplace != "", rx.badge(posting.workplace, variant="soft")),
                    closed_badge(posting.closed),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                # On a phone the other columns are hidden: the same facts go under the title.
                rx.text(
                    posting.company,
                    rx.cond(posting.location != "", " · " + posting.location, ""),
                    rx.cond(posting.posted != "", " · " + posting.posted, ""),
                    size="1",
                    color_scheme="gray",
                    display=WIDE_ONLY_HIDDEN,
                ),
            ),
            rx.table.cell(posting.company, display=WIDE_ONLY),
            rx.table.cell(posting.location, display=WIDE_ONLY),
            rx.table.cell(posting.posted, white_space="nowrap", display=WIDE_ONLY),
        )

    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Title"),
                    rx.table.column_header_cell("Company", display=WIDE_ONLY),
                    rx.table.column_header_cell("Location", display=WIDE_ONLY),
                    rx.table.column_header_cell("Posted", display=WIDE_ONLY),
                )
            ),
            rx.table.body(rx.foreach(rows, row)),
            variant="surface",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


def _facet_box(item: FacetRow) -> rx.Component:
    box_id = "facet-" + item.facet + "-" + item.value
    return rx.flex(
        rx.checkbox(
            id=box_id,
            checked=item.selected,
            on_change=lambda on: JobsState.toggle_facet(item.facet, item.value, on),
        ),
        rx.el.label(
            rx.text(item.label, " ", rx.text(item.count, as_="span", color_scheme="gray"), as_="span", size="2"),
            html_for=box_id,
        ),
        spacing="2",
        align="center",
    )


def _facet(title: str, values: rx.Var) -> rx.Component:
    return rx.cond(
        values.length() > 0,
        rx.el.fieldset(
            rx.el.legend(rx.text(title, as_="span", size="2", weight="bold")),
            rx.flex(rx.foreach(values, _facet_box), direction="column", spacing="1", padding_top="4px"),
            border="none",
            padding="0",
            margin="0",
        ),
    )


def _posted_within() -> rx.Component:
    def choice(item: FacetRow) -> rx.Component:
        return rx.el.label(
            rx.flex(
                rx.radio_group.item(value=item.value, id="posted-" + item.value),
                rx.text(item.label, " ", rx.text(item.count, as_="span", color_scheme="gray"), as_="span", size="2"),
                spacing="2",
                align="center",
            ),
        )

    return rx.el.fieldset(
        rx.el.legend(rx.text("Posted within", as_="span", size="2", weight="bold")),
        rx.radio_group.root(
            rx.flex(
                rx.el.label(
                    rx.flex(
                        rx.radio_group.item(value="any"),
                        rx.text("Any time", as_="span", size="2"),
                        spacing="2",
                        align="center",
                    )
                ),
                rx.foreach(JobsState.posted_facet, choice),
                direction="column",
                spacing="1",
                padding_top="4px",
            ),
            value=rx.cond(JobsState.posted_within == "", "any", JobsState.posted_within),
            on_change=JobsState.set_posted_within,  # "any" (no such choice) clears it
            aria_label="Posted within",
        ),
        border="none",
        padding="0",
        margin="0",
    )


def _filters() -> rx.Component:
    return rx.el.aside(
        rx.flex(
            _facet("Company", JobsState.company_facet),
            _facet("Location", JobsState.location_facet),
            _facet("Workplace", JobsState.workplace_facet),
            _facet("Employment type", JobsState.employment_facet),
            _facet("Department", JobsState.department_facet),
            _posted_within(),
            rx.flex(
                rx.checkbox(
                    id="include-closed", checked=JobsState.include_closed, on_change=JobsState.set_include_closed
                ),
                rx.el.label(rx.text("Include closed jobs", as_="span", size="2"), html_for="include-closed"),
                spacing="2",
                align="center",
            ),
            rx.cond(
                JobsState.filtered,
                rx.button("Clear filters", on_click=JobsState.clear_filters, variant="soft", size="1", type="button"),
            ),
            direction="column",
            spacing="4",
        ),
        aria_label="Filters",
    )


def jobs_page() -> rx.Component:
    """`/jobs`: a search box, facets beside the results (above them on a phone), pages."""
    return protected(
        "Jobs",
        rx.form(
            rx.flex(
                hidden_label("Search jobs", "q"),
                rx.input(
                    id="q",
                    name="q",
                    placeholder="Keywords, e.g. data engineer, python",
                    size="3",
                    flex="1",
                    default_value=JobsState.query,
                    type="search",
                    max_length=200,
                ),
                rx.button("Search", type="submit", size="3"),
                spacing="2",
                width="100%",
            ),
            on_submit=JobsState.search,
            reset_on_submit=False,
            role="search",
        ),
        error_callout(JobsState.error),
        rx.cond(
            JobsState.loaded,
            rx.grid(
                # On a phone the results come first and the filters follow them.
                rx.box(_filters(), min_width="0", order=rx.breakpoints(initial="2", md="0")),
                rx.flex(
                    rx.flex(
                        rx.text(JobsState.summary, size="2", color_scheme="gray", aria_live="polite"),
                        rx.spacer(),
                        rx.button(
                            rx.icon("bell_plus", size=16),
                            "Save this search as an alert",
                            on_click=JobsState.save_as_alert,
                            variant="soft",
                            size="2",
                            type="button",
                        ),
                        align="center",
                        wrap="wrap",
                        spacing="2",
                        width="100%",
                    ),
                    rx.cond(
                        JobsState.rows.length() > 0,
                        posting_table(JobsState.rows),
                        rx.cond(
                            JobsState.error == "",
                            empty_state("briefcase", "No job matches this search. Try fewer words or filters."),
                        ),
                    ),
                    pager(JobsState.page, JobsState.page_count, JobsState.go_to_page),
                    direction="column",
                    spacing="3",
                    id="results",
                    min_width="0",
                ),
                columns=rx.breakpoints(initial="1", md="220px 1fr"),
                spacing="5",
                width="100%",
            ),
            loading_list(),
        ),
    )


def _fact(name: str, value: rx.Var) -> rx.Component:
    return rx.cond(
        value != "",
        rx.flex(
            rx.text(name, size="1", color_scheme="gray"),
            rx.text(value, size="2"),
            direction="column",
        ),
    )


def _posting() -> rx.Component:
    return rx.flex(
        rx.cond(
            PostingState.closed != "",
            rx.callout(
                "Closed: the board stopped listing this job on " + PostingState.closed + ".",
                icon="circle_off",
                color_scheme="red",
                role="status",
            ),
        ),
        rx.flex(
            closed_badge(PostingState.closed != ""),
            rx.text(PostingState.company, rx.cond(PostingState.location != "", " · " + PostingState.location, "")),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        rx.flex(
            _fact("Workplace", PostingState.workplace),
            _fact("Employment type", PostingState.employment_type),
            _fact("Department", PostingState.department),
            _fact("Salary", PostingState.salary),
            _fact("Posted", PostingState.posted),
            _fact("First seen", PostingState.first_seen),
            _fact("Board", PostingState.board_key),
            spacing="5",
            wrap="wrap",
        ),
        rx.flex(
            rx.cond(
                PostingState.url != "",
                rx.link(
                    rx.button(rx.icon("external_link", size=16), "Apply", size="3", type="button", tab_index=-1),
                    href=PostingState.url,
                    is_external=True,
                    rel="noopener noreferrer nofollow",
                ),
            ),
            rx.button(
                rx.cond(PostingState.saved, "Saved", "Save"),
                on_click=PostingState.set_saved(~PostingState.saved),
                variant=rx.cond(PostingState.saved, "solid", "soft"),
                aria_pressed=rx.cond(PostingState.saved, "true", "false"),
                size="3",
                type="button",
            ),
            rx.button(
                rx.cond(PostingState.applied, "Applied", "Mark applied"),
                on_click=PostingState.set_applied(~PostingState.applied),
                variant=rx.cond(PostingState.applied, "solid", "soft"),
                color_scheme="green",
                aria_pressed=rx.cond(PostingState.applied, "true", "false"),
                size="3",
                type="button",
            ),
            rx.button(
                rx.cond(PostingState.hidden, "Show in inbox again", "Hide"),
                on_click=PostingState.set_hidden(~PostingState.hidden),
                variant="soft",
                color_scheme="gray",
                size="3",
                type="button",
            ),
            spacing="3",
            wrap="wrap",
        ),
        rx.separator(size="4"),
        rx.cond(
            PostingState.description_html != "",
            # Sanitized by nh3 on the server (`postings_search.sanitize_html`): no script, style, event
            # handlers or javascript: links can reach this element.
            rx.box(rx.html(PostingState.description_html), class_name="posting-description", line_height="1.6"),
            rx.text("The board gave no description for this job.", color_scheme="gray"),
        ),
        rx.link("← Back to jobs", href=routes.JOBS, size="2"),
        direction="column",
        spacing="4",
        width="100%",
    )


def posting_page() -> rx.Component:
    """`/jobs/{id}`: one posting (a closed one says so), or "not found"."""
    return protected(
        rx.cond(PostingState.loaded & ~PostingState.not_found, PostingState.title, "Job"),
        rx.cond(
            PostingState.loaded,
            rx.cond(
                PostingState.not_found,
                empty_state("search_x", "There is no such job.", rx.link("Browse jobs", href=routes.JOBS)),
                _posting(),
            ),
            loading(),
        ),
    )
