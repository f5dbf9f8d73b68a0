"""Free text → an intent and its references, before anything is looked up in the data.

    text ─ plain.clean ─ slips.correct ─ classify (intent) ─ extract (references)

`parse` is a pure function of the text, the lexicon, `now` and the words that must not
be "corrected" (the activities' own titles, places and communities); resolving the
references against the activities is the next step (`resolve`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from bot.chat.understanding import plain, shapes, slips
from bot.chat.understanding.lexicon import Hit, Lexicon
from bot.chat.understanding.refs import Refs
from bot.domain.timeparse import DayMention, find_days
from config import vocabulary as v

# Intents in the order they win when several are heard: a change of mind beats the
# request it changes (`报名的讲座我去不了了` gives a place up), a question about one's
# own records beats browsing, browsing comes last.
PRIORITY = (
    "checkout", "checkin", "cancel", "leave", "hours", "mine", "help", "register",
    "signup", "confirm", "attend", "detail", "list",
)
CHANGES = frozenset({"signup", "attend", "cancel", "leave", "confirm"})
# Requests that "can I…?" turns into a question about the activity (`还能报上不`).
_JOINING = frozenset({"signup", "attend", "confirm"})
# Requests about the bot itself, set aside when the words name an activity.
_ABOUT_THE_BOT = frozenset({"help", "register"})


def _any(words) -> str:  # type: ignore[no-untyped-def]
    """A regex alternation of the words, the longest first."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_ACTIVITY, _NUMBERED = re.escape(v.ACTIVITY_WORD), _any(v.NUMBER_WORDS)
_ID_PATTERNS = (
    re.compile(f"(?:{_NUMBERED})\\s*#?(\\d{{1,5}})(?![\\d号月日点:])"),
    re.compile(f"(?<![\\d月])(\\d{{1,5}})\\s*号?\\s*(?:{_ACTIVITY})"),
    re.compile(r"[【\[#](\d{1,5})[】\]]?"),
)
_POSITION = re.compile(f"{re.escape(v.ORDINAL)}\\s*(\\d{{1,2}})\\s*(?:{_any(v.POSITION_COUNTERS)})")
_CODE = re.compile(r"(?<![\d.])(\d{4,8})(?![\d.])")
_PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
# Particles that close a phrase without being part of it (`老人的`, `报上了`).
_TRAILING = frozenset(v.TRAILING_PARTICLES)
_RUN = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]+")
_HAN_ONE = re.compile(r"[\u4e00-\u9fff]")
_MARKS = ",，。.!！?？;；、 "


@dataclass(frozen=True)
class Parsed:
    """One message as read: its plain text, the intent heard, and what it refers to."""

    text: str
    original: str
    intent: str  # one of PRIORITY, or greet / thanks / none
    weak: bool  # only weak cues were heard (`有事`, `参加`): ask before changing anything
    question: bool
    refs: Refs
    corrections: tuple[tuple[str, str], ...] = ()
    hits: tuple[Hit, ...] = ()
    asks_itself: bool = False  # the request is itself a question (`下周有清扫吗我想去`, `我能参加吗`)
    days: DayMention | None = None  # the days the text names, before any became an activity's number
    proxy: bool = False  # someone else is named as the one to sign up (`帮俺老伴报个名`)

    @property
    def changes(self) -> bool:
        return self.intent in CHANGES


def classify(hits: Iterable[Hit], weak_words: frozenset[str], skip: frozenset[str] = frozenset()) -> tuple[str, bool]:
    """The intent the cue words point at (other than `skip`), and whether only weak cues said so."""
    strong: set[str] = set()
    weak: set[str] = set()
    for hit in hits:
        for category, value in hit.tags:
            if category == "intent" and value not in skip:
                (weak if hit.word in weak_words else strong).add(value)
    for pool, is_weak in ((strong, False), (weak, True)):
        for intent in PRIORITY:
            if intent in pool:
                return intent, is_weak
    return "none", False


