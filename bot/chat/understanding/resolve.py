"""Resolution: a parsed message + the activities + the person's places → what to do (SPEC §9).

Cancel, 请假 and confirm look among the person's own places; a sign-up among open
activities the person does not hold. One candidate the words clearly select → act.
Several → choose from a numbered list. Only weak cue words, or words no activity
explains, → ask yes or no first. None → say so, change nothing, offer what is near.
A number that reads both as an activity and as a day (`报名6号`) is asked about unless
only one reading finds something. Pure: the caller reads the data and renders texts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from bot.chat.understanding.family import MEMBERS, OTHER, SELF, Whom, for_whom
from bot.chat.understanding.lexicon import Lexicon
from bot.chat.understanding.parse import Parsed
from bot.chat.understanding.refs import Refs
from bot.chat.understanding.world import Item, World
from bot.domain.timeparse import DayMention, in_part
from config import texts

WORDS = {
    "signup": "报名",
    "cancel": "取消",
    "leave": "请假",
    "confirm": "确认",
    "list": "活动",
    "detail": "活动",
    "mine": "我的报名",
    "hours": "时长",
    "checkin": "签到",
    "checkout": "签退",
    "help": "帮助",
    "register": "注册",
}
MAX_OPTIONS = 6


@dataclass(frozen=True)
class Decision:
    """What the bot does with one message.

    outcome: `act` (run the handler of `word` with `args`, or the list narrowed to
    `only`), `ask` (yes or no about `ids[0]`), `choose` (which of `ids`), `refuse`
    (say why, change nothing; `ids` are activities offered instead), `reply` (a
    greeting or thanks), or `none` (not understood: the usual hint).
    """

    outcome: str
    intent: str
    word: str = ""
    args: str = ""
    ids: tuple[int, ...] = ()
    only: tuple[int, ...] | None = None
    reason: str = ""  # why a refusal: not_found, none_held, nothing_open, past, cancelled, closed, held, not_held
    about: int | None = None  # the activity a refusal is about
    answers: tuple[str, ...] = ()  # questions riding along, to answer about ids[0] (place, time…)
    whom: str = ""  # for whom, after the number (`豆豆`, `本人`): kept for the answer to a question


@dataclass(frozen=True)
class Match:
    items: list[Item]
    explained: bool  # every left-over word was found in some activity's text
    topics_found: bool = True  # every topic said is one of theirs (`给老人剪纸` names no activity that has both)


def _on_day(item: Item, when: DayMention) -> bool:
    return any(item.start.date() <= day <= item.end.date() for day in when.days)


def _kind_score(item: Item, refs: Refs, lexicon: Lexicon) -> float:
    """2 for the kind named, 1 for a kind close to it (`消防课` for a training), else 0."""
    score = 0.0
    for kind in refs.kinds:
        if item.kind == kind:
            score = max(score, 2.0)
        elif item.kind in lexicon.kind_near.get(kind, ()):
            score = max(score, 1.0)
    return score


def _topic_score(item: Item, refs: Refs, lexicon: Lexicon) -> float:
    """2 per topic named whose words the activity's text contains (`剃头` finds 义务理发)."""
    return 2.0 * sum(1 for topic in refs.topics if _has_topic(item, topic, lexicon))


def _has_topic(item: Item, topic: str, lexicon: Lexicon) -> bool:
    return any(word in item.text for word in lexicon.topics[topic])


def _in_title(item: Item, refs: Refs, lexicon: Lexicon) -> bool:
    """A topic word said, other than the topic's own name (`合唱`, not `演出`), is in the title."""
    return any(w in item.plain_title for w in refs.said if w not in lexicon.topics and any(w in lexicon.topics[t] for t in refs.topics))


def by_title_word(items: list[Item], refs: Refs, lexicon: Lexicon) -> list[Item]:
    """Of several, the one whose title has a topic word said as it is (`合唱团` of 社区合唱团排练,
    `义诊` of 冬季送医义诊), when the others only share the topic; else all of them."""
    named = [i for i in items if _in_title(i, refs, lexicon)] if len(items) > 1 else []
    # The others must only share the topic: one whose text has the word too (`包饺子` in a content) is as much meant.
    words = [w for w in refs.said if len(named) == 1 and w in named[0].plain_title]
    return named if words and not any(w in i.text for i in items if i is not named[0] for w in words) else items


