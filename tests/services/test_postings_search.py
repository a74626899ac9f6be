"""Postings search with facets counted in the database (SQLite and PostgreSQL), and one posting's page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from jobwatch.core.postings import Location, Salary
from jobwatch.errors import BadInput
from jobwatch.models import JobPosting, UserJobInteraction
from jobwatch.services.alerts import preview
from jobwatch.services.postings_search import (
    SearchRequest,
    alert_filters_for,
    clear_facet_cache,
    posting_detail,
    sanitize_html,
    search_postings,
)
from jobwatch.storage import ingest_postings
from tests.factories import make_board, make_posting, make_user

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
BERLIN = Location(raw="Berlin, Germany", city="Berlin", country="DE")
PARIS = Location(raw="Paris, France", city="Paris", country="FR")


@pytest.fixture(autouse=True)
def _fresh_facets() -> Iterator[None]:
    """Facet counts are cached per database and request; every test here starts from fresh data."""
    clear_facet_cache()
    yield
    clear_facet_cache()


def _seed(session: Session) -> dict[str, int]:
    board = make_board(session)
    other = make_board(session, "lever:globex")
    postings = [
        make_posting(
            title="Python Engineer",
            company="Acme",
            workplace="remote",
            employment_type="full_time",
            department="Engineering",
            locations=[BERLIN],
            posted_at=NOW - timedelta(hours=5),
        ),
        make_posting(
            title="Senior Data Engineer",
            company="Acme",
            workplace="hybrid",
            employment_type="full_time",
            department="Data",
            locations=[BERLIN, PARIS],
            posted_at=NOW - timedelta(days=3),
        ),
        make_posting(
            title="Sales Manager",
            company="Acme",
            workplace="onsite",
            employment_type="part_time",
            department="Sales",
            locations=[PARIS],
            posted_at=NOW - timedelta(days=20),
            description_text="Sell data products to engineers.",
        ),
    ]
    ingest_postings(session=session, board=board, complete=True, postings=postings, now=NOW)
    ingest_postings(
        session=session,
        board=other,
        complete=True,
        postings=[
            make_posting(
                source="lever", board="globex", title="Data Engineer", company="Globex", locations=[PARIS],
                posted_at=NOW - timedelta(days=60), employment_type="contract",
            )
        ],
        now=NOW,
    )  # fmt: skip
    rows = session.exec(__import__("sqlmodel").select(JobPosting)).all()
    return {row.title: row.id or 0 for row in rows}


def _titles(result) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(p.title for p in result.postings)


def _counts(result, facet: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {v.value: v.count for v in result.facets[facet]}


def test_text_and_facets_are_counted_in_the_database(session: Session) -> None:
    _seed(session)
    everything = search_postings(session=session, request=SearchRequest(), now=NOW)
    assert everything.total == 4 and not everything.capped
    assert _counts(everything, "company") == {"Acme": 3, "Globex": 1}
    assert _counts(everything, "location") == {"FR": 3, "DE": 2}
    assert {v.value: v.label for v in everything.facets["location"]} == {"FR": "France", "DE": "Germany"}
    assert _counts(everything, "workplace") == {"remote": 1, "hybrid": 1, "onsite": 1}
    assert _counts(everything, "posted_within") == {"1": 1, "7": 2, "30": 3}

    # A phrase of two tokens: the core predicate decides ("Data Engineer", "Senior Data Engineer"), and the
    # description's "data products to engineers" is no match.
    found = search_postings(session=session, request=SearchRequest(text="data engineer"), now=NOW)
    assert _titles(found) == ["Data Engineer", "Senior Data Engineer"]
    assert _counts(found, "company") == {"Acme": 1, "Globex": 1}

    # One token: the index decides alone; plurals as in alerts ("engineers" in a description).
    found = search_postings(session=session, request=SearchRequest(text="engineer"), now=NOW)
    assert _titles(found) == ["Data Engineer", "Python Engineer", "Sales Manager", "Senior Data Engineer"]

    # Facets are AND across, OR within; each facet is counted under the other facets' selections only.
    request = SearchRequest(text="engineer", countries=("de",), workplaces=("remote", "hybrid"))
    found = search_postings(session=session, request=request, now=NOW)
    assert _titles(found) == ["Python Engineer", "Senior Data Engineer"]
    assert _counts(found, "location") == {"DE": 2, "FR": 1}  # not narrowed by its own selection
    assert [v.value for v in found.facets["location"] if v.selected] == ["DE"]
    assert _counts(found, "company") == {"Acme": 2}

    found = search_postings(session=session, request=SearchRequest(posted_within=7, companies=("Acme",)), now=NOW)
    assert _titles(found) == ["Python Engineer", "Senior Data Engineer"]
    found = search_postings(
        session=session, request=SearchRequest(employment_types=("contract",), departments=()), now=NOW
    )
    assert _titles(found) == ["Data Engineer"]


def test_the_search_finds_what_the_alert_it_saves_would(session: Session) -> None:
    _seed(session)
    request = SearchRequest(text="engineer", countries=("FR",), employment_types=("full_time",), posted_within=30)
    filters = alert_filters_for(request)
    assert filters == {
        "keywords": ["engineer"],
        "locations": ["France"],
        "employment_types": ["full_time"],
        "min_posted_days_ago": 30,
    }
    found = search_postings(session=session, request=request, now=NOW)
    previewed = preview(session=session, filters=filters, now=NOW)
    assert _titles(found) == sorted(p.title for p in previewed.postings) == ["Senior Data Engineer"]
    assert alert_filters_for(SearchRequest(workplaces=("remote",))) == {"is_remote": True}
    assert alert_filters_for(SearchRequest(workplaces=("remote", "hybrid"))) == {}


def test_closed_postings_are_left_out_unless_asked_for_and_marked(session: Session) -> None:
    ids = _seed(session)
    closed = session.get(JobPosting, ids["Sales Manager"])
    assert closed is not None
    closed.closed_at = NOW
    session.add(closed)
    session.flush()
    assert "Sales Manager" not in _titles(search_postings(session=session, request=SearchRequest(), now=NOW))
    found = search_postings(session=session, request=SearchRequest(include_closed=True), now=NOW)
    assert [p.closed for p in found.postings if p.title == "Sales Manager"] == [True]


def test_pages_and_bad_requests(session: Session) -> None:
    _seed(session)
    first = search_postings(session=session, request=SearchRequest(), page=1, page_size=3, now=NOW)
    second = search_postings(session=session, request=SearchRequest(), page=2, page_size=3, now=NOW)
    assert first.total == second.total == 4
    assert len(first.postings) == 3 and len(second.postings) == 1
    assert not {p.id for p in first.postings} & {p.id for p in second.postings}
    with pytest.raises(BadInput, match="workplaces"):
        search_postings(session=session, request=SearchRequest(workplaces=("moon",)))
    with pytest.raises(BadInput, match="posted within"):
        search_postings(session=session, request=SearchRequest(posted_within=3))
    with pytest.raises(BadInput, match="no letters or digits"):
        search_postings(session=session, request=SearchRequest(text="---"))


def test_posting_page_sanitizes_the_description_and_shows_the_users_marks(session: Session) -> None:
    board = make_board(session)
    ingest_postings(
        session=session,
        board=board,
        complete=True,
        postings=[
            make_posting(
                title="Engineer",
                salary=Salary(min=90000, max=120000, currency="EUR", period="year"),
                description_html='<p onclick="x()">Hi<script>alert(1)</script> <a href="javascript:evil()">a</a></p>',
            )
        ],
        now=NOW,
    )
    posting = session.exec(__import__("sqlmodel").select(JobPosting)).one()
    user = make_user(session)
    assert user.id is not None and posting.id is not None
    session.add(UserJobInteraction(user_id=user.id, posting_id=posting.id, saved_at=NOW))
    session.flush()
    detail = posting_detail(session=session, posting_id=posting.id, user_id=user.id)
    assert detail is not None
    assert "script" not in detail.description_html and "onclick" not in detail.description_html
    assert "javascript" not in detail.description_html
    assert detail.salary == "90,000–120,000 EUR a year"
    assert detail.saved and not detail.applied and detail.board_key == "greenhouse:acme"
    assert posting_detail(session=session, posting_id=posting.id + 999, user_id=user.id) is None
    assert sanitize_html('<a href="https://x.test">x</a>').startswith('<a href="https://x.test" rel="noopener')


def test_facet_counts_are_reused_for_a_minute_per_request(session: Session) -> None:
    ids = _seed(session)
    first = search_postings(session=session, request=SearchRequest(), now=NOW)
    closed = session.get_one(JobPosting, ids["Sales Manager"])
    closed.closed_at = NOW
    session.add(closed)
    session.flush()
    again = search_postings(session=session, request=SearchRequest(), now=NOW)
    assert again.total == 3  # results and totals are always fresh
    assert again.facets == first.facets  # counts come from the cache within FACET_CACHE_SECONDS
    clear_facet_cache()
    fresh = search_postings(session=session, request=SearchRequest(), now=NOW)
    assert _counts(fresh, "company") == {"Acme": 2, "Globex": 1}
