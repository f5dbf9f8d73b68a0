"""Which activities the words of a message point at (SPEC §9): each activity scored by the
day, kind, topic, title and words said, and the helpers that tell a clear choice from a
near one. Pure: `resolve` decides what to do with what this finds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.chat.understanding.lexicon import Lexicon
from bot.chat.understanding.refs import Refs
from bot.chat.understanding.world import Item, World
from bot.domain.timeparse import DayMention, in_part
from config import vocabulary as v

EVENT_HEADS = frozenset(v.EVENT_HEADS)


@dataclass(frozen=True)
class Match:
    items: list[Item]
    explained: bool  # every left-over word was found in some activity's text
    topics_found: bool = True  # every topic said is one of theirs (`给老人剪纸` names no activity that has both)


def words_only(refs: Refs) -> bool:
    """Only left-over words point at an activity: no kind, topic, title, number or day."""
    return not (refs.kinds or refs.topics or refs.titled or refs.ids or refs.day_or_id or refs.position or refs.when)


def same_head(item: Item, refs: Refs, world: World) -> bool:
    """No word said ends in a word for a kind of event (`日`, `节`, `赛`…) the activity's title
    lacks: `学雷锋服务日` names a day of service, not 学雷锋便民服务摊 (a name's last
    character says what it is)."""
    return not any(len(w) >= 3 and w[-1] in EVENT_HEADS and not _qualified_head(item, w, world) for w in refs.words)


def other_event(item: Item, refs: Refs, world: World) -> bool:
    """A name said ends in the event word the title has, but what comes before it is none
    of the activity's words (`象棋比赛` for 社区广场舞比赛): another event, not found."""
    return any(
        len(w) >= 3 and w[-1] in EVENT_HEADS and world.has_char_in_title(item, w[-1]) and not _qualified_head(item, w, world)
        for w in refs.words
    )


def _qualified_head(item: Item, word: str, world: World) -> bool:
    """The title has the event word the name ends in, and the words before it (which event:
    `象棋` of `象棋比赛`) are the activity's too: a contest of something else is not this one."""
    if not world.has_char_in_title(item, word[-1]):
        return False
    head = 2 if len(word) >= 4 and word[-2:] in item.plain_title else 1
    qualifier = word[:-head]
    return len(qualifier) < 2 or world.explains(item, qualifier)


def _on_day(item: Item, when: DayMention) -> bool:
    return any(item.start.date() <= day <= item.end.date() for day in when.days)


def _kind_score(item: Item, refs: Refs, lexicon: Lexicon) -> float:
    """2 for the kind named, 1 for a kind close to it (`消防课` for a training), else 0."""
    if any(len(w) >= 2 and w in item.plain_title for w in _kind_words(refs, lexicon)):
        return 2.0  # the kind word as the title has it (`课堂` of 智能手机课堂, a training)
    score = 0.0
    for kind in refs.kinds:
        if item.kind == kind:
            score = max(score, 2.0)
        elif item.kind in lexicon.kind_near.get(kind, ()):
            score = max(score, 1.0)
    return score


def _kind_words(refs: Refs, lexicon: Lexicon) -> list[str]:
    """The kind words said (`课堂`, `讲座`)."""
    return [w for w in refs.said if any(w in lexicon.kind_words.get(k, ()) for k in refs.kinds)]


def _topic_score(item: Item, refs: Refs, lexicon: Lexicon) -> float:
    """2 per topic named whose words the activity's text contains (`剃头` finds 义务理发)."""
    return 2.0 * sum(1 for topic in refs.topics if _has_topic(item, topic, lexicon))


def _has_topic(item: Item, topic: str, lexicon: Lexicon) -> bool:
    return any(word in item.text for word in lexicon.topics[topic])


def _in_title(item: Item, refs: Refs, lexicon: Lexicon) -> bool:
    """A topic word said, other than the topic's own name (`合唱`, not `演出`), is in the title."""
    topical = [w for w in refs.said if w not in lexicon.topics and any(w in lexicon.topics[t] for t in refs.topics)]
    # A kind word only with the word before it, as the title has them (`手机课堂`, not any `讲座`).
    kinds = [w + k for w in refs.words for k in _kind_words(refs, lexicon) if len(k) >= 2]
    return any(w in item.plain_title for w in (*topical, *kinds))


def by_title_word(items: list[Item], refs: Refs, lexicon: Lexicon) -> list[Item]:
    """Of several, the one whose title has a topic word said as it is (`合唱团` of 社区合唱团排练,
    `义诊` of 冬季送医义诊), when the others only share the topic; else all of them."""
    named = [i for i in items if _in_title(i, refs, lexicon)] if len(items) > 1 else []
    # The others must only share the topic: one whose text has the word too (`包饺子` in a content) is as much meant.
    words = [w for w in refs.said if len(named) == 1 and w in named[0].plain_title]
    return named if words and not any(w in i.text for i in items if i is not named[0] for w in words) else items


def named(item: Item, refs: Refs, world: World) -> bool:
    """The activity is named by its own words (title, or a telling pair of its text), not only by a kind or day."""
    return item.id in refs.titled or any(world.explains(item, w) for w in (*refs.words, *refs.phrases))


