"""The console's broadcasts: who an organizer may write to, each broadcast's progress, and
every recipient's status, paged. Sending goes through `broadcasts.confirm` (as `群发` does)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain import broadcasts, communities
from bot.domain.errors import NotFound
from bot.domain.families import display_name
from bot.domain.roles import scope_of
from bot.storage.models import Broadcast, Notice, Resident
from config import texts

PAGE_SIZE = 20
RECIPIENTS_PAGE = 50


def audiences(session: Session, actor: Resident) -> list[broadcasts.Audience]:
    """The audiences `actor` may write to: their own community when scoped, else everyone,
    party members, and each community."""
    scope = scope_of(actor)
    if scope is not None:
        return [broadcasts.audience_from_code(session, f"community:{scope}")]
    out = [
        broadcasts.Audience(broadcasts.AUDIENCE_ALL, texts.AUDIENCE_ALL),
        broadcasts.Audience(broadcasts.AUDIENCE_PARTY, texts.AUDIENCE_PARTY),
    ]
    out += [
        broadcasts.Audience(f"community:{c.id}", texts.AUDIENCE_COMMUNITY.format(name=c.name), c.id)
        for c in communities.in_order(session)
    ]
    return out


@dataclass(frozen=True)
class Progress:
    broadcast: Broadcast
    audience: str
    created: int
    sent: int
    pending: int
    failed: int


def _progress(session: Session, rows: list[Broadcast]) -> list[Progress]:
    """Each broadcast's notices by status: one grouped query for the whole page."""
    tally: dict[int, dict[str, int]] = {b.id: {} for b in rows}
    if rows:
        counted = session.execute(
            select(Notice.broadcast_id, Notice.status, func.count())
            .where(Notice.broadcast_id.in_(list(tally)))
            .group_by(Notice.broadcast_id, Notice.status)
        )
        for broadcast_id, status, count in counted:
            tally[broadcast_id][status] = count
    out = []
    for b in rows:
        counts = tally[b.id]
        sent = sum(counts.get(s, 0) for s in broadcasts.SENT_STATUSES)
        pending = sum(counts.get(s, 0) for s in broadcasts.PENDING_STATUSES)
        created = sum(counts.values())
        try:
            label = broadcasts.audience_from_code(session, b.audience).label
        except NotFound:
            label = b.audience
        out.append(Progress(b, label, created, sent, pending, created - sent - pending))
    return out


def _in_scope(query, scope: int | None):  # type: ignore[no-untyped-def]
    return query if scope is None else query.where(Broadcast.audience == f"community:{scope}")


def listing(session: Session, scope: int | None, number: int = 0) -> tuple[list[Progress], bool]:
    """A page of broadcasts (newest first) with progress; and whether more follow."""
    rows = list(
        session.execute(
            _in_scope(select(Broadcast), scope).order_by(Broadcast.id.desc()).offset(number * PAGE_SIZE).limit(PAGE_SIZE + 1)
        ).scalars()
    )
    return _progress(session, rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


def one(session: Session, scope: int | None, broadcast_id: int) -> Progress:
    """One broadcast in scope, with progress; NotFound otherwise."""
    broadcast = session.execute(_in_scope(select(Broadcast), scope).where(Broadcast.id == broadcast_id)).scalar_one_or_none()
    if broadcast is None:
        raise NotFound("broadcast")
    return _progress(session, [broadcast])[0]


def recipients(session: Session, broadcast_id: int, number: int = 0, status: str = "") -> tuple[list, bool]:
    """Recipients of a broadcast with their notice's status, channel, reason and time; a page, and whether more follow."""
    query = (
        select(Notice.status, Notice.channel, Notice.reason, Notice.sent_at, Resident.volunteer_no, Resident.name)
        .join(Resident, Resident.id == Notice.resident_id)
        .where(Notice.broadcast_id == broadcast_id)
    )
    if status:
        query = query.where(Notice.status == status)
    rows = session.execute(query.order_by(Notice.id).offset(number * RECIPIENTS_PAGE).limit(RECIPIENTS_PAGE + 1)).all()
    shown = [
        {
            "status": s,
            "channel": channel or "",
            "reason": broadcasts.reason_label(reason) if reason else "",
            "sent_at": sent_at,
            "volunteer_no": no or "",
            "name": display_name(name, None),  # broadcasts reach people who follow the account themselves
        }
        for s, channel, reason, sent_at, no, name in rows[:RECIPIENTS_PAGE]
    ]
    return shown, len(rows) > RECIPIENTS_PAGE
