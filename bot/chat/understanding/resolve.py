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

from bot.chat.understanding import plain
from bot.chat.understanding.family import MEMBERS, OTHER, SELF, Whom, for_whom
from bot.chat.understanding.lexicon import Lexicon
from bot.chat.understanding.match import (
    Match,
    by_title_word,
    candidates,
    literal,
    named,
    other_event,
    same_head,
    select,
    with_remarks,
    words_only,
)
from bot.chat.understanding.parse import Parsed
from bot.chat.understanding.refs import Refs
from bot.chat.understanding.world import Item, World
from bot.domain.timeparse import DayMention
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
    match = candidates(world.items, refs, world, lexicon)
    eligible = {i.id for i in pool}
    # One titled with a word said as it is (`手机课堂`), the others only sharing the topic: that
    # one; unless it is one the request cannot act on and another it can fits too (asked).
    titled = by_title_word(match.items, refs, lexicon)
    if any(i.id in eligible for i in titled) or not any(i.id in eligible for i in match.items):
        match = replace(match, items=titled)
    fit = [i for i in match.items if i.id in eligible]
    # A sign-up whose words fit something else still on as well (a lecture already held): ask.
    others = [i for i in match.items if i.id not in eligible and i.status == "published" and i.end > world.now and intent == "signup"]
    fit = by_title_word(fit, refs, lexicon)
    if len(fit) == 1 and not literal(fit[0], refs, lexicon):
        # Another activity has the words as said (`票友会`), this one only their topic: that one is meant.
        as_said = [i for i in match.items if i is not fit[0] and literal(i, refs, lexicon)]
        if as_said:
            fit, match = [], Match(as_said, match.explained)
    if len(fit) == 1:
        item = fit[0]
        # A sign-up also asks when a topic said is not the activity's; among one's own places
        # such a word is rather the reason (`带孙子，来不了了`).
        if intent == "signup" and other_event(item, refs, world):
            return Decision("refuse", intent, word, reason="not_found", about=item.id, ids=near(world, refs, lexicon, (item.id,)))
        unsure = not match.explained or (intent == "signup" and not (match.topics_found and same_head(item, refs, world)))
        if parsed.weak or unsure or others or parsed.asks_itself:
            return Decision("ask", intent, word, ids=(item.id,))
        return Decision("act", intent, word, args=str(item.id), ids=(item.id,), answers=tuple(sorted(refs.asks)))
    if fit:
        return Decision("choose", intent, word, ids=tuple(i.id for i in fit[:MAX_OPTIONS]))
    if len(match.items) == 1:
        item = match.items[0]
        reason = _why_not(item, world, intent, held) if match.explained else "not_found"
        if reason == "held" and not same_head(item, refs, world):
            reason = "not_found"  # `踢毽子比赛`: words it does not have, though one of its words
        if parsed.weak and intent != "signup" and reason in ("not_held", "not_found") and words_only(refs):
            return Decision("none", "none")  # `清明回老家上坟`: a weak cue, and nothing of one's own
        if reason == "held":  # the command says so, with the place in line if waiting
            return Decision("act", intent, word, args=str(item.id), ids=(item.id,))
        offer = near(world, refs, lexicon, (item.id,)) if intent == "signup" else ()
        return Decision("refuse", intent, word, reason=reason, about=item.id, ids=offer)
    if parsed.weak and intent != "signup" and words_only(refs):
        return Decision("none", "none")  # a weak cue (`回老家`) and a word of nothing of one's own: chatter
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
    if parsed.weak and lexicon.price_talk.search(parsed.text) and not (refs.ids or refs.titled):
        return Decision("none", "none")  # `挂面多少钱一把`: the price of a thing, not an activity
    if parsed.weak and lexicon.date_question.search(parsed.text) and not (refs.kinds or refs.topics or refs.words or refs.titled):
        return Decision("none", "none")  # `今天几号了` asks the date, not for activities
    match = candidates(pool, refs, world, lexicon)
    # Only a day or a place named, and something else said: chatter (`我叫张秀兰，住夕阳楼`).
    day_or_place_only = not (refs.kinds or refs.topics or refs.words or refs.titled or refs.ids)
    asking = parsed.question or lexicon.asks(parsed.text) or bool(refs.asks) or plain.asks_either(parsed.text)
    only = match.items[0] if len(match.items) == 1 else None
    if parsed.weak and not match.explained and asking and only and (named(only, refs, world) or literal(only, refs, lexicon, True)):
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
        as_said = [i for i in match.items if literal(i, refs, lexicon)]
        as_said = as_said if len(as_said) == 1 else world.by_title(match.items, refs.words)
        match = Match(as_said, match.explained) if len(as_said) == 1 else match
    if len(match.items) == 1 and (intent == "detail" or refs.asks or refs.ids):
        return Decision("act", "detail", "活动", args=str(match.items[0].id), ids=(match.items[0].id,))
    coming = [i.id for i in match.items if i.id in upcoming]
    return Decision("act", "list", "活动", only=tuple(coming or (i.id for i in match.items)))


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
            match = candidates(world.items, refs, world, lexicon)
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
        said = for_whom(parsed.text, parsed.hits, world.members, lexicon)
        whom = said if said.kind == MEMBERS and len(said.names) == 1 and not said.with_self else whom
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
