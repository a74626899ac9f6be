"""`/boards`: add a board by token or URL, the list of watched boards, a manual scrape, a board's postings."""

from __future__ import annotations

import reflex as rx

from jobwatch.ui.components.forms import VISUALLY_HIDDEN, error_callout, field, notice_callout
from jobwatch.ui.components.layout import empty_state, loading_list, protected
from jobwatch.ui.pages.jobs import posting_table
from jobwatch.ui.state.boards import BoardRow, BoardsState, CatalogRow

_STATUS_COLORS = {"ok": "green", "partial": "amber", "failed": "red", "running": "blue"}


def _status_badge(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        *[(name, rx.badge(name, color_scheme=color, variant="soft")) for name, color in _STATUS_COLORS.items()],
        rx.badge(status, color_scheme="gray", variant="soft"),
    )


def _board_row(board: BoardRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.flex(
                rx.link(board.key, href="#postings", on_click=BoardsState.show_postings(board.id), weight="medium"),
                rx.text(board.company, size="1", color_scheme="gray"),
                direction="column",
            )
        ),
        rx.table.cell(
            rx.flex(
                _status_badge(board.status),
                rx.cond(
                    (board.health != "") & (board.health != "healthy") & (board.health != "unchecked"),
                    rx.text(board.health, size="1", color_scheme="amber"),
                ),
                rx.cond(board.last_error != "", rx.text(board.last_error, size="1", color_scheme="red")),
                direction="column",
                spacing="1",
            )
        ),
        rx.table.cell(board.last_run, white_space="nowrap"),
        rx.table.cell(board.open_postings),
        rx.table.cell(
            rx.flex(
                rx.button(
                    "Scrape now",
                    on_click=BoardsState.scrape_now(board.id),
                    size="1",
                    variant="soft",
                    type="button",
                    loading=board.progress_state == "running",
                ),
                rx.cond(
                    board.progress != "",
                    rx.text(
                        board.progress,
                        size="1",
                        color_scheme=rx.match(board.progress_state, ("done", "green"), ("running", "blue"), "gray"),
                        role="status",
                    ),
                ),
                direction="column",
                spacing="1",
                align="start",
            ),
        ),
    )


def _boards_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Board"),
                    rx.table.column_header_cell("Status"),
                    rx.table.column_header_cell("Last run"),
                    rx.table.column_header_cell("Open postings"),
                    rx.table.column_header_cell(rx.el.span("Actions", style=VISUALLY_HIDDEN)),
                )
            ),
            rx.table.body(rx.foreach(BoardsState.boards, _board_row)),
            variant="surface",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


def _add_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.flex(
                rx.box(
                    field(
                        "Board",
                        "board",
                        hint="A board token such as greenhouse:stripe or lever:acme, or a careers page URL.",
                        placeholder="greenhouse:stripe",
                        required=True,
                        max_length=2000,
                    ),
                    flex="1",
                    min_width="240px",
                ),
                rx.button("Add board", type="submit", size="3"),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            on_submit=BoardsState.add_board,
            reset_on_submit=False,
        ),
        width="100%",
    )


def _postings_panel() -> rx.Component:
    return rx.cond(
        BoardsState.selected_id != 0,
        rx.el.section(
            rx.flex(
                rx.flex(
                    rx.heading("Open postings of ", BoardsState.selected_key, as_="h2", size="5"),
                    rx.spacer(),
                    rx.button(
                        "Close",
                        on_click=BoardsState.hide_postings,
                        variant="soft",
                        color_scheme="gray",
                        size="1",
                        type="button",
                    ),
                    align="center",
                    width="100%",
                ),
                rx.cond(
                    BoardsState.postings.length() > 0,
                    posting_table(BoardsState.postings),
                    rx.text("No open postings (yet): a scrape fills this in.", color_scheme="gray", size="2"),
                ),
                direction="column",
                spacing="3",
            ),
            id="postings",
            width="100%",
        ),
    )


def _catalog_item(entry: CatalogRow) -> rx.Component:
    return rx.cond(
        entry.watched,
        rx.badge(entry.name, " ✓", color_scheme="green", variant="soft", size="2"),
        rx.button(
            "+ ",
            entry.name,
            on_click=BoardsState.watch_catalog_board(entry.key),
            variant="outline",
            size="1",
            type="button",
            aria_label="Watch " + entry.name + " (" + entry.key + ")",
        ),
    )


def _catalog() -> rx.Component:
    """The starter catalog: well-known companies' boards, one click to watch."""
    return rx.el.details(
        rx.el.summary(rx.text("Popular companies", size="2", weight="medium", as_="span")),
        rx.flex(rx.foreach(BoardsState.catalog, _catalog_item), wrap="wrap", spacing="2", padding_top="8px"),
        width="100%",
    )


def boards_page() -> rx.Component:
    """`/boards`: the add form, messages, the boards table and the selected board's postings."""
    return protected(
        "Boards",
        _add_form(),
        _catalog(),
        error_callout(BoardsState.error),
        notice_callout(BoardsState.notice),
        rx.cond(BoardsState.detected != "", rx.text(BoardsState.detected, size="2", color_scheme="gray")),
        rx.cond(
            BoardsState.boards.length() > 0,
            _boards_table(),
            rx.cond(
                BoardsState.loaded,
                empty_state("layout_list", "No boards watched yet. Add one above."),
                loading_list(),
            ),
        ),
        _postings_panel(),
    )
