"""A match skipped under the lease asks for one follow-up match, so no new posting waits for the catch-up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobwatch.models import JobPosting, utcnow
from jobwatch.services.leases import Lease, make_lease_backend
from tests.factories import make_board


@pytest.fixture()
def immediate(db: Engine) -> Iterator[Any]:
    from workers import tasks
    from workers.huey_app import huey

    huey.immediate = True
    try:
        yield tasks
    finally:
        huey.storage.flush_all()
        huey.immediate = False


def test_skipped_matches_schedule_one_follow_up_that_matches_later_postings(db: Engine, immediate: Any) -> None:
    tasks = immediate
    from workers.huey_app import huey

    held = Lease("match-new-postings", ttl_seconds=30, backend=make_lease_backend())
    assert held.acquire()  # another run is matching
    with Session(db) as s:
        board = make_board(s, baseline_at=utcnow())
        s.add(JobPosting(board_id=board.id or 0, source="greenhouse", external_id="1", title="Rust", content_hash="h"))
        s.commit()
    assert tasks.match_new_postings_task().get() is None
    assert tasks.match_new_postings_task().get() is None
    assert huey.scheduled_count() == 1  # one follow-up, however many skipped
    held.release()

    (follow_up,) = huey.scheduled()
    huey.execute(follow_up, timestamp=follow_up.eta)  # its time has come
    with Session(db) as s:
        assert s.exec(select(JobPosting).where(col(JobPosting.matched_at).is_(None))).all() == []
    # The marker is free again: the next skip asks for a new follow-up.
    assert make_lease_backend().acquire(tasks.FOLLOW_UP, "probe", 1)
