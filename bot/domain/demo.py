"""Loading the demo data of `config/demo.py`: communities, an organizer, upcoming activities,
and volunteers with a few past activities already credited (so every page has something to show)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import activities, attendance, communities, families, hours, residents, signups
from bot.domain.timefmt import to_local, to_utc_naive
from bot.storage.models import Activity, Resident, utc_now
from config import demo


def seed(session: Session) -> tuple[int, int]:
    """Load the demo communities, organizer and activities; returns (communities, new activities).

    Running it twice adds nothing: an activity with the same title still to come is kept.
    """
    made = [communities.add(session, name) for name in demo.COMMUNITIES]
    organizer = residents.grant_role(session, demo.ORGANIZER_OPENID, "organizer")
    if organizer.name is None:
        organizer.name = demo.ORGANIZER_NAME
    now = utc_now()
    today = to_local(now).date()
    created = 0
    for days, hour, minute, length, kind, title, place, community_index, capacity, content in demo.ACTIVITIES:
        if session.execute(select(Activity.id).where(Activity.title == title, Activity.start_at > now).limit(1)).first():
            continue
        start = to_utc_naive(datetime(today.year, today.month, today.day, hour, minute) + timedelta(days=days))
        _create(session, (kind, title, place, capacity, content), start, length, made, community_index, organizer)
        created += 1
    _seed_history(session, made, organizer, now)
    return len(made), created


def _create(session: Session, what: tuple, start: datetime, length: int, made: list, community_index: int | None, organizer: Resident):  # type: ignore[no-untyped-def]
    """One demo activity (kind, title, place, capacity, content) through the publishing rules."""
    kind, title, place, capacity, content = what
    return activities.create(
        session,
        activities.ActivityDraft(
            kind=kind,
            title=title,
            start_at=start,
            end_at=start + timedelta(hours=length),
            place=place,
            capacity=capacity,
            hours=activities.parse_hours(str(length)),
            community_id=made[community_index].id if community_index is not None else None,
            content=content,
            organizer_id=organizer.id,
        ),
    )


def _seed_history(session: Session, made: list, organizer: Resident, now: datetime) -> None:
    """Volunteers who took part in past activities, through the same rules as the chat: signed
    up before, checked in on the day, credited when the organizer closed the activity."""
    people = []
    for openid, name, phone, community_index, party, employer in demo.VOLUNTEERS:
        person = residents.get_or_create(session, openid)
        if not person.registered:
            residents.save_profile(
                session, person, name=name, phone=phone, community_id=made[community_index].id, is_party_member=party, employer=employer
            )
        people.append(person)
    members = []
    for volunteer, name, relation, age in demo.FAMILY:
        proxy = people[volunteer]
        member = families.named(session, proxy.id, name) or families.add(
            session, proxy, families.NewMember(name, relation, to_local(now).year - age), now
        )
        members.append(member)
    today = to_local(now).date()
    for days, hour, minute, length, kind, title, place, community_index, capacity, content, came in demo.HISTORY:
        if session.execute(select(Activity.id).where(Activity.title == title).limit(1)).first():
            continue
        start = to_utc_naive(datetime(today.year, today.month, today.day, hour, minute) - timedelta(days=days))
        activity = _create(session, (kind, title, place, capacity, content), start, length, made, community_index, organizer)
        attendees = [members[int(who[1:])] if isinstance(who, str) else people[who] for who in came]
        for person in attendees:
            signups.sign_up(session, person.id, activity.id, now=start - timedelta(days=3))
            attendance.check_in(session, person, activity.id, now=start + timedelta(minutes=5))
        hours.close_activity(session, activity.id, closed_by=organizer, now=start + timedelta(hours=length))
