"""`/admin`: the operators' view. A summary strip (boards, failing boards, queued tasks, users), then tabs:
boards with their health and a `Remove` button (confirmed in a dialog), recent scrape runs, failures, background
tasks (the queue, the last run of each task, failed runs), mail
(the outbox to every recipient, suppressed addresses, refused digests) and users.

Nothing shows until `AdminState.load` found an admin session in the database (`AdminState.loaded`).
"""

from __future__ import annotations

import reflex as rx

from jobwatch.ui.components.forms import VISUALLY_HIDDEN, error_callout, notice_callout
from jobwatch.ui.components.layout import empty_state, loading, protected
from jobwatch.ui.state.admin import (
    AdminBoardRow,
    AdminMailRow,
    AdminRunRow,
    AdminState,
    AdminTaskRow,
    AdminUserRow,
    RefusedRow,
    SuppressedRow,
)

_HEALTH_COLORS = {"healthy": "green", "failing": "amber", "missing": "red", "blocked": "orange", "unchecked": "gray"}
_STATUS_COLORS = {"ok": "green", "partial": "amber", "failed": "red", "running": "blue"}
_TASK_COLORS = {"finished": "green", "failed": "red", "started": "blue", "queued": "gray", "lost": "orange"}


def _badge(value: rx.Var, colors: dict[str, str]) -> rx.Component:
    return rx.match(
        value,
        *[(name, rx.badge(name, color_scheme=color, variant="soft")) for name, color in colors.items()],
        rx.badge(value, color_scheme="gray", variant="soft"),
    )


def _small(text: rx.Var, **props) -> rx.Component:
    return rx.text(text, size="1", color_scheme="gray", **props)


def _table(headers: list[str], rows: rx.Component) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(
                            rx.el.span(h[1:], style=VISUALLY_HIDDEN) if h.startswith("~") else h
                        )
                        for h in headers
                    ]
                )
            ),
            rx.table.body(rows),
            variant="surface",
            size="1",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.el.section(
        rx.flex(rx.heading(title, as_="h2", size="4"), *children, direction="column", spacing="2", width="100%"),
        width="100%",
    )


def _stat(label: str, value: rx.Var, icon: str) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.icon(icon, size=18, color=rx.color("gray", 10)),
            rx.flex(
                rx.text(label, size="1", color_scheme="gray"),
                rx.text(value, size="5", weight="bold"),
                direction="column",
            ),
            spacing="3",
            align="center",
        ),
        size="1",
    )


def _summary() -> rx.Component:
    return rx.grid(
        _stat("Boards", AdminState.boards.length(), "layout_list"),
        _stat("Failing boards", AdminState.failing_boards.length(), "triangle_alert"),
        _stat("Queued tasks", AdminState.queue, "list_ordered"),
        _stat("Users", AdminState.users.length(), "users"),
        columns=rx.breakpoints(initial="2", sm="4"),
        spacing="3",
        width="100%",
    )


# --- boards --------------------------------------------------------------------------------------------


def _remove_button(board: AdminBoardRow) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                "Remove",
                size="1",
                variant="soft",
                color_scheme="red",
                type="button",
                aria_label="Remove " + board.key,
            ),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Remove ", board.key, "?"),
            rx.alert_dialog.description(
                "jobwatch stops watching this board and deletes its postings, its scrape runs and the "
                "notifications about them, for every user. This cannot be undone.",
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button("Cancel", variant="soft", color_scheme="gray", type="button"),
                ),
                rx.alert_dialog.action(
                    rx.button(
                        "Remove board",
                        color_scheme="red",
                        type="button",
                        on_click=AdminState.remove_board(board.id),
                    ),
                ),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="440px",
        ),
    )


