"""Loading the demo data of `config/demo.py`: communities, an organizer and upcoming activities."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import activities, communities, residents
from bot.domain.timefmt import to_local, to_utc_naive
from bot.storage.models import Activity, utc_now
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
        activities.create(
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
        created += 1
    return len(made), created
