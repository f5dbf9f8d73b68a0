"""Messages organizers send to many people: `通知 N 文字` and broadcasts (`群发`).

Both become notice rows, one per person, with deterministic keys, so whatever retries
or crashes happen nobody gets one twice; the delivery pipeline sends the rows.

A broadcast is prepared (audience and size shown), confirmed (a `broadcasts` row and
one fan-out job), then fanned out in batches by `fan_out_batch`: each batch creates the
notices of the next residents in id order, so the highest resident id already holding
a notice of the broadcast is where a re-run continues after a crash.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.domain import activities, communities, notices
from bot.domain.errors import NotFound, UserError
from bot.domain.roles import require_organizer, scope_of
from bot.domain.timefmt import fmt
from bot.runtime import queue
from bot.storage.keys import key
from bot.storage.models import Broadcast, Community, Notice, Resident, Signup, utc_now
from config import texts

log = logging.getLogger(__name__)

MAX_TEXT = 500
# A `通知` repeated within this window (a double tap, a resend after a slow reply) is one notice.
NOTIFY_BUCKET_SECONDS = 600

AUDIENCE_ALL = "all"
AUDIENCE_PARTY = "party"


@dataclass(frozen=True)
class Audience:
    """Who a broadcast goes to: everyone, party members, or one community's residents."""

    code: str  # all | party | community:<id>
    label: str
    community_id: int | None = None

    @property
    def subdistrict(self) -> bool:
        return self.community_id is None


@dataclass(frozen=True)
class Draft:
    audience: Audience
    text: str
    size: int


def _check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise UserError(texts.BROADCAST_NEED_TEXT)
    if len(text) > MAX_TEXT:
        raise UserError(texts.MESSAGE_TOO_LONG.format(limit=MAX_TEXT, length=len(text)))
    return text


def audience_from_code(session: Session, code: str) -> Audience:
    if code == AUDIENCE_ALL:
        return Audience(AUDIENCE_ALL, texts.AUDIENCE_ALL)
    if code == AUDIENCE_PARTY:
        return Audience(AUDIENCE_PARTY, texts.AUDIENCE_PARTY)
    community = session.get(Community, int(code.split(":", 1)[1]))
    if community is None:
        raise NotFound(texts.BROADCAST_UNKNOWN_COMMUNITY.format(name=code, choices=""))
    return Audience(f"community:{community.id}", texts.AUDIENCE_COMMUNITY.format(name=community.name), community.id)


def parse(session: Session, actor: Resident, args: str) -> tuple[Audience, str]:
    """`@南乾元社区 文字`, `@党员 文字` or `文字` → (audience, text).

    Without `@`, a scoped organizer's broadcast goes to their own community, everyone
    else's to the whole subdistrict; the reply names the audience before anything is sent.
    """
    args = args.strip()
    if args.startswith("@"):
        target, _, text = args[1:].partition(" ")
        target = target.strip()
        if target in texts.BROADCAST_PARTY_WORDS:
            return Audience(AUDIENCE_PARTY, texts.AUDIENCE_PARTY), text
        if target in texts.BROADCAST_ALL_WORDS:
            return Audience(AUDIENCE_ALL, texts.AUDIENCE_ALL), text
        community = communities.named(session, target)
        if community is None:
            choices = "、".join(c.name for c in communities.in_order(session))
            raise NotFound(texts.BROADCAST_UNKNOWN_COMMUNITY.format(name=target, choices=choices))
        return Audience(f"community:{community.id}", texts.AUDIENCE_COMMUNITY.format(name=community.name), community.id), text
    scope = scope_of(actor) if actor.role == "organizer" else None
    if scope is not None:
        return audience_from_code(session, f"community:{scope}"), args
    return Audience(AUDIENCE_ALL, texts.AUDIENCE_ALL), args


def audience_ids(audience: Audience) -> Select:
    """Resident ids in the audience: following the account, registered and not erased."""
    query = select(Resident.id).where(
        Resident.subscribed.is_(True),
        Resident.registered_at.is_not(None),
        Resident.erased_at.is_(None),
    )
    if audience.code == AUDIENCE_PARTY:
        query = query.where(Resident.is_party_member.is_(True))
    elif audience.community_id is not None:
        query = query.where(Resident.community_id == audience.community_id)
    return query


def audience_size(session: Session, audience: Audience) -> int:
    return session.execute(select(func.count()).select_from(audience_ids(audience).subquery())).scalar_one()


def prepare(session: Session, actor: Resident, args: str) -> Draft:
    """Check who may send what to whom; returns the audience and its size. Sends nothing."""
    require_organizer(actor, "群发")
    audience, text = parse(session, actor, args)
    require_organizer(actor, "群发", community_id=audience.community_id, subdistrict=audience.subdistrict)
    return Draft(audience, _check_text(text), audience_size(session, audience))