def _named(item: Item, refs: Refs, world: World) -> bool:
    """The activity is named by its own words (title, or a telling pair of its text), not only by a kind or day."""
    return item.id in refs.titled or any(world.explains(item, w) for w in (*refs.words, *refs.phrases))


def _literal(item: Item, refs: Refs, lexicon: Lexicon, some: bool = False) -> bool:
    """The activity has the topic words as they were said, not only others of their topic
    (and, with `some`, at least one was said)."""
    said = [w for w in refs.said if any(w in lexicon.topics[t] for t in refs.topics)]
    return all(w in item.text for w in said) and bool(said or not some)


def _on_day_or_titled(item: Item, refs: Refs) -> bool:
    """On the day named, or named by the day words themselves (`五一汇演` is on April 30th)."""
    return _on_day(item, refs.when) or any(len(w) >= 2 and w in item.plain_title for w in refs.when_words)


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


def _readings(pool: Sequence[Item], refs: Refs, world: World, lexicon: Lexicon) -> Match:
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


def near(world: World, refs: Refs, lexicon: Lexicon, exclude: Sequence[int] = ()) -> tuple[int, ...]:
    """Up to three open activities close to what was asked: the same kind or topic on
    other days, else the soonest."""
    open_ids = {i.id for i in world.open}
    pool = [i for i in world.upcoming if i.id not in exclude and i.id in open_ids]
    if refs.kinds or refs.topics or refs.words:
        loose = replace(refs, ids=(), day_or_id=None, position=None, when=DayMention(), communities=frozenset())
        found = select(pool, loose, world, lexicon).items
        if found:
            return tuple(i.id for i in found[:3])
    if refs.when.days:
        day = refs.when.days[0]
        pool = sorted(pool, key=lambda i: (abs((i.start.date() - day).days), i.start))
    return tuple(i.id for i in pool[:3])


def _why_not(item: Item, world: World, intent: str, held: Mapping[int, str]) -> str:
    if intent == "signup" and item.id in held:
        return "held"
    if item.status == "cancelled":
        return "cancelled"
    if item.status != "published" or item.start <= world.now:
        return "past"
    if intent == "signup" and item.deadline <= world.now:
        return "closed"
    return "not_held"


def _change(parsed: Parsed, intent: str, pool: list[Item], world: World, lexicon: Lexicon, held: Mapping[int, str]) -> Decision:
    """Sign-up, cancel, 请假, confirm: act only on one clearly selected candidate.

    The words are matched against every activity first, then narrowed to those this
    request may act on (`pool`): words that fit something else as well (`下礼拜的讲座`
    when one of two is already held) ask before acting; words that fit only something
    else say why not (`取消敬老院` when one holds no place there).
    """
    word = WORDS[intent]
    refs = parsed.refs
    if not refs.any():
        if parsed.weak:
            return Decision("none", "none")  # `算了`, `我生病了`: not a request on its own
        if not pool:
            reason = "nothing_open" if intent == "signup" else "none_held"
            return Decision("refuse", intent, word, reason=reason, ids=near(world, refs, lexicon))
        if len(pool) == 1:
            return Decision("ask", intent, word, ids=(pool[0].id,))
        return Decision("choose", intent, word, ids=tuple(i.id for i in pool[:MAX_OPTIONS]))
    match = _readings(world.items, refs, world, lexicon)
    eligible = {i.id for i in pool}
    fit = [i for i in match.items if i.id in eligible]
    # A sign-up whose words fit something else still on as well (a lecture already held): ask.
    others = [i for i in match.items if i.id not in eligible and i.status == "published" and i.end > world.now and intent == "signup"]
    fit = by_title_word(fit, refs, lexicon)
    if len(fit) == 1 and not _literal(fit[0], refs, lexicon):
        # Another activity has the words as said (`票友会`), this one only their topic: that one is meant.
        literal = [i for i in match.items if i is not fit[0] and _literal(i, refs, lexicon)]
        if literal:
            fit, match = [], Match(literal, match.explained)
    if len(fit) == 1:
        item = fit[0]
        # A sign-up also asks when a topic said is not the activity's; among one's own places
        # such a word is rather the reason (`带孙子，来不了了`).
        unsure = not match.explained or (intent == "signup" and not match.topics_found)
        if parsed.weak or unsure or others or parsed.asks_itself:
            return Decision("ask", intent, word, ids=(item.id,))
        return Decision("act", intent, word, args=str(item.id), ids=(item.id,), answers=tuple(sorted(refs.asks)))
    if fit:
        return Decision("choose", intent, word, ids=tuple(i.id for i in fit[:MAX_OPTIONS]))
    if len(match.items) == 1:
        item = match.items[0]
        reason = _why_not(item, world, intent, held) if match.explained else "not_found"
        if reason == "held":  # the command says so, with the place in line if waiting
            return Decision("act", intent, word, args=str(item.id), ids=(item.id,))
        offer = near(world, refs, lexicon, (item.id,)) if intent == "signup" else ()
        return Decision("refuse", intent, word, reason=reason, about=item.id, ids=offer)
    reason = "not_found" if intent == "signup" or not match.items else "not_held_these"
    return Decision("refuse", intent, word, reason=reason, ids=near(world, refs, lexicon) if intent == "signup" else ())


