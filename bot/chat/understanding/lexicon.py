"""The vocabulary of `config/vocabulary.py`, compiled once per process into what the steps look up.

`Lexicon.shared()` builds it on first use; the app factory calls it at start so a
gunicorn `--preload` master builds it once and its workers share the memory. Nothing is
downloaded: OpenCC's tables and pypinyin's character readings ship in their wheels.
"""

from __future__ import annotations

import os
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import product

from config import vocabulary as v

# Tags a word can carry: ("intent", "signup"), ("kind", "lecture"), ("topic", "理发"),
# ("ask", "place"), ("greet", ""), ("thanks", ""), ("func", ""), ("time", "").
Tag = tuple[str, str]

INTENT_CUES = {
    "signup": v.SIGNUP,
    "attend": v.ATTEND,
    "cancel": v.CANCEL,
    "leave": v.LEAVE,
    "confirm": v.CONFIRM,
    "mine": v.MINE,
    "hours": v.HOURS,
    "checkin": v.CHECKIN,
    "checkout": v.CHECKOUT,
    "help": v.HELP,
    "register": v.REGISTER,
    "list": v.LIST,
    "detail": v.DETAIL,
}
QUESTIONS = {
    "place": v.QUESTION_PLACE,
    "time": v.QUESTION_TIME,
    "length": v.QUESTION_LENGTH,
    "left": v.QUESTION_PLACES_LEFT,
    "content": v.QUESTION_CONTENT,
}
# Tone marks → plain vowels, to compare readings without tones (bào → bao).
_TONELESS = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


@dataclass(frozen=True)
class Hit:
    """One vocabulary word found in the text, at [start, end)."""

    start: int
    end: int
    word: str
    tags: tuple[Tag, ...]


def _alternation(words: Iterable[str]) -> re.Pattern:
    """One regex matching any of the words, the longest first where they overlap."""
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ordered)) if ordered else re.compile(r"(?!)")


