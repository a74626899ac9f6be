"""Huey tasks: thin wrappers over services. Every task is idempotent, so a re-run after a crash is harmless.

Periodic tasks take no arguments and hold a lease (`jobwatch.services.leases`) so that slow runs never overlap;
a run that finds the lease held is skipped (returns None). A lease expires, so a SIGKILLed worker's lease frees
itself after its TTL; while a run is alive its lease is renewed, and no other consumer can release it.
"""

from __future__ import annotations

import logging

from huey import crontab

from jobwatch.db import session_scope
from jobwatch.models import utcnow
from jobwatch.services.digests import send_due_digests
from jobwatch.services.ingest import claim_due_boards, scrape_board
from jobwatch.services.leases import with_lease
from jobwatch.services.matching import match_new_postings
from workers.huey_app import huey

log = logging.getLogger(__name__)


@huey.task(retries=2, retry_delay=60)
def scrape_board_task(board_id: int) -> dict[str, object]:
    """Scrape one board, then match what it brought in. Returns the run summary as a dict."""
    summary = scrape_board(board_id)
    if summary.new:
        match_new_postings_task()
    return {"run_id": summary.run_id, "status": summary.status, "new": summary.new, "closed": summary.closed}


@huey.periodic_task(crontab(minute="*"))
@with_lease("scrape-due-boards", ttl_seconds=120)
def scrape_due_boards() -> int | None:
    """Enqueue one scrape task per board that is due; returns how many were enqueued (None: skipped, leased)."""
    with session_scope() as session:
        ids = claim_due_boards(session=session, now=utcnow())
    for board_id in ids:
        scrape_board_task(board_id)
    return len(ids)


@huey.task()
@with_lease("match-new-postings", ttl_seconds=300)
def match_new_postings_task() -> int | None:
    """Match every unmatched posting against the active alerts; returns notifications created (None: skipped)."""
    return match_new_postings().notifications


@huey.periodic_task(crontab(minute="*/10"))
def match_catch_up() -> None:
    """Periodic catch-up for postings a crashed match left unmatched."""
    match_new_postings_task()


@huey.periodic_task(crontab(minute="*/5"))
@with_lease("send-due-digests", ttl_seconds=300)
def send_due_digests_task() -> dict[str, int] | None:
    """Build the digests that are due now and deliver every pending one in paced batch calls.

    Safe to lose mid-run (field case B22): each batch's membership and idempotency key are stored before its
    call and a digest is marked sent only after the service's 2xx, so the next tick sends what is left, with
    the same keys, and nobody gets a digest twice.
    """
    summary = send_due_digests()
    return {
        "built": summary.built,
        "sent": summary.sent,
        "failed": summary.failed,
        "retry": summary.retry,
        "batches": summary.batches,
    }