def confirm(session: Session, actor: Resident, audience_code: str, text: str, now: datetime | None = None) -> Broadcast:
    """Record a confirmed broadcast (status `sending`); the caller enqueues its one fan-out job."""
    audience = audience_from_code(session, audience_code)
    require_organizer(actor, "群发", community_id=audience.community_id, subdistrict=audience.subdistrict)
    now = now or utc_now()
    broadcast = Broadcast(
        author_id=actor.id,
        audience=audience.code,
        text=_check_text(text),
        status="sending",
        total=audience_size(session, audience),
        created_at=now,
        confirmed_at=now,
    )
    session.add(broadcast)
    session.flush()
    log.info("broadcast %s confirmed by %s to %s (%s people)", broadcast.id, actor.id, audience.code, broadcast.total)
    return broadcast


def notice_key(broadcast_id: int, resident_id: int) -> str:
    return f"broadcast:{broadcast_id}:{resident_id}"


@dataclass(frozen=True)
class Batch:
    done: bool  # no recipient left: the broadcast is now `done`
    notice_ids: list[int]  # this batch's notices, queued for sending when the transaction commits


def fan_out_batch(session: Session, broadcast_id: int, org_name: str, batch_size: int) -> Batch:
    """Create the notices of the next `batch_size` recipients, in resident id order.

    Safe to run again after a crash: it continues after the highest recipient who
    already has this broadcast's notice, and a key that exists is left alone.
    """
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status == "done":
        return Batch(True, [])
    audience = audience_from_code(session, broadcast.audience)
    cursor = session.execute(select(func.max(Notice.resident_id)).where(Notice.broadcast_id == broadcast_id)).scalar() or 0
    recipients = list(session.execute(audience_ids(audience).where(Resident.id > cursor).order_by(Resident.id).limit(batch_size)).scalars())
    if not recipients:
        broadcast.status = "done"
        broadcast.finished_at = utc_now()
        broadcast.total = session.execute(select(func.count()).select_from(Notice).where(Notice.broadcast_id == broadcast_id)).scalar_one()
        log.info("broadcast %s fanned out to %s people", broadcast_id, broadcast.total)
        return Batch(True, [])
    text = texts.BROADCAST_NOTICE.format(org=org_name, text=broadcast.text)
    now = utc_now()
    keys = [notice_key(broadcast_id, rid) for rid in recipients]
    notices.insert_many(
        session,
        [
            {
                "key": k,
                "resident_id": rid,
                "kind": "broadcast",
                "broadcast_id": broadcast_id,
                "text": text,
                "fields": {"title": texts.BROADCAST_TEMPLATE_TITLE, "content": broadcast.text},
                "due_at": now,
                "status": "pending",
                "attempts": 0,
                "created_at": now,
            }
            for k, rid in zip(keys, recipients, strict=True)
        ],
    )
    ids = list(session.execute(select(Notice.id).where(Notice.key.in_(keys), Notice.status == "pending")).scalars())
    notices.enqueue_after_commit(session, ids)  # sent by the delivery pipeline, throttled by the sender
    return Batch(False, ids)


def pending_notice_ids(session: Session, broadcast_id: int) -> list[int]:
    """The broadcast's notices not yet sent (to re-queue them when a fan-out resumes)."""
    return list(session.execute(select(Notice.id).where(Notice.broadcast_id == broadcast_id, Notice.status == "pending")).scalars())


def sending(session: Session) -> list[int]:
    """Ids of confirmed broadcasts whose fan-out has not finished."""
    return list(session.execute(select(Broadcast.id).where(Broadcast.status == "sending").order_by(Broadcast.id)).scalars())


# ── the queue: one fan-out job per broadcast, watched until it finishes ─────
FAN_OUT = "jobs.broadcasts.fan_out_broadcast"
WATCH = "jobs.broadcasts.watch_broadcast"


def heartbeat_key(broadcast_id: int) -> str:
    return key("broadcast", broadcast_id, "alive")


def beat(redis: Redis, broadcast_id: int, stall_seconds: int) -> None:
    """Say the fan-out is alive; without a beat for `stall_seconds` it is taken over."""
    redis.set(heartbeat_key(broadcast_id), 1, ex=stall_seconds)


def start_fan_out(redis: Redis, broadcast_id: int, stall_seconds: int) -> None:
    """Enqueue the broadcast's one fan-out job, and its watchdog (the organizer's reply waits for neither)."""
    beat(redis, broadcast_id, stall_seconds)
    queue.enqueue(redis, FAN_OUT, broadcast_id, job_id=f"broadcast-{broadcast_id}")
    schedule_watch(redis, broadcast_id, stall_seconds)


def schedule_watch(redis: Redis, broadcast_id: int, stall_seconds: int, now: datetime | None = None) -> None:
    """Check on the fan-out again in a while (RQ's scheduler runs it, on whichever worker is alive)."""
    when = (now or utc_now()) + timedelta(seconds=stall_seconds)
    slot = int(when.replace(tzinfo=UTC).timestamp()) // max(1, stall_seconds)
    queue.enqueue_at(redis, when, WATCH, broadcast_id, job_id=f"broadcast-{broadcast_id}-watch-{slot}")


