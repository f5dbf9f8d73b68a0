"""Organizers' times: when an activity happens, as people write it on a phone.

`parse_range("明天上午9点到11点", now)` → a `TimeRange` (naive UTC, as stored). It reads
what organizers type on a phone, relative to `now` in Asia/Shanghai:

    11月28日 9:00-11:00        2026-12-01 09:00-11:30      11月28日(周六) 09:00-11:00
    明天上午9点到11点          后天下午两点半至四点        周六 14:30-16:00
    下周三 9点-11点半          下午2点半到4点 (today)      12月1日 9点 - 12月2日 17点

A day without a year is this year, or next year when that day has passed. A weekday
(`周六`) is the next such day, today included; `下周六` is Saturday of next week. A
time without a day is today. Anything that could be read two ways — `2点到4点` (night
or afternoon?), a weekday that does not match the date — or that lies in the past is
refused with `TimeParseError.reason`, so the dialog asks again instead of guessing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.timefmt import SHANGHAI, to_utc_naive
from config import vocabulary as v

# Reasons a text is refused; the dialog shows a matching message with an example.
UNKNOWN = "unknown"
NO_END = "no_end"
AMBIGUOUS = "ambiguous"
PAST = "past"
END_BEFORE_START = "end_before_start"
TOO_FAR = "too_far"

# Nobody publishes an activity more than a year ahead; such a date is a typo.
MAX_AHEAD = timedelta(days=366)


class TimeParseError(ValueError):
    """The text is not a time range we can be sure of; `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TimeRange:
    start: datetime  # naive UTC
    end: datetime


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = "[零〇一二两三四五六七八九十]+"
_WEEKDAYS = {**v.WEEKDAY_NAMES, "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
# Parts of the day an organizer writes before an hour; not those naming a day too (`明晚`).
_PERIODS = {word: part for word, part in v.PARTS_OF_DAY.items() if word not in v.RELATIVE_DAYS_SAID}
_AFTERNOON = tuple(w for w, part in _PERIODS.items() if part in ("afternoon", "evening"))
_MORNING = tuple(w for w, part in _PERIODS.items() if part == "morning")
_NOON = tuple(w for w, part in _PERIODS.items() if part == "noon")


def alternation(words) -> str:  # type: ignore[no-untyped-def]
    """A regex alternation of words, the longest first (so `下下` is tried before `下`)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_PERIOD = alternation(_PERIODS)
_WEEK = f"(?:{alternation(v.WEEK_WORDS)})"
_WEEK_PREFIX = f"(?:{alternation((*v.WEEK_AFTER_NEXT, *v.NEXT_WEEK, *v.THIS_WEEK))}){_WEEK}"
_WEEKDAY = r"(?:(?P<{p}wprefix>" + _WEEK_PREFIX + r")|" + _WEEK + r")(?P<{p}wd>[" + "".join(v.WEEKDAY_NAMES) + r"1-7])"
_DATE = (
    r"(?:(?P<{p}y>\d{4})[-/.](?P<{p}mo>\d{1,2})[-/.](?P<{p}d>\d{1,2})"
    r"|(?:(?P<{p}cy>\d{4})年)?(?P<{p}cmo>\d{1,2})月(?P<{p}cd>\d{1,2})[日号]?)"
    r"(?:\((?:周|星期)(?P<{p}cwd>[一二三四五六日天])\))?"
)
_RELDAY = "(?P<{p}rel>" + alternation(v.RELATIVE_DAYS) + ")"
_DAY = "(?:" + _DATE + "|" + _RELDAY + "|" + _WEEKDAY + ")"
_TIME = (
    r"(?P<{p}period>" + _PERIOD + r")?\s*"
    r"(?P<{p}h>\d{1,2})"
    r"(?:[:](?P<{p}m>\d{2})|[点时](?:(?P<{p}m2>\d{1,2})分?|(?P<{p}half>半)|(?P<{p}quarter>一刻|三刻))?|(?P<{p}bare>))"
)
_SEPARATOR = r"\s*(?:" + alternation(v.RANGE_SEPARATORS) + r")\s*"


def _fmt(pattern: str, prefix: str) -> str:
    """Name a pattern's groups for the start (`s`) or the end (`e`) of the range."""
    return pattern.replace("{p}", prefix)


_RANGE = re.compile(
    r"^\s*(?:" + _fmt(_DAY, "s") + r")?\s*的?\s*"
    + _fmt(_TIME, "s")
    + _SEPARATOR
    + r"(?:" + _fmt(_DAY, "e") + r")?\s*"
    + _fmt(_TIME, "e")
    + r"\s*$"
)


def _cn_to_int(text: str) -> int:
    """`十一` → 11, `二十八` → 28, `两` → 2, `三十` → 30."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    value = 0
    for ch in text:
        value = value * 10 + _CN_DIGITS[ch]
    return value


def _normalise(text: str) -> str:
    """Fold full-width forms and write Chinese numerals of months, days, hours and minutes as digits."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"\s+", " ", text).strip()
    text = text.replace("：", ":").replace("，", " ").replace(",", " ")
    # Numerals before 月/日/号/点/时/分, and minutes written right after 点 (九点三十).
    # A numeral right after 周/星期/礼拜 is a weekday (周二十点 is Tuesday at ten).
    text = re.sub(f"(?<![周期拜])({_CN_NUMBER})(?=[月日号点时分])", lambda m: str(_cn_to_int(m.group(1))), text)
    text = re.sub(f"(?<=[点时])(?!一刻|三刻)({_CN_NUMBER})", lambda m: str(_cn_to_int(m.group(1))), text)
    return text


def _day(match: re.Match, p: str, today: date) -> tuple[date | None, bool]:
    """The day a match names (None when it names none), and whether it was explicit about the year."""
    g = match.group
    month = g(f"{p}mo") or g(f"{p}cmo")
    if month:
        year_text = g(f"{p}y") or g(f"{p}cy")
        day_text = g(f"{p}d") or g(f"{p}cd")
        year = int(year_text) if year_text else today.year
        try:
            day = date(year, int(month), int(day_text))
        except ValueError as exc:
            raise TimeParseError(UNKNOWN) from exc
        if not year_text and day < today:
            try:
                day = date(year + 1, day.month, day.day)
            except ValueError as exc:  # 2月29日 of a year without one
                raise TimeParseError(UNKNOWN) from exc
        if g(f"{p}cwd") and _WEEKDAYS[g(f"{p}cwd")] != day.weekday():
            raise TimeParseError(AMBIGUOUS)  # "12月1日(周六)" when the 1st is a Tuesday
        return day, True
    if g(f"{p}rel"):
        return today + timedelta(days=v.RELATIVE_DAYS[g(f"{p}rel")]), True
    if g(f"{p}wd"):
        weekday = _WEEKDAYS[g(f"{p}wd")]
        prefix = g(f"{p}wprefix") or ""
        if prefix:  # 下下周 / 下周 / 本周 / 这个星期
            return week_of(today, prefix) + timedelta(days=weekday), True
        return today + timedelta(days=(weekday - today.weekday()) % 7), True
    return None, False


def week_of(today: date, which: str) -> date:
    """The Monday of the week `which` names (`下下`, `下个`, `这`, `上`, any of them before a week word)."""
    monday = today - timedelta(days=today.weekday())
    for words, weeks in ((v.WEEK_AFTER_NEXT, 2), (v.NEXT_WEEK, 1), (v.LAST_WEEK, -1)):
        if re.match(f"(?:{alternation(words)})(?:{_WEEK})?$", which):
            return monday + timedelta(days=7 * weeks)
    return monday


def _clock(match: re.Match, p: str, inherited_period: str | None) -> tuple[int, int, str | None, bool]:
    """Hour, minute, the period word in force, and whether the hour was written in 24-hour style."""
    g = match.group
    hour = int(g(f"{p}h"))
    if g(f"{p}m") is not None:
        minute = int(g(f"{p}m"))
    elif g(f"{p}m2") is not None:
        minute = int(g(f"{p}m2"))
    elif g(f"{p}half"):
        minute = 30
    elif g(f"{p}quarter"):
        minute = 15 if g(f"{p}quarter") == "一刻" else 45
    else:
        minute = 0
    if hour > 23 or minute > 59:
        raise TimeParseError(UNKNOWN)
    own_period = g(f"{p}period")
    period = own_period or inherited_period
    # `09:00` and `14:30` are unambiguous; so is anything from 7 o'clock on.
    unambiguous = hour == 0 or hour >= 7 or g(f"{p}h").startswith("0")
    if period in _AFTERNOON and hour == 12 and _PERIODS[period] == "evening":
        raise TimeParseError(AMBIGUOUS)  # "晚上12点": noon or midnight?
    if period in _AFTERNOON and hour < 12:
        hour += 12
    elif period in _NOON and 1 <= hour <= 3:
        hour += 12
    elif period in _MORNING and hour > 12:
        raise TimeParseError(AMBIGUOUS)  # "上午14点"
    return hour, minute, own_period, unambiguous or period is not None


def parse_range(text: str, now: datetime) -> TimeRange:
    """Read a start and an end from `text`, relative to `now` (naive UTC or aware).

    Raises `TimeParseError` with a reason (UNKNOWN, NO_END, AMBIGUOUS, PAST,
    END_BEFORE_START, TOO_FAR) when the text cannot be read with certainty.
    """
    local_now = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(SHANGHAI).replace(tzinfo=None)
    normalised = _normalise(text)
    match = _RANGE.match(normalised)
    if match is None:
        if _looks_like_single_time(normalised):
            raise TimeParseError(NO_END)
        raise TimeParseError(UNKNOWN)
    if match.group("sbare") is not None and match.group("ebare") is not None:
        raise TimeParseError(UNKNOWN)  # "9-11" with neither 点 nor a colon: not a time
    today = local_now.date()
    start_day, _ = _day(match, "s", today)
    start_day = start_day or today
    end_day, end_day_given = _day(match, "e", start_day)
    end_day = end_day if end_day_given else start_day

    start_hour, start_minute, start_period, start_sure = _clock(match, "s", None)
    end_hour, end_minute, end_period, end_sure = _clock(match, "e", start_period)
    if match.group("sbare") is not None and not start_period and match.group("eperiod"):
        # "下午2-4点": the period written once covers both ends.
        start_hour, start_minute, start_period, start_sure = _clock(match, "s", match.group("eperiod"))
    if not (start_sure and end_sure):
        raise TimeParseError(AMBIGUOUS)

    start = datetime.combine(start_day, time(start_hour, start_minute))
    end = datetime.combine(end_day, time(end_hour, end_minute))
    if end <= start and not end_day_given and not end_period and 1 <= end_hour < 7 and end + timedelta(hours=12) > start:
        end += timedelta(hours=12)  # "11点到1点": one o'clock in the afternoon
    if end <= start:
        raise TimeParseError(END_BEFORE_START)
    if start <= local_now:
        raise TimeParseError(PAST)
    if start - local_now > MAX_AHEAD:
        raise TimeParseError(TOO_FAR)
    return TimeRange(to_utc_naive(start), to_utc_naive(end))


_SINGLE = re.compile(r"^\s*(?:" + _fmt(_DAY, "s") + r")?\s*的?\s*" + _fmt(_TIME, "s") + r"\s*(?:开始)?\s*$")


def _looks_like_single_time(text: str) -> bool:
    """A start with no end (`明天上午9点`): worth a more helpful question than "not understood"."""
    match = _SINGLE.match(text)
    return match is not None and match.group("sbare") is None
