"""The normalized posting: the one shape every source adapter returns (CONTRACT section 2).

This module is part of the pure core: it imports nothing from the web app, the task queue, the HTTP
client or the mail provider. Adapters build :class:`Posting` objects; storage, matching and digests
consume them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Workplace = Literal["onsite", "hybrid", "remote"]
EmploymentType = Literal["full_time", "part_time", "contract", "temporary", "internship"]
SalaryPeriod = Literal["year", "month", "week", "day", "hour"]

WORKPLACES: tuple[str, ...] = ("onsite", "hybrid", "remote")
EMPLOYMENT_TYPES: tuple[str, ...] = ("full_time", "part_time", "contract", "temporary", "internship")
SALARY_PERIODS: tuple[str, ...] = ("year", "month", "week", "day", "hour")

#: Multipliers that turn a salary per period into a yearly figure (CONTRACT section 3, `salary_min`).
YEARLY_FACTOR: dict[str, int] = {"year": 1, "month": 12, "week": 52, "day": 260, "hour": 2080}


@dataclass(frozen=True, slots=True)
class Location:
    """One place a posting lists: `raw` as the source wrote it, and what could be read from it.

    `country` is an ISO 3166-1 alpha-2 code or None; `region` is kept as the source names or
    abbreviates it ("CA", "Île-de-France").
    """

    raw: str
    city: str | None = None
    region: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Salary:
    """A pay range: `min`/`max` in `currency` (ISO 4217) per `period` (year, month, week, day, hour)."""

    min: float | None
    max: float | None
    currency: str
    period: str = "year"

    def yearly(self) -> float | None:
        """The yearly max (else min), per CONTRACT section 3 `salary_min`; None when both are unknown."""
        amount = self.max if self.max is not None else self.min
        if amount is None:
            return None
        return amount * YEARLY_FACTOR.get(self.period, 1)


@dataclass(slots=True)
class Posting:
    """A normalized job posting, field for field CONTRACT section 2.

    Datetimes are timezone-aware UTC (`posted_at`, `updated_at`); `to_json()` renders them as ISO 8601
    ending in `Z`. `id` is optional and only used by `jobwatch match` (the JSON Lines input's `id`).
    """

    source: str
    board: str | None
    external_id: str
    title: str
    company: str | None = None
    url: str | None = None
    description_html: str | None = None
    description_text: str | None = None
    locations: list[Location] = field(default_factory=list)
    workplace: str | None = None
    department: str | None = None
    team: str | None = None
    employment_type: str | None = None
    salary: Salary | None = None
    posted_at: datetime | None = None
    updated_at: datetime | None = None
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The CONTRACT section 2 JSON object (every key present, null when unknown, `id` omitted when unset)."""
        data: dict[str, Any] = {
            "source": self.source,
            "board": self.board,
            "external_id": self.external_id,
            "title": self.title,
            "company": self.company,
            "url": self.url,
            "description_html": self.description_html,
            "description_text": self.description_text,
            "locations": [asdict(loc) for loc in self.locations],
            "workplace": self.workplace,
            "department": self.department,
            "team": self.team,
            "employment_type": self.employment_type,
            "salary": asdict(self.salary) if self.salary else None,
            "posted_at": format_utc(self.posted_at),
            "updated_at": format_utc(self.updated_at),
        }
        if self.id is not None:
            data["id"] = self.id
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Posting:
        """Build a posting from its CONTRACT section 2 JSON object; extra keys (anywhere) are ignored.

        Raises `ValueError` when a required key (`source`, `external_id`, `title`) is missing or empty, or a
        field has the wrong type (a string where a list or object belongs, a time that is not ISO 8601).
        """
        if not isinstance(data, dict):
            raise ValueError("a posting must be a JSON object")
        for key in ("source", "external_id", "title"):
            if not isinstance(data.get(key), str | int) or str(data[key]) == "":
                raise ValueError(f"posting field {key!r} must be a non-empty string")
        for key in (
            "board",
            "company",
            "url",
            "description_html",
            "description_text",
            "workplace",
            "department",
            "team",
            "employment_type",
        ):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise ValueError(f"posting field {key!r} must be a string or null")
        raw_locations = data.get("locations") or []
        if not isinstance(raw_locations, list) or not all(isinstance(x, dict) for x in raw_locations):
            raise ValueError("posting field 'locations' must be a list of objects")
        salary = data.get("salary")
        if salary is not None and not isinstance(salary, dict):
            raise ValueError("posting field 'salary' must be an object or null")
        return cls(
            source=str(data["source"]),
            board=data.get("board"),
            external_id=str(data["external_id"]),
            title=str(data["title"]),
            company=data.get("company"),
            url=data.get("url"),
            description_html=data.get("description_html"),
            description_text=data.get("description_text"),
            locations=[
                Location(
                    raw=str(loc.get("raw") or ""),
                    city=loc.get("city"),
                    region=loc.get("region"),
                    country=loc.get("country"),
                )
                for loc in raw_locations
            ],
            workplace=data.get("workplace"),
            department=data.get("department"),
            team=data.get("team"),
            employment_type=data.get("employment_type"),
            salary=_salary_from_json(salary) if salary else None,
            posted_at=parse_utc(data.get("posted_at")),
            updated_at=parse_utc(data.get("updated_at")),
            id=None if data.get("id") is None else str(data["id"]),
        )

    def content_hash(self) -> str:
        """A SHA-256 hex digest of every normalized field except `updated_at` and `id`.

        Storage compares it to decide whether a re-listed posting changed; `updated_at` is left out
        because some sources bump it without changing anything a reader sees.
        """
        data = self.to_json()
        data.pop("updated_at", None)
        data.pop("id", None)
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _salary_from_json(data: dict[str, Any]) -> Salary | None:
    def amount(value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("salary min and max must be numbers or null")
        return value

    currency = data.get("currency")
    if not isinstance(currency, str):
        raise ValueError("salary currency must be a string")
    return Salary(
        min=amount(data.get("min")),
        max=amount(data.get("max")),
        currency=currency,
        period=str(data.get("period") or "year"),
    )


def format_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC ending in `Z` (`2025-06-10T12:00:00Z`, fractions kept), or None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def parse_utc(value: str | None) -> datetime | None:
    """Parse an ISO 8601 string (`Z` or an offset; a bare date is midnight UTC) into an aware UTC datetime.

    Raises `ValueError` for text that is not ISO 8601.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not an ISO 8601 time: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
