"""Ingest: upsert by (source, board, external_id), updates, closing only on complete runs, reopening, reposts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from jobwatch.core.postings import Location, Posting
from jobwatch.models import Board, Company, JobPosting, utcnow
from jobwatch.storage import IngestResult, ingest_postings, posting_from_row, repost_key
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


# --- reposts -------------------------------------------------------------------------------------------


def _ingest(
    session: Session, board: Board, postings: list[Posting], when: datetime, complete: bool = True
) -> IngestResult:
    return ingest_postings(session=session, board=board, postings=postings, complete=complete, now=when)


def test_repost_with_a_new_id_within_30_days_is_linked_and_marked_handled(session: Session) -> None:
    board = make_board(session)
    t0 = utcnow()
    _ingest(
        session, board, [make_posting(external_id="keep"), make_posting(external_id="old", title="Data Engineer")], t0
    )
    _ingest(session, board, [make_posting(external_id="keep")], t0 + timedelta(days=1))  # "old" closes
    # It comes back under a new id three weeks later, spelled a little differently.
    result = _ingest(
        session,
        board,
        [make_posting(external_id="keep"), make_posting(external_id="new", title="  DATA   engineer ")],
        t0 + timedelta(days=22),
    )
    rows = _rows(session)
    assert (result.new, result.reposts) == (1, 1)
    assert rows["new"].repost_of_id == rows["old"].id
    assert rows["new"].matched_at == t0 + timedelta(days=22)  # so matching never announces it
    assert rows["old"].closed_at is not None  # the old row stays as it was


def test_repost_in_the_same_scrape_that_drops_the_old_id(session: Session) -> None:
    board = make_board(session)
    t0 = utcnow()
    _ingest(session, board, [make_posting(external_id="old", title="Designer")], t0)
    result = _ingest(session, board, [make_posting(external_id="new", title="Designer")], t0 + timedelta(hours=1))
    rows = _rows(session)
    assert (result.closed, result.reposts) == (1, 1)
    assert rows["new"].repost_of_id == rows["old"].id and rows["new"].matched_at is not None


def test_not_a_repost_after_30_days_or_with_other_title_or_places(session: Session) -> None:
    board = make_board(session)
    t0 = utcnow()
    berlin = [Location(raw="Berlin, Germany", city="Berlin", country="DE")]
    paris = [Location(raw="Paris, France", city="Paris", country="FR")]
    _ingest(
        session,
        board,
        [
            make_posting(external_id="a", title="Designer", locations=berlin),
            make_posting(external_id="b", title="Writer", locations=berlin),
        ],
        t0,
    )
    _ingest(session, board, [], t0 + timedelta(days=1))  # both close
    result = _ingest(
        session,
        board,
        [
            make_posting(external_id="a2", title="Designer", locations=paris),  # other place
            make_posting(external_id="b2", title="Senior Writer", locations=berlin),  # other title
        ],
        t0 + timedelta(days=2),
    )
    assert result.reposts == 0
    late = _ingest(
        session, board, [make_posting(external_id="a3", title="Designer", locations=berlin)], t0 + timedelta(days=32)
    )
    rows = _rows(session)
    assert late.reposts == 0
    assert all(r.repost_of_id is None and r.matched_at is None for k, r in rows.items() if k != "a" and k != "b")


def test_an_open_twin_is_a_second_opening_not_a_repost(session: Session) -> None:
    board = make_board(session)
    t0 = utcnow()
    _ingest(session, board, [make_posting(external_id="one", title="Nurse")], t0)
    # A partial scrape closes nothing, so "one" is still open: an identical new posting is another opening.
    result = _ingest(
        session, board, [make_posting(external_id="two", title="Nurse")], t0 + timedelta(hours=1), complete=False
    )
    assert result.reposts == 0 and _rows(session)["two"].matched_at is None


def test_one_closed_posting_is_reposted_once(session: Session) -> None:
    board = make_board(session)
    t0 = utcnow()
    _ingest(session, board, [make_posting(external_id="old", title="Nurse")], t0)
    _ingest(session, board, [], t0 + timedelta(days=1))
    first = _ingest(session, board, [make_posting(external_id="r1", title="Nurse")], t0 + timedelta(days=2))
    second = _ingest(
        session,
        board,
        [make_posting(external_id="r1", title="Nurse"), make_posting(external_id="r2", title="Nurse")],
        t0 + timedelta(days=3),
    )
    assert (first.reposts, second.reposts) == (1, 0)
    assert _rows(session)["r2"].repost_of_id is None


def test_repost_on_another_board_of_the_same_company(session: Session) -> None:
    company = Company(name="Acme", slug="acme-repost-test")
    session.add(company)
    session.flush()
    old_board = make_board(session, "greenhouse:acme", company_id=company.id)
    new_board = make_board(session, "lever:acme", company_id=company.id)
    other = make_board(session, "ashby:other")
    t0 = utcnow()
    _ingest(session, old_board, [make_posting(external_id="gh1", title="Chef")], t0)
    _ingest(session, old_board, [], t0 + timedelta(days=1))
    _ingest(session, new_board, [make_posting(source="lever", board="acme", external_id="base")], t0)
    moved = _ingest(
        session,
        new_board,
        [
            make_posting(source="lever", board="acme", external_id="base"),
            make_posting(source="lever", board="acme", external_id="lv1", title="Chef"),
        ],
        t0 + timedelta(days=3),
    )
    elsewhere = _ingest(
        session, other, [make_posting(source="ashby", board="other", external_id="x", title="Chef")], t0
    )
    rows = _rows(session)
    assert moved.reposts == 1 and rows["lv1"].repost_of_id == rows["gh1"].id
    assert elsewhere.reposts == 0 and rows["x"].repost_of_id is None


def test_repost_key_folds_title_and_places() -> None:
    a = repost_key(title="Senior Engineer – Zürich", locations=[{"raw": "Zürich, CH"}, {"raw": "Remote"}])
    b = repost_key(title="senior engineer zurich", locations=[{"raw": "remote"}, {"raw": "ZURICH,  ch"}])
    assert a == b
    assert a != repost_key(title="Senior Engineer", locations=[{"raw": "Zürich, CH"}])
