"""Delivering notices exactly once, and the sweep that makes sure nothing due is forgotten.

`deliver` claims a notice (pending → claimed, atomically, committed), sends it
through `bot.sender`, then records the outcome. Two workers holding the same job
cannot both send: only one claim succeeds. If a worker dies between the send and the
record, the claim goes stale and the notice is sent again — harmlessly for a template
message, which carries the notice key as `client_msg_id` so WeChat drops the repeat.
A customer-service message has no such key: that one in-flight send is the only
thing that can ever reach a person twice, and only after a crash.

`sweep` creates the reminder rows that have fallen due and enqueues every pending
notice that is due, and every stale claim. It runs at worker start and on every
SWEEP_INTERVAL, so a flushed or restarted Redis loses nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis.exceptions import LockError

from bot import notices, queue, reminders, sender
from bot.keys import key
from bot.models import Resident, utc_now

log = logging.getLogger(__name__)

STARTED = "activity started before the reminder could be sent"


def deliver(services, notice_id: int, now: datetime | None = None) -> str:  # type: ignore[no-untyped-def]
    """Send one notice once; returns its status afterwards (`skipped` if it was not ours to send).

    Raises `sender.RetryLater` after giving the notice back, when WeChat asked to wait.
    """
    now = now or utc_now()
    settings = services.settings
    stale_before = now - timedelta(seconds=settings.notice_claim_timeout)
    with services.db.transaction() as session:
        notice = notices.claim(session, notice_id, now, stale_before)
        if notice is None:
            return "skipped"
        claimed_at = notice.claimed_at
        resident = session.get(Resident, notice.resident_id)
        why_not = None
        if notice.expires_at is not None and now >= notice.expires_at:
            why_not = STARTED if notice.kind == "reminder" else "expired before it could be sent"
        elif notice.kind == "reminder":
            why_not = reminders.still_wanted(session, notice, now)
        if resident is None or resident.erased_at is not None:
            why_not = why_not or "the person erased their profile"
        if why_not:
            notices.finish(session, notice.id, claimed_at, "dropped", reason=why_not)
            return "dropped"
        out = sender.Outbound(
            key=notice.key,
            kind=notice.kind,
            text=notice.text,
            openid=resident.openid,
            resident_id=resident.id,
            subscribed=resident.subscribed,
            fields=dict(notice.fields or {}),
            activity_id=notice.activity_id,
            last_message_at=resident.last_message_at,
            last_event_at=resident.last_event_at,
        )
    # The claim is committed: from here on no other worker sends this notice.
    try:
        outcome = sender.send(services, out, now)
    except sender.RetryLater as exc:
        with services.db.transaction() as session:
            status = notices.release(session, notice_id, claimed_at, exc.reason)
        log.info("notice %s: WeChat said not now (%s); %s", notice_id, exc.reason, status)
        if status == "failed":
            return status
        raise
    with services.db.transaction() as session:
        if not notices.finish(session, notice_id, claimed_at, outcome.status, channel=outcome.channel, reason=outcome.reason):
            log.warning("notice %s: claim was taken over while sending", notice_id)
    if outcome.status != "sent":
        log.info("notice %s %s: %s", notice_id, outcome.status, outcome.reason)
    return outcome.status


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
