"""States of `/alerts` (the user's alerts) and `/alerts/new` (the builder with its live preview)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import reflex as rx

from jobwatch.core.filters import REQUIRED_ANY_OF, FilterError
from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.services import alert_controls, alerts
from jobwatch.ui import routes
from jobwatch.ui.state.account import sentence
from jobwatch.ui.state.auth import AuthState, CurrentUser, signed_out
from jobwatch.ui.state.views import PostingRow, day, posting_row

#: The builder's text fields that hold comma-separated lists, by filter key.
LIST_FIELDS: tuple[str, ...] = (
    "keywords",
    "title_keywords",
    "exclude_keywords",
    "companies",
    "locations",
    "departments",
    "employment_types",
)
#: Every filter key's form label (CONTRACT section 4), used to word messages as the page words the fields.
FIELD_LABELS: dict[str, str] = {
    "keywords": "Keywords",
    "title_keywords": "Title keywords",
    "exclude_keywords": "Exclude keywords",
    "companies": "Companies",
    "locations": "Locations",
    "departments": "Departments",
    "employment_types": "Employment types",
    "is_remote": "Remote only",
    "min_posted_days_ago": "Posted within (days)",
    "salary_min": "Minimum salary",
}
#: The builder's fields a user can type into (the event `set_field` refuses any other name).
TEXT_FIELDS: tuple[str, ...] = ("name", *LIST_FIELDS, "posted_within", "min_salary")
PREVIEW_LIMIT = 10
EMPTY_HINT = "Fill in keywords, title keywords, companies, locations or departments to see matching jobs."


@dataclass
class AlertRow:
    """One alert in the list: its name and a one-line description of its filters."""

    id: int = 0
    name: str = ""
    summary: str = ""
    frequency: str = ""
    matches: int = 0
    created: str = ""
    active: bool = True
    emails: bool = True
    feed: str = ""


def describe_filters(filters: dict[str, Any]) -> str:
    """A one-line, human description of an alert's filters (`Keywords: python · Remote only`)."""
    parts: list[str] = []
    for key, label in FIELD_LABELS.items():
        value = filters.get(key)
        if value in (None, [], False):
            continue
        if key == "is_remote":
            parts.append("Remote only" if value else "Not remote")
        elif isinstance(value, list):
            parts.append(f"{label}: {', '.join(str(v) for v in value)}")
        else:
            parts.append(f"{label}: {value}")
    return " · ".join(parts)


class AlertsState(AuthState):
    """`/alerts`: lists the signed-in user's alerts; deletes one."""

    alerts: list[AlertRow] = []
    loaded: bool = False

    def _reload(self, user: CurrentUser) -> None:
        with session_scope() as session:
            summaries = alerts.list_alerts(session=session, user_id=user.id)
            emailed = alert_controls.email_on_ids(session=session, user_id=user.id)
            feeds = {
                a.id: alert_controls.alert_feed_url(session=session, user_id=user.id, alert_id=a.id) or ""
                for a in summaries
            }
        self.alerts = [
            AlertRow(
                id=a.id,
                name=a.name,
                summary=describe_filters(a.filters),
                frequency=a.frequency,
                matches=a.match_count,
                created=day(a.created_at),
                active=a.is_active,
                emails=a.id in emailed,
                feed=feeds.get(a.id, ""),
            )
            for a in summaries
        ]
        self.loaded = True

    @rx.event
    def load(self):
        """`on_load`: check the session, then list the user's alerts."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._refresh_unread(user)
        self._reload(user)
        return None

    @rx.event
    def set_email(self, alert_id: int, on: bool):
        """Turn digest email for one of the user's alerts on or off."""
        user = self._require_user()
        if user is None:
            return signed_out()
        with session_scope() as session:
            alert_controls.set_email(session=session, user_id=user.id, alert_id=int(alert_id), on=bool(on))
        self._reload(user)
        return None

    @rx.event
    def set_active(self, alert_id: int, active: bool):
        """Pause or resume one of the user's alerts."""
        user = self._require_user()
        if user is None:
            return signed_out()
        with session_scope() as session:
            alert_controls.set_active(session=session, user_id=user.id, alert_id=int(alert_id), active=bool(active))
        self._reload(user)
        return None

    @rx.event
    def delete_alert(self, alert_id: int):
        """Delete one of the signed-in user's alerts (someone else's id changes nothing)."""
        user = self._require_user()
        if user is None:
            return signed_out()
        with session_scope() as session:
            deleted = alerts.delete_alert(session=session, user_id=user.id, alert_id=int(alert_id))
        self._reload(user)
        return rx.toast.success("Alert deleted.") if deleted else None


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _employment_type(text: str) -> str:
    # "Full time", "full-time" and "FULL_TIME" all mean `full_time`.
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _whole_number(text: str, *, thousands: bool) -> int | None:
    cleaned = re.sub(r"[\s,_']", "", text.strip().lower())
    factor = 1
    if thousands and cleaned.endswith("k"):
        cleaned, factor = cleaned[:-1], 1000
    if not cleaned.isdigit():
        raise ValueError(cleaned)
    return int(cleaned) * factor


