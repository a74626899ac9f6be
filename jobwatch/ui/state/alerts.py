"""States of `/alerts` (the user's alerts) and `/alerts/new` (the builder with its live preview)."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import reflex as rx

from jobwatch.core.filters import REQUIRED_ANY_OF, FilterError
from jobwatch.db import session_scope
from jobwatch.errors import BadInput
from jobwatch.models import utcnow
from jobwatch.services import alert_controls, alerts
from jobwatch.services.postings_search import EMPLOYMENT_TYPES, Suggestions, builder_suggestions
from jobwatch.services.sample_digest import send_sample_digest
from jobwatch.ui import routes
from jobwatch.ui.state.account import sentence
from jobwatch.ui.state.auth import AuthState, CurrentUser, signed_out
from jobwatch.ui.state.views import PostingRow, day, minute, posting_row

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
    #: When a digest last told the user of this alert's matches ("never" before the first).
    last_notified: str = ""
    #: Postings matched in the last 7 days.
    week_matches: int = 0
    edit_url: str = ""


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
    #: The alert just copied from this page: a second click before the copy opens copies nothing more.
    _copied: int | None = None

    def _reload(self, user: CurrentUser) -> None:
        with session_scope() as session:
            summaries = alerts.list_alerts(session=session, user_id=user.id)
            emailed = alert_controls.email_on_ids(session=session, user_id=user.id)
            feeds = {
                a.id: alert_controls.alert_feed_url(session=session, user_id=user.id, alert_id=a.id) or ""
                for a in summaries
            }
            week = alerts.matches_since(session=session, user_id=user.id, since=utcnow() - timedelta(days=7))
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
                last_notified=minute(a.last_notified_at) or "never",
                week_matches=week.get(a.id, 0),
                edit_url=f"{routes.ALERTS}/{a.id}",
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
        self._copied = None
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

    @rx.event
    def duplicate_alert(self, alert_id: int):
        """Copy one of the user's alerts ("Copy of ..."), then open the copy in the builder."""
        user = self._require_user()
        if user is None:
            return signed_out()
        if self._copied == int(alert_id):  # a double click: the copy is already being opened
            return None
        with session_scope() as session:
            copy = alerts.duplicate_alert(session=session, user_id=user.id, alert_id=int(alert_id))
            copy_id = copy.id if copy is not None else None
        self._reload(user)
        if copy_id is None:
            return rx.toast.error("That alert no longer exists.")
        self._copied = int(alert_id)
        return [rx.redirect(f"{routes.ALERTS}/{copy_id}"), rx.toast.success("Alert copied: edit the copy here.")]


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _employment_type(text: str) -> str:
    # "Full time", "full-time" and "FULL_TIME" all mean `full_time`.
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


#: The builder's message for a "Posted within (days)" value it cannot use.
POSTED_WITHIN_HINT = "Enter a whole number of days, 1 to 365."


def _whole_number(text: str, *, thousands: bool) -> int:
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


def merge_values(*groups: list[str]) -> list[str]:
    """The values of `groups` in order, each once (compared case-insensitively, trimmed), empty ones left out."""
    seen: set[str] = set()
    merged: list[str] = []
    for group in groups:
        for value in group:
            value = value.strip()
            if value and value.casefold() not in seen:
                seen.add(value.casefold())
                merged.append(value)
    return merged


