"""Closing activities nobody closed: the hours are entered well inside the legal deadline.

`close_overdue_activities` is the periodic sweep; `tally_activity` closes one
activity. Both are safe to run twice, at once, on several workers: each activity is
closed under its row lock, an activity already closed is left alone, and the
database refuses a second credit for anyone.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.domain import hours
from bot.runtime.services import for_jobs
from bot.storage.models import utc_now

log = logging.getLogger(__name__)


def tally_activity(activity_id: int, now: datetime | None = None) -> int:
    """Close one activity still open after its end, credit everyone checked in and tell its organizer.

    Returns how many people were credited now (0 when it was already closed or is not due).
    """
    services = for_jobs()
    grace = timedelta(seconds=services.settings.auto_close_after)
    with services.db.transaction() as session:
        result = hours.auto_close(session, activity_id, now=now or utc_now(), grace=grace)
    return 0 if result is None else len(result.credited)


def close_overdue_activities(now: datetime | None = None) -> list[int]:
    """Close every published activity whose end (plus AUTO_CLOSE_AFTER) has passed; returns their ids."""
    services = for_jobs()
    now = now or utc_now()
    grace = timedelta(seconds=services.settings.auto_close_after)
    with services.db.transaction() as session:
        due = hours.overdue_activity_ids(session, now, grace)
    closed = []
    for activity_id in due:
        # One transaction per activity: a failure in one leaves the others closed.
        try:
            tally_activity(activity_id, now)
            closed.append(activity_id)
        except Exception:
            log.exception("could not close activity %s; the next sweep tries again", activity_id)
    return closed
