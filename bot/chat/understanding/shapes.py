"""The intent from the form of a message, where its cue words alone do not decide it:
`有讲座吗` asks for a list, `…俺带孙子去` is going, `为啥取消了` asks why, `我去过…` is no
request, a bare code may be a check-in, a greeting is a greeting. Pure functions of the
text, its vocabulary hits and its references.
"""

from __future__ import annotations

import re

from bot.chat.understanding import plain
from bot.chat.understanding.lexicon import Hit, Lexicon
from bot.chat.understanding.refs import Refs
from bot.domain.checkin_codes import CODE_DIGITS
from config import vocabulary as v


def _any(words) -> str:  # type: ignore[no-untyped-def]
    """A regex alternation of the words, the longest first."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# "有…吗", "有…没有": asking whether there is something is asking for a list.
_EXISTS = re.compile(f"(?:^|[^{v.NOT_EXISTS}]){v.EXISTS}(?!{_any(v.EXISTS_NOT)})[^,，。]{{1,14}}?(?:{_any(v.EXISTS_ENDINGS)}|\\?)$")
# A request ending in "…去" / "…来" (`俺带孙子去`) means going.
_GOING = re.compile(f"(?:{_any(v.GOING_ENDINGS)})(?:{_any(v.GOING_PARTICLES)})?$")
# How far after a why-word the request word it asks about starts (`为啥给我取消了`).
_WHY_REACH = 3
# How far before the request word an ability word says "can I" (`还能报上`, `能不能报名`).
_ABLE_REACH = 3
_MARKS = ",，。.!！?？;；、 "
_CLAUSE = re.compile(r"[^,，。.!！?？;；、]+[,，。.!！?？;；、\s]*")


def clauses(text: str) -> list[tuple[int, int]]:
    """Where each clause of the text starts and ends, its closing mark included."""
    return [m.span() for m in _CLAUSE.finditer(text)]


def asks_itself(text: str, hits: list[Hit], intent: str, lexicon: Lexicon) -> bool:
    """True when the clause holding the request word is a question (`我能参加吗`), but not
    one asking the bot to do it for oneself (`能给我报上不?`, `可以帮我报一下吗`)."""
    for start, end in clauses(text):
        clause = text[start:end]
        if plain.is_question(clause) and any(
            start <= h.start < end and ("intent", intent) in h.tags and not lexicon.asks_bot.search(text[start : h.end])
            for h in hits
        ):
            return True
    return False


def can_i(text: str, hits: list[Hit], intent: str, lexicon: Lexicon) -> bool:
    """An ability word just before the request word, in a clause that asks (`还能报上不`,
    `多大的孩子能去`): whether one can, not a request to do it."""
    for start, end in clauses(text):
        clause = text[start:end].rstrip(_MARKS)
        if not (plain.is_question(text[start:end]) or lexicon.asks(clause)):
            continue
        for h in hits:
            if start <= h.start < end and ("intent", intent) in h.tags:
                before = text[max(start, h.start - _ABLE_REACH) : h.end]
                # `能给我报上不`, `可以帮我报一下吗`: asking the bot to do it, a request.
                if any(word in before for word in lexicon.ability) and not lexicon.asks_bot.search(before):
                    return True
    return False


def why(text: str, hits: list[Hit], intent: str, lexicon: Lexicon) -> bool:
    """A why-word just before the request word (`为什么取消了`, `怎么给取消了`): a question
    about it. Further off it asks about something else (`保健品怎么辨别那个讲座我去听`)."""
    return any(
        ("intent", intent) in h.tags and 0 <= h.start - why.end() <= _WHY_REACH for why in lexicon.why.finditer(text) for h in hits
    )


def why_done(text: str, hits: list[Hit], lexicon: Lexicon) -> bool:
    """A "how to" word followed by 了 (`咋取消了`): why it happened, not how to do it."""
    return any(
        ("intent", "help") in h.tags and lexicon.why.match(h.word) is not None and text[h.end : h.end + 1] == "了" for h in hits
    )


def negated(hits: list[Hit], text: str) -> list[Hit]:
    """A joining word with a "not" right before it (`不凑热闹了`, `别算我`) says the opposite:
    a cancel. Not in a "do or not" question (`报不报名`, `去不去`)."""
    out = []
    for h in hits:
        before = text[h.start - 1 : h.start] if h.start else ""
        if (
            before in v.NEGATIONS
            and text[h.start - 2 : h.start - 1] != h.word[0]
            and text[max(0, h.start - 2) : h.start] not in v.NOT_NEGATING
            and any(c == "intent" and value in ("signup", "attend", "confirm") for c, value in h.tags)
        ):
            h = Hit(h.start - 1, h.end, before + h.word, (("intent", "cancel"),))
        out.append(h)
    return out


def not_done_before(hits: list[Hit], text: str, lexicon: Lexicon) -> list[Hit]:
    """Request words marked as done before (`我去过`, `参加过`) are no request."""
    done = lexicon.done_before

    def before(hit: Hit) -> bool:
        if text[hit.end : hit.end + 1] in done and text[hit.end + 1 : hit.end + 2] not in v.DIRECTIONS:
            return True
        # `我去公园溜达了一圈`: told as done, with how long or how far.
        clause_end = min((i for i in (text.find(m, hit.end) for m in _MARKS) if i >= 0), default=len(text))
        return any(word in text[hit.end : clause_end] for word in v.DONE_AMOUNTS)

    return [h for h in hits if not (before(h) and any(c == "intent" and v in ("signup", "attend", "confirm") for c, v in h.tags))]


def by_shape(text: str, question: bool, intent: str, weak: bool, refs: Refs, lexicon: Lexicon) -> tuple[str, bool]:
    """No request word, but the shape says it: `有讲座吗` asks for a list (weak when it names
    no kind or topic: `明天有雨吗` is no list), `…俺带孙子去` is going."""
    if _EXISTS.search(text):
        return "list", not (refs.kinds or refs.topics or refs.titled)
    going = None if question else _GOING.search(text)
    if going and not lexicon.someone_else.match(text):
        negation = _negation_before(text, going.start())
        if negation is not None:
            # `养生讲座俺不打算去了`: not going; unsure when other words come between (`不一定去`).
            return "cancel", not _NEGATED_MODAL_RUN.fullmatch(text[negation + 1 : going.start()])
        return "attend", False  # not `我孙子今天放风筝去了`: someone else went
    return intent, weak


_NEGATED_MODAL_RUN = re.compile(f"(?:{_any(v.NEGATED_MODALS)})*")


def _negation_before(text: str, end: int) -> int | None:
    """Where the last "not" of the clause before `end` is (`不打算去了`), if there is one."""
    start = max((text.rfind(mark, 0, end) for mark in _MARKS), default=-1) + 1
    for i in range(end - 1, start - 1, -1):
        if text[i] in v.NEGATIONS and text[max(0, i - 1) : i + 1] not in v.NOT_NEGATING:
            return i
    return None


def without_cue(hits: list[Hit], refs: Refs) -> tuple[str, bool]:
    """No request word: words about activities are a question about them (weak: they may
    be chatter, `今天天气不错`); a bare code may be a check-in (weak: ask first); a
    greeting or thanks is answered kindly."""
    tags = {category for hit in hits for category, _ in hit.tags}
    if tags & {"greet", "thanks"} and not (refs.kinds or refs.topics or refs.ids or refs.titled or refs.communities):
        return ("greet" if "greet" in tags else "thanks"), False  # `早上好`: not the morning's activities
    if refs.code and len(refs.code) == CODE_DIGITS and not refs.any():
        return "checkin", True  # a bare six-digit number: a check-in code, asked first
    if refs.any():
        return "detail", True
    if "greet" in tags:
        return "greet", False
    if "thanks" in tags:
        return "thanks", False
    return "none", False
