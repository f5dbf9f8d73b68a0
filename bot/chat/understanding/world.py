"""What the words are resolved against: the activities (from the domain's catalogue) and
the person's own places (`signups.mine`), in a form the pure steps can read."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache

from bot.chat.understanding.lexicon import Lexicon
from bot.domain.communities import aliases as community_aliases
from bot.domain.timefmt import to_local


@dataclass(frozen=True, eq=False)  # one object per activity: compared by identity (fast)
class Item:
    """One activity as the reading sees it (times are Shanghai wall-clock, naive)."""

    id: int
    kind: str
    title: str
    content: str
    place: str
    community: str  # "" for the whole subdistrict
    start: datetime
    end: datetime
    deadline: datetime
    status: str
    capacity: int
    taken: int
    hours: object
    text: str  # title, content, place and community, simplified, for matching words
    plain_title: str = ""  # the title, simplified

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.taken)


def item_from_row(row, lexicon: Lexicon) -> Item:  # type: ignore[no-untyped-def]
    """A catalogue row (`bot.domain.catalogue.BOARD`) as an Item."""
    community = row.community or ""
    text = lexicon.t2s(" ".join((row.title, row.content or "", row.place, community)))
    return Item(
        id=row.id,
        kind=row.kind,
        title=row.title,
        content=row.content or "",
        place=row.place,
        community=community,
        start=to_local(row.start_at).replace(tzinfo=None),
        end=to_local(row.end_at).replace(tzinfo=None),
        deadline=to_local(row.deadline_at).replace(tzinfo=None),
        status=row.status,
        capacity=row.capacity,
        taken=row.taken,
        hours=row.hours,
        text=text,
        plain_title=lexicon.t2s(row.title),
    )


def _han(gram: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in gram)


@lru_cache(maxsize=8192)
def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1) if not text[i].isspace() and not text[i + 1].isspace())


class Catalogue:
    """The activities and what matching needs of them (character pairs, their weights, names),
    built once for a list of activities and kept while the list is the same."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self._sounding: dict[str, tuple[str, ...]] = {}  # pair → the telling pairs it sounds like

    @cached_property
    def by_id(self) -> dict[int, Item]:
        return {item.id: item for item in self.items}

    @cached_property
    def protected(self) -> tuple[str, ...]:
        """Titles, places and communities as written: never "corrected" as slips."""
        names: set[str] = set()
        for item in self.items:
            names.update((item.title, item.place, item.community))
        names.discard("")
        return tuple(names)

    @cached_property
    def titles(self) -> dict[str, tuple[int, ...]]:
        """Each activity's title, simplified (as messages are) → the activities bearing it."""
        titles: dict[str, list[int]] = {}
        for item in self.items:
            titles.setdefault(item.plain_title or item.title, []).append(item.id)
        return {title: tuple(ids) for title, ids in titles.items() if len(title) >= 2}

    @cached_property
    def communities(self) -> dict[str, str]:
        """Each way of naming a community (`南乾元社区`, `南乾元`) → its name, longest first."""
        aliases = {}
        for name in {item.community for item in self.items if item.community}:
            for alias in community_aliases(name):
                aliases.setdefault(alias, name)
        return dict(sorted(aliases.items(), key=lambda kv: len(kv[0]), reverse=True))

    @cached_property
    def pairs(self) -> frozenset[str]:
        """The telling pairs of Chinese characters in the activities' text (`太极`, `候补`…)."""
        return frozenset(g for g, w in self.weights.items() if w > 0 and _han(g))

    @cached_property
    def sounds(self) -> dict[tuple[frozenset[str], ...], tuple[str, ...]]:
        """The telling pairs of the titles by how they read (usual readings): a word heard or
        typed with a character that sounds the same (`急就` for 急救, `心里` for 心理) still
        finds the activity it names. Titles only: across a content's words, pairs that
        merely sound alike are chance (`注意保暖` is no `权益保护`)."""
        lexicon = Lexicon.shared()
        by_sound: dict[tuple[frozenset[str], ...], list[str]] = {}
        titled = {g for item in self.items for g in _bigrams(item.plain_title)}
        for pair in self.pairs & titled:
            key = tuple(lexicon.usual_reading(ch) for ch in pair)
            if all(key):
                by_sound.setdefault(key, []).append(pair)
        return {key: tuple(pairs) for key, pairs in by_sound.items()}

    def sounding(self, gram: str) -> tuple[str, ...]:
        """The activities' telling pairs that read like `gram` (itself included if it is one)."""
        found = self._sounding.get(gram)
        if found is None:
            if gram in self.pairs:
                found = (gram,)
            elif not self.sounds or not _han(gram):
                found = ()
            else:
                lexicon = Lexicon.shared()
                found = self.sounds.get(tuple(lexicon.usual_reading(ch) for ch in gram), ())
            if len(self._sounding) < 20000:  # bounded: messages bring new pairs without end
                self._sounding[gram] = found
        return found

    @cached_property
    def title_readings(self) -> dict[int, frozenset[str]]:
        """Each activity's title characters by their usual reading (a slip of one still counts)."""
        lexicon = Lexicon.shared()
        return {item.id: frozenset(r for ch in set(item.plain_title) for r in lexicon.usual_reading(ch)) for item in self.items}

    @cached_property
    def grams(self) -> dict[int, frozenset[str]]:
        return {item.id: frozenset(_bigrams(item.text)) for item in self.items}

    @cached_property
    def weights(self) -> dict[str, float]:
        counts: Counter[str] = Counter()
        for grams in self.grams.values():
            counts.update(grams)
        total = max(1, len(self.items))
        # A pair most activities share (`社区`, `活动`) tells them apart no better than nothing.
        return {gram: math.log((total + 1) / count) if count * 2 <= total or total < 4 else 0.0 for gram, count in counts.items()}


