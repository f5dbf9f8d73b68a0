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
from itertools import product

from bot.chat.understanding.lexicon import Lexicon
from config import vocabulary as v

_PARTICLES = frozenset(v.TRAILING_PARTICLES)


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


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


# Stretches whose characters read so many ways are not looked up (rare, and slow to try).
_MAX_READINGS = 16


def _target(lexicon: Lexicon, text: str, start: int, length: int, readings: list[frozenset[str]], protected: list[str]) -> str | None:
    """The correction target the stretch text[start:start+length] is a slip of, if any."""
    if lexicon.slip_starts[length].isdisjoint(readings[start]):
        return None
    window = text[start : start + length]
    spans = readings[start : start + length]
    if not all(spans) or window in lexicon.known:
        return None
    combinations = 1
    for r in spans:
        combinations *= len(r)
    if combinations > _MAX_READINGS:
        return None
    for key in product(*spans):
        for target in lexicon.slip_index.get(key, ()):
            changed = [b for a, b in zip(window, target, strict=True) if a != b]
            if not 1 <= len(changed) <= max(1, length // 2) or any(b in _PARTICLES for b in changed):
                continue  # never into a particle: 我报第 is no 我报的 (的 may read di)
            if _guarded(lexicon, text, start, start + length, target) or any(window in p for p in protected):
                continue
            return target
    return None


def correct(
    text: str, lexicon: Lexicon, protected: Iterable[str] = (), pairs: frozenset[str] = frozenset()
) -> tuple[str, list[tuple[str, str]]]:
    """The text with slips corrected, and the corrections made as (written, read as).

    Written characters count with their usual reading; a stretch that the activities' own
    text has (`剪指` of `剪指甲`, `pairs`) is a word as written, never a slip."""
    protected = [p for p in protected if p]
    readings = [lexicon.usual_reading(ch) if _is_han(ch) and text[max(0, i - 1) : i + 1] not in pairs
                and text[i : i + 2] not in pairs else frozenset() for i, ch in enumerate(text)]
    out = list(text)
    corrections: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        for length in (4, 3, 2):
            if i + length > len(text):
                continue
            target = _target(lexicon, text, i, length, readings, protected)
            if target is not None:
                out[i : i + length] = list(target)
                corrections.append((text[i : i + length], target))
                i += length
                break
        else:
            i += 1
    return "".join(out), corrections
