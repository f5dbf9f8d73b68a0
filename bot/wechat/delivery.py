"""Delivering notices exactly once.

`deliver` claims a notice (pending → claimed, atomically, committed), sends it
through `bot.wechat.sender`, then records the outcome. Two workers holding the same job
cannot both send: only one claim succeeds. If a worker dies between the send and the
record, the claim goes stale and the notice is sent again — harmlessly for a template
message, which carries the notice key as `client_msg_id` so WeChat drops the repeat.
A customer-service message has no such key: that one in-flight send is the only
thing that can ever reach a person twice, and only after a crash.

The sweep that makes sure nothing due is forgotten is a job: `jobs.sweeps`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import aliased

from bot.domain import notices, reminders, residents
from bot.storage.models import Activity, Resident, Signup, utc_now
from bot.wechat import sender

log = logging.getLogger(__name__)

STARTED = "activity started before the reminder could be sent"


def _connection(db):  # type: ignore[no-untyped-def]
    """One connection for the whole delivery. On PostgreSQL each statement commits by itself:
    the claim is one atomic UPDATE and every later write is fenced by the claim's time, so
    BEGIN/COMMIT round trips would buy nothing. (SQLite keeps its BEGIN IMMEDIATE transactions.)
    """
    connection = db.engine.connect()
    if db.dialect == "postgresql":
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


# Built once (see bot.domain.notices): whom the notice is about, whom it goes to (the same
# person, or for a family member the adult who signed them up), and the activity and place.
_ABOUT = aliased(Resident)
_TO = aliased(Resident)
_RECIPIENT = (
    select(
        _TO.id,
        _TO.openid,
        _TO.subscribed,
        _TO.erased_at,
        _TO.last_message_at,
        _TO.last_event_at,
        _ABOUT.proxy_id,
        _ABOUT.name.label("about_name"),
        _ABOUT.erased_at.label("about_erased_at"),
        Activity.status.label("activity_status"),
        Activity.start_at,
        Signup.status.label("signup_status"),
    )
    .select_from(_ABOUT)
    .join(_TO, _TO.id == func.coalesce(_ABOUT.proxy_id, _ABOUT.id))
    .outerjoin(Activity, Activity.id == bindparam("activity_id"))
    .outerjoin(Signup, and_(Signup.activity_id == Activity.id, Signup.resident_id == _ABOUT.id))
    .where(_ABOUT.id == bindparam("resident_id"))
)


def _newest(*moments: datetime | None) -> datetime | None:
    return max((m for m in moments if m is not None), default=None)


def deliver(services, notice_id: int, now: datetime | None = None) -> str:  # type: ignore[no-untyped-def]
    """Send one notice once; returns its status afterwards (`skipped` if it was not ours to send).

    Raises `sender.RetryLater` after giving the notice back, when WeChat asked to wait.
    """
    now = now or utc_now()
    settings = services.settings
    stale_before = now - timedelta(seconds=settings.notice_claim_timeout)
    # Core statements on one connection, no ORM session: this runs for every single notice.
    with _connection(services.db) as connection:
        claim = notices.claim(connection, notice_id, now, stale_before)
        if claim is None:
            connection.commit()
            return "skipped"
        person = connection.execute(_RECIPIENT, {"activity_id": claim.activity_id, "resident_id": claim.resident_id}).one_or_none()
        why_not = None
        if claim.expires_at is not None and now >= claim.expires_at:
            why_not = STARTED if claim.kind == "reminder" else "expired before it could be sent"
        elif claim.kind == "reminder":
            why_not = reminders.why_not_remind(
                person.activity_status if person else None,
                person.start_at if person else None,
                person.signup_status if person else None,
                claim.expires_at,
            )
        if person is None or person.erased_at is not None or person.about_erased_at is not None:
            why_not = why_not or "the person erased their profile"
        if why_not:
            notices.finish(connection, claim.id, claim.claimed_at, "dropped", reason=why_not)
            connection.commit()
            return "dropped"
        connection.commit()  # the claim is ours: from here on no other worker sends this notice
        text, fields = claim.text, dict(claim.fields or {})
        if person.proxy_id is not None:  # about a family member: to the proxy, naming the member
            text, fields = notices.about_member(person.about_name, text, fields)
        message_at, event_at = person.last_message_at, person.last_event_at
        if not settings.sandbox:  # the channel depends on the newest contact, written to the database or not yet
            noted_message, noted_event = residents.pending_contact(services.redis, person.openid)
            message_at, event_at = _newest(message_at, noted_message), _newest(event_at, noted_event)
        out = sender.Outbound(
            key=claim.key,
            kind=claim.kind,
            text=text,
            openid=person.openid,
            resident_id=person.id,
            subscribed=person.subscribed,
            fields=fields,
            activity_id=claim.activity_id,
            last_message_at=message_at,
            last_event_at=event_at,
        )
        try:
            outcome = sender.send(services, out, now)
        except sender.RetryLater as exc:
            status = notices.release(connection, notice_id, claim.claimed_at, claim.attempts, exc.reason)
            connection.commit()
            log.info("notice %s: WeChat said not now (%s); %s", notice_id, exc.reason, status)
            if status == "failed":
                return status
            raise
        if not notices.finish(connection, notice_id, claim.claimed_at, outcome.status, channel=outcome.channel, reason=outcome.reason):
            log.warning("notice %s: claim was taken over while sending", notice_id)
        connection.commit()
    if outcome.status != "sent":
        log.info("notice %s %s: %s", notice_id, outcome.status, outcome.reason)
    return outcome.status
