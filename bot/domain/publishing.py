"""Publishing an activity by chat: reading each answer of the `发布` dialog and saving the draft.

Each `read_*` takes what the organizer typed and returns the value or raises
`InvalidInput`; `publish` checks the organizer's scope and creates the activity through
`activities.create`, the same path the CLI takes. The draft travels between steps as
JSON in the dialog state (`Draft.to_state` / `from_state`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from sqlalchemy.orm import Session

from bot.domain import activities, communities, families, timeparse
from bot.domain.errors import InvalidInput
from bot.domain.roles import require_organizer, scope_of
from bot.storage.models import ACTIVITY_KINDS, Activity, Community, Resident, utc_now
from config import texts

log = logging.getLogger(__name__)

# `20`, `20人`; `2`, `2.5小时` (the units people add are words of config/texts.py).
_CAPACITY = re.compile(r"\s*(\d{1,6})\s*(?:" + "|".join(map(re.escape, texts.CAPACITY_UNITS)) + r")?\s*")
_HOURS = re.compile(r"\s*(\d{1,2}(?:\.\d+)?)\s*(?:" + "|".join(map(re.escape, texts.HOURS_UNITS)) + r")?\s*")

_AGE_RANGE = re.compile(r"(\d{1,3})(?:岁)?(?:-|~|～|—|–|到|至)(\d{1,3})(?:岁)?")
_AGE_BOUND = re.compile(r"(\d{1,3})(" + "|".join(map(re.escape, texts.AGES_ABOVE_WORDS + texts.AGES_BELOW_WORDS)) + ")")

TITLE_LENGTH = (2, 30)
PLACE_LENGTH = (2, 60)
MAX_CAPACITY = 10000


def kind_choices() -> str:
    return "\n".join(f"{i}. {texts.KIND_NAMES[kind]}" for i, kind in enumerate(ACTIVITY_KINDS, 1))


def read_kind(text: str) -> str:
    """`1`…`6` or a kind's Chinese name → the kind code."""
    text = text.strip()
    if text.isdigit() and 1 <= int(text) <= len(ACTIVITY_KINDS):
        return ACTIVITY_KINDS[int(text) - 1]
    for kind, name in texts.KIND_NAMES.items():
        if text in (name, kind):
            return kind
    raise InvalidInput("kind")


def _read_text(text: str, bounds: tuple[int, int]) -> str:
    text = text.strip()
    if not bounds[0] <= len(text) <= bounds[1]:
        raise InvalidInput("length")
    return text


def read_title(text: str) -> str:
    return _read_text(text, TITLE_LENGTH)


def read_place(text: str) -> str:
    return _read_text(text, PLACE_LENGTH)


def read_time(text: str, now: datetime) -> timeparse.TimeRange:
    """See `bot.domain.timeparse.parse_range`; raises TimeParseError with a reason."""
    return timeparse.parse_range(text, now)


def read_capacity(text: str) -> int:
    """`20`, `20人`, `20 名` → 20."""
    match = _CAPACITY.fullmatch(text)
    if not match or not 1 <= int(match.group(1)) <= MAX_CAPACITY:
        raise InvalidInput("capacity")
    return int(match.group(1))


def read_hours(text: str) -> Decimal:
    """`2`, `2.5`, `2小时`, `1.5 h` → hours in steps of 0.5 between 0.5 and 24."""
    match = _HOURS.fullmatch(text)
    if not match:
        raise InvalidInput("hours")
    try:
        hours = Decimal(match.group(1))
    except InvalidOperation as exc:
        raise InvalidInput("hours") from exc
    if hours <= 0 or hours > 24 or hours * 2 != int(hours * 2):
        raise InvalidInput("hours")
    return hours


