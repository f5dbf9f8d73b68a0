"""Disputes (`纠错`): a volunteer reports wrong hours; an organizer resolves it with a signed correction.

Opening one tells the organizers who look after the activity (its own organizer, or
else everyone whose role covers it). Resolving sets the person's hours for that
activity to the corrected total through a correction entry carrying the difference,
signed by the organizer with their reason (`bot.domain.hours.correct`), and tells the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.domain import activities, hours, notices
from bot.domain.errors import NotFound, NotRegistered, UserError
from bot.domain.roles import require_organizer
from bot.domain.timefmt import fmt_hours
from bot.storage.models import Activity, Dispute, HourEntry, Resident, utc_now
from config import texts

MAX_TEXT = 200
LIST_LIMIT = 10


def organizers_for(session: Session, activity: Activity) -> list[Resident]:
    """Who is told about a dispute: the activity's organizer, else everyone whose role covers it."""
    if activity.organizer is not None and activity.organizer.role in ("organizer", "admin"):
        return [activity.organizer]
    query = select(Resident).where(Resident.role.in_(("organizer", "admin")))
    if activity.community_id is None:
        query = query.where(or_(Resident.role == "admin", Resident.role_community_id.is_(None)))
    else:
        query = query.where(
            or_(Resident.role == "admin", Resident.role_community_id.is_(None), Resident.role_community_id == activity.community_id)
        )
    return list(session.execute(query.order_by(Resident.id)).scalars())


def open_dispute(session: Session, resident: Resident, activity_id: int, text: str, now: datetime | None = None) -> Dispute:
    """`纠错 N 说明`: record the person's report about activity N and tell its organizers."""
    now = now or utc_now()
    if not resident.registered:
        raise NotRegistered(texts.DISPUTE_REGISTER_FIRST)
    text = text.strip()
    if not text:
        raise UserError(texts.DISPUTE_NEED_TEXT.format(id=activity_id))
    activity = activities.get(session, activity_id)
    if activity.status != "closed":
        raise UserError(texts.DISPUTE_NOT_CLOSED.format(id=activity.id, title=activity.title))
    existing = session.execute(
        select(Dispute).where(Dispute.resident_id == resident.id, Dispute.activity_id == activity.id, Dispute.status == "open")
    ).scalar_one_or_none()
    if existing is not None:
        raise UserError(texts.DISPUTE_ALREADY_OPEN.format(id=activity.id, dispute_id=existing.id))
    dispute = Dispute(resident_id=resident.id, activity_id=activity.id, text=text[:MAX_TEXT], status="open", created_at=now)
    session.add(dispute)
    session.flush()
    recorded = hours.net_hours(session, resident.id, activity.id)
    for organizer in organizers_for(session, activity):
        notices.create(
            session,
            key=f"dispute:{dispute.id}:{organizer.id}",
            resident_id=organizer.id,
            kind="dispute",
            activity_id=activity.id,
            text=texts.DISPUTE_TO_ORGANIZER.format(
                dispute_id=dispute.id,
                name=resident.name,
                volunteer_no=resident.volunteer_no,
                id=activity.id,
                title=activity.title,
                hours=fmt_hours(recorded),
                text=dispute.text,
            ),
            fields={"title": activity.title, "name": resident.name or ""},
        )
    return dispute


@dataclass(frozen=True)
class OpenDispute:
    dispute: Dispute
    activity: Activity
    resident: Resident
    recorded: Decimal


def open_disputes(session: Session, organizer: Resident, limit: int = LIST_LIMIT) -> tuple[list[OpenDispute], int]:
    """Open disputes this organizer may resolve, oldest first; and how many there are in all."""
    require_organizer(organizer, "纠错")
    # The hours recorded for each, in the same query (not one more query per dispute).
    recorded = (
        select(func.coalesce(func.sum(HourEntry.hours), 0))
        .where(HourEntry.resident_id == Dispute.resident_id, HourEntry.activity_id == Dispute.activity_id)
        .correlate(Dispute)
        .scalar_subquery()
    )
    query = (
        select(Dispute, Activity, Resident, recorded)
        .join(Activity, Activity.id == Dispute.activity_id)
        .join(Resident, Resident.id == Dispute.resident_id)
        .where(Dispute.status == "open")
        .order_by(Dispute.id)
    )
    count = select(func.count()).select_from(Dispute).join(Activity, Activity.id == Dispute.activity_id).where(Dispute.status == "open")
    if organizer.role != "admin" and organizer.role_community_id is not None:
        query = query.where(Activity.community_id == organizer.role_community_id)
        count = count.where(Activity.community_id == organizer.role_community_id)
    rows = session.execute(query.limit(limit)).all()
    shown = [OpenDispute(d, a, r, Decimal(total).quantize(Decimal("0.1"))) for d, a, r, total in rows]
    return shown, session.execute(count).scalar_one()


def mine(session: Session, resident: Resident) -> list[tuple[Dispute, Activity]]:
    """The person's own open disputes."""
    rows = session.execute(
        select(Dispute, Activity)
        .join(Activity, Activity.id == Dispute.activity_id)
        .where(Dispute.resident_id == resident.id, Dispute.status == "open")
        .order_by(Dispute.id)
    )
    return [(d, a) for d, a in rows]


@dataclass(frozen=True)
class Resolution:
    dispute: Dispute
    activity: Activity
    resident: Resident
    before: Decimal
    after: Decimal


def resolve(
    session: Session, organizer: Resident, dispute_id: int, total: Decimal, reason: str, now: datetime | None = None
) -> Resolution:
    """`纠错 处理 K 小时数 说明`: set the hours for dispute K's activity to `total`, signed; the person is told."""
    now = now or utc_now()
    require_organizer(organizer, "纠错")
    dispute = session.execute(
        select(Dispute).where(Dispute.id == dispute_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if dispute is None:
        raise NotFound(texts.DISPUTE_NOT_FOUND.format(dispute_id=dispute_id))
    activity = activities.get(session, dispute.activity_id)
    require_organizer(organizer, "纠错", activity)
    if dispute.status != "open":
        raise UserError(texts.DISPUTE_ALREADY_RESOLVED.format(dispute_id=dispute.id))
    reason = reason.strip()
    if not reason:
        raise UserError(texts.DISPUTE_RESOLVE_USAGE)
    resident = session.get(Resident, dispute.resident_id)
    before = hours.net_hours(session, resident.id, activity.id)
    entry = hours.correct(
        session,
        resident_id=resident.id,
        activity=activity,
        total=total,
        reason=f"dispute #{dispute.id}: {reason[:MAX_TEXT]}",
        author_id=organizer.id,
        now=now,
    )
    after = hours.net_hours(session, resident.id, activity.id)
    dispute.status = "resolved"
    dispute.resolution = reason[:MAX_TEXT]
    dispute.resolved_by_id = organizer.id
    dispute.resolved_at = now
    dispute.correction_id = entry.id if entry is not None else None
    session.flush()
    template = texts.DISPUTE_RESOLVED_CHANGED if after != before else texts.DISPUTE_RESOLVED_SAME
    notices.create(
        session,
        key=f"dispute_resolved:{dispute.id}",
        resident_id=resident.id,
        kind="dispute_resolved",
        activity_id=activity.id,
        text=template.format(
            id=activity.id, title=activity.title, before=fmt_hours(before), after=fmt_hours(after), reason=dispute.resolution
        ),
        fields={"title": activity.title, "hours": f"{fmt_hours(after)} 小时"},
    )
    return Resolution(dispute, activity, resident, before, after)
