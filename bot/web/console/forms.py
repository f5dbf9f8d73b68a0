"""Reading the console's forms into the domain's values; a bad field raises InvalidInput naming it.

Times come from `<input type="datetime-local">` as Shanghai wall-clock time
(`2026-12-05T09:00`) and are handed on as the naive UTC the database stores.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from werkzeug.datastructures import MultiDict

from bot.domain.activity_edits import Form
from bot.domain.errors import InvalidInput
from bot.domain.timefmt import to_local, to_utc_naive
from config import console_texts


def local_time(text: str) -> datetime:
    """`2026-12-05T09:00` (or with a space) in Shanghai → naive UTC."""
    try:
        return to_utc_naive(datetime.fromisoformat(text.strip().replace(" ", "T")))
    except ValueError as exc:
        raise InvalidInput(console_texts.BAD_TIME.format(text=text)) from exc


def input_value(moment: datetime | None) -> str:
    """A stored time as a datetime-local input's value."""
    return f"{to_local(moment):%Y-%m-%dT%H:%M}" if moment else ""


def _int(data: MultiDict, name: str, label: str) -> int:
    try:
        return int(data.get(name, "").strip())
    except ValueError as exc:
        raise InvalidInput(console_texts.BAD_NUMBER.format(field=label)) from exc


def optional_int(text: str | None) -> int | None:
    """A select's number, or None for an empty choice; anything else is None too (a filter, not a command)."""
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def optional_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()) if text else None
    except ValueError:
        return None


def activity_form(data: MultiDict, fixed_community: int | None) -> Form:
    """The activity form's fields; a scoped organizer's community is theirs whatever was posted."""
    try:
        hours = Decimal(data.get("hours", "").strip())
    except InvalidOperation as exc:
        raise InvalidInput(console_texts.BAD_NUMBER.format(field="时长")) from exc
    community = fixed_community if fixed_community is not None else optional_int(data.get("community_id"))
    deadline = data.get("deadline_at", "").strip()
    return Form(
        kind=data.get("kind", "").strip(),
        title=data.get("title", "").strip(),
        start_at=local_time(data.get("start_at", "")),
        end_at=local_time(data.get("end_at", "")),
        place=data.get("place", "").strip(),
        capacity=_int(data, "capacity", "名额"),
        hours=hours,
        community_id=community or None,
        content=data.get("content", "").strip(),
        deadline_at=local_time(deadline) if deadline else None,
    )
