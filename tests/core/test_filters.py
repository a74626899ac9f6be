"""Alert filter validation and JSON form (CONTRACT section 3)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobwatch.core.filters import FILTER_KEYS, AlertFilters, FilterError, parse_filters


def test_full_filters_parse_to_tuples() -> None:
    filters = parse_filters(
        {
            "keywords": ["python", '"data engineer"'],
            "title_keywords": ["senior"],
            "exclude_keywords": ["intern"],
            "companies": ["Acme"],
            "locations": ["Berlin", "Remote"],
            "departments": ["Engineering"],
            "employment_types": ["full_time", "contract"],
            "is_remote": False,
            "min_posted_days_ago": 7,
            "salary_min": 50000,
            "salary_currency": "eur",
        }
    )
    assert filters == AlertFilters(
        keywords=("python", '"data engineer"'),
        title_keywords=("senior",),
        exclude_keywords=("intern",),
        companies=("Acme",),
        locations=("Berlin", "Remote"),
        departments=("Engineering",),
        employment_types=("full_time", "contract"),
        is_remote=False,
        min_posted_days_ago=7,
        salary_min=50000,
        salary_currency="EUR",
    )


@pytest.mark.parametrize(
    "data",
    [
        {"keywords": ["python"]},
        {"title_keywords": ["python"]},
        {"companies": ["acme"]},
        {"locations": ["Berlin"]},
        {"departments": ["Sales"]},
        {"keywords": ["x"], "is_remote": True, "min_posted_days_ago": 365, "salary_min": 1},
        {"companies": ["acme"], "salary_min": 1, "salary_currency": "USD"},
        {"keywords": ["a" * 100] * 50},
    ],
)
def test_valid_filters_round_trip(data: dict[str, Any]) -> None:
    filters = parse_filters(data)
    assert filters.to_json() == data
    assert parse_filters(filters.to_json()) == filters


def test_null_and_empty_lists_count_as_unset() -> None:
    filters = parse_filters({"keywords": ["go"], "companies": [], "is_remote": None, "salary_min": None})
    assert filters == AlertFilters(keywords=("go",))
    assert filters.to_json() == {"keywords": ["go"]}


@pytest.mark.parametrize(
    ("data", "key", "fragment"),
    [
        ({"keywords": ["x"], "keyword": ["y"]}, "keyword", "unknown key"),
        ({"keywords": "python"}, "keywords", "list"),
        ({"keywords": [1]}, "keywords", "string"),
        ({"keywords": [""]}, "keywords", "1 to 100"),
        ({"keywords": ["a" * 101]}, "keywords", "1 to 100"),
        ({"keywords": ["x"] * 51}, "keywords", "at most 50"),
        ({"keywords": ["  -- "]}, "keywords", "no letters or digits"),
        ({"keywords": ['""']}, "keywords", "no letters or digits"),
        ({"companies": [None]}, "companies", "string"),
        ({"locations": {"a": 1}}, "locations", "list"),
        ({"keywords": ["x"], "employment_types": ["fulltime"]}, "employment_types", "fulltime"),
        ({"keywords": ["x"], "is_remote": 1}, "is_remote", "true or false"),
        ({"keywords": ["x"], "is_remote": "true"}, "is_remote", "true or false"),
        ({"keywords": ["x"], "min_posted_days_ago": True}, "min_posted_days_ago", "integer"),
        ({"keywords": ["x"], "min_posted_days_ago": 0}, "min_posted_days_ago", "1..365"),
        ({"keywords": ["x"], "min_posted_days_ago": 366}, "min_posted_days_ago", "1..365"),
        ({"keywords": ["x"], "min_posted_days_ago": 7.0}, "min_posted_days_ago", "integer"),
        ({"keywords": ["x"], "min_posted_days_ago": "7"}, "min_posted_days_ago", "integer"),
        ({"keywords": ["x"], "salary_min": 0}, "salary_min", ">= 1"),
        ({"keywords": ["x"], "salary_min": False}, "salary_min", "integer"),
        ({"keywords": ["x"], "salary_min": 1, "salary_currency": "XYZ"}, "salary_currency", "ISO 4217"),
        ({"keywords": ["x"], "salary_min": 1, "salary_currency": "US"}, "salary_currency", "ISO 4217"),
        ({"keywords": ["x"], "salary_min": 1, "salary_currency": 840}, "salary_currency", "string"),
        ({"keywords": ["x"], "salary_currency": "USD"}, "salary_currency", "salary_min"),
        ({"exclude_keywords": ["intern"], "is_remote": True}, None, "at least one of"),
        ({}, None, "at least one of"),
        ({"keywords": []}, None, "at least one of"),
    ],
)
def test_invalid_filters_name_the_key(data: dict[str, Any], key: str | None, fragment: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filters(data)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message
    assert caught.value.key == key
    if key is not None:
        assert key in message


@pytest.mark.parametrize("data", [None, [], "keywords", 3])
def test_filters_must_be_an_object(data: object) -> None:
    with pytest.raises(FilterError, match="JSON object"):
        parse_filters(data)


def test_filter_error_is_a_value_error() -> None:
    assert issubclass(FilterError, ValueError)


_words = st.lists(st.sampled_from(["python", "C++", '"data science"', "Zürich", "acme"]), max_size=3)


@given(
    st.fixed_dictionaries(
        {"keywords": st.lists(st.sampled_from(["python", "go"]), min_size=1, max_size=3)},
        optional={
            "title_keywords": _words,
            "exclude_keywords": _words,
            "companies": _words,
            "locations": _words,
            "departments": _words,
            "employment_types": st.lists(st.sampled_from(["full_time", "internship"]), max_size=2),
            "is_remote": st.booleans(),
            "min_posted_days_ago": st.integers(1, 365),
            "salary_min": st.integers(1, 10**7),
        },
    )
)
def test_to_json_round_trips(data: dict[str, Any]) -> None:
    filters = parse_filters(data)
    assert parse_filters(filters.to_json()) == filters
    assert set(filters.to_json()) <= set(FILTER_KEYS)
