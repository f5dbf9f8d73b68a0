"""The strict command grammar of SPEC §4: a command word at the start, then its arguments.

It folds full-width characters, trims, and matches the longest known command word at
the start (`报名3`, `报名 ３`, `活动  3`). What it does not read goes to the free-text
reading (`bot.chat.understanding.reader`), which produces the same `Intent`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.checkin_codes import CODE_DIGITS

_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^#?(\d{1,9})(?:\s+|$)(.*)$", re.S)


def normalise(text: str) -> str:
    """Fold full-width digits, letters and spaces to half-width, trim, squeeze spaces.

    NFKC also turns `？` into `?`; Chinese characters are untouched.
    """
    folded = unicodedata.normalize("NFKC", text or "")
    return _SPACES.sub(" ", folded).strip()


@dataclass(frozen=True)
class Intent:
    """A command word and what follows it, e.g. `报名` + `3`.

    Free text yields the same: `后天打扫卫生那个给俺也算上` is `报名` + `1`. A list the
    free text narrowed (`明天有讲座吗`) carries the activities in `only` and what narrowed
    it in `label`.
    """

    word: str
    args: str = ""
    only: tuple[int, ...] | None = None
    label: str = ""

    @property
    def number(self) -> int | None:
        """The leading number of the arguments (`3` in `纠错 3 说明`), if any."""
        match = _NUMBER.match(self.args)
        return int(match.group(1)) if match else None

    @property
    def rest(self) -> str:
        """The arguments after the leading number (`说明` in `纠错 3 说明`)."""
        match = _NUMBER.match(self.args)
        return match.group(2).strip() if match else self.args


class Vocabulary:
    """Command words ready for matching: by first character, longest first. Built once per router."""

    def __init__(self, words: Iterable[str]):
        self.by_first: dict[str, list[tuple[str, str]]] = {}
        for word in sorted(set(words), key=len, reverse=True):
            if word:
                self.by_first.setdefault(word[0].lower(), []).append((word, word.lower()))

    def candidates(self, lowered: str) -> list[tuple[str, str]]:
        """(word, lowered word) pairs that could start `lowered`, longest first."""
        return self.by_first.get(lowered[:1], []) if lowered else []


def understand(text: str, words: Iterable[str] | Vocabulary) -> Intent | None:
    """Match the longest command word the text starts with; None when nothing fits.

    A word matches only when followed by the end, a space or a digit, so `活动` does
    not swallow `活动室在哪`, while `报名3` still reads as `报名 3`.
    """
    text = normalise(text)
    lowered = text.lower()
    vocabulary = words if isinstance(words, Vocabulary) else Vocabulary(words)
    for word, w in vocabulary.candidates(lowered):
        if not lowered.startswith(w):
            continue
        rest = text[len(word) :]
        if rest and not (rest[0].isspace() or rest[0].isdigit() or rest[0] in "#@" or not _is_word_char(rest[0])):
            continue
        return Intent(word, rest.strip())
    return None


def _is_word_char(ch: str) -> bool:
    """True for characters that would continue a word (CJK ideographs, letters)."""
    return ch.isalpha()


# Commands about one activity take its number and nothing else; bare, or followed by
# words (`报名 后天的讲座`, `取消讲座`), they are free text for the reading to resolve.
_NEEDS_NUMBER = frozenset({"请假", "确认"})
_FOR_WHOM = frozenset({"报名", "取消"})
_TAKES_NUMBER = frozenset({"活动", "详情"})
_TAKES_CODE = frozenset({"签到", "签退"})
# The organizers' `签到码 N` takes an activity's number; a check-in code after it
# (`签到码952701签到`, `签到码 952701`) is a resident checking in, read as free text.
_TAKES_ACTIVITY = frozenset({"签到码"})
_ONE_NUMBER = re.compile(r"^#?\d{1,9}$")
# `报名 3 小明`, `取消 3 小明`: a number, then whom it is for (SPEC §11).
_NUMBER_THEN_WHOM = re.compile(r"^#?\d{1,9}(?:\s+\S.*)?$", re.S)


def fits(intent: Intent) -> bool:
    """True when a command's arguments are what the command reads; otherwise the message
    goes to the free-text reading (`签到 九五二七`, `报名三号院的清扫`, `取消`)."""
    if intent.word in _FOR_WHOM:
        return bool(_NUMBER_THEN_WHOM.match(intent.args))
    if intent.word in _NEEDS_NUMBER:
        return bool(_ONE_NUMBER.match(intent.args))
    if intent.word in _TAKES_NUMBER:
        return not intent.args or bool(_ONE_NUMBER.match(intent.args))
    if intent.word in _TAKES_CODE:
        return not intent.args or intent.args.replace(" ", "").isdigit()
    if intent.word in _TAKES_ACTIVITY:
        return not intent.args or (bool(_ONE_NUMBER.match(intent.args)) and len(intent.args.lstrip("#")) < CODE_DIGITS)
    return True