def _board_row(board: AdminBoardRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.flex(
                rx.text(board.key, weight="medium", size="2"),
                _small(board.company),
                rx.cond(~board.active, rx.badge("paused", color_scheme="gray", variant="outline", width="fit-content")),
                direction="column",
            )
        ),
        rx.table.cell(
            rx.flex(
                _badge(board.health, _HEALTH_COLORS),
                _small(board.last_status),
                direction="column",
                spacing="1",
                align="start",
            )
        ),
        rx.table.cell(
            rx.flex(
                rx.text(board.last_run, size="1", white_space="nowrap"),
                rx.cond(board.last_success != "", _small("ok " + board.last_success, white_space="nowrap")),
                direction="column",
            )
        ),
        rx.table.cell(rx.text(board.last_error, size="1", color_scheme="red"), max_width="280px"),
        rx.table.cell(rx.cond(board.failures > 0, rx.text(board.failures, color_scheme="red"), rx.text("0"))),
        rx.table.cell(board.open_postings),
        rx.table.cell(_remove_button(board)),
    )


_BOARD_HEADERS = ["Board", "Health", "Last run", "Last error", "Failures in a row", "Open postings", "~Actions"]


def _boards_tab() -> rx.Component:
    return rx.cond(
        AdminState.boards.length() > 0,
        _table(_BOARD_HEADERS, rx.foreach(AdminState.boards, _board_row)),
        empty_state("layout_list", "No boards are watched yet."),
    )


# --- runs and failures ---------------------------------------------------------------------------------


def _run_row(run: AdminRunRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(run.board, size="2", weight="medium")),
        rx.table.cell(rx.text(run.started, size="1", white_space="nowrap")),
        rx.table.cell(_badge(run.status, _STATUS_COLORS)),
        rx.table.cell(
            rx.text(
                run.new.to_string()
                + " new · "
                + run.updated.to_string()
                + " updated · "
                + run.closed.to_string()
                + " closed · "
                + run.reopened.to_string()
                + " reopened · "
                + run.unchanged.to_string()
                + " unchanged",
                size="1",
            )
        ),
        rx.table.cell(rx.text(run.error, size="1", color_scheme="red"), max_width="280px"),
    )


_RUN_HEADERS = ["Board", "Started", "Status", "Counts", "Error"]


def _runs_tab() -> rx.Component:
    return rx.cond(
        AdminState.runs.length() > 0,
        _table(_RUN_HEADERS, rx.foreach(AdminState.runs, _run_row)),
        empty_state("history", "No scrapes have run yet."),
    )


def _failing_board_row(board: AdminBoardRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.flex(rx.text(board.key, weight="medium", size="2"), _small(board.company), direction="column")
        ),
        rx.table.cell(_badge(board.health, _HEALTH_COLORS)),
        rx.table.cell(board.failures),
        rx.table.cell(rx.text(board.last_success, size="1", white_space="nowrap")),
        rx.table.cell(rx.text(board.last_error, size="1", color_scheme="red"), max_width="320px"),
    )


def _failures_tab() -> rx.Component:
    return rx.flex(
        _section(
            "Failing boards",
            rx.cond(
                AdminState.failing_boards.length() > 0,
                _table(
                    ["Board", "Health", "Failures in a row", "Last success", "Last error"],
                    rx.foreach(AdminState.failing_boards, _failing_board_row),
                ),
                rx.text("Every board read fine on its last run.", size="2", color_scheme="gray"),
            ),
        ),
        _section(
            "Failed and partial runs",
            rx.cond(
                AdminState.failed_runs.length() > 0,
                _table(_RUN_HEADERS, rx.foreach(AdminState.failed_runs, _run_row)),
                rx.text("No failed runs.", size="2", color_scheme="gray"),
            ),
        ),
        direction="column",
        spacing="5",
        width="100%",
    )


# --- tasks ---------------------------------------------------------------------------------------------


def _task_row(run: AdminTaskRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.flex(rx.text(run.task, size="2", weight="medium"), _small(run.slot), direction="column")),
        rx.table.cell(_badge(run.state, _TASK_COLORS)),
        rx.table.cell(rx.text(run.queued, size="1", white_space="nowrap")),
        rx.table.cell(rx.text(run.duration, size="1", white_space="nowrap")),
        rx.table.cell(run.attempts),
        rx.table.cell(_small(run.consumer)),
        rx.table.cell(
            rx.flex(_small(run.detail), rx.text(run.error, size="1", color_scheme="red"), direction="column"),
            max_width="320px",
        ),
    )