def _browse(parsed: Parsed, world: World, lexicon: Lexicon) -> Decision:
    """A list of activities, narrowed by what was said, or one activity in full."""
    refs = parsed.refs
    intent = parsed.intent
    if not refs.any():
        return Decision("act", "list", "活动") if intent == "list" else Decision("none", "none")
    upcoming = {i.id for i in world.upcoming}
    pool = world.upcoming if intent == "list" and not refs.ids else [*world.upcoming, *[i for i in world.items if i.id not in upcoming]]
    if parsed.weak and lexicon.date_question.search(parsed.text) and not (refs.kinds or refs.topics or refs.words or refs.titled):
        return Decision("none", "none")  # `今天几号了` asks the date, not for activities
    match = _readings(pool, refs, world, lexicon)
    # Only a day or a place named, and something else said: chatter (`我叫张秀兰，住夕阳楼`).
    day_or_place_only = not (refs.kinds or refs.topics or refs.words or refs.titled or refs.ids)
    asking = parsed.question or lexicon.asks(parsed.text) or bool(refs.asks)
    only = match.items[0] if len(match.items) == 1 else None
    if parsed.weak and not match.explained and asking and only and (_named(only, refs, world) or _literal(only, refs, lexicon, True)):
        match = Match(match.items, True)  # a question about one activity, with words of its own (`熊儿河…要带手套吗`)
    if parsed.weak and (not match.explained or (day_or_place_only and (refs.residue or refs.remarks))):
        return Decision("none", "none")  # no request word and words no activity has: chatter
    if parsed.weak and not asking and (refs.residue or refs.remarks or any(world.coverage(w) < 0.5 for w in refs.words)):
        return Decision("none", "none")  # said about an activity, asking nothing: `昨天植树可得劲`, `楼下垃圾没人收`
    if not match.items:
        return Decision("refuse", intent, "活动", reason="not_found", ids=near(world, refs, lexicon))
    # One activity, asked about (`福利院的活动几点开始`) or named by its number: shown in full.
    if intent == "detail" and len(match.items) > 1:
        # One thing asked about: the activity with the words as said (`票友会`), if one has them.
        literal = [i for i in match.items if _literal(i, refs, lexicon)]
        literal = literal if len(literal) == 1 else world.by_title(match.items, refs.words)
        match = Match(literal, match.explained) if len(literal) == 1 else match
    if len(match.items) == 1 and (intent == "detail" or refs.asks or refs.ids):
        return Decision("act", "detail", "活动", args=str(match.items[0].id), ids=(match.items[0].id,))
    return Decision("act", "list", "活动", only=tuple(i.id for i in match.items))