class FormProblem(Exception):
    """A builder field that cannot become a filter; `key` is the filter key, the message is for the page."""

    def __init__(self, key: str | None, message: str) -> None:
        self.key = key
        super().__init__(message)


def build_filters(fields: dict[str, Any]) -> dict[str, Any]:
    """CONTRACT section 3 filters from the builder's fields (text as typed, `remote_only` a bool).

    Lists are comma-separated; employment types accept spaces and hyphens (`full time`); the minimum
    salary accepts `120,000` and `120k`. Raises `FormProblem` for a number that is not one. Other checks
    are the service's (`alerts.validate_filters`).
    """
    filters: dict[str, Any] = {}
    for key in LIST_FIELDS:
        items = _split(str(fields.get(key) or ""))
        if key == "employment_types":
            items = [_employment_type(item) for item in items]
        if items:
            filters[key] = items
    if fields.get("remote_only"):
        filters["is_remote"] = True
    posted = str(fields.get("posted_within") or "").strip()
    if posted:
        try:
            filters["min_posted_days_ago"] = _whole_number(posted, thousands=False)
        except ValueError:
            raise FormProblem("min_posted_days_ago", "Enter a whole number of days, 1 to 365.") from None
    salary = str(fields.get("min_salary") or "").strip()
    if salary:
        try:
            filters["salary_min"] = _whole_number(salary, thousands=True)
        except ValueError:
            raise FormProblem("salary_min", "Enter a yearly amount such as 90000 or 90k.") from None
    return filters


def explain(exc: BadInput) -> tuple[str | None, str]:
    """`(filter key or None, message)` for a service's `BadInput`, worded with the form's labels."""
    cause = exc.__cause__
    key = cause.key if isinstance(cause, FilterError) else None
    message = str(exc)
    if key is None and "at least one of" in message:
        names = [FIELD_LABELS[k] for k in REQUIRED_ANY_OF]
        return None, f"Fill in at least one of {', '.join(names[:-1])} or {names[-1]}."
    if key in FIELD_LABELS and message.startswith(f"{key}: "):
        message = message[len(key) + 2 :]
    return key, sentence(message.replace("salary_min", "the minimum salary"))