def build_filters(fields: dict[str, Any], chips: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """CONTRACT section 3 filters from the builder's fields (text as typed, `remote_only` a bool) and its
    chips (values already added to a list field, by filter key).

    A list is the field's chips, then its text split at commas, each value once; employment types accept
    spaces and hyphens (`full time`); the minimum salary accepts `120,000` and `120k`. Raises `FormProblem`
    for a number that is not one. Other checks are the service's (`alerts.validate_filters`).
    """
    chips = chips or {}
    filters: dict[str, Any] = {}
    for key in LIST_FIELDS:
        items = merge_values(chips.get(key, []), _split(str(fields.get(key) or "")))
        if key == "employment_types":
            items = merge_values([_employment_type(item) for item in items])
        if items:
            filters[key] = items
    if fields.get("remote_only"):
        filters["is_remote"] = True
    posted = str(fields.get("posted_within") or "").strip()
    if posted:
        try:
            filters["min_posted_days_ago"] = days = _whole_number(posted, thousands=False)
        except ValueError:
            raise FormProblem("min_posted_days_ago", POSTED_WITHIN_HINT) from None
        if not 1 <= days <= 365:  # the core's own check, in the builder's words
            raise FormProblem("min_posted_days_ago", POSTED_WITHIN_HINT)
    salary = str(fields.get("min_salary") or "").strip()
    if salary:
        try:
            filters["salary_min"] = _whole_number(salary, thousands=True)
        except ValueError:
            raise FormProblem("salary_min", "Enter a yearly amount such as 90000 or 90k.") from None
    return filters


#: Filter keys whose builder field has another name (the page looks errors up by field name).
FORM_FIELDS = {"min_posted_days_ago": "posted_within", "salary_min": "min_salary", "is_remote": "remote_only"}


def form_field(key: str | None) -> str:
    """The builder field that shows errors of filter key `key` ("" for errors of the whole form)."""
    return FORM_FIELDS.get(key or "", key or "")


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


#: The list fields shown as chips: typed text becomes chips when the field loses focus (Enter does that too,
#: in the browser, with no event per keystroke).
CHIP_FIELDS: tuple[str, ...] = LIST_FIELDS
#: Employment types as the builder suggests them (typed forms such as "full time" are accepted).
EMPLOYMENT_CHOICES: list[str] = [t.replace("_", " ") for t in EMPLOYMENT_TYPES]
#: The longest prefilled filters (`?filters=` JSON) the builder reads.
MAX_PREFILL = 5000


def route_id(path: str, prefix: str) -> str:
    """The `{id}` segment of `path` under `prefix` (`/alerts/12` under `/alerts` is `12`); empty when `path`
    is not `prefix/<segment>`. Dynamic routes are read from the URL path, the one place Reflex keeps it."""
    parts = path.rstrip("/").split("/")
    base = prefix.strip("/").split("/")
    if len(parts) != len(base) + 2 or parts[1:-1] != base:
        return ""
    return parts[-1]


def _chips_var(key: str) -> str:
    return f"{key}_chips"


@dataclass
class SuggestionLists:
    """What the builder suggests as the user types (datalists): companies, places, departments."""

    companies: list[str]
    locations: list[str]
    departments: list[str]


def _run_preview(filters: dict[str, Any]) -> alerts.Preview:
    """The live preview of `filters` in its own database session (run in a worker thread)."""
    with session_scope() as session:
        return alerts.preview(session=session, filters=filters, limit=PREVIEW_LIMIT)


def _suggestions() -> Suggestions:
    """The builder's company, place and department suggestions (run in a worker thread)."""
    with session_scope() as session:
        return builder_suggestions(session=session)


class AlertBuilderState(AuthState):
    """`/alerts/new` and `/alerts/{id}`: the draft's fields and chips, the live preview, saving (a new alert,
    or the edited one), and the sample digest."""

    #: The alert being edited (0: a new one). Set only by `load` from the route, after an ownership check.
    editing_id: int = 0
    #: The route named an alert that is not the user's (or does not exist): the page says so.
    not_found: bool = False
    loaded: bool = False

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

    keywords_chips: list[str] = []
    title_keywords_chips: list[str] = []
    exclude_keywords_chips: list[str] = []
    companies_chips: list[str] = []
    locations_chips: list[str] = []
    departments_chips: list[str] = []
    employment_types_chips: list[str] = []

    company_options: list[str] = []
    location_options: list[str] = []
    department_options: list[str] = []
    employment_options: list[str] = list(EMPLOYMENT_CHOICES)

    #: Messages under a field, by filter key (or `name`).
    field_errors: dict[str, str] = {}
    #: A problem with the whole draft, or the hint shown while it names nothing to match on.
    draft_message: str = EMPTY_HINT
    form_error: str = ""
    preview_ready: bool = False
    preview_count: str = ""
    preview_postings: list[PostingRow] = []
    sample_notice: str = ""
    sample_error: str = ""
    sample_sending: bool = False

    # --- the draft ---------------------------------------------------------------------------------------

    def _chips(self) -> dict[str, list[str]]:
        return {key: list(getattr(self, _chips_var(key))) for key in CHIP_FIELDS}

    def _fields(self) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(self, name) for name in TEXT_FIELDS}
        values["remote_only"] = self.remote_only
        return values

    def _filters(self) -> dict[str, Any]:
        return build_filters(self._fields(), self._chips())

    def _clear_preview(self, message: str) -> None:
        self.preview_ready = False
        self.preview_count = ""
        self.preview_postings = []
        self.draft_message = message

    async def _refresh_preview(self) -> None:
        self.field_errors = {}
        try:
            filters = self._filters()
        except FormProblem as problem:
            self.field_errors = {form_field(problem.key): str(problem)}
            self._clear_preview("Fix the marked field to see matching jobs.")
            return
        if not any(filters.get(key) for key in REQUIRED_ANY_OF):
            self._clear_preview(EMPTY_HINT)
            return
        try:
            # Off the event loop: one slow draft must not hold up every other user's events.
            result = await asyncio.to_thread(_run_preview, filters)
        except BadInput as exc:
            key, message = explain(exc)
            if key is not None:
                self.field_errors = {form_field(key): message}
            self._clear_preview(message)
            return
        count = f"{result.count:,}+" if result.capped else f"{result.count:,}"
        self.preview_count = f"{count} matching open job{'' if result.count == 1 else 's'}"
        self.preview_postings = [posting_row(p) for p in result.postings]
        self.preview_ready = True
        self.draft_message = ""

    def _fill(self, filters: dict[str, Any]) -> None:
        """Put stored (or prefilled) filters into the form: lists as chips (employment types as people write
        them, `full time`), numbers as text."""
        for key in CHIP_FIELDS:
            given = filters.get(key)  # a list of strings; anything else (a crafted link's string) is ignored
            values = [v[:100] for v in given if isinstance(v, str)][:50] if isinstance(given, list) else []
            if key == "employment_types":
                values = [v.replace("_", " ") for v in values]  # shown as people write them
            setattr(self, _chips_var(key), merge_values(values))
        self.remote_only = filters.get("is_remote") is True
        days = filters.get("min_posted_days_ago")
        self.posted_within = str(days) if isinstance(days, int) else ""
        salary = filters.get("salary_min")
        self.min_salary = str(salary) if isinstance(salary, int) else ""

    async def _load_suggestions(self) -> None:
        found = await asyncio.to_thread(_suggestions)
        self.company_options, self.location_options = found.companies, found.locations
        self.department_options = found.departments

    def _prefill(self) -> None:
        """A new draft from `?filters=<JSON>` ("Save this search as an alert" on `/jobs`); bad JSON is ignored."""
        raw = self.router.url.query_parameters.get("filters", "")
        if not raw or len(raw) > MAX_PREFILL:
            return
        try:
            filters = json.loads(raw)
        except ValueError:
            return
        if isinstance(filters, dict):
            self._fill(filters)
            words = filters.get("keywords") or filters.get("companies") or []
            if isinstance(words, list) and words:
                self.name = ", ".join(str(w) for w in words[:3])[:100]

    @rx.event
    async def load(self):
        """`on_load`: check the session; then an empty draft (or one prefilled from a search), or, on
        `/alerts/{id}`, the user's alert `id` (someone else's id shows "not found" and nothing of theirs)."""
        self.reset()
        user = self._require_user()
        if user is None:
            return signed_out()
        self._refresh_unread(user)
        await self._load_suggestions()
        alert_param = route_id(self.router.url.path, routes.ALERTS)
        if alert_param and alert_param != "new":
            draft = None
            if alert_param.isdigit():
                with session_scope() as session:
                    draft = alerts.get_alert(session=session, user_id=user.id, alert_id=int(alert_param))
            if draft is None:
                self.not_found = True
                self.loaded = True
                return None
            self.editing_id = draft.id
            self.name = draft.name
            self.frequency = draft.frequency
            self._fill(draft.filters)
        else:
            self._prefill()
        await self._refresh_preview()
        self.loaded = True
        return None

    @rx.event
    async def set_field(self, field: str, value: str):
        """Set one text field of the draft (debounced in the page) and refresh the preview."""
        if field not in TEXT_FIELDS:
            return None
        if self._require_user() is None:
            return signed_out()
        setattr(self, field, str(value)[:5000])
        self.form_error = ""
        await self._refresh_preview()
        return None

    def _commit(self, field: str) -> None:
        text = getattr(self, field)
        typed = _split(text)
        if not typed:
            return
        chips = merge_values(getattr(self, _chips_var(field)), typed)[:50]
        setattr(self, _chips_var(field), chips)
        setattr(self, field, "")

    @rx.event
    async def commit_chips(self, field: str):
        """Turn the text typed into a chip field into chips (when the field loses focus; the page's Enter
        handler blurs and refocuses the field, so Enter adds chips too)."""
        if field not in CHIP_FIELDS:
            return None
        if self._require_user() is None:
            return signed_out()
        self._commit(field)
        await self._refresh_preview()
        return None

    @rx.event
    async def remove_chip(self, field: str, value: str):
        """Remove one chip of a chip field; the focus goes to the field's box (the chip's button is gone)."""
        if field not in CHIP_FIELDS:
            return None
        if self._require_user() is None:
            return signed_out()
        setattr(self, _chips_var(field), [c for c in getattr(self, _chips_var(field)) if c != value])
        await self._refresh_preview()
        # Reflex's own focus event (through the field's ref), not a script: the CSP allows no eval.
        return rx.set_focus(field)

    @rx.event
    async def set_remote_only(self, value: bool):
        """Tick or untick `Remote only` and refresh the preview."""
        if self._require_user() is None:
            return signed_out()
        self.remote_only = bool(value)
        await self._refresh_preview()
        return None

    @rx.event
    def set_frequency(self, value: str):
        """Choose how often this alert's matches are emailed (anything but the three choices is ignored)."""
        if self._require_user() is None:
            return signed_out()
        if value in alerts.FREQUENCIES:
            self.frequency = value
        return None

    def _take_form(self, form_data: dict[str, Any]) -> None:
        # The submitted form's values win over the synced ones (the last keystroke may still be pending).
        for field in TEXT_FIELDS:
            if isinstance(form_data.get(field), str):
                setattr(self, field, form_data[field][:5000])
        if form_data.get("frequency") in alerts.FREQUENCIES:
            self.frequency = form_data["frequency"]

    @rx.event
    async def save(self, form_data: dict[str, Any]):
        """Save the draft: a new alert of the signed-in user, or the alert being edited (checked to be theirs
        again now); stay on the page with messages if it is invalid."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._take_form(form_data)
        await self._refresh_preview()
        try:
            filters = self._filters()
            with session_scope() as session:
                if self.editing_id:
                    saved = alerts.update_alert(
                        session=session,
                        user_id=user.id,
                        alert_id=self.editing_id,
                        name=self.name,
                        filters=filters,
                        frequency=self.frequency,
                    )
                    if saved is None:
                        self.form_error = "This alert no longer exists."
                        return None
                else:
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
                self.field_errors = {**self.field_errors, form_field(key): message}
            self.form_error = message
            return None
        name = " ".join(self.name.split())
        self.reset()
        return [rx.redirect(routes.ALERTS), rx.toast.success(f"Alert “{name}” saved.")]

    @rx.event
    def send_sample(self, form_data: dict[str, Any] | None = None):
        """ "Send me a sample digest now": mail the digest this draft would send to the user's own address."""
        user = self._require_user()
        if user is None:
            return signed_out()
        self._take_form(form_data or {})
        self.sample_notice = self.sample_error = ""
        try:
            filters = self._filters()
            with session_scope() as session:
                sent = send_sample_digest(
                    session=session,
                    user_id=user.id,
                    name=self.name or "Your alert",
                    filters=filters,
                    alert_id=self.editing_id or None,
                )
        except FormProblem as problem:
            self.sample_error = str(problem)
            return None
        except BadInput as exc:
            self.sample_error = explain(exc)[1]
            return None
        jobs = f"{sent.postings} job{'' if sent.postings == 1 else 's'}"
        self.sample_notice = f"Sample digest with {jobs} sent to {sent.to}."
        return None
