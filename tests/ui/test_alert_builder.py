"""The alert builder's form-to-filters translation and its messages, worded with the form's labels."""

from __future__ import annotations

import pytest

from jobwatch.errors import BadInput
from jobwatch.services.alerts import validate_filters
from jobwatch.ui.state.alerts import FormProblem, build_filters, describe_filters, explain


def test_comma_separated_fields_become_lists() -> None:
    filters = build_filters(
        {
            "keywords": " python , django,, ",
            "companies": "Stripe",
            "employment_types": "Full time, part-time, CONTRACT",
            "remote_only": True,
            "posted_within": " 30 ",
            "min_salary": "120k",
            "locations": "",
        }
    )
    assert filters == {
        "keywords": ["python", "django"],
        "companies": ["Stripe"],
        "employment_types": ["full_time", "part_time", "contract"],
        "is_remote": True,
        "min_posted_days_ago": 30,
        "salary_min": 120_000,
    }
    validate_filters(filters)


def test_unticked_remote_and_empty_fields_are_left_out() -> None:
    assert build_filters({"keywords": "go", "remote_only": False, "min_salary": "90,000"}) == {
        "keywords": ["go"],
        "salary_min": 90_000,
    }


@pytest.mark.parametrize(("field", "key"), [("posted_within", "min_posted_days_ago"), ("min_salary", "salary_min")])
def test_numbers_that_are_not_numbers_name_their_field(field: str, key: str) -> None:
    with pytest.raises(FormProblem) as problem:
        build_filters({"keywords": "go", field: "lots"})
    assert problem.value.key == key


def _explained(filters: dict[str, object]) -> tuple[str | None, str]:
    with pytest.raises(BadInput) as exc:
        validate_filters(filters)
    return explain(exc.value)


def test_service_messages_are_worded_for_the_form() -> None:
    key, message = _explained({"exclude_keywords": ["senior"]})
    assert key is None
    assert message == "Fill in at least one of Keywords, Title keywords, Companies, Locations or Departments."
    key, message = _explained({"keywords": ["python"], "min_posted_days_ago": 400})
    assert key == "min_posted_days_ago"
    assert message.startswith("Must be an integer 1..365")
    key, message = _explained({"keywords": ["---"]})
    assert key == "keywords" and "no letters or digits" in message


def test_filters_are_described_in_one_line() -> None:
    assert (
        describe_filters({"keywords": ["python", "go"], "is_remote": True, "salary_min": 90000})
        == "Keywords: python, go · Remote only · Minimum salary: 90000"
    )
