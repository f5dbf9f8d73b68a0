"""Periodic and scheduled work: reminders on time, and the sweep that keeps notices flowing.

Reminder rows are written when a place is taken, and each activity's reminder moments
are put on RQ's scheduler when it is published or moved (`bot.domain.reminders`):
`remind_activity` runs at each moment and sends what fell due, within seconds.

`sweep` is the safety net, at worker start and on every SWEEP_INTERVAL, so a flushed or
restarted Redis loses nothing: it creates any reminder row still missing once due,
enqueues every pending notice that is due and every stale claim, and puts the next
reminder moments back on the scheduler (a flush empties it).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis.exceptions import LockError

from bot.domain import broadcasts, notices, reminders, residents
from bot.runtime import queue
from bot.runtime.services import for_jobs
from bot.storage.keys import key
from bot.storage.models import utc_now
from jobs.tally import close_overdue_activities

log = logging.getLogger(__name__)


def sweep_due_notices() -> dict:
    """Close activities left open, restart broadcasts nobody is fanning out, enqueue every notice due; schedules the next sweep."""
    services = for_jobs()
    # The successor first, so a failing sweep does not break the chain.
    queue.schedule_sweep(services.redis, services.settings.sweep_interval)
    try:
        close_overdue_activities()  # hours entered well inside the legal deadline; their notices go out below
    except Exception:  # a failing close must not stop notices from flowing
        log.exception("closing overdue activities failed; sweeping notices anyway")
    try:
        # A flushed Redis loses a fan-out's job and its watchdog; the database still says "sending".
        with services.db.transaction() as session:
            broadcasts.resume_stalled(session, services.redis, services.settings.notice_claim_timeout)
    except Exception:
        log.exception("resuming stalled broadcasts failed; sweeping notices anyway")
    return sweep(services)


def remind_activity(activity_id: int) -> int:
    """Create and enqueue the activity's reminders that are due now; returns how many were enqueued."""
    return remind(for_jobs(), activity_id)


def sweep(services, now: datetime | None = None) -> dict:  # type: ignore[no-untyped-def]
    """Write the contacts the webhook noted, create due reminders, then enqueue what is due
    and what a dead worker left claimed.

    Returns counts. Concurrent sweeps (several workers) skip rather than queue up.
    """
    now = now or utc_now()
    settings = services.settings
    lock = services.redis.lock(key("sweep", "lock"), timeout=300, blocking=False)
    if not lock.acquire():
        return {"skipped": 1}
    try:
        contacts = residents.flush_contacts(services.redis, services.db)
        with services.db.transaction() as session:
            created = reminders.create_due(session, settings.reminder_offsets, now)
            notices.drop_expired(session, now)
            reminders.drop_overtaken(session, now)
            moments = reminders.schedule_ahead(session, now)
        stale_before = now - timedelta(seconds=settings.notice_claim_timeout)
        with services.db.session() as session:
            due = notices.due_ids(session, now)
            stale = notices.stale_claim_ids(session, stale_before)
        enqueued = queue.enqueue_notices(services.redis, due, force=stale)
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("sweep lock expired before release")
    result = {
        "contacts_written": contacts,
        "reminders_created": created,
        "due": len(due),
        "stale_claims": len(stale),
        "enqueued": enqueued,
        "moments": moments,
    }
    if created or enqueued:
        log.info("sweep: %s", result)
    return result


def remind(services, activity_id: int, now: datetime | None = None) -> int:  # type: ignore[no-untyped-def]
    """Create one activity's due reminders now and enqueue them; returns how many were enqueued."""
    now = now or utc_now()
    with services.db.transaction() as session:
        reminders.create_due(session, services.settings.reminder_offsets, now, activity_id=activity_id)
        reminders.drop_overtaken(session, now, activity_id=activity_id)
    with services.db.session() as session:
        due = notices.due_ids(session, now, activity_id=activity_id)
    return queue.enqueue_notices(services.redis, due)
