"""Set-up shared by the check-in, hours, certificate and export tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.domain import activities, residents, signups
from bot.storage.models import Community, HourEntry, Notice, Resident, Signup


def person(
    services,  # type: ignore[no-untyped-def]
    openid: str,
    name: str = "张三",
    *,
    community_id: int,
    party: bool = False,
    employer: str | None = None,
    phone: str = "13800138000",
) -> int:
    """A registered resident; returns the id."""
    with services.db.transaction() as session:
        resident = residents.get_or_create(session, openid)
        residents.save_profile(
            session, resident, name=name, phone=phone, community_id=community_id, is_party_member=party, employer=employer
        )
        return resident.id


def organizer(services, openid: str = "org-1", name: str = "王组织", *, community_id: int, scope: int | None = None) -> int:  # type: ignore[no-untyped-def]
    """A registered organizer (scoped to community `scope` when given); returns the id."""
    rid = person(services, openid, name, community_id=community_id, phone="13900139000")
    with services.db.transaction() as session:
        community = session.get(Community, scope) if scope else None
        residents.grant_role(session, openid, "organizer", community)
    return rid


def activity_at(
    services,  # type: ignore[no-untyped-def]
    start: datetime,
    *,
    length: timedelta = timedelta(hours=2),
    hours: str = "2",
    capacity: int = 10,
    title: str = "楼院义务清扫",
    community_id: int | None = None,
    organizer_id: int | None = None,
    place: str = "南乾元社区3号院",
    content: str = "清扫楼道、院落垃圾",
    kind: str = "cleanup",
    deadline: datetime | None = None,
    min_age: int | None = None,
    max_age: int | None = None,
) -> int:
    """An activity at an exact time (naive UTC), published; returns the id."""
    with services.db.transaction() as session:
        activity = activities.create(
            session,
            activities.ActivityDraft(
                kind=kind,
                title=title,
                start_at=start,
                end_at=start + length,
                deadline_at=deadline,
                place=place,
                capacity=capacity,
                hours=Decimal(hours),
                community_id=community_id,
                content=content,
                organizer_id=organizer_id,
                min_age=min_age,
                max_age=max_age,
            ),
        )
        return activity.id


def sign_up(services, resident_id: int, activity_id: int) -> None:  # type: ignore[no-untyped-def]
    """A confirmed place, taken well before the activity (whenever that is)."""
    with services.db.transaction() as session:
        activity = activities.get(session, activity_id)
        signups.sign_up(session, resident_id, activity_id, now=activity.start_at - timedelta(days=3))


def entries(services, activity_id: int | None = None, resident_id: int | None = None) -> list[HourEntry]:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        query = select(HourEntry).order_by(HourEntry.id)
        if activity_id is not None:
            query = query.where(HourEntry.activity_id == activity_id)
        if resident_id is not None:
            query = query.where(HourEntry.resident_id == resident_id)
        return list(session.execute(query).scalars())


def signup_row(services, resident_id: int, activity_id: int) -> Signup | None:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return session.execute(
            select(Signup).where(Signup.resident_id == resident_id, Signup.activity_id == activity_id)
        ).scalar_one_or_none()


def notices_for(services, resident_id: int, kind: str | None = None) -> list[Notice]:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        query = select(Notice).where(Notice.resident_id == resident_id).order_by(Notice.id)
        if kind is not None:
            query = query.where(Notice.kind == kind)
        return list(session.execute(query).scalars())


def resident(services, resident_id: int) -> Resident:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return session.get(Resident, resident_id)