_TASK_HEADERS = ["Task", "State", "Queued", "Took", "Attempts", "Consumer", "Result"]


def _tasks_tab() -> rx.Component:
    return rx.flex(
        rx.text(
            "Waiting in the queue: " + AdminState.queue + " · scheduled for later (retries): " + AdminState.scheduled,
            size="2",
        ),
        _section(
            "Last run of each task",
            rx.cond(
                AdminState.task_runs.length() > 0,
                _table(_TASK_HEADERS, rx.foreach(AdminState.task_runs, _task_row)),
                empty_state("timer", "No background task has run yet. Is `jobwatch worker` running?"),
            ),
        ),
        _section(
            "Failed task runs",
            rx.cond(
                AdminState.task_failures.length() > 0,
                _table(_TASK_HEADERS, rx.foreach(AdminState.task_failures, _task_row)),
                rx.text("No task has failed.", size="2", color_scheme="gray"),
            ),
        ),
        direction="column",
        spacing="5",
        width="100%",
    )


# --- mail ----------------------------------------------------------------------------------------------


def _mail_item(mail: AdminMailRow) -> rx.Component:
    return rx.button(
        rx.flex(
            rx.text(mail.subject, weight="medium", size="2", align="left"),
            _small(mail.recipient + " · " + mail.sent, align="left"),
            direction="column",
            align="start",
            spacing="1",
        ),
        on_click=AdminState.open_mail(mail.id),
        variant=rx.cond(AdminState.open_mail_id == mail.id, "soft", "ghost"),
        color_scheme="gray",
        height="auto",
        padding="8px",
        width="100%",
        justify="start",
        type="button",
    )


def _mail_viewer() -> rx.Component:
    return rx.cond(
        AdminState.open_mail_id != 0,
        rx.flex(
            rx.flex(
                rx.heading(AdminState.open_mail_subject, size="3", as_="h3"),
                rx.spacer(),
                rx.button(
                    "Close",
                    on_click=AdminState.close_mail,
                    variant="soft",
                    color_scheme="gray",
                    size="1",
                    type="button",
                ),
                align="center",
                width="100%",
            ),
            _small("To " + AdminState.open_mail_to),
            # Our own template's HTML (scraped text in it is escaped), in a frame that may run nothing.
            rx.el.iframe(
                src_doc=AdminState.open_mail_html,
                sandbox="allow-popups allow-popups-to-escape-sandbox",
                title="Email: " + AdminState.open_mail_subject,
                width="100%",
                height="560px",
                style={"border": "1px solid var(--gray-a6)", "border_radius": "8px", "background": "white"},
            ),
            rx.el.details(
                rx.el.summary("Plain-text version"),
                rx.el.pre(AdminState.open_mail_text, style={"white_space": "pre-wrap", "font_size": "13px"}),
            ),
            direction="column",
            spacing="2",
            width="100%",
        ),
        rx.text("Pick an email to read it.", size="2", color_scheme="gray"),
    )


def _suppressed_row(row: SuppressedRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row.email, size="2")),
        rx.table.cell(rx.text(row.since, size="1", white_space="nowrap")),
        rx.table.cell(rx.text(row.reason, size="1")),
    )


def _refused_row(row: RefusedRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row.recipient, size="2")),
        rx.table.cell(rx.text(row.subject, size="1")),
        rx.table.cell(rx.text(row.when, size="1", white_space="nowrap")),
        rx.table.cell(rx.text(row.error, size="1", color_scheme="red"), max_width="280px"),
    )


