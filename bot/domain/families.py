"""Family members (SPEC §11): people without WeChat, signed up by the adult who manages them.

A family member is a resident record of their own: their own volunteer number, sign-ups,
hours and certificate. What makes them a member is `proxy_id`, the adult (the proxy)
who added them, gave the consent recorded with them, signs them up, and receives every
notice about them. A member has no openid of their own (a placeholder stands in), is
never in a broadcast audience and never sent anything directly.

Consent: for a minor (under 18 in the current year) the proxy confirms as guardian; for
an adult the proxy confirms the person agreed. Who gave it and when are kept.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, or_, select
from sqlalchemy.orm import Session, aliased

from bot.domain import residents
from bot.domain.errors import InvalidInput, NotRegistered, UserError
from bot.domain.timefmt import to_local
from bot.storage.models import Activity, Community, Resident, utc_now
from config import texts

MEMBER_OPENID_PREFIX = "member:"
RELATIONS = ("child", "parent", "spouse", "other")
ADULT_AGE = 18
OLDEST = 120
# A person may manage this many family members at most: a family, not a club.
MAX_MEMBERS = 10


@dataclass(frozen=True)
class NewMember:
    """The answers of the `添加家人` dialog, validated by `add`."""

    name: str
    relation: str
    birth_year: int


def read_relation(text: str) -> str:
    """`1`…`4` or a relation's word (子女, 儿子, 父母, 母亲, 配偶, 其他…) → the relation code."""
    text = text.strip()
    if text.isdigit() and 1 <= int(text) <= len(RELATIONS):
        return RELATIONS[int(text) - 1]
    for relation, words in texts.FAMILY_RELATION_WORDS.items():
        if text in words:
            return relation
    raise InvalidInput("relation")


def read_birth_year(text: str, now: datetime | None = None) -> int:
    """`2016`, `2016年` → 2016; a year in the future or more than 120 years ago is refused."""
    text = text.strip().removesuffix(texts.FAMILY_YEAR_SUFFIX).strip()
    this_year = to_local(now or utc_now()).year
    if not (text.isdigit() and len(text) == 4) or not this_year - OLDEST <= int(text) <= this_year:
        raise InvalidInput("birth year")
    return int(text)


def age_in(year: int, birth_year: int) -> int:
    """Age reached in `year` (only the birth year is known, so the age of the birthday that year)."""
    return year - birth_year


def is_minor(birth_year: int, now: datetime | None = None) -> bool:
    return age_in(to_local(now or utc_now()).year, birth_year) < ADULT_AGE


def members(session: Session, proxy_id: int) -> list[Resident]:
    """The proxy's family members, in the order they were added (the numbers of `我的家人`)."""
    return list(
        session.execute(
            select(Resident).where(Resident.proxy_id == proxy_id, Resident.erased_at.is_(None)).order_by(Resident.id)
        ).scalars()
    )


_HAS_MEMBERS = (
    select(Resident.id)
    .where(
        Resident.proxy_id == select(Resident.id).where(Resident.openid == bindparam("openid")).scalar_subquery(),
        Resident.erased_at.is_(None),
    )
    .limit(1)
)


def has_members(conn: Connection | Session, openid: str) -> bool:
    """Whether the person writing from `openid` manages any family member (one indexed lookup)."""
    return conn.execute(_HAS_MEMBERS, {"openid": openid}).first() is not None


@dataclass(frozen=True)
class Household:
    """What free text about "us" needs: the sender's community, and their family members."""

    community: str | None = None
    members: tuple[tuple[str, str], ...] = ()  # (name, relation), in the order of `我的家人`


_SENDER = aliased(Resident)
_HOUSEHOLD = (
    select(Resident.name, Resident.relation, Resident.proxy_id, Community.name.label("community"))
    .outerjoin(Community, Community.id == Resident.community_id)
    .where(
        or_(
            Resident.openid == bindparam("openid"),
            Resident.proxy_id == select(_SENDER.id).where(_SENDER.openid == bindparam("openid")).scalar_subquery(),
        ),
        Resident.erased_at.is_(None),
    )
    .order_by(Resident.id)
)


def household(conn: Connection | Session, openid: str) -> Household:
    """The sender's community and family members, in one statement (`给豆豆报上读书会`, `我们社区…`)."""
    rows = conn.execute(_HOUSEHOLD, {"openid": openid}).all()
    own = next((r for r in rows if r.proxy_id is None), None)
    return Household(own.community if own else None, tuple((r.name, r.relation) for r in rows if r.proxy_id is not None))