_cached: tuple[tuple, Catalogue] | None = None


def catalogue_of(rows: list, lexicon: Lexicon) -> Catalogue:
    """The catalogue of these rows (`bot.domain.catalogue.read`), reused while they do not change."""
    global _cached
    key = tuple(rows)
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    catalogue = Catalogue([item_from_row(row, lexicon) for row in rows])
    _cached = (key, catalogue)
    return catalogue


@dataclass(frozen=True)
class People:
    """The sender's community and family: members as (name, relation), and their places
    (name → activity id → `confirmed` or `waitlisted`)."""

    home: str | None = None
    members: tuple[tuple[str, str], ...] = ()
    places: Mapping[str, Mapping[int, str]] = field(default_factory=dict)


class World:
    """The activities, the person's places (read only when a request needs them) and now."""

    def __init__(
        self,
        items: list[Item] | Catalogue,
        now: datetime,
        load_held: Callable[[], Mapping[int, str]] | None = None,
        load_people: Callable[[], People] | None = None,
    ) -> None:
        self.catalogue = items if isinstance(items, Catalogue) else Catalogue(items)
        self.items = self.catalogue.items
        self.now = now  # Shanghai wall-clock, naive
        self._load_held = load_held or dict
        self._load_people = load_people or People
        self.by_id = self.catalogue.by_id
        self.protected = self.catalogue.protected
        self.titles = self.catalogue.titles
        self.communities = self.catalogue.communities
        self.pairs = self.catalogue.pairs

    @cached_property
    def held(self) -> Mapping[int, str]:
        """Activity id → `confirmed` or `waitlisted`, for the person's own places not yet ended."""
        return self._load_held()

    @cached_property
    def people(self) -> People:
        """The person's community and family members, read when first asked for."""
        return self._load_people()

    @property
    def home(self) -> str | None:
        """The community the person registered in (for `我们社区`)."""
        return self.people.home

    @property
    def members(self) -> tuple[tuple[str, str], ...]:
        """The person's family members as (name, relation)."""
        return self.people.members

    def held_by(self, name: str) -> Mapping[int, str]:
        """A family member's places, like `held`."""
        return self.people.places.get(name, {})

    @cached_property
    def upcoming(self) -> list[Item]:
        """Published activities not yet started, soonest first (the order `活动` lists them)."""
        return sorted((i for i in self.items if i.status == "published" and i.start > self.now), key=lambda i: (i.start, i.id))

    @cached_property
    def open(self) -> list[Item]:
        """Activities one can sign up for now."""
        return [i for i in self.items if i.status == "published" and i.deadline > self.now and i.end > self.now]

    def word_score(self, item: Item, words: Iterable[str]) -> float:
        """How strongly left-over words point at this activity (rarer shared pairs weigh more)."""
        grams = self.catalogue.grams.get(item.id, frozenset())
        weights = self.catalogue.weights
        score = 0.0
        for word in words:
            for g in _bigrams(word):
                if g in grams:
                    score += weights.get(g, 0.0)
                else:  # a pair that only sounds like one of the activity's: a little less
                    score += 0.8 * max((weights.get(p, 0.0) for p in self.catalogue.sounding(g) if p in grams), default=0.0)
        return score

    def has_char_in_title(self, item: Item, ch: str) -> bool:
        """True when the activity's title has the character, or one that reads the same."""
        return ch in item.plain_title or bool(Lexicon.shared().usual_reading(ch) & self.catalogue.title_readings.get(item.id, frozenset()))

    def coverage(self, word: str) -> float:
        """The share of the word's pairs of Chinese characters some activity's text has (as
        written or as they sound): `防诈骗讲座` all, `楼下垃圾没人收` one in six."""
        grams = [g for g in _bigrams(word) if _han(g)]
        if not grams:
            return 1.0
        return sum(1 for g in grams if self.catalogue.sounding(g) or g in self.catalogue.weights) / len(grams)

    def by_title(self, items: list[Item], words: Iterable[str]) -> list[Item]:
        """The one of `items` whose title has the words' telling pairs (`露天电影` of 露天电影放映,
        though another's content shows a film too); empty when not exactly one."""
        said = {g for w in words for g in _bigrams(w) if _han(g) and self.catalogue.weights.get(g, 0.0) > 0}
        titled = [i for i in items if said & _bigrams(i.plain_title)]
        return titled if len(titled) == 1 else []

    def describes(self, words: str) -> bool:
        """True when most of the words are the activities' own (`交警送绿豆汤`), not a name."""
        return len(words) >= 3 and self.mentioned(words) and self.coverage(words) >= 0.5

    def mentioned(self, word: str) -> bool:
        """True when some activity's text explains the word (see `explains`)."""
        return any(self.explains(item, word) for item in self.items)

    def explains(self, item: Item, word: str) -> bool:
        """True when the activity's text shares with the word a telling pair of Chinese
        characters (`号院` for `3号院`; `3号` alone could be any number 3)."""
        grams = self.catalogue.grams.get(item.id, frozenset())
        weights = self.catalogue.weights
        return any(
            (g in grams and weights.get(g, 0.0) > 0 and _han(g)) or any(p in grams for p in self.catalogue.sounding(g))
            for g in _bigrams(word)
        )
