"""Huey tasks: thin wrappers over services. Every task is idempotent, so a re-run after a crash is harmless.

Periodic tasks take no arguments and hold a lease (`jobwatch.services.leases`, TTL `WORKER_LEASE_SECONDS`)
so that slow runs never overlap; a run that finds the lease held is skipped (returns None, recorded as
skipped). A lease expires, so a SIGKILLed worker's lease frees itself after its TTL; while a run is alive its
lease is renewed, and no other consumer can release it. Each periodic slot is enqueued once across all
consumers (`workers.consumer.SlotScheduler`) and every run is recorded (`workers.recording`).

Retries: the network tasks (`scrape_board_task`, `send_due_digests_task`) are retried by Huey with
exponential backoff (`retry_delay * retry_backoff**n`) when they raise, e.g. when the database connection
drops; errors of a board or of the mail service are handled inside (the board's run fails and its next
scrape backs off; a batch waits with its idempotency key) and need no task retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from huey import crontab
from huey.storage import SqliteStorage

from jobwatch.config import get_settings
from jobwatch.db import session_scope
from jobwatch.models import utcnow
from jobwatch.services import taskruns
from jobwatch.services.cleanup import run_cleanup
from jobwatch.services.digests import send_due_digests
from jobwatch.services.ingest import claim_due_boards, scrape_board
from jobwatch.services.leases import make_lease_backend, with_lease
from jobwatch.services.matching import match_new_postings
from workers import recording
from workers.huey_app import huey

log = logging.getLogger(__name__)


def schedule(cron: Callable[[datetime], bool]) -> Callable[[datetime], bool]:
    """A periodic task's `validate_datetime`: the crontab `cron`, or always due when `SCHEDULE_EVERY_SECONDS`
    is set (the scheduler then checks every that many seconds)."""

    def validate(moment: datetime) -> bool:
        return bool(get_settings().schedule_every_seconds) or bool(cron(moment))

    return validate


@huey.task(retries=3, retry_delay=30, retry_backoff=2)
def scrape_board_task(board_id: int) -> dict[str, object]:
    """Scrape one board, then match what it brought in. Returns the run summary as a dict (a board deleted
    since it was queued: `{"status": "gone"}`, nothing retried)."""
    try:
        summary = scrape_board(board_id)
    except LookupError:
        return {"board_id": board_id, "status": "gone"}
    if summary.new:
        match_new_postings_task()
    return {"run_id": summary.run_id, "status": summary.status, "new": summary.new, "closed": summary.closed}


@huey.periodic_task(schedule(crontab(minute="*")))
@with_lease("scrape-due-boards")
def scrape_due_boards() -> int | None:
    """Enqueue one scrape task per board that is due; returns how many were enqueued (None: skipped, leased).

    Each board has its own interval and a jitter (`services.ingest.claim_due_boards`); claiming moves the
    board's next time ahead in the same transaction, so a re-run enqueues nothing twice.
    """
    with session_scope() as session:
        ids = claim_due_boards(session=session, now=utcnow())
    runs = [scrape_board_task.s(board_id) for board_id in ids]
    # One insert records every run (the per-enqueue record would cost a transaction per board); should it
    # fail, each enqueue records its own run as usual.
    try:
        taskruns.record_queued_many([(run.id, str(run.name), list(run.args)) for run in runs])
        recorded = True
    except Exception:
        log.exception("could not record %s scrape runs at once", len(runs))
        recorded = False
    for run in runs:
        setattr(run, recording.RECORDED_ATTR, recorded)
        huey.enqueue(run)
    return len(ids)


#: The marker of a pending follow-up match (a lease name with a fixed holder, so the follow-up can free it).
FOLLOW_UP = "match-follow-up"
FOLLOW_UP_HOLDER = "pending"
#: Seconds before a follow-up match runs.
FOLLOW_UP_DELAY = 5


@with_lease("match-new-postings")
def _match_under_lease() -> int | None:
    return match_new_postings().notifications


def _ask_for_follow_up() -> None:
    """A match was skipped while another run held the lease: that run may have read the unmatched postings
    before this task's scrape stored its own, so one follow-up match is scheduled, unless one is already
    pending (it will see them), instead of leaving them to the catch-up minutes later."""
    backend = make_lease_backend()
    if backend.acquire(FOLLOW_UP, FOLLOW_UP_HOLDER, max(60.0, get_settings().worker_lease_seconds * 2)):
        match_follow_up_task.schedule(delay=FOLLOW_UP_DELAY)


@huey.task()
def match_new_postings_task() -> int | None:
    """Match every unmatched posting against the active alerts; returns notifications created (None: skipped
    because another run holds the lease; a follow-up is then scheduled)."""
    created = _match_under_lease()
    if created is None:
        _ask_for_follow_up()
    return created


@huey.task()
def match_follow_up_task() -> int | None:
    """The follow-up of skipped matches: frees the marker first (so a skip from now on asks again), then
    matches like `match_new_postings_task`."""
    make_lease_backend().release(FOLLOW_UP, FOLLOW_UP_HOLDER)
    created = _match_under_lease()
    if created is None:
        _ask_for_follow_up()
    return created


@huey.periodic_task(schedule(crontab(minute="*/10")))
def match_catch_up() -> None:
    """Periodic catch-up for postings a crashed or skipped match left unmatched."""
    match_new_postings_task()


@huey.periodic_task(schedule(crontab(minute="*/5")), retries=2, retry_delay=20, retry_backoff=2)
@with_lease("send-due-digests")
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


@huey.periodic_task(schedule(crontab(minute="17")))
@with_lease("cleanup")
def cleanup_task() -> dict[str, int] | None:
    """Delete expired sessions and tokens, old runs and outbox mail, and long-closed postings
    (`services.cleanup`, periods from the `RETENTION_*` settings), and the SQLite queue's unread task results;
    returns the counts deleted."""
    counts = run_cleanup().as_dict()
    if isinstance(huey.storage, SqliteStorage):
        # Results nobody read (Redis lets them expire instead). jobwatch takes no Huey locks and revokes no
        # task, the other keys of this table.
        huey.storage.flush_results()
    return counts