def read_ages(text: str) -> tuple[int | None, int | None]:
    """`不限` → no limit; `3-12`, `3到12岁` → 3–12; `60以上` → 60 and over; `12以下` → up to 12."""
    text = text.strip().replace(" ", "")
    if text in texts.AGES_ANY_WORDS:
        return None, None
    match = _AGE_RANGE.fullmatch(text)
    if match:
        ages = (int(match.group(1)), int(match.group(2)))
    else:
        match = _AGE_BOUND.fullmatch(text)
        if not match:
            raise InvalidInput("ages")
        age, bound = int(match.group(1)), match.group(2)
        ages = (age, None) if bound in texts.AGES_ABOVE_WORDS else (None, age)
    families.validate_ages(*ages)
    return ages


def suggested_hours(start: datetime, end: datetime) -> Decimal:
    """The activity's length rounded down to half an hour (at least 0.5): a sensible default."""
    hours = Decimal((end - start).total_seconds()) / Decimal(3600)
    return max(Decimal("0.5"), min(Decimal(24), (hours * 2).to_integral_value(ROUND_FLOOR) / 2))


def community_choices(session: Session) -> tuple[list[Community | None], str]:
    """The communities to publish for, then `全街道` (None), numbered from 1."""
    options: list[Community | None] = [*communities.in_order(session), None]
    lines = "\n".join(f"{i}. {c.name if c else texts.WHOLE_SUBDISTRICT}" for i, c in enumerate(options, 1))
    return options, lines


def read_community(session: Session, text: str) -> Community | None:
    """A number from `community_choices`, or a community's name, or 全街道; raises InvalidInput."""
    options, _ = community_choices(session)
    return communities.pick(options, text)


@dataclass
class Draft:
    """The answers so far; stored in the dialog state between messages."""

    kind: str | None = None
    title: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    place: str | None = None
    capacity: int | None = None
    hours: Decimal | None = None
    community_id: int | None = None
    # Not asked in chat; the console's form has them.
    content: str = ""
    deadline: datetime | None = None
    min_age: int | None = None
    max_age: int | None = None

    def to_state(self) -> dict:
        return {
            "kind": self.kind,
            "title": self.title,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "place": self.place,
            "capacity": self.capacity,
            "hours": str(self.hours) if self.hours is not None else None,
            "community_id": self.community_id,
            "content": self.content,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "min_age": self.min_age,
            "max_age": self.max_age,
        }

    @classmethod
    def from_state(cls, data: dict) -> Draft:
        return cls(
            kind=data.get("kind"),
            title=data.get("title"),
            start=datetime.fromisoformat(data["start"]) if data.get("start") else None,
            end=datetime.fromisoformat(data["end"]) if data.get("end") else None,
            place=data.get("place"),
            capacity=data.get("capacity"),
            hours=Decimal(data["hours"]) if data.get("hours") else None,
            community_id=data.get("community_id"),
            content=data.get("content") or "",
            deadline=datetime.fromisoformat(data["deadline"]) if data.get("deadline") else None,
            min_age=data.get("min_age"),
            max_age=data.get("max_age"),
        )


def fixed_community(actor: Resident) -> int | None:
    """The community a scoped organizer must publish for (they are not asked); None otherwise."""
    return scope_of(actor) if actor.role == "organizer" else None


def publish(session: Session, actor: Resident, draft: Draft, now: datetime | None = None) -> Activity:
    """Save the confirmed draft as a published activity organized by `actor`."""
    require_organizer(actor, "发布", community_id=draft.community_id, subdistrict=draft.community_id is None)
    now = now or utc_now()
    if draft.start is None or draft.start <= now:
        raise timeparse.TimeParseError(timeparse.PAST)
    if not (draft.kind and draft.title and draft.end and draft.place and draft.capacity and draft.hours):
        raise InvalidInput("incomplete draft")
    activity = activities.create(
        session,
        activities.ActivityDraft(
            kind=draft.kind,
            title=draft.title,
            start_at=draft.start,
            end_at=draft.end,
            place=draft.place,
            capacity=draft.capacity,
            hours=draft.hours,
            community_id=draft.community_id,
            organizer_id=actor.id,
            content=draft.content,
            deadline_at=draft.deadline,
            min_age=draft.min_age,
            max_age=draft.max_age,
        ),
    )
    log.info("activity %s published by organizer %s", activity.id, actor.id)
    return activity

