"""Resolution: a parsed message + the activities + the person's places → what to do (SPEC §9).

Cancel, 请假 and confirm look among the person's own places; a sign-up among open
activities the person does not hold. One candidate the words clearly select → act.
Several → choose from a numbered list. Only weak cue words, or words no activity
explains, → ask yes or no first. None → say so, change nothing, offer what is near.
A number that reads both as an activity and as a day (`报名6号`) is asked about unless
only one reading finds something. Pure: the caller reads the data and renders texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.chat.understanding.lexicon import Lexicon
from bot.chat.understanding.parse import Parsed, Refs
from bot.chat.understanding.world import Item, World
from bot.domain.timeparse import DayMention, part_of_day

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


@dataclass(frozen=True)
class Match:
    items: list[Item]
    explained: bool  # every left-over word was found in some activity's text


def _on_day(item: Item, when: DayMention) -> bool:
    return any(item.start.date() <= day <= item.end.date() for day in when.days)


def _kind_score(item: Item, kinds: frozenset[str], lexicon: Lexicon) -> int:
    score = 0
    for kind in kinds:
        if item.kind == kind:
            score = max(score, 2)
        elif item.kind in lexicon.kind_near.get(kind, ()):
            score = max(score, 1)
    return score


def select(pool: Sequence[Item], refs: Refs, world: World, lexicon: Lexicon, *, use_day: bool = True) -> Match:
    """The activities of `pool` the references point at: all that pass the precise ones
    (day, part of day, hour, community), then the best by kind, topic and words."""
    when = refs.when
    scored: list[tuple[float, Item]] = []
    for item in pool:
        if use_day and when.days and not _on_day(item, when):
            continue
        if when.part and part_of_day(item.start.hour) != when.part:
            continue
        if when.hour is not None and item.start.hour != when.hour:
            continue
        if refs.communities and item.community not in refs.communities:
            continue
        score = 0.0
        if refs.kinds:
            kind = _kind_score(item, refs.kinds, lexicon)
            if not kind:
                continue
            score += kind
        if refs.topics:
            topics = sum(1 for t in refs.topics if any(w in item.text for w in lexicon.topics[t]))
            if not topics:
                continue
            score += 2 * topics
        score += world.word_score(item, refs.words)
        if item.id in refs.titled:
            score += 5  # its whole title was written
        scored.append((score, item))
    explained = all(world.explains(w) for w in refs.words)
    if refs.words and scored and max(s for s, _ in scored) == 0 and not (refs.kinds or refs.topics or when or refs.communities):
        return Match([], False)
    if refs.titled:
        explained = True
    if not scored:
        return Match([], explained)
    best = max(s for s, _ in scored)
    return Match([item for s, item in scored if s == best], explained)


def _readings(pool: Sequence[Item], refs: Refs, world: World, lexicon: Lexicon) -> Match:
    """Every reading of the numbers: `6号` is the 6th or activity 6, `第2个` the second
    listed or activity 2; the candidates of all readings together."""
    if refs.ids:
        items = [i for i in pool if i.id in refs.ids]
        rest = replace(refs, ids=(), when=replace(refs.when, days=()) if refs.day_or_id else refs.when)
        found = select(items, rest, world, lexicon) if rest.any() else Match(items, True)
        return found if found.items or not rest.any() else Match(items, False)
    found: dict[int, Item] = {}
    explained = True
    if refs.day_or_id is not None:
        as_day = select(pool, refs, world, lexicon)
        not_day = replace(refs, day_or_id=None, when=replace(refs.when, days=(), day_number=None))
        as_id = select([i for i in pool if i.id == refs.day_or_id], not_day, world, lexicon) if not_day.any() else None
        as_id_items = as_id.items if as_id is not None else [i for i in pool if i.id == refs.day_or_id]
        for item in (*as_day.items, *as_id_items):
            found[item.id] = item
        explained = as_day.explained
        return Match(sorted(found.values(), key=lambda i: (i.start, i.id)), explained)
    if refs.position is not None:
        rest = replace(refs, position=None)
        listed = world.upcoming[refs.position - 1 : refs.position]
        for item in (*[i for i in pool if i.id == refs.position], *[i for i in listed if i in pool]):
            found[item.id] = item
        items = list(found.values())
        if rest.any():
            narrowed = select(items, rest, world, lexicon)
            return narrowed
        return Match(items, True)
    return select(pool, refs, world, lexicon)


def near(world: World, refs: Refs, lexicon: Lexicon, exclude: Sequence[int] = ()) -> tuple[int, ...]:
    """Up to three open activities close to what was asked: the same kind or topic on
    other days, else the soonest."""
    pool = [i for i in world.upcoming if i.id not in exclude and i in world.open]
    if refs.kinds or refs.topics or refs.words:
        loose = replace(refs, ids=(), day_or_id=None, position=None, when=DayMention(), communities=frozenset())
        found = select(pool, loose, world, lexicon).items
        if found:
            return tuple(i.id for i in found[:3])
    if refs.when.days:
        day = refs.when.days[0]
        pool = sorted(pool, key=lambda i: (abs((i.start.date() - day).days), i.start))
    return tuple(i.id for i in pool[:3])


def _why_not(item: Item, world: World, intent: str) -> str:
    if item.status == "cancelled":
        return "cancelled"
    if item.status != "published" or item.start <= world.now:
        return "past"
    if intent == "signup" and item.id in world.held:
        return "held"
    if intent == "signup" and item.deadline <= world.now:
        return "closed"
    return "not_held"


def _change(parsed: Parsed, intent: str, pool: list[Item], world: World, lexicon: Lexicon) -> Decision:
    """Sign-up, cancel, 请假, confirm: act only on one clearly selected candidate."""
    word = WORDS[intent]
    refs = parsed.refs
    if not pool:
        return Decision("refuse", intent, word, reason="nothing_open" if intent == "signup" else "none_held", ids=near(world, refs, lexicon))
    if not refs.any():
        if len(pool) == 1:
            return Decision("ask", intent, word, ids=(pool[0].id,))
        return Decision("choose", intent, word, ids=tuple(i.id for i in pool[:MAX_OPTIONS]))
    match = _readings(pool, refs, world, lexicon)
    if len(match.items) == 1:
        item = match.items[0]
        if parsed.weak or not match.explained:
            return Decision("ask", intent, word, ids=(item.id,))
        return Decision("act", intent, word, args=str(item.id), ids=(item.id,), answers=tuple(sorted(refs.asks)))
    if match.items:
        return Decision("choose", intent, word, ids=tuple(i.id for i in match.items[:MAX_OPTIONS]))
    elsewhere = _readings(world.items, refs, world, lexicon).items
    if len(elsewhere) == 1:
        item = elsewhere[0]
        return Decision("refuse", intent, word, reason=_why_not(item, world, intent), about=item.id, ids=near(world, refs, lexicon, (item.id,)))
    return Decision("refuse", intent, word, reason="not_found", ids=near(world, refs, lexicon))


def _browse(parsed: Parsed, world: World, lexicon: Lexicon) -> Decision:
    """A list of activities, narrowed by what was said, or one activity in full."""
    refs = parsed.refs
    intent = parsed.intent
    if not refs.any():
        return Decision("act", "list", "活动") if intent == "list" else Decision("none", "none")
    pool = world.upcoming if intent == "list" and not refs.ids else [*world.upcoming, *[i for i in world.items if i not in world.upcoming]]
    match = _readings(pool, refs, world, lexicon)
    if not match.items or (parsed.weak and not match.explained and not (refs.kinds or refs.topics or refs.ids)):
        if parsed.weak and not (refs.kinds or refs.topics or refs.ids or refs.communities):
            return Decision("none", "none")
        return Decision("refuse", intent, "活动", reason="not_found", ids=near(world, refs, lexicon))
    if len(match.items) == 1 and intent == "detail":
        return Decision("act", "detail", "活动", args=str(match.items[0].id), ids=(match.items[0].id,))
    return Decision("act", "list", "活动", only=tuple(i.id for i in match.items))


def decide(parsed: Parsed, world: World, lexicon: Lexicon) -> Decision:
    """What to do with one parsed message."""
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
            if parsed.weak:
                return Decision("ask", intent, WORDS[intent], args=refs.code)
            return Decision("act", intent, WORDS[intent], args=refs.code)
        if parsed.weak:
            return _browse(replace(parsed, intent="detail"), world, lexicon) if refs.any() else Decision("none", "none")
        return Decision("act", intent, WORDS[intent])
    if intent in ("list", "detail"):
        return _browse(parsed, world, lexicon)
    if intent == "attend":
        held = [i for i in world.items if i.id in world.held and world.held[i.id] == "confirmed"]
        if held and refs.any():
            mine = _readings(held, refs, world, lexicon)
            if len(mine.items) == 1 and mine.explained:
                item = mine.items[0]
                return Decision("act", "confirm", "确认", args=str(item.id), ids=(item.id,), answers=tuple(sorted(refs.asks)))
        intent = "signup"
        parsed = replace(parsed, intent="signup")
    if intent == "signup":
        pool = [i for i in world.open if i.id not in world.held]
        if parsed.question and not refs.any():
            return Decision("act", "list", "活动")  # `能报名吗?`: show what there is
        return _change(parsed, intent, pool, world, lexicon)
    held = [i for i in world.items if i.id in world.held]
    return _change(parsed, intent, held, world, lexicon)
