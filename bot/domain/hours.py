"""The hours ledger (SPEC §5): append-only entries, one credit per person per activity.

A credit is written once per person and activity; the database's partial unique index
(`uq_hour_entries_credit`) refuses a second one, so crediting twice is impossible even
from two processes at once. Mistakes are never edited away: a signed correction entry
(reason, author) carries the difference. A person's hours for an activity are the sum
of its entries.

Closing an activity credits everyone who checked in:
- who checked out: the actual time between check-in and check-out inside the
  activity's window, rounded down to 0.5 h, at most the activity's hours;
- who did not, when an organizer closes it (`结束 N`): the planned hours, which the
  organizer vouches for;
- who did not, when the periodic job closes it after the end: as if they had checked
  out at the scheduled end (the forgotten check-out rule).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain import activities, catalogue, ledger_totals, notices
from bot.domain.errors import UserError
from bot.domain.timefmt import SHANGHAI, fmt, fmt_hours, to_local, to_utc_naive
from bot.storage.models import Activity, HourEntry, Resident, Signup, utc_now
from config import texts

log = logging.getLogger(__name__)

HALF = Decimal("0.5")
ZERO = Decimal("0")


class AlreadyClosed(UserError):
    pass


class NotStarted(UserError):
    pass


# ── the crediting rule ─────────────────────────────────────────────────────
def round_down_half(hours: Decimal) -> Decimal:
    """Round down to a multiple of 0.5 h: 1.49 → 1.0, 1.5 → 1.5."""
    if hours <= 0:
        return ZERO.quantize(Decimal("0.1"))
    return ((hours / HALF).to_integral_value(rounding=ROUND_FLOOR) * HALF).quantize(Decimal("0.1"))


def attended_hours(activity: Activity, checked_in_at: datetime, checked_out_at: datetime | None) -> Decimal:
    """Hours earned between check-in and check-out inside the activity's window.

    Counted from the later of check-in and start to the earlier of check-out and end
    (no check-out: the scheduled end), rounded down to 0.5 h, capped at the
    activity's hours.
    """
    begin = max(checked_in_at, activity.start_at)
    finish = min(checked_out_at or activity.end_at, activity.end_at)
    if finish <= begin:
        return ZERO.quantize(Decimal("0.1"))
    # Whole seconds are precise enough and keep Decimal arithmetic exact.
    seconds = int((finish - begin).total_seconds())
    earned = round_down_half(Decimal(seconds) / Decimal(3600))
    return min(earned, Decimal(activity.hours).quantize(Decimal("0.1")))


# ── ledger entries ─────────────────────────────────────────────────────────
def credit(
    session: Session,
    *,
    resident_id: int,
    activity_id: int,
    hours: Decimal,
    reason: str,
    author_id: int | None = None,
    now: datetime | None = None,
) -> HourEntry | None:
    """Write the one credit for this person and activity; None when one already exists.

    The insert runs in a savepoint: the database's unique index decides, so a
    concurrent second credit is a no-op rather than a duplicate.
    """
    entry = HourEntry(
        resident_id=resident_id,
        activity_id=activity_id,
        kind="credit",
        hours=Decimal(hours).quantize(Decimal("0.1")),
        reason=reason,
        author_id=author_id,
        created_at=now or utc_now(),
    )
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        log.info("activity %s already credited resident %s; nothing written", activity_id, resident_id)
        return None
    ledger_totals.add(session, activities.get(session, activity_id), resident_id, entry.hours, credit=True)
    return entry


def net_hours(session: Session, resident_id: int, activity_id: int) -> Decimal:
    """The person's hours for one activity: its credit plus any corrections."""
    total = session.execute(
        select(func.coalesce(func.sum(HourEntry.hours), 0)).where(
            HourEntry.resident_id == resident_id, HourEntry.activity_id == activity_id
        )
    ).scalar_one()
    return Decimal(total).quantize(Decimal("0.1"))


def validate_total(activity: Activity, total: Decimal) -> Decimal:
    """A corrected total must be 0…the activity's hours, in steps of 0.5 h."""
    if total < 0 or total > activity.hours or (total / HALF) != (total / HALF).to_integral_value():
        raise UserError(texts.CORRECTION_BAD_HOURS.format(max=fmt_hours(activity.hours)))
    return total.quantize(Decimal("0.1"))