def decide(parsed: Parsed, world: World, lexicon: Lexicon) -> Decision:
    """What to do with one parsed message."""
    parsed = replace(parsed, refs=with_remarks(parsed.refs, world))
    intent = parsed.intent
    refs = parsed.refs
    if intent in ("greet", "thanks"):
        return Decision("reply", intent)
    if intent == "none":
        return Decision("none", "none")
    if intent in ("help", "register", "hours", "mine"):
        return Decision("act", intent, WORDS[intent])
    if intent in ("checkin", "checkout"):
        if refs.code:
            if parsed.weak and not refs.code_marked:
                return Decision("ask", intent, WORDS[intent], args=refs.code)
            return Decision("act", intent, WORDS[intent], args=refs.code)
        if parsed.weak:
            return _browse(replace(parsed, intent="detail"), world, lexicon) if refs.any() else Decision("none", "none")
        return Decision("act", intent, WORDS[intent])
    if intent in ("list", "detail"):
        return _browse(parsed, world, lexicon)
    if intent == "attend":
        going = {i.id for i in world.items if world.held.get(i.id) == "confirmed" and i.end > world.now}
        if going and refs.any():
            match = _readings(world.items, refs, world, lexicon)
            if len(match.items) == 1 and match.items[0].id in going and match.explained:
                item = match.items[0]
                return Decision("act", "confirm", "确认", args=str(item.id), ids=(item.id,), answers=tuple(sorted(refs.asks)))
        intent = "signup"
        parsed = replace(parsed, intent="signup")
    if intent == "signup":
        whom = for_whom(parsed.text, parsed.hits, world.members, lexicon, world.describes)
        if whom.kind == OTHER:
            return Decision("refuse", intent, WORDS[intent], reason="proxy")  # each signs up from their own WeChat
        places = world.held_by(whom.names[0]) if whom.kind == MEMBERS and len(whom.names) == 1 else world.held
        pool = [i for i in world.open if i.id not in places]
        if (parsed.question or (lexicon.asks(parsed.text) and _able(parsed, lexicon))) and not refs.any():
            return Decision("act", "list", "活动")  # `能报名吗?`, `还有什么活动能参加`: show what there is
        return _for(_change(_without(parsed, whom), intent, pool, world, lexicon, places), whom, world)
    whom = Whom()
    if intent == "cancel" and world.members:
        named = for_whom(parsed.text, parsed.hits, world.members, lexicon)
        whom = named if named.kind == MEMBERS and len(named.names) == 1 and not named.with_self else whom
    places = world.held_by(whom.names[0]) if whom.names else world.held
    if intent == "confirm":
        held = [i for i in world.items if i.id in places and i.end > world.now]
    else:  # a place is given up before the start only
        held = [i for i in world.items if i.id in places and i.start > world.now]
    return _for(_change(_without(parsed, whom), intent, held, world, lexicon, places), whom, world)


def _able(parsed: Parsed, lexicon: Lexicon) -> bool:
    """The request word says "can" (`能参加`, `可以报名`): with a question word, it asks what there is."""
    return any(h.word.startswith(lexicon.ability) for h in parsed.hits if any(c == "intent" for c, _ in h.tags))


def _without(parsed: Parsed, whom: Whom) -> Parsed:
    """The message without the family members' names: they name people, not activities."""
    if not whom.names:
        return parsed

    def strip(words: tuple[str, ...]) -> tuple[str, ...]:
        for name in whom.names:
            words = tuple(w.replace(name, " ").strip() for w in words)
        return tuple(w for p in words for w in p.split() if len(w) >= 2)

    refs = replace(parsed.refs, words=strip(parsed.refs.words), remarks=strip(parsed.refs.remarks))
    return replace(parsed, refs=refs)


def _for(decision: Decision, whom: Whom, world: World) -> Decision:
    """The decision for the people it is for: `报名 5 豆豆`; `报名 5 本人` from someone with
    family members (else the sign-up would ask for whom); as it is for anyone else."""
    myself = texts.FAMILY_SELF_WORDS[0]  # `本人`, as `报名 N 本人` reads it
    suffix = whom.args() or (myself if whom.kind == SELF and decision.word == WORDS["signup"] and world.members else "")
    if not suffix or decision.outcome not in ("act", "ask", "choose"):
        return decision
    if decision.outcome == "act" and decision.args:
        return replace(decision, args=f"{decision.args} {suffix}", whom=suffix)
    return replace(decision, whom=suffix)
