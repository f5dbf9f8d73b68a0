"""Text → intent: the one step in front of the router that reads what a person wrote.

Today it folds full-width characters, trims, and matches the longest known command
word at the start (`报名3`, `报名 ３`, `活动  3`). A richer understanding of free text
(SPEC §9) replaces `understand()` without touching a handler.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

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
    """A command word and what follows it, e.g. `报名` + `3`."""

    word: str
    args: str = ""

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