def literal(item: Item, refs: Refs, lexicon: Lexicon, some: bool = False) -> bool:
    """The activity has the topic words as they were said, not only others of their topic
    (and, with `some`, at least one was said)."""
    said = [w for w in refs.said if any(w in lexicon.topics[t] for t in refs.topics)]
    return all(w in item.text for w in said) and bool(said or not some)


def _on_day_or_titled(item: Item, refs: Refs) -> bool:
    """On the day named, or named by the day words themselves (`五一汇演` is on April 30th)."""
    return (
        _on_day(item, refs.when)
        or any(len(w) >= 2 and w in item.plain_title for w in refs.when_words)
        # A festival by its own name (`重阳节`), the title without the 节 (重阳登高陪护): that, whatever its date.
        or any(len(w) >= 3 and w.endswith(v.FESTIVAL) and w[: -len(v.FESTIVAL)] in item.plain_title for w in refs.when_words)
        # A holiday named by what the activity does (`植树节那个活动`): that, whatever its date.
        or any(s in w and s in item.text for w in refs.when_words for s in refs.said)
    )


def with_remarks(refs: Refs, world: World) -> Refs:
    """Remarks count as words when some activity has them (`打太极的那个，算我一个`)."""
    mentioned = tuple(r for r in refs.remarks if world.mentioned(r))
    if not mentioned:
        return refs
    return replace(refs, words=refs.words + mentioned, remarks=tuple(r for r in refs.remarks if r not in mentioned))


def select(pool: Sequence[Item], refs: Refs, world: World, lexicon: Lexicon) -> Match:
    """The activities of `pool` the references point at: all that pass the precise ones
    (day, part of day, hour, community), then the best by kind, topic, title and words."""
    refs = with_remarks(refs, world)
    when = refs.when
    communities = refs.communities | ({world.home} if refs.home and world.home else set())
    scored: list[tuple[float, Item]] = []
    for item in pool:
        if when.days and not _on_day_or_titled(item, refs):
            continue
        if when.part and not in_part(item.start, item.end, when.part):
            continue
        if when.hour is not None and item.start.hour != when.hour:
            continue
        if communities and item.community not in communities:
            continue
        # A topic said finds the activities with its words; one its own words find passes
        # too (`孙子发烧，急救培训去不了`), but is not explained by that topic.
        topic = _topic_score(item, refs, lexicon) if refs.topics else 0.0
        words = world.word_score(item, refs.words)
        if refs.topics and not topic and not (words or item.id in refs.titled):
            continue
        score = topic + words
        if refs.kinds:
            kind = _kind_score(item, refs, lexicon)
            if not kind and not (score or item.id in refs.titled):
                continue  # the kind decides, unless other words find it (`剪纸的课` is no lecture)
            score += kind
        # A long word said as it is written in the activity (`文艺汇演`) weighs like its own words.
        score += world.word_score(item, refs.phrases)
        if item.id in refs.titled:
            score += 5  # its whole title was written
        scored.append((score, item))
    if not scored:
        return Match([], not refs.words)
    best_score = max(s for s, _ in scored)
    best = [item for s, item in scored if s == best_score]
    explained = bool(refs.titled & {i.id for i in best}) or all(any(world.explains(item, word) for item in best) for word in refs.words)
    topics_found = all(any(_has_topic(item, t, lexicon) for item in best) for t in refs.topics)
    if refs.words and best_score == 0 and not (refs.kinds or refs.topics or when or refs.communities or refs.titled):
        return Match([], False)  # nothing but words, and no activity has them
    return Match(best, explained, topics_found)


def candidates(pool: Sequence[Item], refs: Refs, world: World, lexicon: Lexicon) -> Match:
    """Every reading of the numbers: `6号` is the 6th or activity 6, `第2个` the second
    listed or activity 2; the candidates of all readings together."""
    if refs.ids:
        items = [i for i in pool if i.id in refs.ids]
        rest = replace(refs, ids=())
        if not rest.any():
            return Match(items, True)
        found = select(items, rest, world, lexicon)
        return found if found.items else Match(items, False)
    if refs.day_or_id is not None:
        as_day = select(pool, refs, world, lexicon)
        not_day = replace(refs, day_or_id=None, when=refs.when.without_bare_day())
        numbered = [i for i in pool if i.id == refs.day_or_id]
        as_id = select(numbered, not_day, world, lexicon).items if not_day.any() else numbered
        found = {item.id: item for item in (*as_day.items, *as_id)}
        return Match(sorted(found.values(), key=lambda i: (i.start, i.id)), as_day.explained or bool(as_id))
    if refs.position is not None:
        rest = replace(refs, position=None)
        listed = world.upcoming[refs.position - 1 : refs.position]
        pooled = {i.id for i in pool}
        found = {item.id: item for item in (*[i for i in pool if i.id == refs.position], *[i for i in listed if i.id in pooled])}
        items = list(found.values())
        return select(items, rest, world, lexicon) if rest.any() else Match(items, True)
    return select(pool, refs, world, lexicon)
