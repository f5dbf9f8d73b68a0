"""Times as residents read them: Asia/Shanghai, `11月28日(周六) 09:00`."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = "一二三四五六日"


def to_local(utc_naive: datetime) -> datetime:
    """A stored (naive UTC) time as an aware Asia/Shanghai time."""
    return utc_naive.replace(tzinfo=UTC).astimezone(SHANGHAI)


def to_utc_naive(local: datetime) -> datetime:
    """A Shanghai wall-clock time (naive or aware) as the naive UTC the database stores."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=SHANGHAI)
    return local.astimezone(UTC).replace(tzinfo=None)


def fmt(utc_naive: datetime) -> str:
    """`11月28日(周六) 09:00`."""
    t = to_local(utc_naive)
    return f"{t.month}月{t.day}日(周{WEEKDAYS[t.weekday()]}) {t:%H:%M}"


def fmt_time(utc_naive: datetime) -> str:
    """`11:00`, for the end of an activity on the same day."""
    return f"{to_local(utc_naive):%H:%M}"


def fmt_range_end(start: datetime, end: datetime) -> str:
    """The end as `11:00` when it is the same day as the start, else in full."""
    if to_local(start).date() == to_local(end).date():
        return fmt_time(end)
    return fmt(end)


def parse_local(text: str) -> datetime:
    """`YYYY-MM-DD HH:MM[:SS]` in Shanghai time → naive UTC. Raises ValueError."""
    text = text.strip()
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return to_utc_naive(datetime.strptime(text, pattern))
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not YYYY-MM-DD HH:MM")


def fmt_hours(hours: object) -> str:
    """`2 小时`'s number: `2`, `2.5` (no trailing `.0`)."""
    text = f"{hours:f}" if not isinstance(hours, str) else hours
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
