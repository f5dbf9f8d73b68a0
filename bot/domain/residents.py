"""Residents: first contact, the profile, follow state and roles."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from redis import Redis
from redis.client import Pipeline
from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.errors import InvalidInput, NotFound
from bot.storage.db import Database, Precompiled
from bot.storage.keys import key
from bot.storage.models import Community, Resident, utc_now

PHONE = re.compile(r"^1[3-9]\d{9}$")
# Touching the customer-service window on every message would write on every request;
# a minute's precision is plenty for a 48-hour window.
TOUCH_EVERY = timedelta(seconds=60)
TOUCH_EVERY_MS = int(TOUCH_EVERY.total_seconds() * 1000)


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


def contact_key(openid: str) -> str:
    """The gate that lets one message a minute per person record contact.

    The webhook's first round trip sets it if free (SET NX, TOUCH_EVERY_MS): the message
    that set it notes contact, the rest of the minute's messages note nothing; if Redis
    forgets, the next message is simply noted again.
    """
    return key("contact", openid)


# Contacts noted by the webhook, waiting to be written to the database: openid → epoch
# seconds, one hash for messages, one for events. The webhook adds to them in its last
# round trip (no database write on the hot path); `flush_contacts` writes them in batches
# (the periodic sweep), and the sender reads them too, so a contact counts the moment it
# happens whether or not it is written yet.
_PENDING = {False: key("contacts", "message"), True: key("contacts", "event")}
FLUSH_CHUNK = 1000
# Longer than any flush of a chunk takes; a contact noted meanwhile is written after it.
ERASED_FOR = 600


def queue_contact(pipe: Pipeline | Redis, openid: str, *, event: bool, now: datetime | None = None) -> None:
    """Note contact (WeChat's customer-service window: 48 h after a message, 1 min after an
    event) in Redis, to be written by `flush_contacts`; `pipe` may be the webhook's pipeline."""
    pipe.hset(_PENDING[event], openid, int((now or utc_now()).replace(tzinfo=UTC).timestamp()))


def forget_contact(pipe: Pipeline | Redis, openid: str) -> None:
    """The next message is noted whatever the minute, and what waits to be written is dropped
    (after an erasure: whoever writes next from this WeChat account is a new person)."""
    pipe.delete(contact_key(openid))
    for name in _PENDING.values():
        pipe.hdel(name, openid)


def pending_contact(redis: Redis, openid: str) -> tuple[datetime | None, datetime | None]:
    """(message, event) contact noted but maybe not written yet, as naive UTC; one round trip."""
    with redis.pipeline(transaction=False) as pipe:
        for name in _PENDING.values():
            pipe.hget(name, openid)
        found = pipe.execute()
    return tuple(datetime.fromtimestamp(int(v), UTC).replace(tzinfo=None) if v else None for v in found)  # type: ignore[return-value]


# Deletes each taken entry only if it still holds the time that was written: a contact
# noted again meanwhile stays for the next flush.
_DROP_WRITTEN = """
local dropped = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    dropped = dropped + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return dropped
"""


def flush_contacts(redis: Redis, db: Database) -> int:
    """Write the contacts noted in Redis to the database, in batches; returns how many.

    Written first, dropped from Redis after (each only if not noted again meanwhile), so a
    crash between the two writes them twice, which changes nothing: a first contact creates
    the (unregistered) person, a later one only ever moves the time forward. Safe to run
    from several workers at once. The contacts of someone who has just erased themselves
    wait (`mark_erased`): written now, they would bring back a row under the WeChat account
    the erasure took away.
    """
    drop = redis.register_script(_DROP_WRITTEN)
    written = 0
    for event, name in _PENDING.items():
        taken = [(_text(openid), _text(at)) for openid, at in redis.hgetall(name).items()]
        for start in range(0, len(taken), FLUSH_CHUNK):
            chunk = taken[start : start + FLUSH_CHUNK]
            erased = _erased(redis, [openid for openid, _ in chunk])
            chunk = [(openid, at) for openid, at in chunk if openid not in erased]
            with db.engine.begin() as conn:  # one commit for the chunk
                for openid, at in chunk:
                    note_contact(conn, openid, event=event, now=datetime.fromtimestamp(int(at), UTC).replace(tzinfo=None))
            # Erased while the chunk was written: the row written for them (never registered) goes.
            late = _erased(redis, [openid for openid, _ in chunk])
            if late:
                with db.engine.begin() as conn:
                    conn.execute(delete(Resident).where(Resident.openid.in_(late), Resident.registered_at.is_(None)))
            drop(keys=[name], args=[value for pair in chunk if pair[0] not in late for value in pair])
            written += len(chunk) - len(late)
    return written


def mark_erased(redis: Redis, openid: str) -> None:
    """This WeChat account's person is being erased: for ERASED_FOR seconds no contact noted
    under it is written (set before the erasure commits, so no flush can slip in between)."""
    redis.set(key("contact", "erased", openid), 1, ex=ERASED_FOR)


def _erased(redis: Redis, openids: list[str]) -> set[str]:
    if not openids:
        return set()
    with redis.pipeline(transaction=False) as pipe:
        for openid in openids:
            pipe.exists(key("contact", "erased", openid))
        found = pipe.execute()
    return {openid for openid, there in zip(openids, found, strict=True) if there}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _touch(insert, event: bool):  # type: ignore[no-untyped-def]
    """One statement for every case: a first contact inserts the (unregistered) person; a known
    one is updated, unless a message finds the contact under a minute old (nothing written)."""
    column = Resident.last_event_at if event else Resident.last_message_at
    fresh_enough = column.is_(None) | (column < bindparam("stale_before"))
    first = {
        "openid": bindparam("who"),
        column.key: bindparam("at"),
        "role": "resident",
        "subscribed": True,
        "is_party_member": False,
        "created_at": bindparam("at"),
        "updated_at": bindparam("at"),
    }
    statement = insert(Resident).values(first)
    # Not a change of the profile: updated_at stays. An event's window is a minute: always written.
    return statement.on_conflict_do_update(
        index_elements=[Resident.openid], set_={column.key: statement.excluded[column.key]}, where=None if event else fresh_enough
    )


_TOUCH = {event: Precompiled(lambda insert, event=event: _touch(insert, event)) for event in (False, True)}


def note_contact(conn: Connection | Session, openid: str, *, event: bool, now: datetime | None = None) -> None:
    """Record contact, which opens WeChat's customer-service window (48 h text, 1 min event).

    One statement, needing no transaction of its own: run it on `Database.autocommit()`,
    and a refusal's rollback in the handler cannot undo it. A message's contact already
    under a minute old writes nothing; the row is created on first contact.
    """
    now = now or utc_now()
    conn.execute(_TOUCH[event].on(conn), {"who": openid, "at": now, "stale_before": now - TOUCH_EVERY})


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
