"""Periodic and scheduled work: the sweep that keeps notices flowing, and reminders on time."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.domain import activities, broadcasts
from bot.runtime import queue
from bot.runtime.services import current_services
from bot.storage.models import utc_now
from bot.wechat import delivery
from jobs.tally import close_overdue_activities

log = logging.getLogger(__name__)


def sweep_due_notices() -> dict:
    """Close activities left open, restart broadcasts nobody is fanning out, enqueue every notice due; schedules the next sweep."""
    services = current_services()
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
    return delivery.sweep(services)


def schedule_reminders(activity_id: int) -> int:
    """Schedule the activity's reminders for the moment each falls due; returns how many were scheduled.

    The periodic sweep sends them anyway within SWEEP_INTERVAL; this makes them punctual.
    Job ids carry the start time, so scheduling again after a change adds the new moments.
    """
    services = current_services()
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
    return delivery.remind(current_services(), activity_id)