def numbered(session: Session, proxy: Resident, number: int) -> Resident:
    """Member `number` of `我的家人`; a number that names nobody is refused with the list's size."""
    people = members(session, proxy.id)
    if not 1 <= number <= len(people):
        raise UserError(texts.FAMILY_NO_SUCH_NUMBER.format(number=number, count=len(people)))
    return people[number - 1]


def named(session: Session, proxy_id: int, name: str) -> Resident | None:
    """The proxy's member of this name, if any."""
    name = name.strip()
    return next((m for m in members(session, proxy_id) if m.name == name), None)


def check_new_name(session: Session, proxy: Resident, name: str) -> str:
    """A valid name the proxy has not used for another member yet."""
    try:
        name = residents.validate_name(name)
    except InvalidInput:
        raise UserError(texts.FAMILY_BAD_NAME) from None
    if name == proxy.name or named(session, proxy.id, name) is not None:
        raise UserError(texts.FAMILY_DUPLICATE_NAME.format(name=name))
    return name


def add(session: Session, proxy: Resident, member: NewMember, now: datetime | None = None) -> Resident:
    """Record a family member of `proxy`, with the consent the proxy just gave; returns the new person."""
    now = now or utc_now()
    if not proxy.registered or proxy.is_member:
        raise NotRegistered(texts.FAMILY_REGISTER_FIRST)
    if len(members(session, proxy.id)) >= MAX_MEMBERS:
        raise UserError(texts.FAMILY_TOO_MANY.format(limit=MAX_MEMBERS))
    if member.relation not in RELATIONS:
        raise InvalidInput("relation")
    name = check_new_name(session, proxy, member.name)
    person = Resident(
        openid=f"{MEMBER_OPENID_PREFIX}{uuid.uuid4().hex}",
        name=name,
        community_id=proxy.community_id,
        role="resident",
        subscribed=False,  # never sent anything: their notices go to the proxy
        registered_at=now,
        proxy_id=proxy.id,
        relation=member.relation,
        birth_year=member.birth_year,
        consent_kind="guardian" if is_minor(member.birth_year, now) else "agreed",
        consent_by_id=proxy.id,
        consent_at=now,
    )
    session.add(person)
    session.flush()
    person.volunteer_no = residents.volunteer_number(person.id)
    session.flush()
    return person


def display_name(name: str | None, proxy_name: str | None) -> str:
    """How lists show a person: `小明（代报：张三）` for a family member, else the name."""
    shown = name or texts.ROSTER_NO_NAME
    if proxy_name is None:
        return shown
    return texts.FAMILY_DISPLAY.format(name=shown, proxy=proxy_name or texts.ROSTER_NO_NAME)


def age_refusal(activity: Activity, person: Resident) -> str | None:
    """Why `person` may not take part at their age (a reply text), or None.

    Ages are those reached in the activity's year. A person who registered themselves is
    an adult; without a birth year they are only refused where the activity is for
    minors alone (its maximum age under 18).
    """
    if activity.min_age is None and activity.max_age is None:
        return None
    limit = range_text(activity.min_age, activity.max_age)
    if person.birth_year is None:
        if not person.is_member and activity.max_age is not None and activity.max_age < ADULT_AGE:
            return texts.AGE_ADULT_REFUSED.format(name=person.name or "", limit=limit)
        return None
    age = age_in(to_local(activity.start_at).year, person.birth_year)
    if (activity.min_age is not None and age < activity.min_age) or (activity.max_age is not None and age > activity.max_age):
        return texts.AGE_REFUSED.format(name=person.name or "", age=age, limit=limit)
    return None


def range_text(min_age: int | None, max_age: int | None) -> str:
    """`3–12 岁`, `60 岁以上`, `12 岁以下`; empty without limits."""
    if min_age is not None and max_age is not None:
        return texts.AGE_RANGE.format(min=min_age, max=max_age)
    if min_age is not None:
        return texts.AGE_MIN.format(min=min_age)
    if max_age is not None:
        return texts.AGE_MAX.format(max=max_age)
    return ""


def validate_ages(min_age: int | None, max_age: int | None) -> None:
    """An activity's age range: whole years from 0 to 120, the minimum not above the maximum."""
    for value in (min_age, max_age):
        if value is not None and not 0 <= value <= OLDEST:
            raise InvalidInput(f"ages must be between 0 and {OLDEST}")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise InvalidInput("the minimum age is above the maximum")
