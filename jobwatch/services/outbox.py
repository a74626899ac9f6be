"""The local mail outbox as users see it: the emails jobwatch wrote to them while no mail service is set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from jobwatch.models import OutboxMessage


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One email of the outbox: subject, when, and both bodies (HTML as rendered by jobwatch's templates)."""

    id: int
    to_email: str
    subject: str
    created_at: datetime
    html: str
    text: str


def list_outbox(*, session: Session, to_email: str | None, limit: int = 50) -> list[OutboxItem]:
    """The newest emails to `to_email` (every address when None, for operators), at most `limit` (≤ 200)."""
    query = select(OutboxMessage).order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
    if to_email is not None:
        query = query.where(OutboxMessage.to_email == to_email)
    rows = session.exec(query.limit(max(1, min(limit, 200)))).all()
    return [
        OutboxItem(
            id=row.id or 0,
            to_email=row.to_email,
            subject=row.subject,
            created_at=row.created_at,
            html=row.html,
            text=row.text,
        )
        for row in rows
    ]