def correct(
    session: Session,
    *,
    resident_id: int,
    activity: Activity,
    total: Decimal,
    reason: str,
    author_id: int,
    now: datetime | None = None,
) -> HourEntry | None:
    """Set the person's hours for `activity` to `total` with a signed correction entry.

    The entry carries the difference (it may be negative); None when nothing changes.
    """
    total = validate_total(activity, total)
    difference = total - net_hours(session, resident_id, activity.id)
    if difference == 0:
        return None
    entry = HourEntry(
        resident_id=resident_id,
        activity_id=activity.id,
        kind="correction",
        hours=difference,
        reason=reason,
        author_id=author_id,
        created_at=now or utc_now(),
    )
    session.add(entry)
    session.flush()
    ledger_totals.add(session, activity, resident_id, difference, credit=False)
    return entry


# ── closing an activity ────────────────────────────────────────────────────
@dataclass
class CloseResult:
    activity: Activity
    credited: dict[int, Decimal] = field(default_factory=dict)  # resident id → hours written now
    absent: int = 0  # held a place but never checked in

    @property
    def total(self) -> Decimal:
        return sum(self.credited.values(), ZERO)


def _credit_attendees(session: Session, activity: Activity, now: datetime, *, vouched: bool) -> CloseResult:
    result = CloseResult(activity)
    rows = session.execute(
        select(Signup).where(Signup.activity_id == activity.id).order_by(Signup.seq)
    ).scalars()
    for signup in rows:
        if signup.status != "confirmed":
            continue  # gave the place up (after an early check-in, even): not on site
        if signup.checked_in_at is None:
            result.absent += 1
            continue
        if signup.checked_out_at is None and vouched:
            earned, reason = Decimal(activity.hours).quantize(Decimal("0.1")), "closed by organizer: planned hours"
        elif signup.checked_out_at is None:
            earned, reason = attended_hours(activity, signup.checked_in_at, None), "closed automatically: no check-out, counted to the end"
        else:
            earned, reason = attended_hours(activity, signup.checked_in_at, signup.checked_out_at), "check-in to check-out"
        entry = credit(session, resident_id=signup.resident_id, activity_id=activity.id, hours=earned, reason=reason, now=now)
        if entry is None:
            continue
        result.credited[signup.resident_id] = entry.hours
        _tell_credited(session, activity, signup.resident_id, entry.hours)
    return result


def _tell_credited(session: Session, activity: Activity, resident_id: int, hours: Decimal) -> None:
    template = texts.CREDITED if hours > 0 else texts.CREDITED_NONE
    notices.create(
        session,
        key=f"credited:{activity.id}:{resident_id}",
        resident_id=resident_id,
        kind="credited",
        activity_id=activity.id,
        text=template.format(id=activity.id, title=activity.title, hours=fmt_hours(hours)),
        fields={"title": activity.title, "when": fmt(activity.start_at), "hours": f"{fmt_hours(hours)} 小时"},
    )


def close_activity(session: Session, activity_id: int, *, closed_by: Resident, now: datetime | None = None) -> CloseResult:
    """`结束 N`: an organizer closes a started activity and everyone checked in is credited.

    Those who checked out get their actual time; the rest the planned hours. Raises
    NotStarted before the start and AlreadyClosed the second time (crediting nothing).
    The caller has checked the organizer's role (`roles.require_organizer`).
    """
    now = now or utc_now()
    activity = activities.lock(session, activity_id)
    if activity.status == "closed":
        raise AlreadyClosed(texts.CLOSE_ALREADY.format(id=activity.id, title=activity.title))
    if activity.status == "cancelled":
        raise UserError(texts.CLOSE_CANCELLED.format(id=activity.id, title=activity.title))
    if now < activity.start_at:
        raise NotStarted(texts.CLOSE_NOT_STARTED.format(id=activity.id, title=activity.title, when=fmt(activity.start_at)))
    result = _credit_attendees(session, activity, now, vouched=True)
    activity.status = "closed"
    activity.closed_at = now
    session.flush()
    catalogue.changed(session)
    log.info("organizer %s closed activity %s: %d credited", closed_by.id, activity.id, len(result.credited))
    return result


def overdue_activity_ids(session: Session, now: datetime | None = None, grace: timedelta = timedelta(0)) -> list[int]:
    """Published activities whose end is more than `grace` ago: the periodic job closes these."""
    now = now or utc_now()
    return list(
        session.execute(
            select(Activity.id).where(Activity.status == "published", Activity.end_at <= now - grace).order_by(Activity.end_at)
        ).scalars()
    )


