"""The console's activity form: publish, edit, duplicate to new dates.

Publishing goes through `publishing.publish` (the chat's `发布` path); a new time or place
goes through `activity_changes.change`, which tells everyone signed up or waiting, as the
CLI's `events change` does. The other fields (title, kind, content, places, hours,
deadline) change in place; more places move people up from the waitlist with the usual
promotion notice. Every function checks the organizer's role and scope itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.domain import activities, activity_changes, catalogue, publishing, reminders, signups, timeparse
from bot.domain.audit import activity_snapshot, changed_fields
from bot.domain.errors import InvalidInput, UserError
from bot.domain.roles import require_organizer
from bot.domain.timefmt import SHANGHAI, to_local, to_utc_naive
from bot.storage.models import Activity, Resident, utc_now
from config import console_texts, texts


@dataclass(frozen=True)
class Form:
    """An activity as the console's form gives it (times naive UTC)."""

    kind: str
    title: str
    start_at: datetime
    end_at: datetime
    place: str
    capacity: int
    hours: Decimal
    community_id: int | None
    content: str = ""
    deadline_at: datetime | None = None


def _check(form: Form) -> None:
    activities.validate(
        activities.ActivityDraft(
            kind=form.kind,
            title=form.title,
            start_at=form.start_at,
            end_at=form.end_at,
            place=form.place,
            capacity=form.capacity,
            hours=form.hours,
            community_id=form.community_id,
            deadline_at=form.deadline_at,
            content=form.content,
        )
    )


def create(session: Session, actor: Resident, form: Form, now: datetime | None = None) -> Activity:
    """Publish a new activity from the form, organized by `actor` (the chat's `发布` rules)."""
    _check(form)
    draft = publishing.Draft(
        kind=form.kind,
        title=form.title.strip(),
        start=form.start_at,
        end=form.end_at,
        place=form.place.strip(),
        capacity=form.capacity,
        hours=form.hours,
        community_id=form.community_id,
        content=form.content.strip(),
        deadline=form.deadline_at,
    )
    try:
        return publishing.publish(session, actor, draft, now)
    except timeparse.TimeParseError as exc:
        raise InvalidInput(console_texts.START_PAST) from exc


@dataclass(frozen=True)
class EditResult:
    activity: Activity
    before: dict
    after: dict
    notified: int

    @property
    def changed(self) -> bool:
        return bool(self.after)


def edit(session: Session, actor: Resident, activity_id: int, form: Form, now: datetime | None = None) -> EditResult:
    """Apply the form to a published activity; a new time or place is announced to everyone on it."""
    now = now or utc_now()
    activity = activities.lock(session, activity_id)
    require_organizer(actor, "修改", activity)
    require_organizer(actor, "修改", community_id=form.community_id, subdistrict=form.community_id is None)
    _check(form)
    before = activity_snapshot(activity)
    if form.capacity < activity.taken:
        raise InvalidInput(console_texts.CAPACITY_BELOW_TAKEN.format(taken=activity.taken))
    notified = 0
    if (form.start_at, form.end_at, form.place.strip()) != (activity.start_at, activity.end_at, activity.place):
        result = activity_changes.change(
            session, activity.id, start_at=form.start_at, end_at=form.end_at, place=form.place, now=now
        )
        notified = result.notified
    elif activity.status != "published":
        raise UserError(
            texts.CHANGE_NOT_OPEN.format(id=activity.id, status=texts.STATUS_NAMES.get(activity.status, activity.status))
        )
    activity.kind = form.kind
    activity.title = form.title.strip()
    activity.content = form.content.strip()
    activity.hours = form.hours
    activity.community_id = form.community_id
    if form.deadline_at is not None:
        activity.deadline_at = form.deadline_at
    grown = form.capacity > activity.capacity
    activity.capacity = form.capacity
    session.flush()
    if grown:
        while signups.promote(session, activity, now) is not None:
            pass
    old, new = changed_fields(before, activity_snapshot(activity))
    if new:
        catalogue.changed(session)  # what residents see of it changed
    if "title" in new:
        reminders.rewrite_pending(session, activity)  # reminders not yet sent name it
    return EditResult(activity, old, new, notified)


def parse_dates(text: str) -> list[date]:
    """`2026-12-05` per line (or separated by commas or spaces) → dates; raises InvalidInput naming the bad one."""
    out: list[date] = []
    for part in text.replace(",", " ").replace("，", " ").split():
        try:
            out.append(date.fromisoformat(part.strip()))
        except ValueError as exc:
            raise InvalidInput(console_texts.DUPLICATE_BAD_DATE.format(text=part)) from exc
    if not out:
        raise InvalidInput(console_texts.DUPLICATE_NO_DATES)
    return sorted(set(out))


def duplicate(
    session: Session, actor: Resident, activity_id: int, dates: list[date], now: datetime | None = None
) -> list[Activity]:
    """New activities like this one on each date: same local time of day, length, deadline lead, everything else."""
    source = activities.get(session, activity_id)
    require_organizer(actor, "复制", source)
    local_start = to_local(source.start_at)
    length = source.end_at - source.start_at
    lead = source.start_at - source.deadline_at
    template = Form(
        kind=source.kind,
        title=source.title,
        start_at=source.start_at,
        end_at=source.end_at,
        place=source.place,
        capacity=source.capacity,
        hours=Decimal(source.hours),
        community_id=source.community_id,
        content=source.content or "",
    )
    made = []
    for day in dates:
        start = to_utc_naive(datetime.combine(day, local_start.time()).replace(tzinfo=SHANGHAI))
        deadline = start - lead if lead > timedelta(0) else None
        made.append(create(session, actor, replace(template, start_at=start, end_at=start + length, deadline_at=deadline), now))
    return made
