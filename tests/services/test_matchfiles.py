"""`jobwatch match`'s file reading and matching (CONTRACT section 1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from jobwatch.errors import BadInput
from jobwatch.services.matchfiles import iter_file_matches

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)


def job(job_id: str, title: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": "greenhouse",
        "board": "acme",
        "external_id": job_id,
        "title": title,
        "company": "Acme",
        "url": None,
        "description_html": None,
        "description_text": None,
        "locations": [],
        "workplace": None,
        "department": None,
        "team": None,
        "employment_type": None,
        "salary": None,
        "posted_at": None,
        "updated_at": None,
        "id": job_id,
    }
    data.update(fields)
    return data


def write_lines(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


def run(tmp_path: Path, jobs: list[Any], alerts: list[Any], *, now: datetime = NOW) -> list[tuple[str, str]]:
    jobs_path = write_lines(tmp_path / "jobs.jsonl", jobs)
    alerts_path = write_lines(tmp_path / "alerts.jsonl", alerts)
    return list(iter_file_matches(jobs_path, alerts_path, now=now))


def test_matches_every_posting_against_every_alert(tmp_path: Path) -> None:
    jobs = [
        job("J1", "Senior JavaScript Engineer", description_text="TypeScript/JavaScript, intellectual curiosity"),
        job("J2", "Java Developer (Spring Boot)", posted_at="2025-06-01T00:00:00Z"),
        "",
        job(
            "J3",
            "Backend Engineer — Java, Kotlin",
            locations=[{"raw": "Zürich", "city": "Zürich", "region": None, "country": "CH"}],
            salary={"min": 90000, "max": 120000, "currency": "CHF", "period": "year"},
        ),
    ]
    alerts = [
        {"id": "A", "filters": {"keywords": ["Java"]}},
        "   ",
        {"id": "B", "filters": {"keywords": ["typescript"], "exclude_keywords": ["java", "ios"]}},
        {"id": "C", "filters": {"keywords": ["java"], "min_posted_days_ago": 7}},
        {"id": "D", "filters": {"locations": ["Switzerland"], "salary_min": 100000, "salary_currency": "CHF"}},
    ]
    found = run(tmp_path, jobs, alerts)
    assert len(found) == len(set(found))
    assert set(found) == {("A", "J2"), ("A", "J3"), ("B", "J1"), ("C", "J3"), ("D", "J3")}


def test_now_decides_freshness(tmp_path: Path) -> None:
    jobs = [job("J1", "Python Engineer", posted_at="2025-06-03T12:00:00Z")]
    alerts = [{"id": "A", "filters": {"keywords": ["python"], "min_posted_days_ago": 7}}]
    assert run(tmp_path, jobs, alerts, now=NOW) == [("A", "J1")]
    assert run(tmp_path, jobs, alerts, now=datetime(2025, 6, 10, 12, 0, 1, tzinfo=UTC)) == []


def test_repeated_ids_yield_a_pair_once(tmp_path: Path) -> None:
    jobs = [job("J1", "Python Engineer"), job("J1", "Python Engineer")]
    alerts = [
        {"id": "A", "filters": {"keywords": ["python"]}},
        {"id": "A", "filters": {"keywords": ["engineer"]}},
    ]
    assert run(tmp_path, jobs, alerts) == [("A", "J1")]


def test_empty_files_match_nothing(tmp_path: Path) -> None:
    assert run(tmp_path, [], []) == []


def test_invalid_alert_names_line_and_key(tmp_path: Path) -> None:
    alerts = [
        {"id": "A", "filters": {"keywords": ["python"]}},
        {"id": "B", "filters": {"keywords": ["python"], "min_posted_days_ago": 0}},
    ]
    with pytest.raises(BadInput) as caught:
        run(tmp_path, [job("J1", "Python Engineer")], alerts)
    message = str(caught.value)
    assert caught.value.line == 2
    assert caught.value.path == str(tmp_path / "alerts.jsonl")
    assert message.startswith(f"{tmp_path / 'alerts.jsonl'}:2: ")
    assert "min_posted_days_ago" in message
    assert "\n" not in message


def test_invalid_alert_stops_before_any_output(tmp_path: Path) -> None:
    jobs_path = write_lines(tmp_path / "jobs.jsonl", [job("J1", "Python Engineer")])
    alerts_path = write_lines(
        tmp_path / "alerts.jsonl",
        [{"id": "A", "filters": {"keywords": ["python"]}}, {"id": "B", "filters": {"is_remote": True}}],
    )
    matches = iter_file_matches(jobs_path, alerts_path, now=NOW)
    with pytest.raises(BadInput, match="at least one of"):
        next(matches)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("{not json", "malformed JSON"),
        ('["A"]', "JSON object"),
        ('{"filters": {"keywords": ["x"]}}', '"id"'),
        ('{"id": "A"}', '"filters"'),
        ('{"id": "A", "filters": {"keywords": ["x"], "colour": "red"}}', "unknown key 'colour'"),
        ('{"id": "A", "filters": []}', "JSON object"),
    ],
)
def test_bad_alert_lines(tmp_path: Path, line: str, fragment: str) -> None:
    with pytest.raises(BadInput, match=fragment) as caught:
        run(tmp_path, [], [{"id": "ok", "filters": {"keywords": ["x"]}}, "", line])
    assert caught.value.line == 3


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("{not json", "malformed JSON"),
        ("42", "JSON object"),
        (json.dumps({k: v for k, v in job("J9", "x").items() if k != "id"}), '"id"'),
        (json.dumps({k: v for k, v in job("J9", "x").items() if k != "title"}), "title"),
        (json.dumps(job("J9", "x", posted_at="yesterday")), "not a posting"),
    ],
)
def test_bad_job_lines(tmp_path: Path, line: str, fragment: str) -> None:
    alerts = [{"id": "A", "filters": {"keywords": ["python"]}}]
    with pytest.raises(BadInput, match=fragment) as caught:
        run(tmp_path, [job("J1", "Python Engineer"), line], alerts)
    assert caught.value.line == 2
    assert caught.value.path == str(tmp_path / "jobs.jsonl")


def test_unreadable_files(tmp_path: Path) -> None:
    alerts_path = write_lines(tmp_path / "alerts.jsonl", [{"id": "A", "filters": {"keywords": ["x"]}}])
    with pytest.raises(BadInput, match="cannot read") as caught:
        list(iter_file_matches(tmp_path / "missing.jsonl", alerts_path, now=NOW))
    assert caught.value.path == str(tmp_path / "missing.jsonl")
    with pytest.raises(BadInput, match="cannot read"):
        list(iter_file_matches(alerts_path, tmp_path, now=NOW))


def test_non_utf8_line_is_named(tmp_path: Path) -> None:
    jobs_path = tmp_path / "jobs.jsonl"
    jobs_path.write_bytes(json.dumps(job("J1", "Python")).encode() + b"\n\xff\xfe\n")
    alerts_path = write_lines(tmp_path / "alerts.jsonl", [{"id": "A", "filters": {"keywords": ["python"]}}])
    with pytest.raises(BadInput, match="UTF-8") as caught:
        list(iter_file_matches(jobs_path, alerts_path, now=NOW))
    assert caught.value.line == 2


def test_byte_order_mark_is_allowed(tmp_path: Path) -> None:
    jobs_path = tmp_path / "jobs.jsonl"
    jobs_path.write_bytes(b"\xef\xbb\xbf" + json.dumps(job("J1", "Python")).encode() + b"\n")
    alerts_path = write_lines(tmp_path / "alerts.jsonl", [{"id": "A", "filters": {"keywords": ["python"]}}])
    assert list(iter_file_matches(jobs_path, alerts_path, now=NOW)) == [("A", "J1")]
