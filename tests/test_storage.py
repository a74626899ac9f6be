"""Ingest: upsert by (source, board, external_id), updates, closing only on complete runs, reopening."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from jobwatch.models import JobPosting, utcnow
from jobwatch.storage import ingest_postings, posting_from_row
from tests.factories import make_board, make_posting


def _rows(session: Session) -> dict[str, JobPosting]:
    return {r.external_id: r for r in session.exec(select(JobPosting)).all()}


def test_first_complete_scrape_is_the_baseline(session: Session) -> None:
    board = make_board(session)
    result = ingest_postings(session=session, board=board, postings=[make_posting(), make_posting()], complete=True)
    assert (result.new, result.closed) == (2, 0)
    assert all(r.is_baseline for r in _rows(session).values())
    assert board.baseline_at is not None

    later = ingest_postings(
        session=session,
        board=board,
        postings=[*map(posting_from_row, _rows(session).values()), make_posting()],
        complete=True,
    )
    assert later.new == 1 and later.unchanged == 2
    fresh = [r for r in _rows(session).values() if not r.is_baseline]
    assert len(fresh) == 1


def test_same_id_with_other_tracking_url_is_one_row(session: Session) -> None:
    # Field case B07: the row is keyed by (source, board, external_id), never by the link.
    board = make_board(session, "lever:acme")
    first = make_posting(source="lever", external_id="5f3c", url="https://jobs.lever.co/acme/5f3c")
    ingest_postings(session=session, board=board, postings=[first], complete=True)
    seen_before = _rows(session)["5f3c"].last_seen_at
    again = make_posting(source="lever", external_id="5f3c", url="https://jobs.lever.co/acme/5f3c/")
    result = ingest_postings(
        session=session, board=board, postings=[again], complete=True, now=utcnow() + timedelta(minutes=5)
    )
    rows = _rows(session)
    assert list(rows) == ["5f3c"]
    assert result.updated == 1  # the URL changed, so the stored copy follows it
    assert rows["5f3c"].last_seen_at > seen_before


def test_changed_posting_is_updated_and_missing_one_closed_then_reopened(session: Session) -> None:
    board = make_board(session)
    a, b = make_posting(external_id="a"), make_posting(external_id="b")
    ingest_postings(session=session, board=board, postings=[a, b], complete=True)

    a2 = make_posting(external_id="a", title="Staff Engineer")
    result = ingest_postings(session=session, board=board, postings=[a2], complete=True)
    rows = _rows(session)
    assert (result.updated, result.closed) == (1, 1)
    assert rows["a"].title == "Staff Engineer" and rows["b"].closed_at is not None

    back = ingest_postings(session=session, board=board, postings=[a2, b], complete=True)
    assert back.reopened == 1 and _rows(session)["b"].closed_at is None


def test_partial_scrape_closes_nothing(session: Session) -> None:
    board = make_board(session)
    postings = [make_posting(external_id=str(i)) for i in range(5)]
    ingest_postings(session=session, board=board, postings=postings, complete=True)
    result = ingest_postings(session=session, board=board, postings=postings[:1], complete=False)
    assert result.closed == 0
    assert all(r.closed_at is None for r in _rows(session).values())


def test_repeated_id_within_one_scrape_is_stored_once(session: Session) -> None:
    board = make_board(session)
    one = make_posting(external_id="dup", title="First")
    two = make_posting(external_id="dup", title="Second")
    result = ingest_postings(session=session, board=board, postings=[one, two], complete=True)
    assert result.new == 1 and _rows(session)["dup"].title == "First"


def test_row_round_trips_to_the_normalized_posting(session: Session) -> None:
    board = make_board(session)
    original = make_posting(posted_at=utcnow().replace(microsecond=0))
    ingest_postings(session=session, board=board, postings=[original], complete=True)
    row = next(iter(_rows(session).values()))
    back = posting_from_row(row)
    back.id = None
    assert back.to_json() == original.to_json()