def auto_close(session: Session, activity_id: int, now: datetime | None = None, grace: timedelta = timedelta(0)) -> CloseResult | None:
    """Close an activity still open `grace` after its end; its organizer is told.

    Those who did not check out are counted to the scheduled end. Returns None when
    there is nothing to do (already closed, cancelled, or not yet due), so running it
    twice credits once.
    """
    now = now or utc_now()
    activity = activities.lock(session, activity_id)
    if activity.status != "published" or activity.end_at > now - grace:
        return None
    result = _credit_attendees(session, activity, now, vouched=False)
    activity.status = "closed"
    activity.closed_at = now
    session.flush()
    catalogue.changed(session)
    if activity.organizer_id is not None:
        notices.create(
            session,
            key=f"auto_closed:{activity.id}:{activity.organizer_id}",
            resident_id=activity.organizer_id,
            kind="auto_closed",
            activity_id=activity.id,
            text=texts.AUTO_CLOSED.format(
                id=activity.id, title=activity.title, count=len(result.credited), total=fmt_hours(result.total), absent=result.absent
            ),
            fields={"title": activity.title, "when": fmt(activity.start_at)},
        )
    log.info("activity %s closed automatically: %d credited", activity.id, len(result.credited))
    return result


# ── what a person sees ─────────────────────────────────────────────────────
@dataclass(frozen=True)
class ActivityHours:
    """One activity on a person's record, with their net hours for it."""

    activity_id: int
    title: str
    start_at: datetime
    hours: Decimal


@dataclass(frozen=True)
class HoursSummary:
    total: Decimal
    year: Decimal
    year_number: int
    stars: int
    next_level: Decimal | None  # cumulative hours of the next star, None at the top
    recent: list[ActivityHours]
    party_target: Decimal | None  # party members only

    @property
    def to_next(self) -> Decimal | None:
        return None if self.next_level is None else self.next_level - self.total


def star_level(total: Decimal, levels: list[Decimal]) -> tuple[int, Decimal | None]:
    """Stars earned (levels reached) and the next level's hours (None when at the top)."""
    stars = sum(1 for level in levels if total >= level)
    return stars, (levels[stars] if stars < len(levels) else None)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """A calendar year in Asia/Shanghai, as naive UTC bounds [start, end)."""
    return to_utc_naive(datetime(year, 1, 1, tzinfo=SHANGHAI)), to_utc_naive(datetime(year + 1, 1, 1, tzinfo=SHANGHAI))


def per_activity(session: Session, resident_id: int, *, as_of: datetime | None = None) -> list[ActivityHours]:
    """The person's net hours per activity, newest activity first (one indexed query).

    `as_of` reads the ledger as it stood then: the ledger is append-only, so a
    certificate issued at that time can be reproduced exactly.
    """
    query = (
        select(Activity.id, Activity.title, Activity.start_at, func.sum(HourEntry.hours))
        .join(Activity, Activity.id == HourEntry.activity_id)
        .where(HourEntry.resident_id == resident_id)
        .group_by(Activity.id, Activity.title, Activity.start_at)
        .order_by(Activity.start_at.desc(), Activity.id.desc())
    )
    if as_of is not None:
        query = query.where(HourEntry.created_at <= as_of)
    return [
        ActivityHours(activity_id, title, start_at, Decimal(hours).quantize(Decimal("0.1")))
        for activity_id, title, start_at, hours in session.execute(query)
    ]


RECENT = 5


def summary(
    session: Session, resident: Resident, *, star_levels: list[Decimal], party_target: Decimal, now: datetime | None = None
) -> HoursSummary:
    """What `时长` shows: this year, in total, star level, recent activities, party target."""
    now = now or utc_now()
    year_number = to_local(now).year
    begin, end = year_bounds(year_number)
    rows = per_activity(session, resident.id)
    total = sum((r.hours for r in rows), ZERO)
    this_year = sum((r.hours for r in rows if begin <= r.start_at < end), ZERO)
    stars, next_level = star_level(total, star_levels)
    return HoursSummary(
        total=total,
        year=this_year,
        year_number=year_number,
        stars=stars,
        next_level=next_level,
        recent=rows[:RECENT],
        party_target=party_target if resident.is_party_member else None,
    )
