"""How organizers write times in the `发布` dialog, read relative to a fixed now (Asia/Shanghai)."""

from datetime import datetime

import pytest

from bot.domain.timefmt import to_local, to_utc_naive
from bot.domain.timeparse import AMBIGUOUS, END_BEFORE_START, NO_END, PAST, TOO_FAR, UNKNOWN, TimeParseError, parse_range

# Thursday 26 November 2026, 10:00 in Shanghai (02:00 UTC).
NOW = to_utc_naive(datetime(2026, 11, 26, 10, 0))


def local(text: str) -> tuple[str, str]:
    r = parse_range(text, NOW)
    return to_local(r.start).strftime("%Y-%m-%d %H:%M"), to_local(r.end).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("11月28日 9:00-11:00", "2026-11-28 09:00", "2026-11-28 11:00"),
        ("明天上午9点到11点", "2026-11-27 09:00", "2026-11-27 11:00"),
        ("周六 14:30-16:00", "2026-11-28 14:30", "2026-11-28 16:00"),
        ("2026-12-01 09:00-11:30", "2026-12-01 09:00", "2026-12-01 11:30"),
        ("下午2点半到4点", "2026-11-26 14:30", "2026-11-26 16:00"),
        # full-width digits, colon and tilde, as a phone keyboard types them
        ("１１月２８日 ９：００～１１：００", "2026-11-28 09:00", "2026-11-28 11:00"),
        ("十一月二十八日上午九点到十一点", "2026-11-28 09:00", "2026-11-28 11:00"),
        ("后天下午两点半至四点", "2026-11-28 14:30", "2026-11-28 16:00"),
        ("大后天 8:00-10:00", "2026-11-29 08:00", "2026-11-29 10:00"),
        ("下周三 9点-11点半", "2026-12-02 09:00", "2026-12-02 11:30"),
        ("星期天 9点到10点一刻", "2026-11-29 09:00", "2026-11-29 10:15"),
        ("周四 11:00-12:00", "2026-11-26 11:00", "2026-11-26 12:00"),  # today's weekday, still ahead
        ("11月28日(周六) 09:00-11:00", "2026-11-28 09:00", "2026-11-28 11:00"),  # as the bot itself shows times
        ("2026/12/1 9:00~10:00", "2026-12-01 09:00", "2026-12-01 10:00"),
        ("2026年12月1日 19:00-21:00", "2026-12-01 19:00", "2026-12-01 21:00"),
        ("1月5日 9:00-10:00", "2027-01-05 09:00", "2027-01-05 10:00"),  # a day already past this year is next year's
        ("晚上7点到9点", "2026-11-26 19:00", "2026-11-26 21:00"),
        ("下午2-4点", "2026-11-26 14:00", "2026-11-26 16:00"),
        ("上午11点到1点", "2026-11-26 11:00", "2026-11-26 13:00"),
        ("中午12点到1点半", "2026-11-26 12:00", "2026-11-26 13:30"),
        ("周二十点到十一点", "2026-12-01 10:00", "2026-12-01 11:00"),
        ("12月1日 9点 - 12月2日 17点", "2026-12-01 09:00", "2026-12-02 17:00"),
        ("明天 9点30分到11点", "2026-11-27 09:30", "2026-11-27 11:00"),
    ],
)
def test_understood(text, start, end):
    assert local(text) == (start, end)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("随便什么时候", UNKNOWN),
        ("9-11", UNKNOWN),  # neither 点 nor a colon: not a time
        ("11月31日 9:00-10:00", UNKNOWN),
        ("明天 25:00-26:00", UNKNOWN),
        ("明天上午9点", NO_END),
        ("2点到4点", AMBIGUOUS),  # night or afternoon?
        ("11月28日(周日) 09:00-11:00", AMBIGUOUS),  # the 28th is a Saturday
        ("上午14点到15点", AMBIGUOUS),
        ("晚上12点到1点", AMBIGUOUS),
        ("今天 8:00-9:00", PAST),
        ("周四 9:00-10:00", PAST),  # today, already begun
        ("2026-11-20 09:00-10:00", PAST),
        ("明天 11:00-10:00", END_BEFORE_START),
        ("2028-01-01 09:00-10:00", TOO_FAR),
    ],
)
def test_refused_with_a_reason(text, reason):
    with pytest.raises(TimeParseError) as caught:
        parse_range(text, NOW)
    assert caught.value.reason == reason


def test_now_may_be_aware_and_the_answer_is_naive_utc():
    aware_now = datetime(2026, 11, 26, 10, 0, tzinfo=to_local(NOW).tzinfo)
    r = parse_range("明天上午9点到11点", aware_now)
    assert r.start == datetime(2026, 11, 27, 1, 0) and r.start.tzinfo is None
