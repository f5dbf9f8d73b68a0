"""The one time reader: organizers' times (`parse_range`, for `发布`) and the days residents
name in free text (`find_days`, SPEC §9), with the same day rules and the words of
`config/vocabulary.py` (days, parts of day, weeks, months, holidays)."""

from bot.domain.timeparse.days import AFTERNOON, EVENING, MORNING, NOON, DayMention, find_days, in_part, part_of_day
from bot.domain.timeparse.ranges import (
    AMBIGUOUS,
    END_BEFORE_START,
    NO_END,
    PAST,
    TOO_FAR,
    UNKNOWN,
    TimeParseError,
    TimeRange,
    parse_range,
)

__all__ = [
    "AFTERNOON", "AMBIGUOUS", "END_BEFORE_START", "EVENING", "MORNING", "NOON", "NO_END", "PAST", "TOO_FAR", "UNKNOWN",
    "DayMention", "TimeParseError", "TimeRange", "find_days", "in_part", "parse_range", "part_of_day",
]  # fmt: skip