def _mail_tab() -> rx.Component:
    return rx.flex(
        _section(
            "Outbox",
            rx.cond(
                AdminState.outbox.length() > 0,
                rx.grid(
                    rx.flex(
                        rx.foreach(AdminState.outbox, _mail_item),
                        direction="column",
                        spacing="1",
                        max_height="600px",
                        overflow_y="auto",
                    ),
                    rx.box(_mail_viewer()),
                    columns=rx.breakpoints(initial="1", md="280px 1fr"),
                    spacing="4",
                    width="100%",
                ),
                rx.text("The local outbox is empty.", size="2", color_scheme="gray"),
            ),
        ),
        _section(
            "Suppressed addresses",
            rx.cond(
                AdminState.suppressed.length() > 0,
                _table(["Email", "Since", "Reason"], rx.foreach(AdminState.suppressed, _suppressed_row)),
                rx.text("No address is suppressed.", size="2", color_scheme="gray"),
            ),
        ),
        _section(
            "Refused digests",
            rx.cond(
                AdminState.refused.length() > 0,
                _table(["To", "Subject", "When", "Error"], rx.foreach(AdminState.refused, _refused_row)),
                rx.text("The mail service refused no digests.", size="2", color_scheme="gray"),
            ),
        ),
        direction="column",
        spacing="5",
        width="100%",
    )


# --- users ---------------------------------------------------------------------------------------------


def _yes_no(value: rx.Var, yes_color: str = "green") -> rx.Component:
    return rx.cond(value, rx.badge("yes", color_scheme=yes_color, variant="soft"), _small("no"))


def _user_row(user: AdminUserRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.flex(
                rx.text(user.email, size="2"),
                rx.cond(
                    user.suppressed, rx.badge("suppressed", color_scheme="red", variant="soft", width="fit-content")
                ),
                direction="column",
                spacing="1",
            )
        ),
        rx.table.cell(rx.text(user.created, size="1", white_space="nowrap")),
        rx.table.cell(_yes_no(user.verified)),
        rx.table.cell(_yes_no(user.admin, "blue")),
        rx.table.cell(user.alerts),
    )


def _users_tab() -> rx.Component:
    return rx.cond(
        AdminState.users.length() > 0,
        _table(["Email", "Created", "Verified", "Admin", "Alerts"], rx.foreach(AdminState.users, _user_row)),
        empty_state("users", "No accounts yet."),
    )


# --- the page ------------------------------------------------------------------------------------------


def _tabs() -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(
            rx.tabs.trigger("Boards", value="boards"),
            rx.tabs.trigger("Runs", value="runs"),
            rx.tabs.trigger(
                rx.flex(
                    "Failures",
                    rx.cond(
                        AdminState.failing_boards.length() > 0,
                        rx.badge(AdminState.failing_boards.length(), color_scheme="red", radius="full"),
                    ),
                    spacing="1",
                    align="center",
                ),
                value="failures",
            ),
            rx.tabs.trigger("Tasks", value="tasks"),
            rx.tabs.trigger("Mail", value="mail"),
            rx.tabs.trigger("Users", value="users"),
        ),
        rx.tabs.content(_boards_tab(), value="boards", padding_top="16px"),
        rx.tabs.content(_runs_tab(), value="runs", padding_top="16px"),
        rx.tabs.content(_failures_tab(), value="failures", padding_top="16px"),
        rx.tabs.content(_tasks_tab(), value="tasks", padding_top="16px"),
        rx.tabs.content(_mail_tab(), value="mail", padding_top="16px"),
        rx.tabs.content(_users_tab(), value="users", padding_top="16px"),
        default_value="boards",
        width="100%",
    )


def admin_page() -> rx.Component:
    """`/admin`: summary, messages and the operators' tabs; a spinner until an admin session is confirmed."""
    return protected(
        "Admin",
        rx.cond(
            AdminState.loaded,
            rx.flex(
                _summary(),
                error_callout(AdminState.error),
                notice_callout(AdminState.notice),
                _tabs(),
                direction="column",
                spacing="4",
                width="100%",
            ),
            loading(),
        ),
        actions=rx.button(
            rx.icon("refresh_cw", size=14), "Refresh", on_click=AdminState.refresh, variant="soft", type="button"
        ),
    )
