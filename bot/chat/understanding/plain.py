"""Normalisation: free text as typed or dictated → the plain form the later steps read.

Each step is a small function of a string, in the order `clean` applies them:

    fold        NFKC (full-width → half-width, `？` → `?`), spaces squeezed
    simplify    traditional → simplified (OpenCC `t2s`, phrase-aware: 乾元 stays, 乾淨 → 干净)
    drop_emoji  emoji, WeChat's `[微笑]` codes and `/::)` faces
    collapse    repetitions from voice input (`报名报名` → `报名`, `我我我` → `我`)
    plain_words colloquial and Henan words → standard ones (`俺` → `我`, `后晌` → `下午`)
    drop_fillers voice fillers and particles (`嗯`, `那个`, `就是`, `吧`)
    digits      Chinese numerals → digits where they are numbers (cn2an: `九五二七` → `9527`,
                `第二个` → `第2个`), never inside words (`一起`, `一下`, `万一` stay)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import cn2an

from bot.chat.understanding.lexicon import Lexicon
from bot.domain.checkin_codes import CODE_DIGITS
from config import vocabulary as v

_SPACES = re.compile(r"\s+")
_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, supplemental symbols
    "\u2600-\u27bf"  # dingbats and miscellaneous symbols (☀ ✌ ❤)
    "\u2b00-\u2bff\u2300-\u23ff"  # arrows, stars, clocks
    "\ufe0f\ufe0e\u200d\u20e3"  # variation selectors, zero-width joiner, keycap
    "]+"
)
# WeChat sends its own faces as text: `[微笑]`, `[Smile]`, `/::)`, `/:rose`.
_WECHAT_FACE = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]|/:[^\s\u4e00-\u9fff]{1,8}")
# A unit of two or more characters said twice or more (`报名报名`), one character three
# times or more (`我我我`), or a stutter on a pronoun or filler (`我我想`).
_REPEAT_LONG = re.compile(r"([\u4e00-\u9fff]{2,6}?)\1+")
_REPEAT_ONE = re.compile(r"([\u4e00-\u9fff])\1{2,}")
_STUTTER = re.compile(f"([{v.STUTTER_CHARS}])\\1")
# 儿化: `哪儿` → `哪`, `这会儿` → `这会`; never `儿童`, `儿子`, `女儿`.
_ERHUA = re.compile(f"(?<=[{v.ERHUA_AFTER}])儿(?![{v.ERHUA_KEEP_BEFORE}])")

_CN_NUM = "零〇一二两三四五六七八九十百千幺"
# Numerals that are numbers: before a counter or a date/clock word, after a word that
# takes a number, or the whole message. `一起`, `一下`, `看一看` are not numbers.
_UNITS = "|".join(sorted(v.NUMBER_UNITS, key=len, reverse=True))
_NUM_BEFORE = re.compile(f"(?<![{''.join(v.WEEK_WORDS)}{_CN_NUM}])([{_CN_NUM}]+)(?={_UNITS})")
_NUM_AFTER = re.compile(
    f"(?<=[{v.NUMBER_AFTER_CHARS}])\\s*([{_CN_NUM}]{{1,12}})"
    f"(?![{_CN_NUM}{v.NUMERAL_WORD_ENDINGS}])"
)
_NUM_ALONE = re.compile(f"^([{_CN_NUM}]{{1,12}})$")
# A run of digits said one by one (`九五二七`, a code): each numeral is its digit. Four or
# more in a row are that anywhere in a message (`签到码是三八六五一四`); no word has them.
_DIGIT_RUN = re.compile("^[零〇一二三四五六七八九幺两]{3,}$")
_DIGITS_SAID = re.compile("[零〇一二三四五六七八九幺]{4,}")
# A code said in groups (`三八六 五一四`, `386 514`): one number, when six digits in all.
_DIGIT = "[0-9零〇一二三四五六七八九幺]"
_DIGIT_GROUPS = re.compile(f"(?<!{_DIGIT}){_DIGIT}{{2,4}}(?: {_DIGIT}{{2,4}})+(?!{_DIGIT})")
_DIGIT_OF = {
    "零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7",
    "八": "8", "九": "9",
}  # fmt: skip


@dataclass(frozen=True)
class Cleaned:
    """The normalised text, and what normalising it noticed."""

    text: str
    question: bool  # a `?` or `吗` was written
    original: str


def fold(text: str) -> str:
    """NFKC (full-width digits, letters, spaces and marks → half-width), spaces squeezed, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


