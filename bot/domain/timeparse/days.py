"""Residents' days: when the activity they mean happens, as they say it in free text.

`find_days("后天下午的讲座", now)` → the day(s) and part of day a message names, for the
free-text reading (SPEC §9). The same day rules as organizers' times (`ranges`): `周六` is
the next Saturday (today included), `下周六` Saturday of next week, the week starts on
Monday; a day of the month without a month (`5号`) is this month's, or next month's
once it has passed; `下个月6号` is the 6th of next month; a holiday (`五一`) is its days,
this year's or, once over, next year's. A weekday that is today's (`礼拜四` on a Thursday)
is today or next week's: whichever has the activity. The words are in `config/vocabulary.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.domain.timefmt import SHANGHAI
from bot.domain.timeparse.ranges import _DAY, TimeParseError, _day, _fmt, alternation, week_of
from config import vocabulary as v

MORNING, NOON, AFTERNOON, EVENING = "morning", "noon", "afternoon", "evening"
_PARTS = dict(v.PARTS_OF_DAY)
_PART_WORDS = re.compile(alternation(_PARTS))
_RELATIVE = {**v.RELATIVE_DAYS, **v.RELATIVE_DAYS_SAID}
_FIND_DAY = re.compile(_fmt(_DAY, "f").replace(alternation(v.RELATIVE_DAYS), alternation(_RELATIVE)))
_WEEK_WORD = f"(?:{alternation(v.WEEK_WORDS)})"
_WEEKDAY_CHARS = "".join(v.WEEKDAY_NAMES)
_WEEK = re.compile(
    f"(?P<which>{alternation((*v.WEEK_AFTER_NEXT, *v.NEXT_WEEK, *v.THIS_WEEK, *v.LAST_WEEK))}){_WEEK_WORD}"
    f"(?P<end>{re.escape(v.WEEKEND_SUFFIX)})?(?![{_WEEKDAY_CHARS}1-7])|(?P<weekend>{alternation(v.WEEKEND)})"
)
_FEW_DAYS = re.compile(alternation(v.FEW_DAYS))
_MONTH = re.compile(
    f"(?P<which>{alternation((*v.NEXT_MONTH, *v.THIS_MONTH))})月(?:(?P<md>[1-9]|[12]\\d|3[01])[号日])?"
    r"|(?<![\d/.-])(?P<m>1[0-2]|[1-9])月(?![\d号日初底])"
    f"|(?P<edge>{re.escape(v.MONTH_START)}|{re.escape(v.MONTH_END)})"
)
_BARE_DAY = re.compile(f"(?<![\\d月/.-])(?P<n>[1-9]|[12]\\d|3[01])(?P<unit>号|日)(?!{alternation(v.HOUSE_WORDS)})")
_HOLIDAY = re.compile(alternation(v.HOLIDAYS))
_CLOCK = re.compile(r"(?<![\d:])(?P<h>\d{1,2})(?::(?P<m>\d{2})|点(?P<half>半)?)")


@dataclass(frozen=True)
class DayMention:
    """What a message says about when: days (several for `下周`, `周末`), part of day, hour."""

    days: tuple[date, ...] = ()
    part: str | None = None
    hour: int | None = None
    day_number: int | None = None  # a bare `N号`: it may also mean activity N (the reader decides)
    spans: tuple[tuple[int, int], ...] = ()
    bare_day: date | None = None  # the day `N号` names, among `days`

    def without_bare_day(self) -> DayMention:
        """The mention with `N号` read as something else (`3号活动` is activity 3)."""
        if self.bare_day is None:
            return self
        days = tuple(d for d in self.days if d != self.bare_day)
        return DayMention(days, self.part, self.hour, None, self.spans, None)

    def __bool__(self) -> bool:
        return bool(self.days or self.part or self.hour is not None)


def _month_day(today: date, n: int) -> date | None:
    """The next day-of-month `n`, today included (this month, else the next one that has it)."""
    year, month = today.year, today.month
    for _ in range(3):
        try:
            day = date(year, month, n)
        except ValueError:
            day = None
        if day is not None and day >= today:
            return day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _week(today: date, which: str, weekend: bool) -> tuple[date, ...]:
    monday = week_of(today, which)
    first = monday + timedelta(days=5) if weekend else monday
    return tuple(first + timedelta(days=i) for i in range(2 if weekend else 7))


def _month(today: date, match: re.Match) -> list[date]:
    """The days of the month a match names: `下个月`, `12月` (this year's, or next year's
    once over), `下个月6号` (that one day), `月底` (this month's last week)."""
    year, month = today.year, today.month
    if match.group("which") and match.group("which") in v.NEXT_MONTH:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    elif match.group("m"):
        month = int(match.group("m"))
        if month < today.month:
            year += 1
    if match.group("md"):
        try:
            return [date(year, month, int(match.group("md")))]
        except ValueError:
            return []
    first = date(year, month, 1)
    last = (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)
    if match.group("edge") == v.MONTH_END:
        first = last - timedelta(days=6)
    elif match.group("edge") == v.MONTH_START:
        last = first + timedelta(days=6)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _holiday(today: date, word: str) -> list[date]:
    """A holiday's days: this year's, or next year's once they are over."""
    month, first_day, count = v.HOLIDAYS[word]
    for year in (today.year, today.year + 1):
        first = date(year, month, first_day)
        if first + timedelta(days=count - 1) >= today:
            return [first + timedelta(days=i) for i in range(count)]
    return []


def find_days(text: str, now: datetime) -> DayMention:
    """The days, part of day and hour `text` names anywhere in it, relative to `now`.

    `text` is expected folded with its numerals as digits (the free-text reader's
    normalisation), so the spans returned index into it.
    """
    local_now = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(SHANGHAI).replace(tzinfo=None)
    today = local_now.date()
    days: list[date] = []
    spans: list[tuple[int, int]] = []

    def free(match: re.Match) -> bool:
        return not any(s <= match.start() < e for s, e in spans)

    for match in _FIND_DAY.finditer(text):
        rel = match.group("frel")
        try:
            day = today + timedelta(days=v.RELATIVE_DAYS_SAID[rel]) if rel in v.RELATIVE_DAYS_SAID else _day(match, "f", today)[0]
        except TimeParseError:
            continue
        if day is not None:
            days.append(day)
            spans.append(match.span())
            if day == today and match.group("fwd") and not match.group("fwprefix"):
                days.append(today + timedelta(days=7))  # `礼拜四` said on a Thursday: today, or next week's
    for match in _WEEK.finditer(text):
        weekend = bool(match.group("end") or match.group("weekend"))
        days.extend(_week(today, match.group("which") or "", weekend))
        spans.append(match.span())
    for match in _FEW_DAYS.finditer(text):
        days.extend(today + timedelta(days=i) for i in range(v.FEW_DAYS[match.group(0)]))
        spans.append(match.span())
    for match in _HOLIDAY.finditer(text):
        if free(match):
            days.extend(_holiday(today, match.group(0)))
            spans.append(match.span())
    for match in _MONTH.finditer(text):
        if free(match):
            days.extend(_month(today, match))
            spans.append(match.span())
    day_number, bare_day = None, None
    for match in _BARE_DAY.finditer(text):
        if not free(match):
            continue  # inside `12月5号`, `下个月6号`
        day = _month_day(today, int(match.group("n")))
        if day is not None:
            days.append(day)
            if match.group("unit") == "号":
                day_number, bare_day = int(match.group("n")), day
            spans.append(match.span())
    part = None
    for match in _PART_WORDS.finditer(text):
        part = part or _PARTS[match.group(0)]
        spans.append(match.span())
    hour = None
    clock = _CLOCK.search(text)
    if clock is not None and free(clock):
        hour = int(clock.group("h"))
        if part in (AFTERNOON, EVENING) and hour < 12:
            hour += 12
        hour = hour if hour < 24 else None
        spans.append(clock.span())
    return DayMention(tuple(sorted(set(days))), part, hour, day_number, tuple(spans), bare_day)


def part_of_day(hour: int) -> str:
    """The part of day a start hour falls in."""
    if hour < 11:
        return MORNING
    if hour < 13:
        return NOON
    if hour < 18:
        return AFTERNOON
    return EVENING


def in_part(start: datetime, end: datetime, part: str) -> bool:
    """True when a time that runs from `start` to `end` starts in that part of the day or,
    for noon, is still going on at noon (a dinner from 10:30 to 13:00 is at noon)."""
    if part_of_day(start.hour) == part:
        return True
    return part == NOON and start.hour < 12 < end.hour + end.minute / 60