def _numbers(text: str, when: DayMention, lexicon: Lexicon) -> tuple[tuple[int, ...], int | None, int | None, list[tuple[int, int]]]:
    spans: list[tuple[int, int]] = []
    ids: list[int] = []
    for pattern in (*_ID_PATTERNS, lexicon.number_after):
        for match in pattern.finditer(text):
            ids.append(int(match.group(1)))
            spans.append(match.span())
    position = None
    match = _POSITION.search(text)
    if match is not None:
        position = int(match.group(1))
        spans.append(match.span())
    day_or_id = when.day_number if when.day_number is not None and when.day_number not in ids else None
    return tuple(dict.fromkeys(ids)), day_or_id, position, spans


def _runs(
    text: str,
    covered: list[bool],
    filler: list[bool],
    substance: list[bool],
    word_start: list[int],
    topical: list[bool],
    dated: list[bool],
    asks: Callable[[str], bool],
    pairs: frozenset[str],
) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """Runs of characters (Chinese, digits, letters) no step explained, trimmed of function
    words (`的`, `一个`): the words that may name an activity, and the remarks (about
    oneself, `我手艺还行`, or a clause with nothing else in it, `身体不舒服，…`)."""
    clauses = shapes.clauses(text)
    runs = []
    remarks = []
    residue = False
    for match in _RUN.finditer("".join(" " if covered[i] else ch for i, ch in enumerate(text))):
        start, end = match.span()
        alone = end - start == 1  # one character between explained words: only as the end of a pair
        about_me = False
        while start < end and filler[start]:
            about_me = about_me or text[start] == v.FIRST_PERSON
            start += 1
        while end > start and filler[end - 1]:
            if word_start[end - 1] < end - 1:  # the end of a function word of two or more (`什么`)
                end = max(start, word_start[end - 1])
            elif text[end - 1] in _TRAILING:
                end -= 1
            else:
                break
        if 0 < start < end and topical[start - 1] and text[start - 1 : start + 1] in pairs:
            # Cut off by a topic word (`撒融雪剂` → `融雪` + `剂`, `饺子宴`): read with the
            # character before it, where the activities' text has the two together.
            start -= 1
        elif alone:
            continue
        word = text[start:end]
        if not _HAN_ONE.search(word):
            continue
        if len(word) < 2:
            residue = residue or not about_me
            continue
        clause = next(((a, b) for a, b in clauses if a <= start < b), (0, len(text)))
        # About oneself, or a clause of its own beside the request: a remark, unless an activity has it.
        aside = about_me or (any(substance) and not any(substance[clause[0] : clause[1]]))
        # A question riding along with nothing but a day word in it (`，中午管饭不`): a remark too.
        aside = aside or (
            any(substance[: clause[0]] + substance[clause[1] :])
            and not any(s and not d for s, d in zip(substance[clause[0] : clause[1]], dated[clause[0] : clause[1]], strict=True))
            and asks(text[clause[0] : clause[1]])
        )
        (remarks if aside else runs).append(word)
    return tuple(runs), tuple(remarks), residue


