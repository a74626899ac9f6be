"""Matching new postings into inbox notifications, and digests into the outbox (B16, B18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jobwatch.models import (
    AlertMatch,
    Board,
    Digest,
    JobPosting,
    Notification,
    OutboxMessage,
    User,
    UserJobInteraction,
)
from jobwatch.services.digests import send_due_digests
from jobwatch.services.inbox import list_inbox, mark_all_read, mark_read, unread_count
from jobwatch.services.matching import match_new_postings
from jobwatch.storage import ingest_postings
from tests.factories import make_alert, make_board, make_posting, make_user

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _setup(engine: Engine, *, frequency: str = "instant") -> dict[str, int]:
    """A board with a baseline, a user with alerts "python" and "backend", then a scrape with new postings."""
    with Session(engine) as s:
        board = make_board(s)
        ingest_postings(
            session=s,
            board=board,
            complete=True,
            now=T0,
            postings=[make_posting(external_id="old", title="Python Developer")],
        )
        user = make_user(s, display_name="Ada")
        other = make_user(s)
        a1 = make_alert(s, user, {"keywords": ["python"]}, name="Python", frequency=frequency, created_at=T0)
        a2 = make_alert(s, user, {"title_keywords": ["backend"]}, name="Backend", frequency=frequency, created_at=T0)
        make_alert(s, other, {"keywords": ["golang"]}, name="Go", created_at=T0)
        ingest_postings(
            session=s,
            board=board,
            complete=True,
            now=T0 + timedelta(hours=1),
            postings=[
                make_posting(external_id="old", title="Python Developer"),
                make_posting(external_id="j2", title="Python Backend Engineer"),
                make_posting(external_id="j3", title="Sales Manager", description_text="No code."),
                make_posting(external_id="j4", title="Data Engineer", description_text="We use Python daily."),
            ],
        )
        s.commit()
        ids = {"user": user.id, "other": other.id, "a1": a1.id, "a2": a2.id}
        ids.update({r.external_id: r.id for r in s.exec(select(JobPosting)).all()})
        return ids  # type: ignore[return-value]


def test_one_notification_per_user_and_posting(db: Engine) -> None:
    ids = _setup(db)
    summary = match_new_postings(now=T0 + timedelta(hours=1))
    assert summary.notifications == 2
    with Session(db) as s:
        notes = {n.posting_id: n for n in s.exec(select(Notification)).all()}
        assert set(notes) == {ids["j2"], ids["j4"]}  # the baseline posting is never announced
        assert notes[ids["j2"]].alert_ids == sorted([ids["a1"], ids["a2"]])  # B18: once, both alerts named
        assert len(s.exec(select(AlertMatch)).all()) == 3

    again = match_new_postings(now=T0 + timedelta(hours=2))
    assert again.postings == 0 and again.notifications == 0


def test_alert_hears_only_of_postings_first_seen_after_it_was_created(db: Engine) -> None:
    ids = _setup(db)
    with Session(db) as s:
        late = make_alert(s, _user(s, ids["user"]), {"keywords": ["sales"]}, created_at=T0 + timedelta(days=1))
        s.commit()
        late_id = late.id
    match_new_postings()
    with Session(db) as s:
        assert s.exec(select(AlertMatch).where(AlertMatch.alert_id == late_id)).all() == []


def _user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    assert user is not None
    return user


def test_hidden_posting_is_never_announced(db: Engine) -> None:
    ids = _setup(db)
    with Session(db) as s:
        s.add(UserJobInteraction(user_id=ids["user"], posting_id=ids["j2"], hidden_at=T0))
        s.commit()
    match_new_postings()
    with Session(db) as s:
        posting_ids = {n.posting_id for n in s.exec(select(Notification)).all()}
        assert posting_ids == {ids["j4"]}


def test_inbox_lists_marks_and_counts(db: Engine) -> None:
    ids = _setup(db)
    match_new_postings()
    with Session(db) as s:
        items = list_inbox(session=s, user_id=ids["user"])
        assert {i.title for i in items} == {"Python Backend Engineer", "Data Engineer"}
        assert next(i for i in items if i.title.startswith("Python")).alert_names == ["Python", "Backend"]
        assert unread_count(session=s, user_id=ids["user"]) == 2
        assert not mark_read(session=s, user_id=ids["other"], notification_id=items[0].id)  # not theirs
        assert mark_read(session=s, user_id=ids["user"], notification_id=items[0].id)
        assert unread_count(session=s, user_id=ids["user"]) == 1
        assert mark_all_read(session=s, user_id=ids["user"]) == 1
        assert unread_count(session=s, user_id=ids["user"]) == 0
        s.commit()


def test_instant_digest_is_sent_once(db: Engine) -> None:
    ids = _setup(db)
    match_new_postings()
    first = send_due_digests(now=T0 + timedelta(hours=1, minutes=5))
    assert (first.built, first.sent) == (1, 1)
    again = send_due_digests(now=T0 + timedelta(hours=1, minutes=10))
    assert (again.built, again.sent) == (0, 0)
    with Session(db) as s:
        outbox = s.exec(select(OutboxMessage)).all()
        assert len(outbox) == 1
        mail = outbox[0]
        assert mail.to_email == _user(s, ids["user"]).email
        # Both postings match "Python"; the one that also matches "Backend" is listed once, naming both.
        assert mail.subject == "2 new jobs for “Python”"
        assert "Python Backend Engineer" in mail.text and "Data Engineer" in mail.text
        assert mail.text.count("Python Backend Engineer") == 1 and "Also matches: Backend" in mail.text
        assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert mail.headers["List-Unsubscribe"].startswith("<http://jobwatch.test/unsubscribe?token=")
        assert {n.email_status for n in s.exec(select(Notification)).all()} == {"sent"}
        assert s.exec(select(Digest)).one().status == "sent"


def test_daily_digest_waits_for_the_users_hour(db: Engine) -> None:
    ids = _setup(db, frequency="daily")  # digest hour 8, UTC; alerts created at 09:00
    match_new_postings()
    assert send_due_digests(now=T0 + timedelta(hours=2)).built == 0  # 11:00 same day: today's 08:00 is past
    assert send_due_digests(now=T0 + timedelta(hours=22, minutes=59)).built == 0  # 07:59 next day
    assert send_due_digests(now=T0 + timedelta(hours=23, minutes=1)).built == 1  # 08:01 next day
    assert send_due_digests(now=T0 + timedelta(hours=23, minutes=6)).built == 0
    with Session(db) as s:
        assert len(s.exec(select(OutboxMessage)).all()) == 1
        assert _user(s, ids["user"]) is not None


def test_digest_escapes_scraped_text_and_drops_unsafe_links(db: Engine) -> None:
    # Field case B16.
    with Session(db) as s:
        board = make_board(s, baseline_at=T0)
        user = make_user(s)
        make_alert(s, user, {"keywords": ["engineer"]}, created_at=T0)
        ingest_postings(
            session=s,
            board=board,
            complete=True,
            now=T0 + timedelta(minutes=1),
            postings=[
                make_posting(
                    title='<a href="https://evil.example">Senior Engineer</a><img src=x onerror=alert(1)>',
                    company="Acme & Co",
                    url="javascript:alert(1)",
                )
            ],
        )
        s.commit()
    match_new_postings()
    send_due_digests(now=T0 + timedelta(minutes=2))
    with Session(db) as s:
        mail = s.exec(select(OutboxMessage)).one()
    assert "Acme &amp; Co" in mail.html
    assert "javascript:" not in mail.html
    assert "<img" not in mail.html and '<a href="https://evil.example"' not in mail.html
    assert "Acme & Co" in mail.text


def test_edited_or_reopened_posting_is_not_announced_again(db: Engine) -> None:
    ids = _setup(db)
    match_new_postings()
    with Session(db) as s:
        board = s.get_one(JobPosting, ids["j2"]).board_id
        row = s.get_one(Board, board)
        later = T0 + timedelta(hours=3)
        # j2 is edited, j4 disappears (closed)...
        ingest_postings(
            session=s,
            board=row,
            complete=True,
            now=later,
            postings=[
                make_posting(external_id="old", title="Python Developer"),
                make_posting(external_id="j2", title="Senior Python Backend Engineer"),
                make_posting(external_id="j3", title="Sales Manager", description_text="No code."),
            ],
        )
        # ...then comes back.
        result = ingest_postings(
            session=s,
            board=row,
            complete=True,
            now=later + timedelta(hours=1),
            postings=[
                make_posting(external_id="old", title="Python Developer"),
                make_posting(external_id="j2", title="Senior Python Backend Engineer"),
                make_posting(external_id="j3", title="Sales Manager", description_text="No code."),
                make_posting(external_id="j4", title="Data Engineer", description_text="We use Python daily."),
            ],
        )
        assert result.reopened == 1
        s.commit()
    again = match_new_postings()
    assert again.notifications == 0
    with Session(db) as s:
        assert len(s.exec(select(Notification)).all()) == 2
