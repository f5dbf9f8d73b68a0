"""Helpers for the organizer tests: organizers, many registered residents, and counts of what is stored."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.domain import residents, signups
from bot.storage.models import Activity, Broadcast, Community, Invite, Notice, Resident, Signup, utc_now


def make_organizer(services, openid: str, community_id: int | None = None, role: str = "organizer", name: str = "王组织") -> int:  # type: ignore[no-untyped-def]
    """An organizer (scoped to `community_id` when given); returns the resident id."""
    with services.db.transaction() as session:
        community = session.get(Community, community_id) if community_id else None
        person = residents.grant_role(session, openid, role, community)
        person.name = name
        return person.id


def make_residents(
    services,  # type: ignore[no-untyped-def]
    count: int,
    community_id: int,
    *,
    prefix: str = "r",
    party: bool = False,
    subscribed: bool = True,
    registered: bool = True,
    phone_base: int = 13800000000,
) -> list[int]:
    """`count` residents registered directly in the database (fast), with distinct phones."""
    now = utc_now()
    with services.db.transaction() as session:
        people = [
            Resident(
                openid=f"{prefix}-{i}",
                name=f"居民{prefix}{i}",
                phone=str(phone_base + i),
                community_id=community_id,
                is_party_member=party,
                employer="西安市第一医院" if party else None,
                role="resident",
                subscribed=subscribed,
                registered_at=now if registered else None,
            )
            for i in range(count)
        ]
        session.add_all(people)
        session.flush()
        for person in people:
            person.volunteer_no = f"ZY{person.id:07d}"
        return [p.id for p in people]


def sign_up_all(services, resident_ids: list[int], activity_id: int) -> None:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        for resident_id in resident_ids:
            signups.sign_up(session, resident_id, activity_id)


def counts(services) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rows per table an organizer command could write: a refusal must leave these unchanged."""
    with services.db.transaction() as session:
        return {
            model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Activity, Broadcast, Invite, Notice, Signup)
        }


def notices_for(services, **where) -> list[Notice]:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        query = select(Notice).order_by(Notice.id)
        for column, value in where.items():
            query = query.where(getattr(Notice, column) == value)
        return list(session.execute(query).scalars())