def extract(
    text: str,
    intent: str,
    hits: list[Hit],
    now: datetime,
    lexicon: Lexicon,
    communities: Mapping[str, str] | None = None,
    pairs: frozenset[str] = frozenset(),
    when: DayMention | None = None,
) -> Refs:
    """Every reference in the text: numbers, days, kinds, topics, communities, code,
    questions, and the words left over (matched later against the activities' own text).

    `communities` maps each way of naming a community (`南乾元社区`, `南乾元`) to its name;
    `pairs` are the telling character pairs of the activities' own text: a one-character
    function word inside one of them is part of a name (`太` in `太极拳`), not a particle.
    `when` is the days already read from this very text (they depend on nothing else).
    """
    when = find_days(text, now) if when is None else when
    ids, day_or_id, position, number_spans = _numbers(text, when, lexicon)
    if when.day_number is not None and when.day_number in ids:
        when = when.without_bare_day()  # `3号活动` is activity 3, not the 3rd
    covered = [False] * len(text)
    filler = [False] * len(text)  # function words: part of a left-over run, never its substance
    topical = [False] * len(text)  # kind and topic words
    substance = [False] * len(text)  # what makes a clause a request: references and strong cues
    word_start = list(range(len(text)))  # where the function word covering each character starts

    def cover(start: int, end: int, *marks: list[bool]) -> None:
        for i in range(start, min(end, len(text))):
            for mark in marks or (covered,):
                mark[i] = True

    kinds, topics, asks, said = set(), set(), set(), set()
    in_names: list[tuple[int, int]] = []  # a function character inside a name, and its partner
    for hit in hits:
        if hit.word in lexicon.relations and text[: hit.start].endswith(lexicon.possessives):
            # `我孙子发烧` names one's grandchild, not an activity for children.
            hit = Hit(hit.start, hit.end, hit.word, (("func", ""),))
        if all(category == "func" for category, _ in hit.tags):
            if hit.end - hit.start == 1 and text[max(0, hit.start - 1) : hit.end] in pairs:
                in_names.append((hit.start, hit.start - 1))
                continue
            if hit.end - hit.start == 1 and text[hit.start : hit.end + 1] in pairs:
                in_names.append((hit.start, hit.end))
                continue
            cover(hit.start, hit.end, filler)
            for i in range(hit.start, hit.end):
                word_start[i] = min(word_start[i], hit.start)
            continue
        cover(hit.start, hit.end)
        for category, value in hit.tags:
            if category == "kind":
                kinds.add(value)
                said.add(hit.word)
                cover(hit.start, hit.end, topical, substance)
            elif category == "topic":
                topics.add(value)
                said.add(hit.word)
                cover(hit.start, hit.end, topical, substance)
            elif category == "ask":
                asks.add(value)
            elif category == "intent" and hit.word not in lexicon.weak:
                cover(hit.start, hit.end, substance)
    dated = [False] * len(text)  # day and time words
    for start, end in when.spans:
        cover(start, end, dated)
    for start, end in (*when.spans, *number_spans):
        cover(start, end, covered, substance)
    for i, partner in in_names:
        if covered[partner]:  # `会` of `票友会`, with `票友` read as a topic: explained with it
            cover(i, i + 1)
    code = None
    if intent in ("checkin", "checkout") or not ids:
        for match in _CODE.finditer(text):
            if not _PHONE.fullmatch(match.group(1)) and not any(covered[match.start() : match.end()]):
                code = match.group(1)
                cover(*match.span(), covered, substance)
                for marker in lexicon.code_marker.finditer(text):  # `码是530816`: the words say what it is
                    cover(marker.start(), marker.end() - 1)
                break
    home = False
    for match in lexicon.own_community.finditer(text):
        home = True
        cover(*match.span(), covered, substance)
    named = set()
    for alias, name in (communities or {}).items():
        start = text.find(alias)
        if start >= 0 and not all(covered[start : start + len(alias)]):
            named.add(name)
            cover(start, start + len(alias), covered, substance)
    def asking(clause: str) -> bool:
        return plain.is_question(clause) or plain.asks_either(clause) or lexicon.asks(clause.rstrip(_MARKS))

    words, remarks, residue = _runs(text, covered, filler, substance, word_start, topical, dated, asking, pairs)
    return Refs(
        ids, day_or_id, position, when, frozenset(kinds), frozenset(topics), words, code, frozenset(asks), frozenset(named),
        said=frozenset(said),
        phrases=tuple(p for p in "".join(ch if topical[i] else " " for i, ch in enumerate(text)).split() if len(p) >= 3),
        residue=residue,
        remarks=remarks,
        home=home,
        code_marked=code is not None and lexicon.code_marker.search(text) is not None,
        when_words=tuple(text[a:b] for a, b in when.spans),
    )


