"""The console's residents page: search by name, volunteer number, community, party
membership and employer; paged on the server; phones masked (`residents.mask_phone`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from bot.domain.families import display_name
from bot.domain.residents import mask_phone
from bot.storage.models import Community, Resident

PAGE_SIZE = 30
_PROXY = aliased(Resident)


@dataclass(frozen=True)
class Query:
    name: str = ""
    volunteer_no: str = ""
    community_id: int | None = None
    party: bool | None = None
    employer: str = ""


@dataclass(frozen=True)
class Person:
    id: int
    volunteer_no: str
    name: str
    phone: str  # masked
    community: str
    party: bool
    employer: str
    role: str
    subscribed: bool


@dataclass(frozen=True)
class Page:
    people: list[Person]
    number: int
    pages: int
    total: int


def _where(query: Select, scope: int | None, q: Query) -> Select:
    # Registered, not erased: an erased profile has nothing left to show.
    query = query.where(Resident.registered_at.is_not(None), Resident.erased_at.is_(None))
    if scope is not None:
        query = query.where(Resident.community_id == scope)
    if q.name.strip():
        query = query.where(Resident.name.contains(q.name.strip(), autoescape=True))
    if q.volunteer_no.strip():
        query = query.where(Resident.volunteer_no.startswith(q.volunteer_no.strip().upper(), autoescape=True))
    if q.community_id is not None:
        query = query.where(Resident.community_id == q.community_id)
    if q.party is not None:
        query = query.where(Resident.is_party_member.is_(q.party))
    if q.employer.strip():
        query = query.where(Resident.employer.contains(q.employer.strip(), autoescape=True))
    return query


def search(session: Session, scope: int | None, q: Query, number: int = 0, size: int = PAGE_SIZE) -> Page:
    """Page `number` of the people matching `q`, in volunteer-number order."""
    total = session.execute(_where(select(func.count()).select_from(Resident), scope, q)).scalar_one()
    pages = max(1, -(-total // size))
    number = min(max(number, 0), pages - 1)
    rows = session.execute(
        _where(
            select(Resident, Community.name, _PROXY.name)
            .outerjoin(Community, Community.id == Resident.community_id)
            .outerjoin(_PROXY, _PROXY.id == Resident.proxy_id),
            scope,
            q,
        )
        .order_by(Resident.id)
        .offset(number * size)
        .limit(size)
    ).all()
    people = [
        Person(
            id=r.id,
            volunteer_no=r.volunteer_no or "",
            name=display_name(r.name, (proxy or "") if r.proxy_id is not None else None),
            phone=mask_phone(r.phone),
            community=community or "",
            party=r.is_party_member,
            employer=r.employer or "",
            role=r.role,
            subscribed=r.subscribed,
        )
        for r, community, proxy in rows
    ]
    return Page(people, number, pages, total)
