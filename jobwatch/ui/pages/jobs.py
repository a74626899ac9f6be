"""`/jobs`: the newest open postings, with a search over titles."""

from __future__ import annotations

import reflex as rx

from jobwatch.ui.components.forms import error_callout, hidden_label
from jobwatch.ui.components.layout import empty_state, protected
from jobwatch.ui.state.jobs import JobsState
from jobwatch.ui.state.views import PostingRow


def posting_table(rows: rx.Var) -> rx.Component:
    """A table of postings: title (a link when the posting has a public page), company, location, posted."""

    def row(posting: PostingRow) -> rx.Component:
        return rx.table.row(
            rx.table.cell(
                rx.cond(
                    posting.url != "",
                    rx.link(posting.title, href=posting.url, is_external=True),
                    rx.text(posting.title),
                ),
                rx.cond(posting.workplace != "", rx.badge(posting.workplace, variant="soft", margin_left="2")),
            ),
            rx.table.cell(posting.company),
            rx.table.cell(posting.location),
            rx.table.cell(posting.posted, white_space="nowrap"),
        )

    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Title"),
                    rx.table.column_header_cell("Company"),
                    rx.table.column_header_cell("Location"),
                    rx.table.column_header_cell("Posted"),
                )
            ),
            rx.table.body(rx.foreach(rows, row)),
            variant="surface",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


def jobs_page() -> rx.Component:
    """`/jobs`: a search box and the table of open postings."""
    return protected(
        "Jobs",
        rx.form(
            rx.flex(
                hidden_label("Search titles", "q"),
                rx.input(
                    id="q",
                    name="q",
                    placeholder="Search job titles, e.g. data engineer",
                    size="3",
                    flex="1",
                    default_value=JobsState.query,
                    type="search",
                    max_length=100,
                ),
                rx.button("Search", type="submit", size="3"),
                spacing="2",
                width="100%",
            ),
            on_submit=JobsState.search,
            reset_on_submit=False,
        ),
        error_callout(JobsState.error),
        rx.text(JobsState.summary, size="2", color_scheme="gray"),
        rx.cond(
            JobsState.rows.length() > 0,
            posting_table(JobsState.rows),
            rx.cond(JobsState.loaded & (JobsState.error == ""), empty_state("briefcase", "No matching open jobs.")),
        ),
    )
