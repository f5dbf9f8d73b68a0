"""Periodic and scheduled work: the sweep that keeps notices flowing, and reminders on time.

`sweep` creates the reminder rows that have fallen due and enqueues every pending
notice that is due, and every stale claim. It runs at worker start and on every
SWEEP_INTERVAL, so a flushed or restarted Redis loses nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis.exceptions import LockError

from bot.domain import activities, broadcasts, notices, reminders
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


def schedule_reminders(activity_id: int) -> int:
    """Schedule the activity's reminders for the moment each falls due; returns how many were scheduled.

    The periodic sweep sends them anyway within SWEEP_INTERVAL; this makes them punctual.
    Job ids carry the start time, so scheduling again after a change adds the new moments.
    """
    services = for_jobs()
    with services.db.session() as session:
        activity = activities.get(session, activity_id)
        start_at, status = activity.start_at, activity.status
    if status != "published":
        return 0
    now = utc_now()
    scheduled = 0
    for offset in services.settings.reminder_offsets:
        due_at = start_at - timedelta(seconds=offset)
        if due_at <= now:
            continue
        job_id = f"remind-{activity_id}-{offset}-{start_at:%Y%m%d%H%M}"
        queue.enqueue_at(services.redis, due_at, queue.REMIND_ACTIVITY, activity_id, job_id=job_id)
        scheduled += 1
    return scheduled


def remind_activity(activity_id: int) -> int:
    """Create and enqueue the activity's reminders that are due now; returns how many were enqueued."""
    return remind(for_jobs(), activity_id)


def sweep(services, now: datetime | None = None) -> dict:  # type: ignore[no-untyped-def]
    """Create due reminders, then enqueue what is due and what a dead worker left claimed.

    Returns counts. Concurrent sweeps (several workers) skip rather than queue up.
    """
    now = now or utc_now()
    settings = services.settings
    lock = services.redis.lock(key("sweep", "lock"), timeout=300, blocking=False)
    if not lock.acquire():
        return {"skipped": 1}
    try:
        with services.db.transaction() as session:
            created = reminders.create_due(session, settings.reminder_offsets, now)
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
    result = {"reminders_created": created, "due": len(due), "stale_claims": len(stale), "enqueued": enqueued}
    if created or enqueued:
        log.info("sweep: %s", result)
    return result


def remind(services, activity_id: int, now: datetime | None = None) -> int:  # type: ignore[no-untyped-def]
    """Create one activity's due reminders now and enqueue them; returns how many were enqueued."""
    now = now or utc_now()
    with services.db.transaction() as session:
        reminders.create_due(session, services.settings.reminder_offsets, now, activity_id=activity_id)
    with services.db.session() as session:
        due = notices.due_ids(session, now, activity_id=activity_id)
    return queue.enqueue_notices(services.redis, due)