class Lexicon:
    """Everything the understanding steps look words up in."""

    _shared: Lexicon | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.t2s = _opencc_t2s()
        self.colloquial_map = dict(v.COLLOQUIAL)
        self.colloquial = _alternation(self.colloquial_map)
        self.fillers = _alternation(v.FILLERS)
        self.weak = frozenset(v.WEAK)
        # Someone else as the one to sign up: `帮我老伴报名`, `我孙子也想去`, `和老伴一起报`.
        others = _alternation(v.PROXY).pattern
        markers, verbs = _alternation(v.PROXY_MARKERS).pattern, _alternation(v.PROXY_VERBS).pattern
        self.proxy = re.compile(f"(?:{markers})(?:{_alternation(v.POSSESSIVES).pattern})?(?:{others})|(?:{others}).{{0,3}}?(?:{verbs})")
        endings = "|".join(f"{re.escape(w)}$" for w in (*v.ASK_ENDINGS, "?"))
        self._asks = re.compile(f"{_alternation(v.ASK_WORDS).pattern}|{endings}")
        self.yes = frozenset(w.lower() for w in v.YES)
        self.none_of_them = tuple(v.NONE_OF_THEM)
        self.date_question = _alternation(v.DATE_QUESTIONS)
        # An activity's number after a request word (`报名3的那个`), not a day, hour or house.
        self.number_after = re.compile(f"(?:{_alternation(v.NUMBER_AFTER).pattern})\\s*(\\d{{1,4}})(?![\\d号月日点:.])")
        self.no = frozenset(w.lower() for w in v.NO)
        wh = _alternation(v.QUESTION_WORDS).pattern
        going = _alternation(v.MINE_GOING).pattern
        # `今年干了多长时间`: done (了), then how much; `我都要去哪些活动`: one's own, coming.
        self.hours_done = re.compile(f"(?:{_alternation(v.HOURS_DONE).pattern})了.{{0,4}}?(?:{_alternation(v.HOURS_AMOUNT).pattern})")
        self.mine_going = re.compile(f"我.{{0,4}}?(?:(?:{going})(?:{wh})|有(?:{wh}).{{0,4}}?(?:{going}))")
        # A filler dropped inside leaves a space (`俺们这个社区` → `我们 社区`).
        self.own_community = re.compile(
            "|".join(r"\s?".join(map(re.escape, w)) for w in sorted(set(v.OWN_COMMUNITY), key=len, reverse=True))
        )
        self.ability = tuple(v.ABILITY)
        # The bot asked to do it for oneself (`能给我报上不`): a request, not "can I".
        self.asks_bot = re.compile(f"(?:{_alternation(v.FOR_WHOM_MARKERS).pattern})(?:{_alternation(v.SELF_WORDS).pattern})")
        # A message that starts with someone else of one's family (`我孙子…`): about them.
        self.someone_else = re.compile(f"(?:{_alternation(v.POSSESSIVES).pattern})(?:{_alternation(v.RELATION_WORDS).pattern})")
        self.price_talk = _alternation(v.PRICE_TALK)
        self.moves = tuple(v.MOVES)
        self.why = _alternation(v.WHY_WORDS)
        change, field = _alternation(v.PROFILE_CHANGES).pattern, _alternation(v.PROFILE_FIELDS).pattern
        self.profile_change = re.compile(f"(?:{change}).{{0,5}}?(?:{field})|(?:{field}).{{0,4}}?(?:{change})")
        joiner = _alternation((*v.CODE_JOINERS, ":")).pattern
        self.code_marker = re.compile(f"(?:{_alternation(v.CODE_MARKERS).pattern})\\s*(?:{joiner})?\\s*\\d")
        self.done_before = frozenset(v.DONE_BEFORE)
        # For whom (bot/chat/understanding/family.py).
        self.for_whom_mark = _alternation(v.FOR_WHOM_MARKERS)
        self.relations = {word: tuple(rel) for word, rel in v.RELATION_WORDS.items()}
        self.relation_words = _alternation(v.RELATION_WORDS)
        self.self_words = frozenset(v.SELF_WORDS)
        self.pronouns = frozenset(v.PRONOUNS)
        self.with_me = _alternation(v.WITH_ME)
        self.whole_family = _alternation(v.WHOLE_FAMILY)
        self.possessives = tuple(v.POSSESSIVES)
        self.possessive = re.compile(f"^(?:{_alternation(v.POSSESSIVES).pattern})")
        self.together = re.compile(f"(?:{_alternation(v.ALSO).pattern})$")
        tags: dict[str, list[Tag]] = defaultdict(list)
        for intent, cues in INTENT_CUES.items():
            for word in cues:
                tags[word].append(("intent", intent))
        for kind, words in v.KIND_WORDS.items():
            for word in words:
                tags[word].append(("kind", kind))
        for topic, words in v.TOPIC_WORDS.items():
            for word in (topic, *words):
                tags[word].append(("topic", topic))
        for question, words in QUESTIONS.items():
            for word in words:
                tags[word].append(("ask", question))
        for word in v.GREETINGS:
            tags[word].append(("greet", ""))
        for word in v.THANKS:
            tags[word].append(("thanks", ""))
        for word in v.TIME_WORDS:
            tags[word].append(("time", ""))
        for word in (*v.FUNCTION_WORDS, *v.REASONS):
            tags[word].append(("func", ""))
        self.tags = {word: tuple(dict.fromkeys(t)) for word, t in tags.items()}
        self.maxlen = max(len(w) for w in self.tags)
        self.topics = {topic: (topic, *words) for topic, words in v.TOPIC_WORDS.items()}
        self.kind_near = {kind: (kind, *near) for kind, near in v.KIND_NEAR.items()}
        self.kind_words = {kind: tuple(words) for kind, words in v.KIND_WORDS.items()}
        self._readings_of = _pinyin_table()
        self._usual_reading_of = _pinyin_table(usual=True)
        self.known = frozenset(w for w in self.tags if len(w) >= 2) | frozenset(self.colloquial_map.values())
        self.slip_index = self._slip_index()
        # Readings a target of each length starts with: most stretches are skipped on this.
        self.slip_starts = {n: frozenset(key[0] for key in self.slip_index if len(key) == n) for n in (2, 3, 4)}

    @classmethod
    def shared(cls) -> Lexicon:
        """The process's one lexicon, built on first use (thread-safe)."""
        if cls._shared is None:
            with cls._lock:
                if cls._shared is None:
                    cls._shared = cls()
        return cls._shared

    # ── looking words up ────────────────────────────────────────────────────
    def scan(self, text: str) -> list[Hit]:
        """Every vocabulary word in the text, overlapping ones included, minus those
        inside a longer word found at the same place (`参加` inside `不参加`)."""
        hits = []
        tags = self.tags
        n = len(text)
        longest = [0] * (n + 1)  # the furthest end of a word starting at each position
        for i in range(n):
            for j in range(min(n, i + self.maxlen), i, -1):
                word = text[i:j]
                found = tags.get(word)
                if found is not None:
                    hits.append(Hit(i, j, word, found))
                    longest[i] = max(longest[i], j)
        kept = []
        reach = 0  # the furthest end of any word starting before the current position
        start = -1
        reach_here = 0
        for hit in hits:  # in order of start
            if hit.start != start:
                reach, start = max(reach, reach_here), hit.start
            reach_here = max(reach_here, hit.end)
            if reach >= hit.end or longest[hit.start] > hit.end:
                continue  # inside a longer word
            kept.append(hit)
        return kept

    def asks(self, text: str) -> bool:
        """A question word (`什么`, `哪`, `几`, `有没有`…) or a trailing `?`."""
        return self._asks.search(text) is not None

    def readings(self, ch: str) -> frozenset[str]:
        """The toneless pinyin readings of one character (`长` → {chang, zhang}); empty if none."""
        return self._readings_of(ch)

    def usual_reading(self, ch: str) -> frozenset[str]:
        """The character's common reading alone (`园` → {yuan}), as a set; empty if none."""
        return self._usual_reading_of(ch)

    # ── slips ───────────────────────────────────────────────────────────────
    def _slip_index(self) -> dict[tuple[str, ...], tuple[str, ...]]:
        """Correction targets by how they read (one key per combination of their
        characters' readings: 时长 is shi-chang and shi-zhang)."""
        targets = set(v.SLIP_TARGETS)
        # Longer request words are distinctive enough to correct towards (`抱个名` → 报个名).
        for cues in INTENT_CUES.values():
            targets.update(w for w in cues if len(w) >= 3)
        for words in v.KIND_WORDS.values():
            targets.update(w for w in words if len(w) >= 2)
        for words in self.topics.values():
            targets.update(w for w in words if len(w) >= 2)
        index: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for word in sorted(targets):
            if len(word) > 4:
                continue
            readings = [sorted(self.readings(ch)) for ch in word]
            if all(readings):
                for key in product(*readings):
                    index[key].append(word)
        return {key: tuple(words) for key, words in index.items()}


def _opencc_t2s() -> Callable[[str], str]:
    import opencc

    converter = opencc.OpenCC("t2s")
    return converter.convert


def _pinyin_table(usual: bool = False) -> Callable[[str], frozenset[str]]:
    """Readings per character from pypinyin's character table: all of them, or (`usual`)
    the first, the one the table lists as the character's common reading.

    pypinyin's phrase table (45 MB) is not loaded: slips are compared character by
    character. A correction target counts with every reading (长 is chang and zhang); a
    character written with the reading the table lists first (园 is yuan, though it may
    read wan): a slip is a character that sounds like the one meant as people say it.
    """
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "true")
    from pypinyin.constants import PINYIN_DICT

    cache: dict[str, frozenset[str]] = {}

    def readings(ch: str) -> frozenset[str]:
        found = cache.get(ch)
        if found is None:
            raw = PINYIN_DICT.get(ord(ch), "")
            found = frozenset(r.translate(_TONELESS) for r in raw.split(",")[: 1 if usual else None] if r)
            if len(cache) < 20000:
                cache[ch] = found
        return found

    return readings
