"""The live preview: full-text candidates on SQLite FTS5 and PostgreSQL GIN, the core predicate deciding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobwatch.core.filters import parse_filters
from jobwatch.core.matching import compile_alert
from jobwatch.core.postings import Location
from jobwatch.errors import BadInput
from jobwatch.models import AlertMatch, JobPosting
from jobwatch.services.alerts import (
    PREVIEW_CAP,
    full_text_condition,
    full_text_query,
    full_text_scans,
    preview,
)
from jobwatch.services.matching import match_new_postings
from jobwatch.storage import ingest_postings
from tests.factories import make_alert, make_board, make_posting, make_user

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

# Field cases B09, B10 and B12, and a few locations, companies and departments.
POSTINGS: list[dict[str, Any]] = [
    {"title": "Senior JavaScript Engineer", "description_text": "TypeScript/JavaScript, intellectual curiosity"},
    {"title": "Java Developer (Spring Boot)"},
    {"title": "Backend Engineer — Java, Kotlin", "department": "Engineering"},
    {"title": "C++ Engineer"},
    {"title": "Senior C# / .NET Developer"},
    {"title": "Embedded C Developer", "description_text": "Experience with C++."},
    {"title": "International Sales Engineer", "department": "Sales"},
    {"title": "Internal Tools Engineer (Rust)"},
    {"title": "Software Engineering Intern", "description_text": "Rust and Go"},
    {"title": "Engineering Interns – Summer 2025", "description_text": "We use Rust."},
    {"title": "Zero Trust Engineer"},
    {"title": "IT Support Specialist", "locations": [Location(raw="Zürich, Switzerland", city="Zürich", country="CH")]},
    {"title": "Data Engineer", "description_text": "Machine-Learning pipelines", "workplace": "remote"},
    {"title": "Data Engineers", "company": "Globex", "locations": [Location(raw="Austin, TX", city="Austin")]},
]
DRAFTS: list[dict[str, Any]] = [
    {"keywords": ["Java"]},
    {"keywords": ["typescript"], "exclude_keywords": ["java", "ios"]},
    {"keywords": ["C++"]},
    {"keywords": ["C#"]},
    {"keywords": [".NET"]},
    {"keywords": ["rust"], "exclude_keywords": ["intern"]},
    {"title_keywords": ["IT"]},
    {"locations": ["zurich"]},
    {"locations": ["US"]},
    {"locations": ["remote"]},
    {"title_keywords": ["data engineer"]},
    {"title_keywords": ['"data engineer"']},
    {"keywords": ["machine learning"], "is_remote": True},
    {"companies": ["globex"]},
    {"departments": ["sales", "engineering"]},
    {"keywords": ["engineer"], "exclude_keywords": ["senior engineer", "trust"]},
]


def _store(session: Session) -> dict[str, int]:
    board = make_board(session)
    ingest_postings(session=session, board=board, postings=[], complete=True, now=T0)  # empty baseline
    postings = [make_posting(external_id=f"p{n}", **values) for n, values in enumerate(POSTINGS)]
    ingest_postings(session=session, board=board, postings=postings, complete=True, now=T0 + timedelta(hours=1))
    session.flush()
    return {row.title: row.id or 0 for row in session.exec(select(JobPosting)).all()}


def _titles(session: Session, filters: dict[str, Any]) -> set[str]:
    return {posting.title for posting in preview(session=session, filters=filters, now=T0).postings}


def test_field_cases(session: Session) -> None:
    _store(session)
    assert _titles(session, {"keywords": ["Java"]}) == {
        "Java Developer (Spring Boot)",
        "Backend Engineer — Java, Kotlin",
    }
    assert _titles(session, {"keywords": ["typescript"], "exclude_keywords": ["java", "ios"]}) == {
        "Senior JavaScript Engineer"
    }
    assert _titles(session, {"keywords": ["C++"]}) == {"C++ Engineer", "Embedded C Developer"}
    assert _titles(session, {"keywords": ["C#"]}) == {"Senior C# / .NET Developer"}
    assert _titles(session, {"keywords": [".NET"]}) == {"Senior C# / .NET Developer"}
    assert _titles(session, {"keywords": ["rust"], "exclude_keywords": ["intern"]}) == {
        "Internal Tools Engineer (Rust)"
    }
    # PostgreSQL's `english` configuration would drop "it" as a stop word; jobwatch's own tokens keep it.
    assert _titles(session, {"title_keywords": ["IT"]}) == {"IT Support Specialist"}
    assert _titles(session, {"locations": ["zurich"]}) == {"IT Support Specialist"}


def test_count_newest_first_and_closed_postings(session: Session) -> None:
    ids = _store(session)
    result = preview(session=session, filters={"title_keywords": ["engineer"]}, limit=3, now=T0)
    assert result.count == 8 and not result.capped
    assert [p.id for p in result.postings] == sorted(result_ids := [p.id for p in result.postings], reverse=True)
    assert len(result_ids) == 3
    row = session.get(JobPosting, ids["C++ Engineer"])
    assert row is not None
    row.closed_at = T0
    session.add(row)
    session.flush()
    assert preview(session=session, filters={"title_keywords": ["engineer"]}, now=T0).count == 7


def test_count_stops_at_the_cap(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _store(session)
    monkeypatch.setattr("jobwatch.services.alerts.PREVIEW_CAP", 4)
    result = preview(session=session, filters={"title_keywords": ["engineer"]}, now=T0)
    assert result.capped and result.count == 4
    assert PREVIEW_CAP == 1000


def test_invalid_filters_never_reach_the_database(session: Session) -> None:
    with pytest.raises(BadInput, match="unknown key"):
        preview(session=session, filters={"keyword": ["x"]})
    with pytest.raises(BadInput, match="at least one of"):
        preview(session=session, filters={"is_remote": True})


def test_the_full_text_index_is_used(session: Session) -> None:
    _store(session)
    dialect = session.get_bind().dialect.name
    query = full_text_query(compile_alert("d", parse_filters({"keywords": ["C++"]})), dialect)
    assert query is not None
    if dialect == "sqlite":
        found = session.exec(  # type: ignore[call-overload]
            text("SELECT count(*) FROM job_posting_fts WHERE job_posting_fts MATCH :q").bindparams(q=query)
        ).one()
    else:
        found = session.exec(  # type: ignore[call-overload]
            text(
                "SELECT count(*) FROM job_posting WHERE search_vector @@ to_tsquery('simple'::regconfig, :q)"
            ).bindparams(q=query)
        ).one()
    assert found[0] == 2


def test_preview_equals_notifications(db: Engine) -> None:
    # One data set, each draft saved as an alert: what the worker announces is what the preview showed.
    with Session(db) as s:
        user = make_user(s)
        alerts = {make_alert(s, user, draft, created_at=T0).id: draft for draft in DRAFTS}
        _store(s)
        s.commit()
    match_new_postings(engine=db, now=T0 + timedelta(hours=2))
    with Session(db) as s:
        matched: dict[int, set[int]] = {alert_id: set() for alert_id in alerts}
        for match in s.exec(select(AlertMatch)).all():
            matched[match.alert_id].add(match.posting_id)
        for alert_id, draft in alerts.items():
            shown = {p.id for p in preview(session=s, filters=draft, now=T0 + timedelta(hours=2)).postings}
            assert shown == matched[alert_id], draft
        assert sum(len(found) for found in matched.values()) > 15


@pytest.mark.parametrize(
    "draft",
    [
        *DRAFTS,
        {"title_keywords": ["engineer"], "min_posted_days_ago": 1},
        {"title_keywords": ["engineer"], "salary_min": 50_000},
        {"keywords": ["rust"], "exclude_keywords": ["zero trust"]},
        {"title_keywords": ["engineer"], "is_remote": False, "employment_types": ["full_time"]},
    ],
)
def test_what_sql_decides_equals_the_core_predicate(
    session: Session, monkeypatch: pytest.MonkeyPatch, draft: dict[str, Any]
) -> None:
    # The preview answers exact drafts from SQL alone; forcing the core predicate on every candidate must
    # give the same count and postings.
    _store(session)
    fast = preview(session=session, filters=draft, now=T0)
    monkeypatch.setattr("jobwatch.services.alerts._left_to_check", lambda alert: alert)
    checked = preview(session=session, filters=draft, now=T0)
    assert (fast.count, fast.capped, fast.postings) == (checked.count, checked.capped, checked.postings)


def test_postgresql_reads_candidates_through_the_index_never_a_scan(session: Session) -> None:
    """A broad draft once took 10 s on 100K postings: the planner scanned the table and tokenized every
    document (revision b41c7e9d2f6a stores the vector; `full_text_scans` keeps the planner on the index)."""
    _store(session)
    dialect = session.get_bind().dialect.name
    query = full_text_query(compile_alert("d", parse_filters({"keywords": ["engineer", "developer"]})), dialect)
    assert query is not None
    condition = full_text_condition(query, dialect)
    assert condition is not None
    statement = select(JobPosting.id).where(condition).order_by(JobPosting.first_seen_at.desc()).limit(1000)  # type: ignore[union-attr]
    compiled = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    with full_text_scans(session):
        rows = session.exec(text(explain + compiled)).all()  # type: ignore[call-overload]
    plan = "\n".join(str(row[-1]) for row in rows)
    if dialect == "sqlite":
        assert "job_posting_fts" in plan
        return
    assert "ix_job_posting_search_vector" in plan and "Seq Scan on job_posting" not in plan
    assert session.exec(text("SHOW enable_seqscan")).one()[0] == "on"  # type: ignore[call-overload]