class AlertBuilderState(AuthState):
    """`/alerts/new`: the form's fields, the live preview of the draft, and saving it."""

    name: str = ""
    keywords: str = ""
    title_keywords: str = ""
    exclude_keywords: str = ""
    companies: str = ""
    locations: str = ""
    departments: str = ""
    employment_types: str = ""
    posted_within: str = ""
    min_salary: str = ""
    remote_only: bool = False
    #: How often matches are emailed: `instant`, `daily` or `weekly` (the inbox always gets them at once).
    frequency: str = "daily"

    #: Messages under a field, by filter key (or `name`).
    field_errors: dict[str, str] = {}
    #: A problem with the whole draft, or the hint shown while it names nothing to match on.
    draft_message: str = EMPTY_HINT
    form_error: str = ""
    preview_ready: bool = False
    preview_count: str = ""
    preview_postings: list[PostingRow] = []

    def _fields(self) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(self, name) for name in TEXT_FIELDS}
        values["remote_only"] = self.remote_only
        return values

    def _clear_preview(self, message: str) -> None:
        self.preview_ready = False
        self.preview_count = ""
        self.preview_postings = []
        self.draft_message = message

    def _refresh_preview(self) -> None:
        self.field_errors = {}
        try:
            filters = build_filters(self._fields())
        except FormProblem as problem:
            self.field_errors = {problem.key or "": str(problem)}
            self._clear_preview("Fix the marked field to see matching jobs.")
            return
        if not any(filters.get(key) for key in REQUIRED_ANY_OF):
            self._clear_preview(EMPTY_HINT)
            return
        try:
            with session_scope() as session:
                result = alerts.preview(session=session, filters=filters, limit=PREVIEW_LIMIT)
        except BadInput as exc:
            key, message = explain(exc)
            if key is not None:
                self.field_errors = {key: message}
            self._clear_preview(message)
            return
        count = f"{result.count:,}+" if result.capped else f"{result.count:,}"
        self.preview_count = f"{count} matching open job{'' if result.count == 1 else 's'}"
        self.preview_postings = [posting_row(p) for p in result.postings]
        self.preview_ready = True
        self.draft_message = ""

    @rx.event
    def load(self):
        """`on_load`: check the session and start from an empty draft."""
        self.reset()
        user = self._require_user()
        if user is None:
            return signed_out()
        self._refresh_unread(user)
        return None

    @rx.event
    def set_field(self, field: str, value: str):
        """Set one text field of the draft (debounced in the page) and refresh the preview."""
        if field not in TEXT_FIELDS:
            return None
        if self._require_user() is None:
            return signed_out()
        setattr(self, field, str(value)[:5000])
        self.form_error = ""
        self._refresh_preview()
        return None

    @rx.event
    def set_remote_only(self, value: bool):
        """Tick or untick `Remote only` and refresh the preview."""
        if self._require_user() is None:
            return signed_out()
        self.remote_only = bool(value)
        self._refresh_preview()
        return None

    @rx.event
    def set_frequency(self, value: str):
        """Choose how often this alert's matches are emailed (anything but the three choices is ignored)."""
        if self._require_user() is None:
            return signed_out()
        if value in alerts.FREQUENCIES:
            self.frequency = value
        return None

    @rx.event
    def save(self, form_data: dict[str, Any]):
        """Save the draft as a new alert of the signed-in user; stay on the page with messages if it is
        invalid. The submitted form's values win over the synced ones (the last keystroke may be pending)."""
        user = self._require_user()
        if user is None:
            return signed_out()
        for field in TEXT_FIELDS:
            if isinstance(form_data.get(field), str):
                setattr(self, field, form_data[field][:5000])
        if form_data.get("frequency") in alerts.FREQUENCIES:
            self.frequency = form_data["frequency"]
        self._refresh_preview()
        try:
            filters = build_filters(self._fields())
            with session_scope() as session:
                alerts.create_alert(
                    session=session, user_id=user.id, name=self.name, filters=filters, frequency=self.frequency
                )
        except FormProblem as problem:
            self.form_error = str(problem)
            return None
        except BadInput as exc:
            key, message = explain(exc)
            if key is None and "name" in message.lower():
                key = "name"
            if key is not None:
                self.field_errors = {**self.field_errors, key: message}
            self.form_error = message
            return None
        name = self.name
        self.reset()
        return [rx.redirect(routes.ALERTS), rx.toast.success(f"Alert “{name}” saved.")]
