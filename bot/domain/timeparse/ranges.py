"""Understanding the ways people write when an activity happens.

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
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_AFTERNOON = ("下午", "午后", "傍晚", "晚上", "晚间", "夜里", "夜间")
_MORNING = ("上午", "早上", "早晨", "清晨", "上昼")

_PERIOD = "上午|早上|早晨|清晨|中午|下午|午后|傍晚|晚上|晚间|夜里|夜间"
_WEEKDAY = r"(?:(?P<{p}wprefix>下下周|下个?星期|下个?礼拜|下周|本周|这周|这个?星期|这个?礼拜)|周|星期|礼拜)(?P<{p}wd>[一二三四五六日天1-7])"
_DATE = (
    r"(?:(?P<{p}y>\d{4})[-/.](?P<{p}mo>\d{1,2})[-/.](?P<{p}d>\d{1,2})"
    r"|(?:(?P<{p}cy>\d{4})年)?(?P<{p}cmo>\d{1,2})月(?P<{p}cd>\d{1,2})[日号]?)"
    r"(?:\((?:周|星期)(?P<{p}cwd>[一二三四五六日天])\))?"
)
_RELDAY = "(?P<{p}rel>大后天|后天|明天|明日|今天|今日)"
_DAY = "(?:" + _DATE + "|" + _RELDAY + "|" + _WEEKDAY + ")"
_TIME = (
    r"(?P<{p}period>" + _PERIOD + r")?\s*"
    r"(?P<{p}h>\d{1,2})"
    r"(?:[:](?P<{p}m>\d{2})|[点时](?:(?P<{p}m2>\d{1,2})分?|(?P<{p}half>半)|(?P<{p}quarter>一刻|三刻))?|(?P<{p}bare>))"
)
_SEPARATOR = r"\s*(?:-|~|到|至|—|–|－)\s*"


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
        return today + timedelta(days=_RELATIVE_DAYS[g(f"{p}rel")]), True
    if g(f"{p}wd"):
        weekday = _WEEKDAYS[g(f"{p}wd")]
        prefix = g(f"{p}wprefix") or ""
        monday = today - timedelta(days=today.weekday())
        if prefix.startswith("下下"):
            return monday + timedelta(days=14 + weekday), True
        if prefix.startswith("下"):
            return monday + timedelta(days=7 + weekday), True
        if prefix:  # 本周 / 这周 / 这个星期
            return monday + timedelta(days=weekday), True
        return today + timedelta(days=(weekday - today.weekday()) % 7), True
    return None, False


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
    if period in _AFTERNOON and hour == 12 and period not in ("下午", "午后"):
        raise TimeParseError(AMBIGUOUS)  # "晚上12点": noon or midnight?
    if period in _AFTERNOON and hour < 12:
        hour += 12
    elif period == "中午" and 1 <= hour <= 3:
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


# ── days and parts of day as residents refer to an activity ────────────────
# `find_days("后天下午的讲座", now)` → the day(s) and part of day a message names, for the
# free-text reading (SPEC §9). Same day rules as above: `周六` is the next Saturday
# (today included), `下周六` Saturday of next week, the week starts on Monday; a day of
# the month without a month (`5号`) is this month's, or next month's once it has passed.
MORNING, NOON, AFTERNOON, EVENING = "morning", "noon", "afternoon", "evening"
_PARTS = {
    "上午": MORNING, "早上": MORNING, "早晨": MORNING, "清晨": MORNING, "一早": MORNING, "明早": MORNING, "今早": MORNING,
    "中午": NOON, "下午": AFTERNOON, "午后": AFTERNOON, "傍晚": EVENING, "晚上": EVENING, "晚间": EVENING,
    "夜里": EVENING, "夜间": EVENING, "今晚": EVENING, "明晚": EVENING,
}
_PART_WORDS = re.compile("|".join(sorted(_PARTS, key=len, reverse=True)))
_FIND_DAY = re.compile(
    _fmt(_DAY, "f").replace(
        "(?P<frel>大后天|后天|明天|明日|今天|今日)", "(?P<frel>大后天|后天|明天|明日|今天|今日|今晚|明晚|明早|今早|昨天|前天)"
    )
)
_WEEK = re.compile(r"(?P<which>下下|下个?|这个?|本|上个?)(?:周|星期|礼拜)(?P<end>末)?(?![一二三四五六日天1-7])|(?P<weekend>周末)")
_FEW_DAYS = re.compile(r"今明两天|今明|这两天|这几天|过两天|最近几天|近几天|这些天")
_MONTH = re.compile(r"(?P<which>下个?|这个?|本)月|(?<![\d/.-])(?P<m>1[0-2]|[1-9])月(?![\d号日初底])|(?P<edge>月初|月底)")
_BARE_DAY = re.compile(r"(?<![\d月/.-])(?P<n>[1-9]|[12]\d|3[01])(?P<unit>号|日)(?![院楼门单元栋层室座线路])")
_CLOCK = re.compile(r"(?<![\d:])(?P<h>\d{1,2})(?::(?P<m>\d{2})|点(?P<half>半)?)")
_RELATIVE_EXTRA = {"今晚": 0, "今早": 0, "明晚": 1, "明早": 1, "昨天": -1, "前天": -2}


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
    monday = today - timedelta(days=today.weekday())
    if which.startswith("下下"):
        monday += timedelta(days=14)
    elif which.startswith("下"):
        monday += timedelta(days=7)
    elif which.startswith("上"):
        monday -= timedelta(days=7)
    first = monday + timedelta(days=5) if weekend else monday
    return tuple(first + timedelta(days=i) for i in range(2 if weekend else 7))


def _month(today: date, match: re.Match) -> list[date]:
    """The days of the month a match names: `下个月`, `12月` (this year's, or next year's
    once over), `月底` (this month's last week)."""
    year, month = today.year, today.month
    if match.group("which") and match.group("which").startswith("下"):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    elif match.group("m"):
        month = int(match.group("m"))
        if month < today.month:
            year += 1
    first = date(year, month, 1)
    last = (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)
    if match.group("edge") == "月底":
        first = last - timedelta(days=6)
    elif match.group("edge") == "月初":
        last = first + timedelta(days=6)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def find_days(text: str, now: datetime) -> DayMention:
    """The days, part of day and hour `text` names anywhere in it, relative to `now`.

    `text` is expected folded with its numerals as digits (the free-text reader's
    normalisation), so the spans returned index into it.
    """
    local_now = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(SHANGHAI).replace(tzinfo=None)
    today = local_now.date()
    days: list[date] = []
    spans: list[tuple[int, int]] = []
    day_number = None
    bare_day = None
    for match in _FIND_DAY.finditer(text):
        rel = match.group("frel")
        try:
            day = today + timedelta(days=_RELATIVE_EXTRA[rel]) if rel in _RELATIVE_EXTRA else _day(match, "f", today)[0]
        except TimeParseError:
            continue
        if day is not None:
            days.append(day)
            spans.append(match.span())
    for match in _WEEK.finditer(text):
        weekend = bool(match.group("end") or match.group("weekend"))
        days.extend(_week(today, match.group("which") or "这", weekend))
        spans.append(match.span())
    for match in _FEW_DAYS.finditer(text):
        count = {"今明两天": 2, "今明": 2, "这两天": 3, "过两天": 3}.get(match.group(0), 7)
        days.extend(today + timedelta(days=i) for i in range(count))
        spans.append(match.span())
    for match in _MONTH.finditer(text):
        if any(s <= match.start() < e for s, e in spans):
            continue
        days.extend(_month(today, match))
        spans.append(match.span())
    for match in _BARE_DAY.finditer(text):
        if any(s <= match.start() < e for s, e in spans):
            continue  # inside `12月5号`
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
    if clock is not None and not any(s <= clock.start() < e for s, e in spans):
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
