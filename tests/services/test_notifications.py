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
from jobwatch.services.inbox import list_inbox, mark_all_read, mark_read, set_interaction, unread_count
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


def test_a_repost_is_not_announced(db: Engine) -> None:
    # Issue 3: a posting that vanishes and comes back under a new id (same company, title and places) within
    # 30 days is linked to the old one and not announced as new; a really new posting still is.
    ids = _setup(db)
    first = match_new_postings()
    assert first.notifications == 2  # j2 and j4 for the user with python/backend alerts
    with Session(db) as s:
        board = s.get_one(Board, s.get_one(JobPosting, ids["j2"]).board_id)
        later = T0 + timedelta(days=2)
        ingest_postings(  # j2 vanishes
            session=s,
            board=board,
            complete=True,
            now=later,
            postings=[make_posting(external_id="old", title="Python Developer")],
        )
        result = ingest_postings(  # ...and is reposted as j2b, next to a genuinely new posting
            session=s,
            board=board,
            complete=True,
            now=later + timedelta(days=10),
            postings=[
                make_posting(external_id="old", title="Python Developer"),
                make_posting(external_id="j2b", title="Python Backend Engineer"),
                make_posting(external_id="j5", title="Python Platform Engineer"),
            ],
        )
        assert (result.new, result.reposts) == (2, 1)
        s.commit()
        repost = s.exec(select(JobPosting).where(JobPosting.external_id == "j2b")).one()
        assert repost.repost_of_id == ids["j2"]
    again = match_new_postings(now=T0 + timedelta(days=12, minutes=1))
    assert again.notifications == 1
    with Session(db) as s:
        announced = {s.get_one(JobPosting, n.posting_id).external_id for n in s.exec(select(Notification)).all()}
    assert announced == {"j2", "j4", "j5"}


def test_save_applied_and_hide_in_the_inbox(db: Engine) -> None:
    ids = _setup(db)
    match_new_postings()
    with Session(db) as s:
        items = {i.title: i for i in list_inbox(session=s, user_id=ids["user"])}
        j2, j4 = items["Python Backend Engineer"].id, items["Data Engineer"].id
        assert not set_interaction(session=s, user_id=ids["other"], notification_id=j2, action="saved")  # not theirs
        assert set_interaction(session=s, user_id=ids["user"], notification_id=j2, action="saved")
        assert set_interaction(session=s, user_id=ids["user"], notification_id=j2, action="applied")
        assert set_interaction(session=s, user_id=ids["user"], notification_id=j2, action="saved")  # idempotent
        shown = {i.title: i for i in list_inbox(session=s, user_id=ids["user"])}
        assert shown["Python Backend Engineer"].saved and shown["Python Backend Engineer"].applied
        assert not shown["Data Engineer"].saved
        # Hidden postings leave the list and the unread count.
        assert set_interaction(session=s, user_id=ids["user"], notification_id=j4, action="hidden")
        assert [i.title for i in list_inbox(session=s, user_id=ids["user"])] == ["Python Backend Engineer"]
        assert unread_count(session=s, user_id=ids["user"]) == 1
        assert set_interaction(session=s, user_id=ids["user"], notification_id=j4, action="hidden", on=False)
        assert len(list_inbox(session=s, user_id=ids["user"])) == 2
        s.commit()
        rows = s.exec(select(UserJobInteraction)).all()
        assert len(rows) == 2  # one row per user and posting


def test_a_posting_hidden_before_its_digest_is_not_emailed(db: Engine) -> None:
    ids = _setup(db, frequency="daily")
    match_new_postings()
    with Session(db) as s:
        note = s.exec(select(Notification).where(Notification.posting_id == ids["j2"])).one()
        assert set_interaction(session=s, user_id=ids["user"], notification_id=note.id or 0, action="hidden")
        s.commit()
    assert send_due_digests(now=T0 + timedelta(hours=23, minutes=1)).sent == 1
    with Session(db) as s:
        mail = s.exec(select(OutboxMessage)).one()
        assert "Python Backend Engineer" not in mail.text and "Data Engineer" in mail.text
        assert mail.subject == "1 new job for “Python”"
        statuses = {n.posting_id: n.email_status for n in s.exec(select(Notification)).all()}
        assert statuses == {ids["j2"]: "skipped", ids["j4"]: "sent"}


def test_b18_still_open_postings_are_not_sent_again(db: Engine) -> None:
    # Field case B18: day 1 "python" matches J1 and is sent; day 2 J1 is still open and J2 matches both
    # "python" and "backend": one email listing J2 once (naming both alerts), one inbox item per posting.
    day1 = T0 + timedelta(days=1)
    with Session(db) as s:
        board = make_board(s)
        ingest_postings(session=s, board=board, complete=True, now=T0, postings=[make_posting(external_id="base")])
        user = make_user(s)
        make_alert(s, user, {"keywords": ["python"]}, name="python", frequency="daily", created_at=T0)
        make_alert(s, user, {"title_keywords": ["backend"]}, name="backend", frequency="daily", created_at=T0)
        j1 = make_posting(external_id="j1", title="Python Developer")
        ingest_postings(session=s, board=board, complete=True, now=day1 - timedelta(hours=3), postings=[j1])
        s.commit()
    match_new_postings()
    assert send_due_digests(now=day1).sent == 1  # 09:00 UTC, digest hour 8
    j2 = make_posting(external_id="j2", title="Python Backend Engineer")
    with Session(db) as s:
        row = s.exec(select(Board)).one()
        ingest_postings(session=s, board=row, complete=True, now=day1 + timedelta(hours=3), postings=[j1, j2])
        s.commit()
    match_new_postings()
    day2 = send_due_digests(now=day1 + timedelta(days=1))
    assert (day2.built, day2.sent) == (1, 1)
    with Session(db) as s:
        mails = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
        assert len(mails) == 2
        assert "Python Developer" in mails[0].text and "Python Developer" not in mails[1].text
        assert mails[1].text.count("Python Backend Engineer") == 1
        assert "Also matches: backend" in mails[1].text or "Also matches: python" in mails[1].text
        assert len(s.exec(select(Notification)).all()) == 2
    assert send_due_digests(now=day1 + timedelta(days=2)).built == 0
