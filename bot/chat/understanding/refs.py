"""What the words of a message point at, before any activity is looked at (`parse` reads
them, `shapes` and `resolve` use them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.timeparse import DayMention


@dataclass(frozen=True)
class Refs:
    """What the words point at, before looking at any activity."""

    ids: tuple[int, ...] = ()  # written as an activity number (`活动3`, `3号活动`, `报名3`)
    day_or_id: int | None = None  # `6号`: the 6th of the month, or activity 6
    position: int | None = None  # `第2个`: the second in the list, or activity 2
    when: DayMention = field(default_factory=DayMention)
    kinds: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    words: tuple[str, ...] = ()  # words left over, matched against the activities' own text
    code: str | None = None
    asks: frozenset[str] = frozenset()  # questions riding along: place, time, length, left, content
    communities: frozenset[str] = frozenset()  # full names of communities mentioned
    titled: frozenset[int] = frozenset()  # activities whose whole title was written
    said: frozenset[str] = frozenset()  # kind and topic words as written (`剃头`)
    phrases: tuple[str, ...] = ()  # kind and topic words written together, 3+ characters (`文艺汇演`)
    residue: bool = False  # a single character no step explained (`明天会下雨吗`): maybe not about activities
    remarks: tuple[str, ...] = ()  # left-over words said aside (`我手艺还行`, `，太冷了`): count only if an activity has them
    home: bool = False  # one's own community was named (`我们社区`): the resolver knows which
    code_marked: bool = False  # the code was introduced as one (`码是386514`)
    when_words: tuple[str, ...] = ()  # the day words as written (`五一`): an activity titled with them is not held to the day

    def any(self) -> bool:
        """True when the words point at some activity at all."""
        return bool(
            self.ids
            or self.day_or_id
            or self.position
            or self.when
            or self.kinds
            or self.topics
            or self.words
            or self.communities
            or self.titled
            or self.home
        )

    def only_numbers(self) -> bool:
        """True when an activity is named by a number and nothing else (a misheard digit changes it)."""
        return bool(self.ids or self.day_or_id or self.position) and not (
            self.kinds or self.topics or self.words or self.communities or self.when.part or self.when.hour is not None
        )