def take_over_if_stalled(redis: Redis, broadcast_id: int, stall_seconds: int) -> bool:
    """Enqueue the fan-out again when its worker stopped beating (it died); True if it did.

    Two fan-outs of one broadcast at once would still be safe (notice keys are unique
    and each send claims its row), only wasteful: the NX heartbeat lets one through.
    """
    if not redis.set(heartbeat_key(broadcast_id), 1, ex=stall_seconds, nx=True):
        return False
    queue.enqueue(redis, FAN_OUT, broadcast_id, job_id=f"broadcast-{broadcast_id}-{uuid.uuid4().hex[:8]}")
    log.warning("broadcast %s: fan-out stalled (its worker died?); taken over", broadcast_id)
    return True


def resume_stalled(session: Session, redis: Redis, stall_seconds: int) -> list[int]:
    """Take over every unfinished fan-out whose worker died; returns their broadcast ids."""
    return [b for b in sending(session) if take_over_if_stalled(redis, b, stall_seconds)]


# ── 通知 N 文字 ────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class NotifyResult:
    activity_id: int
    title: str
    created: int
    recipients: int
    notice_ids: list[int] = field(default_factory=list)


def notify_participants(session: Session, actor: Resident, activity_id: int, text: str, now: datetime | None = None) -> NotifyResult:
    """A notice from the organizer to everyone holding a place or waiting for one in the activity.

    Keys are `notify:<activity>:<digest of text and 10-minute bucket>:<resident>`, so
    the same text sent twice in a row (a double tap) reaches nobody twice.
    """
    now = now or utc_now()
    require_organizer(actor, "通知")  # before the lookup: residents learn nothing about ids
    activity = activities.get(session, activity_id)
    require_organizer(actor, "通知", activity=activity)
    text = _check_text(text)
    bucket = int(now.replace(tzinfo=UTC).timestamp()) // NOTIFY_BUCKET_SECONDS
    digest = hashlib.sha256(f"{text}\n{bucket}".encode()).hexdigest()[:16]
    recipients = list(
        session.execute(
            select(Signup.resident_id)
            .join(Resident, Resident.id == Signup.resident_id)
            .where(Signup.activity_id == activity_id, Signup.status.in_(("confirmed", "waitlisted")), Resident.erased_at.is_(None))
            .order_by(Signup.seq)
        ).scalars()
    )
    body = texts.NOTIFY_NOTICE.format(id=activity.id, title=activity.title, when=fmt(activity.start_at), text=text)
    keys = {resident_id: f"notify:{activity_id}:{digest}:{resident_id}" for resident_id in recipients}
    existing = set(session.execute(select(Notice.key).where(Notice.key.in_(list(keys.values())))).scalars()) if keys else set()
    created_ids = []
    for resident_id, notice_key_ in keys.items():
        if notice_key_ in existing:
            continue
        notice = notices.create(
            session,
            key=notice_key_,
            resident_id=resident_id,
            kind="notify",
            activity_id=activity_id,
            text=body,
            fields={"title": activity.title, "when": fmt(activity.start_at), "content": text},
            expires_at=activity.end_at,
        )
        created_ids.append(notice.id)
    session.flush()
    log.info("notify for activity %s by %s: %s recipients, %s new notices", activity_id, actor.id, len(recipients), len(created_ids))
    return NotifyResult(activity.id, activity.title, len(created_ids), len(recipients), created_ids)


# ── 群发状态 ───────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class BroadcastStatus:
    broadcast: Broadcast
    audience_label: str
    created: int
    sent: int
    pending: int
    failed: int
    reasons: dict[str, int]


SENT_STATUSES = ("sent", "sandbox")
PENDING_STATUSES = ("pending", "claimed", "queued", "sending")


def recent(session: Session, actor: Resident, limit: int = 5) -> list[BroadcastStatus]:
    """Progress and totals of the actor's latest broadcasts, newest first."""
    require_organizer(actor, "群发状态")
    rows = list(
        session.execute(select(Broadcast).where(Broadcast.author_id == actor.id).order_by(Broadcast.id.desc()).limit(limit)).scalars()
    )
    out = []
    for broadcast in rows:
        tally: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        by_status = (
            select(Notice.status, Notice.reason, func.count())
            .where(Notice.broadcast_id == broadcast.id)
            .group_by(Notice.status, Notice.reason)
        )
        for status, reason, count in session.execute(by_status):
            tally[status] += count
            if status not in SENT_STATUSES and status not in PENDING_STATUSES:
                reasons[reason_label(reason or status)] += count
        try:
            label = audience_from_code(session, broadcast.audience).label
        except NotFound:
            label = broadcast.audience
        sent = sum(tally[s] for s in SENT_STATUSES)
        pending = sum(tally[s] for s in PENDING_STATUSES)
        created = sum(tally.values())
        out.append(BroadcastStatus(broadcast, label, created, sent, pending, created - sent - pending, dict(reasons)))
    return out


def reason_label(reason: str) -> str:
    """A short Chinese name for why a notice could not be delivered (WeChat's error codes)."""
    for code, label in texts.UNDELIVERABLE_REASONS.items():
        if code in reason:
            return label
    return reason[:20]
