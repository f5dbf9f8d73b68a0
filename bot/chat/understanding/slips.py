"""Slips that sound right: `抱名` → 报名, `实长` → 时长, `千到` → 签到, `将座` → 讲座.

A pinyin keyboard or a speech recogniser puts a character that sounds like the right
one. A stretch of text that is not a known word but reads (pinyin, tones ignored, any
reading of each character) like a correction target, keeping at least one character of
it in place and differing in at most half, is read as that target. Targets are only
vocabulary words (`config/vocabulary.py` SLIP_TARGETS, kind and topic words): names and
places are never "corrected", and neither is anything written in an activity's own
title, place or community (`protected`).
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.chat.understanding.lexicon import Lexicon


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _sounds_like(lexicon: Lexicon, window: str, readings: tuple[frozenset[str], ...]) -> int:
    """How many characters differ, when every character sounds like the target's; -1 if one does not."""
    differ = 0
    for ch, wanted in zip(window, readings, strict=True):
        if not lexicon.readings(ch) & wanted:
            return -1
        differ += 1
    return differ


def _guarded(lexicon: Lexicon, text: str, start: int, end: int, target: str) -> bool:
    """True when a changed character belongs to a known word with its neighbour outside
    the stretch (`报明天` is 报 + 明天, not 报名 + 天)."""
    for i in range(start, end):
        if text[i] == target[i - start]:
            continue
        if i == start and start > 0 and text[start - 1 : start + 1] in lexicon.known:
            return True
        if i == end - 1 and end < len(text) and text[end - 1 : end + 1] in lexicon.known:
            return True
    return False


def correct(text: str, lexicon: Lexicon, protected: Iterable[str] = ()) -> tuple[str, list[tuple[str, str]]]:
    """The text with slips corrected, and the corrections made as (written, read as)."""
    protected = [p for p in protected if p]
    out = list(text)
    corrections: list[tuple[str, str]] = []
    i = 0
    n = len(text)
    while i < n:
        fixed = None
        for length in (4, 3, 2):
            window = text[i : i + length]
            if len(window) < length or not all(_is_han(ch) for ch in window):
                continue
            if window in lexicon.known or any(window in p for p in protected):
                continue
            for position, ch in enumerate(window):
                for target, readings in lexicon.slip_index.get((length, position, ch), ()):
                    if target == window:
                        continue
                    same = sum(1 for a, b in zip(window, target, strict=True) if a == b)
                    differ = length - same
                    if differ < 1 or differ > max(1, length // 2):
                        continue
                    if _sounds_like(lexicon, window, readings) < 0 or _guarded(lexicon, text, i, i + length, target):
                        continue
                    fixed = target
                    break
                if fixed:
                    break
            if fixed:
                out[i : i + length] = list(fixed)
                corrections.append((window, fixed))
                i += length
                break
        else:
            i += 1
            continue
        if not fixed:
            i += 1
    return "".join(out), corrections