def _moved(text: str, communities: Mapping[str, str], lexicon: Lexicon) -> bool:
    """A move word right before a community's name (`搬到杜岭街`, `不住北下街`)."""
    return any(move in text for move in lexicon.moves) and any(
        f"{move}{alias}" in text for move in lexicon.moves for alias in communities
    )


def parse(
    text: str,
    lexicon: Lexicon,
    now: datetime,
    protected: Iterable[str] = (),
    communities: Mapping[str, str] | None = None,
    titles: Mapping[str, tuple[int, ...]] | None = None,
    prior: Parsed | None = None,
    pairs: frozenset[str] = frozenset(),
) -> Parsed:
    """Read one message: normalise, correct slips, classify the intent, extract references.

    `protected` words (the activities' titles and places) are never "corrected";
    `communities` and `titles` (simplified title → activity ids) come from the data. A
    `prior` reading of the same text that corrected nothing is reused up to the words
    found (only the references depend on the data then).
    """
    days = None
    if prior is not None and not prior.corrections:
        original, question, normal, corrections, hits = prior.original, prior.question, prior.text, [], list(prior.hits)
        days = prior.days
    else:
        cleaned = plain.clean(text, lexicon)
        original, question = cleaned.original, cleaned.question
        normal, corrections = slips.correct(cleaned.text, lexicon, protected, pairs)
        hits = shapes.negated(shapes.not_done_before(lexicon.scan(normal), normal, lexicon), normal)
    intent, weak = classify(hits, lexicon.weak)
    if intent in ("signup", "attend") and lexicon.mine_going.search(normal):
        intent, weak = "mine", False  # `我都要去哪些活动`: which of one's own are coming
    elif intent not in PRIORITY[:4] and lexicon.hours_done.search(normal):
        intent, weak = "hours", False  # `今年干了多长时间`
    elif intent in ("none", "list", "detail") and lexicon.profile_change.search(normal):
        intent, weak = "register", False  # `我想改一下我的电话号码`
    elif intent in CHANGES and shapes.why(normal, hits, intent, lexicon):
        intent, weak = "detail", False  # `票友会为啥取消了` asks why, it cancels nothing
    days = find_days(normal, now) if days is None else days
    refs = extract(normal, intent, hits, now, lexicon, communities, pairs, days)
    if intent in ("none", "list", "detail") and refs.communities and _moved(normal, communities or {}, lexicon):
        intent, weak = "register", False  # `我不住北下街了，搬到杜岭街了`: the profile's community changes
    if intent in _JOINING and refs.any() and shapes.can_i(normal, hits, intent, lexicon):
        intent, weak = "detail", False  # `体检那个还能报上不` asks whether one can; nothing is done
    if titles:
        titled = frozenset(i for title, ids in titles.items() if title in normal for i in ids)
        if titled:
            refs = replace(refs, titled=titled)
    if intent in _ABOUT_THE_BOT and (refs.kinds or refs.topics or refs.titled or refs.words):
        # `我想学学灭火器咋用` asks about an activity, not how to use the bot.
        other, other_weak = classify(hits, lexicon.weak, skip=_ABOUT_THE_BOT)
        if other != "none" or refs.kinds or refs.topics or refs.titled:
            intent, weak = (other, other_weak) if other != "none" else ("detail", True)
        elif shapes.why_done(normal, hits, lexicon):
            intent, weak = "detail", False  # `健步走咋取消了` asks why it was, not how to
    if intent == "none" or (weak and intent in ("list", "detail")):
        intent, weak = shapes.by_shape(normal, question or lexicon.asks(normal), intent, weak, refs, lexicon)
    if intent == "none":
        intent, weak = shapes.without_cue(hits, refs)
    return Parsed(
        normal,
        original,
        intent,
        weak,
        question,
        refs,
        tuple(corrections),
        tuple(hits),
        asks_itself=intent in CHANGES and shapes.asks_itself(normal, hits, intent, lexicon),
        days=days,
        proxy=lexicon.proxy.search(normal) is not None,
    )