def simplify(text: str, lexicon: Lexicon) -> str:
    """Traditional → simplified characters (OpenCC's phrase-aware `t2s`)."""
    if text.isascii():
        return text
    return lexicon.t2s(text)


def drop_emoji(text: str) -> str:
    """Emoji and WeChat's faces out; the words around them stay."""
    return _SPACES.sub(" ", _WECHAT_FACE.sub(" ", _EMOJI.sub(" ", text))).strip()


def collapse(text: str) -> str:
    """Repetitions from voice input: `报名报名报名` → `报名`, `我我我想去` → `我想去`.

    Doubled single characters are kept (`看看`, `妈妈`, `天天` mean something), except
    stutters on pronouns and fillers.
    """
    text = _REPEAT_LONG.sub(r"\1", text)
    text = _REPEAT_ONE.sub(r"\1", text)
    return _STUTTER.sub(r"\1", text)


def plain_words(text: str, lexicon: Lexicon) -> str:
    """Colloquial and Henan words → the standard words the vocabulary is written in."""
    text = lexicon.colloquial.sub(lambda m: lexicon.colloquial_map[m.group(0)], text)
    return _ERHUA.sub("", text)


def drop_fillers(text: str, lexicon: Lexicon) -> str:
    """Voice fillers and particles out (`嗯`, `那个`, `就是`, `吧`)."""
    return _SPACES.sub(" ", lexicon.fillers.sub(" ", text)).strip()


def _number(numeral: str) -> str:
    if _DIGIT_RUN.match(numeral) and "十" not in numeral:
        return "".join(_DIGIT_OF[ch] for ch in numeral)
    try:
        return str(cn2an.cn2an(numeral, "smart"))
    except (ValueError, KeyError):
        return numeral


def _counted(match: re.Match) -> str:
    numeral = match.group(1)
    # "一个" / "一位" is "a", not a count: `算我一个`, `报一个` stay words.
    if numeral == "一" and text_after(match) in _A_ONE:
        return numeral
    return _number(numeral)


def text_after(match: re.Match) -> str:
    return match.string[match.end(1) : match.end(1) + 1]


_A_ONE = frozenset(v.A_ONE_COUNTERS)


def _one_code(match: re.Match) -> str:
    joined = match.group(0).replace(" ", "")
    return joined if len(joined) == CODE_DIGITS else match.group(0)


def digits(text: str) -> str:
    """Chinese numerals that are numbers → digits (`签到九五二七` → `签到9527`, `三号` → `3号`)."""
    text = _DIGIT_GROUPS.sub(_one_code, text)
    if not any(ch in _CN_NUM for ch in text):
        return text
    text = _NUM_ALONE.sub(lambda m: _number(m.group(1)), text)
    text = _NUM_BEFORE.sub(_counted, text)
    text = _NUM_AFTER.sub(lambda m: _number(m.group(1)), text)
    return _DIGITS_SAID.sub(lambda m: "".join(_DIGIT_OF[ch] for ch in m.group(0)), text)


# "Do or not" (`给不给`, `带不带`) asks about the activity, unless it only asks whether the request is all right (`中不中`).
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])不\1")


def is_question(text: str) -> bool:
    """A `?` or `吗`: the message asks rather than requests."""
    return "?" in text or any(p in text for p in v.QUESTION_PARTICLES)


def asks_either(text: str) -> bool:
    """A "do or not" (`给不给染头发`): the words around it ask about the activity."""
    return any(m.group(0) not in v.ALL_RIGHT_TAGS for m in _A_NOT_A.finditer(text))


def clean(text: str, lexicon: Lexicon) -> Cleaned:
    """Every normalisation step, in order."""
    original = fold(text)
    out = simplify(original, lexicon)
    out = drop_emoji(out)
    out = collapse(out)
    out = plain_words(out, lexicon)
    question = is_question(out)
    out = drop_fillers(out, lexicon)
    out = collapse(out)
    out = digits(out)
    return Cleaned(out, question, original)
