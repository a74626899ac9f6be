"""Alert filters: the schema of CONTRACT section 3, its validation, and its JSON form.

:func:`parse_filters` is the one gate every alert passes through (the web form, the API, `jobwatch match`),
so an :class:`AlertFilters` that came out of it can be compiled and matched without further checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pycountry

from jobwatch.core.postings import EMPLOYMENT_TYPES
from jobwatch.core.text import tokenize

__all__ = [
    "FILTER_KEYS",
    "LIST_KEYS",
    "MAX_LIST_ITEMS",
    "MAX_STRING_CHARS",
    "REQUIRED_ANY_OF",
    "AlertFilters",
    "FilterError",
    "parse_filters",
]

#: Keys whose value is a list of strings, in CONTRACT order.
LIST_KEYS: tuple[str, ...] = (
    "keywords",
    "title_keywords",
    "exclude_keywords",
    "companies",
    "locations",
    "departments",
    "employment_types",
)
#: Every key an alert's filters may hold.
FILTER_KEYS: tuple[str, ...] = (
    *LIST_KEYS,
    "is_remote",
    "min_posted_days_ago",
    "salary_min",
    "salary_currency",
)
#: An alert must name at least one of these (an alert of only exclusions, remote, freshness or salary
#: would match nearly everything).
REQUIRED_ANY_OF: tuple[str, ...] = ("keywords", "title_keywords", "companies", "locations", "departments")
MAX_LIST_ITEMS = 50
MAX_STRING_CHARS = 100
MAX_POSTED_DAYS = 365


class FilterError(ValueError):
    """Alert filters that CONTRACT section 3 refuses. `str(err)` is one line naming the key; `key` holds it
    (None when the problem is not one key's, such as filters that are not a JSON object)."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        self.key = key
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class AlertFilters:
    """One alert's filters, as :func:`parse_filters` validated them (CONTRACT section 3).

    Lists are tuples, empty when the key is unset; scalars are None when unset. `salary_currency` is an
    upper-case ISO 4217 code. Building an instance directly skips validation: go through `parse_filters`
    for anything a user typed.
    """

    keywords: tuple[str, ...] = ()
    title_keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    employment_types: tuple[str, ...] = ()
    is_remote: bool | None = None
    min_posted_days_ago: int | None = None
    salary_min: int | None = None
    salary_currency: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The CONTRACT section 3 JSON object: set keys only (lists as lists), in CONTRACT order.

        `parse_filters(f.to_json()) == f` for every `f` that `parse_filters` returned.
        """
        data: dict[str, Any] = {}
        for key in FILTER_KEYS:
            value = getattr(self, key)
            if isinstance(value, tuple):
                if value:
                    data[key] = list(value)
            elif value is not None:
                data[key] = value
        return data


def _list_of_strings(key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise FilterError(f"{key}: must be a list of strings, not {type(value).__name__}", key=key)
    if len(value) > MAX_LIST_ITEMS:
        raise FilterError(f"{key}: at most {MAX_LIST_ITEMS} items allowed, got {len(value)}", key=key)
    for position, item in enumerate(value, start=1):
        if not isinstance(item, str):
            raise FilterError(f"{key}: item {position} must be a string, not {type(item).__name__}", key=key)
        if not 1 <= len(item) <= MAX_STRING_CHARS:
            raise FilterError(
                f"{key}: item {position} must be 1 to {MAX_STRING_CHARS} characters, got {len(item)}", key=key
            )
        if not tokenize(item):
            raise FilterError(f"{key}: item {position} ({item!r}) has no letters or digits", key=key)
    return tuple(value)


def _integer(key: str, value: object, low: int, high: int | None) -> int:
    # `bool` is a subclass of `int` in Python; `true` is not a number of days.
    if isinstance(value, bool) or not isinstance(value, int):
        raise FilterError(f"{key}: must be an integer, not {type(value).__name__}", key=key)
    if value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise FilterError(f"{key}: must be an integer {bounds}, got {value}", key=key)
    return value


def parse_filters(data: object) -> AlertFilters:
    """Validate an alert's filters JSON (CONTRACT section 3) and return them as :class:`AlertFilters`.

    `data` is the decoded JSON object. A key whose value is null, or an empty list, counts as unset.
    Raises :class:`FilterError` (a `ValueError`) with a one-line message naming the key for: a non-object,
    unknown keys, wrong types (a bool where a number belongs and a number where a bool belongs included),
    lists of more than 50 items, strings outside 1..100 characters or without a token,
    `min_posted_days_ago` outside 1..365, `salary_min` < 1, `salary_currency` that is not an ISO 4217 code
    or comes without `salary_min`, `employment_types` values outside CONTRACT's five, and filters that name
    none of keywords, title_keywords, companies, locations, departments.
    """
    if not isinstance(data, Mapping):
        raise FilterError(f"filters must be a JSON object, not {type(data).__name__}")
    for key in data:
        if key not in FILTER_KEYS:
            raise FilterError(f"unknown key {key!r} (allowed: {', '.join(FILTER_KEYS)})", key=str(key))

    values: dict[str, Any] = {}
    for key in LIST_KEYS:
        if data.get(key) is not None:
            values[key] = _list_of_strings(key, data[key])
    for item in values.get("employment_types", ()):
        if item not in EMPLOYMENT_TYPES:
            raise FilterError(
                f"employment_types: {item!r} is not one of {', '.join(EMPLOYMENT_TYPES)}",
                key="employment_types",
            )

    is_remote = data.get("is_remote")
    if is_remote is not None:
        if not isinstance(is_remote, bool):
            raise FilterError(f"is_remote: must be true or false, not {type(is_remote).__name__}", key="is_remote")
        values["is_remote"] = is_remote
    if data.get("min_posted_days_ago") is not None:
        values["min_posted_days_ago"] = _integer("min_posted_days_ago", data["min_posted_days_ago"], 1, MAX_POSTED_DAYS)
    if data.get("salary_min") is not None:
        values["salary_min"] = _integer("salary_min", data["salary_min"], 1, None)
    currency = data.get("salary_currency")
    if currency is not None:
        if not isinstance(currency, str):
            raise FilterError(
                f"salary_currency: must be a string, not {type(currency).__name__}", key="salary_currency"
            )
        code = currency.strip().upper()
        if len(code) != 3 or not code.isalpha() or pycountry.currencies.get(alpha_3=code) is None:
            raise FilterError(f"salary_currency: {currency!r} is not an ISO 4217 currency code", key="salary_currency")
        if "salary_min" not in values:
            raise FilterError("salary_currency: only allowed together with salary_min", key="salary_currency")
        values["salary_currency"] = code

    if not any(values.get(key) for key in REQUIRED_ANY_OF):
        raise FilterError(f"an alert must name at least one of {', '.join(REQUIRED_ANY_OF)}")
    return AlertFilters(**values)
