"""Small factories for rows and postings used across the tests."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlmodel import Session

from jobwatch.core.postings import Location, Posting
from jobwatch.models import Board, JobAlert, User, utcnow

_seq = itertools.count(1)


def make_posting(**overrides: Any) -> Posting:
    """A normalized Greenhouse posting of board `acme`; any field can be overridden."""
    n = next(_seq)
    values: dict[str, Any] = {
        "source": "greenhouse",
        "board": "acme",
        "external_id": f"job-{n}",
        "title": f"Software Engineer {n}",
        "company": "Acme",
        "url": f"https://boards.greenhouse.io/acme/jobs/{n}",
        "description_html": "<p>Build things.</p>",
        "description_text": "Build things.",
        "locations": [Location(raw="Berlin, Germany", city="Berlin", country="DE")],
    }
    values.update(overrides)
    return Posting(**values)


def make_user(session: Session, **overrides: Any) -> User:
    """A stored user with a placeholder (non-verifying) password hash and a verified address (digests go
    only to verified addresses); pass `email_verified_at=None` for an unverified one."""
    n = next(_seq)
    values: dict[str, Any] = {
        "email": f"user{n}@example.test",
        "password_hash": "!unusable",
        "email_verified_at": utcnow(),
    }
    values.update(overrides)
    user = User(**values)
    session.add(user)
    session.flush()
    return user


def make_board(session: Session, key: str = "greenhouse:acme", **overrides: Any) -> Board:
    """A stored board for `key` (`ats:token`)."""
    ats, token = key.split(":", 1)
    board = Board(key=key, ats=ats, token=token, **overrides)
    session.add(board)
    session.flush()
    return board


def make_alert(
    session: Session,
    user: User,
    filters: dict[str, Any],
    *,
    name: str = "alert",
    frequency: str = "instant",
    created_at: datetime | None = None,
    **overrides: Any,
) -> JobAlert:
    """A stored, active alert of `user`."""
    when = created_at or utcnow()
    alert = JobAlert(
        user_id=user.id,
        name=name,
        filters=filters,
        frequency=frequency,
        created_at=when,
        updated_at=when,
        **overrides,
    )
    session.add(alert)
    session.flush()
    return alert
