"""Residents: first contact, the profile, follow state and roles."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import Connection, bindparam, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.errors import InvalidInput, NotFound
from bot.storage.db import insert_for
from bot.storage.keys import key
from bot.storage.models import Community, Resident, utc_now

PHONE = re.compile(r"^1[3-9]\d{9}$")
# Touching the customer-service window on every message would write on every request;
# a minute's precision is plenty for a 48-hour window.
TOUCH_EVERY = timedelta(seconds=60)


def mask_phone(phone: str | None) -> str:
    """`13800138000` → `138****8000`; what rosters and logs show."""
    if not phone:
        return "-"
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


_BY_OPENID = select(Resident).where(Resident.openid == bindparam("openid"))  # built once: every message may ask


def by_openid(session: Session, openid: str) -> Resident | None:
    return session.execute(_BY_OPENID, {"openid": openid}).scalar_one_or_none()


def get_or_create(session: Session, openid: str) -> Resident:
    """The row for this openid, created (unregistered) on first contact."""
    resident = by_openid(session, openid)
    if resident is not None:
        return resident
    try:
        with session.begin_nested():
            resident = Resident(openid=openid, role="resident", subscribed=True)
            session.add(resident)
    except IntegrityError:
        # Another request for the same new person won the race.
        resident = by_openid(session, openid)
        assert resident is not None
    return resident


def contact_due(redis: Redis, openid: str) -> bool:
    """Whether this person's message should be recorded as contact: once a minute at most.

    Redis answers for the whole minute, so most messages cost no database write; if
    Redis forgets, the next message is simply recorded again.
    """
    return bool(redis.set(key("contact", openid), 1, nx=True, px=int(TOUCH_EVERY.total_seconds() * 1000)))


def forget_contact(redis: Redis, openid: str) -> None:
    """The next message is recorded whatever the minute (after an erasure: a new person)."""
    redis.delete(key("contact", openid))


def _touch(column, when):  # type: ignore[no-untyped-def]
    # Not a change of the profile: updated_at stays.
    return (
        update(Resident)
        .where(Resident.openid == bindparam("who"), when)
        .values({column: bindparam("at"), Resident.updated_at: Resident.updated_at})
    )


# A message opens a 48-hour window, so a contact under a minute old is left alone; an
# event opens a one-minute window, so it is always written.
_TOUCH = {
    False: _touch(Resident.last_message_at, Resident.last_message_at.is_(None) | (Resident.last_message_at < bindparam("stale_before"))),
    True: _touch(Resident.last_event_at, true()),
}


def note_contact(conn: Connection | Session, openid: str, *, event: bool, now: datetime | None = None) -> None:
    """Record contact, which opens WeChat's customer-service window (48 h text, 1 min event).

    Needs no transaction of its own: run it on `Database.autocommit()`, and a refusal's
    rollback in the handler cannot undo it. A contact already fresh writes nothing (no
    commit to wait for); the row is created on first contact.
    """
    now = now or utc_now()
    if conn.execute(_TOUCH[event], {"who": openid, "at": now, "stale_before": now - TOUCH_EVERY}).rowcount:
        return
    # The model's defaults make the rest of a first-contact row (an unregistered resident).
    contact = {"last_event_at" if event else "last_message_at": now}
    conn.execute(insert_for(conn)(Resident).values(openid=openid, **contact).on_conflict_do_nothing(index_elements=[Resident.openid]))


def set_subscribed(session: Session, resident: Resident, subscribed: bool) -> None:
    resident.subscribed = subscribed


def validate_name(name: str) -> str:
    name = name.strip()
    if not 2 <= len(name) <= 20 or any(ch.isdigit() for ch in name):
        raise InvalidInput("name")
    return name


def validate_phone(phone: str) -> str:
    phone = phone.replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not PHONE.match(phone):
        raise InvalidInput("phone")
    return phone


def validate_employer(employer: str) -> str:
    employer = employer.strip()
    if not 2 <= len(employer) <= 40:
        raise InvalidInput("employer")
    return employer


def save_profile(
    session: Session,
    resident: Resident,
    *,
    name: str,
    phone: str,
    community_id: int,
    is_party_member: bool,
    employer: str | None,
) -> Resident:
    """Store a validated profile; the first save also assigns the volunteer number."""
    resident.name = validate_name(name)
    resident.phone = validate_phone(phone)
    if session.get(Community, community_id) is None:
        raise NotFound("community")
    resident.community_id = community_id
    resident.is_party_member = is_party_member
    resident.employer = validate_employer(employer) if is_party_member and employer else None
    if resident.registered_at is None or resident.erased_at is not None:
        resident.registered_at = utc_now()
        resident.erased_at = None
    session.flush()
    if not resident.volunteer_no:
        resident.volunteer_no = volunteer_number(resident.id)
    session.flush()
    return resident


def volunteer_number(resident_id: int) -> str:
    """The internal volunteer number that identifies a person on every record: `ZY0000012`."""
    return f"ZY{resident_id:07d}"


def grant_role(session: Session, openid: str, role: str, community: Community | None = None) -> Resident:
    if role not in ("organizer", "admin"):
        raise InvalidInput(f"unknown role {role!r}")
    resident = get_or_create(session, openid)
    resident.role = role
    resident.role_community_id = community.id if community else None
    session.flush()
    return resident


def revoke_role(session: Session, openid: str) -> Resident:
    resident = by_openid(session, openid)
    if resident is None:
        raise NotFound(f"no resident with openid {openid}")
    resident.role = "resident"
    resident.role_community_id = None
    session.flush()
    return resident
