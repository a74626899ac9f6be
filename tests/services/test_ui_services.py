"""Services behind the UI: editing, copying and counting alerts; inbox views and pages; marks by posting; the
builder's suggestions; the sample digest. Every one is scoped to its user: another user's id finds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from jobwatch.core.postings import Location
from jobwatch.errors import BadInput
from jobwatch.mail.senders import OutboxSender
from jobwatch.models import AlertMatch, Company, JobAlert, JobPosting, Notification, OutboxMessage, utcnow
from jobwatch.services import alerts, inbox, throttle
from jobwatch.services.postings_search import builder_suggestions
from jobwatch.services.sample_digest import SAMPLE_DIGEST, send_sample_digest
from jobwatch.storage import ingest_postings
from tests.factories import make_alert, make_board, make_posting, make_user


def _postings(session: Session, *titles: str, **extra: object) -> list[JobPosting]:
    board = make_board(session)
    ingest_postings(
        session=session, board=board, complete=True, postings=[make_posting(title=t, **extra) for t in titles]
    )
    return list(session.exec(select(JobPosting).order_by(JobPosting.id)).all())


def test_get_update_and_duplicate_are_scoped_to_the_owner(session: Session) -> None:
    ada, bob = make_user(session), make_user(session)
    assert ada.id is not None and bob.id is not None
    alert = make_alert(session, ada, {"keywords": ["python"]}, name="Python", frequency="daily")
    assert alert.id is not None
    assert alerts.get_alert(session=session, user_id=bob.id, alert_id=alert.id) is None
    assert alerts.update_alert(
        session=session, user_id=bob.id, alert_id=alert.id, name="x", filters={"keywords": ["go"]}, frequency="daily"
    ) is None  # fmt: skip
    assert alerts.duplicate_alert(session=session, user_id=bob.id, alert_id=alert.id) is None

    with pytest.raises(BadInput, match="at least one of"):
        alerts.update_alert(
            session=session,
            user_id=ada.id,
            alert_id=alert.id,
            name="Py",
            filters={"is_remote": True},
            frequency="daily",
        )
    assert session.get_one(JobAlert, alert.id).filters == {"keywords": ["python"]}
    alerts.update_alert(
        session=session,
        user_id=ada.id,
        alert_id=alert.id,
        name="  Python   remote ",
        filters={"keywords": ["python"], "is_remote": True},
        frequency="weekly",
    )
    draft = alerts.get_alert(session=session, user_id=ada.id, alert_id=alert.id)
    assert draft is not None
    assert (draft.name, draft.filters, draft.frequency) == (
        "Python remote",
        {"keywords": ["python"], "is_remote": True},
        "weekly",
    )
    copy = alerts.duplicate_alert(session=session, user_id=ada.id, alert_id=alert.id)
    assert copy is not None and copy.id != alert.id
    assert (copy.name, copy.filters, copy.user_id) == ("Copy of Python remote", draft.filters, ada.id)


def test_matches_this_week_counts_only_recent_matches_of_own_alerts(session: Session) -> None:
    ada, bob = make_user(session), make_user(session)
    assert ada.id is not None and bob.id is not None
    alert = make_alert(session, ada, {"keywords": ["python"]})
    other = make_alert(session, bob, {"keywords": ["python"]})
    p1, p2 = _postings(session, "Python A", "Python B")
    now = utcnow()
    session.add(AlertMatch(alert_id=alert.id or 0, posting_id=p1.id or 0, matched_at=now - timedelta(days=10)))
    session.add(AlertMatch(alert_id=alert.id or 0, posting_id=p2.id or 0, matched_at=now - timedelta(days=1)))
    session.add(AlertMatch(alert_id=other.id or 0, posting_id=p2.id or 0, matched_at=now))
    session.flush()
    week = alerts.matches_since(session=session, user_id=ada.id, since=now - timedelta(days=7))
    assert week == {alert.id: 1}


def test_inbox_views_filter_by_alert_and_pages(session: Session) -> None:
    ada, bob = make_user(session), make_user(session)
    assert ada.id is not None and bob.id is not None
    python = make_alert(session, ada, {"keywords": ["python"]}, name="Python")
    rust = make_alert(session, ada, {"keywords": ["rust"]}, name="Rust")
    bobs = make_alert(session, bob, {"keywords": ["python"]}, name="Bob's")
    postings = _postings(session, "Python 1", "Python 2", "Python 3", "Rust 1")
    t0 = datetime(2026, 6, 1, tzinfo=UTC)
    for i, posting in enumerate(postings):
        alert = rust if posting.title.startswith("Rust") else python
        session.add(AlertMatch(alert_id=alert.id or 0, posting_id=posting.id or 0))
        session.add(
            Notification(
                user_id=ada.id, posting_id=posting.id or 0, alert_ids=[alert.id], created_at=t0 + timedelta(hours=i)
            )
        )
    session.flush()
    notes = {n.posting_id: n for n in session.exec(select(Notification)).all()}

    page = inbox.inbox_page(session=session, user_id=ada.id, limit=2)
    assert page.total == 4 and [i.title for i in page.items] == ["Rust 1", "Python 3"]
    page2 = inbox.inbox_page(session=session, user_id=ada.id, limit=2, offset=2)
    assert [i.title for i in page2.items] == ["Python 2", "Python 1"]
    only_rust = inbox.inbox_page(session=session, user_id=ada.id, alert_id=rust.id)
    assert [i.title for i in only_rust.items] == ["Rust 1"] and only_rust.items[0].alert_names == ["Rust"]
    # Another user's alert id (a forged filter) shows nothing of theirs or of ours.
    assert inbox.inbox_page(session=session, user_id=ada.id, alert_id=bobs.id).total == 0
    assert inbox.inbox_page(session=session, user_id=bob.id).total == 0

    inbox.mark_read(session=session, user_id=ada.id, notification_id=notes[postings[3].id].id or 0)
    unread = inbox.inbox_page(session=session, user_id=ada.id, view="unread")
    assert [i.title for i in unread.items] == ["Python 3", "Python 2", "Python 1"]

    # Saved: from the posting's page too, with or without a notification; closed postings say so.
    extra = make_posting(title="Saved from jobs")
    ingest_postings(session=session, board=make_board(session, "lever:other"), complete=True, postings=[extra])
    saved_posting = session.exec(select(JobPosting).where(JobPosting.title == "Saved from jobs")).one()
    assert inbox.set_posting_interaction(
        session=session, user_id=ada.id, posting_id=saved_posting.id or 0, action="saved"
    )
    assert inbox.set_posting_interaction(
        session=session, user_id=ada.id, posting_id=postings[0].id or 0, action="saved"
    )
    assert not inbox.set_posting_interaction(session=session, user_id=ada.id, posting_id=999_999, action="saved")
    postings[0].closed_at = utcnow()
    session.add(postings[0])
    session.flush()
    saved = inbox.inbox_page(session=session, user_id=ada.id, view="saved")
    assert {(i.title, i.closed, i.id != 0) for i in saved.items} == {
        ("Saved from jobs", False, False),
        ("Python 1", True, True),
    }
    assert inbox.inbox_page(session=session, user_id=bob.id, view="saved").total == 0
    # Hiding by posting marks its notification read and takes it out of every view.
    inbox.set_posting_interaction(session=session, user_id=ada.id, posting_id=postings[0].id or 0, action="hidden")
    assert "Python 1" not in [i.title for i in inbox.inbox_page(session=session, user_id=ada.id, view="saved").items]
    assert inbox.unread_count(session=session, user_id=ada.id) == 2
    with pytest.raises(ValueError):
        inbox.inbox_page(session=session, user_id=ada.id, view="secret")


def test_builder_suggestions_come_from_boards_and_postings(session: Session) -> None:
    company = Company(name="Acme Corp", slug="acme")
    session.add(company)
    session.flush()
    make_board(session, company_id=company.id)
    ingest_postings(
        session=session,
        board=make_board(session, "lever:globex"),
        complete=True,
        postings=[
            make_posting(
                title=city, company="Globex", department="Data", locations=[Location(raw=city, city=city, country="FR")]
            )
            for city in ("Paris", "Lyon")
        ],
    )
    found = builder_suggestions(session=session)
    assert found.companies[:2] == ["Acme Corp", "Globex"]
    assert found.locations == ["Lyon", "Paris", "France", "Remote"]
    assert found.departments == ["Data"]


def test_sample_digest_goes_to_the_owner_once_per_click_within_a_limit(session: Session) -> None:
    user = make_user(session, display_name="Ada")
    assert user.id is not None
    _postings(session, "Python Developer", "Java Developer")
    store = throttle.MemoryStore()
    sent = send_sample_digest(
        session=session,
        user_id=user.id,
        name="Python",
        filters={"keywords": ["python"]},
        sender=OutboxSender(),
        store=store,
    )
    assert sent.to == user.email and sent.postings == 1
    message = session.exec(select(OutboxMessage)).one()
    assert message.subject == "Sample: 1 new job for “Python”" and message.kind == "sample"
    assert "Python Developer" in message.html and "Java Developer" not in message.html
    assert session.exec(select(Notification)).all() == []  # the real digests are untouched

    with pytest.raises(BadInput, match="no open job matches"):
        send_sample_digest(
            session=session,
            user_id=user.id,
            name="x",
            filters={"keywords": ["cobol"]},
            sender=OutboxSender(),
            store=store,
        )
    with pytest.raises(BadInput, match="at least one of"):
        send_sample_digest(
            session=session, user_id=user.id, name="x", filters={"is_remote": True}, sender=OutboxSender(), store=store
        )
    for _ in range(SAMPLE_DIGEST.limit - 1):
        send_sample_digest(
            session=session,
            user_id=user.id,
            name="P",
            filters={"keywords": ["python"]},
            sender=OutboxSender(),
            store=store,
        )
    with pytest.raises(throttle.Throttled):
        send_sample_digest(
            session=session,
            user_id=user.id,
            name="P",
            filters={"keywords": ["python"]},
            sender=OutboxSender(),
            store=store,
        )
    assert len(session.exec(select(OutboxMessage)).all()) == SAMPLE_DIGEST.limit

    unverified = make_user(session, email_verified_at=None)
    with pytest.raises(BadInput, match="confirm your email"):
        send_sample_digest(
            session=session,
            user_id=unverified.id or 0,
            name="P",
            filters={"keywords": ["python"]},
            sender=OutboxSender(),
            store=store,
        )
