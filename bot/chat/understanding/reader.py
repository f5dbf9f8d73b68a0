"""The free-text step in front of the router: a message → the same `Intent` a command would be.

    parse (pure)  →  resolve against the activities and the person's places  →  Reading

A `Reading` either names a command word and its resolved arguments (the router runs
that command's own handler, unchanged), or carries the understanding's own reply (a
question back, a refusal, a greeting). Lines to add after the handler's reply (the
answer to a question riding along, what a voice message was heard as) travel with it.

Data is read only when the request needs it: the activities from the message's snapshot
of the catalogue (`ctx.catalogue`, `bot.domain.catalogue`: in memory while its version
stands), the person's places through `signups.mine`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from bot.chat.understanding import dialog, replies
from bot.chat.understanding.lexicon import Lexicon
from bot.chat.understanding.parse import CHANGES, Parsed, parse
from bot.chat.understanding.resolve import Decision, decide
from bot.chat.understanding.strict import Intent
from bot.chat.understanding.world import People, World, catalogue_of
from bot.domain import families, signups
from bot.domain.timefmt import to_local
from bot.storage.models import utc_now
from config import texts

# Intents that never need to look at the activities.
_NO_DATA = frozenset({"help", "register", "hours", "mine", "greet", "thanks", "none", "checkin", "checkout"})
# Commands whose reply is a change: a voice message's reply to them says what was heard.
CHANGING_WORDS = frozenset({"报名", "取消", "请假", "确认", "签到", "签退"})
# The command word → the intent it serves (for a question's answer).
INTENT_OF = {"报名": "signup", "取消": "cancel", "请假": "leave", "确认": "confirm", "签到": "checkin", "签退": "checkout"}
# A voice request this short is asked about before anything changes.
SHORT_VOICE = 4


@dataclass(frozen=True)
class Reading:
    """What to do with a message: run the command `intent`, or say `reply`; then add `after`."""

    intent: Intent | None = None
    reply: str | None = None
    after: tuple[str, ...] = ()
    decision: Decision | None = None  # for logs, tests and the bench

    @property
    def understood(self) -> bool:
        return self.intent is not None or self.reply is not None


def _now() -> tuple[datetime, datetime]:
    now = utc_now()
    return now, to_local(now).replace(tzinfo=None)


def load_world(ctx, lexicon: Lexicon) -> World:  # type: ignore[no-untyped-def]
    """The activities and (when asked for) the sender's places and family, as the reading sees them."""
    now, local = _now()
    # Built once per snapshot of the catalogue (its rows only change with its version).
    board = ctx.catalogue
    catalogue = board.memo(("understanding", id(lexicon)), lambda: catalogue_of(board.rows, lexicon))
    mine = cache(lambda: signups.mine(ctx.conn, ctx.openid, now))

    def people() -> People:
        household = families.household(ctx.conn, ctx.openid)
        places: dict[str, dict[int, str]] = {}
        if household.members:
            for row in mine():
                if row.person:
                    places.setdefault(row.person, {})[row.id] = row.status
        return People(household.community, household.members, places)

    return World(catalogue, local, load_held=lambda: {row.id: row.status for row in mine() if not row.person}, load_people=people)


def _heard(ctx, word: str) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    heard = getattr(ctx, "heard", "")
    return (texts.VOICE_HEARD.format(text=heard),) if heard and word in CHANGING_WORDS else ()


def _unsure_voice(ctx, parsed: Parsed, decision: Decision) -> bool:  # type: ignore[no-untyped-def]
    """A voice request to change something that rests on little: a bare number, a corrected
    slip, or a few characters. Heard wrong, it would change the wrong thing."""
    if not getattr(ctx, "heard", "") or decision.outcome != "act" or decision.intent not in CHANGES:
        return False
    return parsed.refs.only_numbers() or bool(parsed.corrections) or len(parsed.text.replace(" ", "")) <= SHORT_VOICE


def read(ctx, text: str | None = None) -> Reading:  # type: ignore[no-untyped-def]
    """Read free text (not a command, not an answer to a dialog) and decide what to do."""
    lexicon = Lexicon.shared()
    now, local = _now()
    text = ctx.text if text is None else text
    parsed = parse(text, lexicon, now)
    if parsed.intent in _NO_DATA and not (parsed.intent.startswith("check") and parsed.weak and parsed.refs.any()):
        world = World([], local)
    else:
        world = load_world(ctx, lexicon)
        parsed = parse(text, lexicon, now, world.protected, world.communities, world.titles, prior=parsed, pairs=world.pairs)
    decision = decide(parsed, world, lexicon)
    if _unsure_voice(ctx, parsed, decision):
        decision = Decision("ask", decision.intent, decision.word, args=decision.args, ids=decision.ids)
    return follow(ctx, decision, world)


def follow(ctx, decision: Decision, world: World) -> Reading:  # type: ignore[no-untyped-def]
    """Turn a decision into a Reading, keeping a question's state in the conversation."""
    outcome = decision.outcome
    if outcome == "act":
        if decision.only is not None:
            return Reading(Intent(decision.word, only=decision.only, label=ctx.text), decision=decision)
        after = (*replies.answers(decision, world), *_heard(ctx, decision.word))
        return Reading(Intent(decision.word, decision.args), after=after, decision=decision)
    if outcome == "ask":
        question = replies.ask(decision, world)
        args = decision.args or str(decision.ids[0])
        ctx.conversations.set(dialog.DIALOG, dialog.ASK, {"word": decision.word, "args": args, "question": question, "whom": decision.whom})
        return Reading(reply=question + "".join("\n" + h for h in _heard(ctx, decision.word)), decision=decision)
    if outcome == "choose":
        question = replies.choose(decision, world)
        options = [dialog.option_data(world.by_id[i]) for i in decision.ids]
        data = {"word": decision.word, "options": options, "question": question, "whom": decision.whom}
        ctx.conversations.set(dialog.DIALOG, dialog.CHOOSE, data)
        return Reading(reply=question, decision=decision)
    if outcome == "refuse":
        return Reading(reply=replies.refuse(decision, world), decision=decision)
    if outcome == "reply":
        return Reading(reply=texts.FREE_GREETING if decision.intent == "greet" else texts.FREE_THANKS, decision=decision)
    return Reading(decision=decision)


def answer(ctx, strict: Intent | None) -> Reading | None:  # type: ignore[no-untyped-def]
    """Read an answer to the question in `ctx.conversation`; None when the message is a
    new request instead (the question is then dropped and the message read as usual)."""
    lexicon = Lexicon.shared()
    conversation = ctx.conversation
    data = conversation.data
    _, local = _now()
    if conversation.state == dialog.CHOOSE:
        got = dialog.read_choice(ctx.text, data.get("options") or [], lexicon, local)
    else:
        got = dialog.read_yes_no(ctx.text, lexicon, local)
    word = data.get("word", "")
    intent = INTENT_OF.get(word, "none")
    if got.kind == "chosen":
        ctx.conversations.clear()
        args = str(got.id) if got.id is not None else data.get("args", "")
        whom = data.get("whom") or ""
        if whom and len(args.split()) == 1:
            args = f"{args} {whom}"  # the family member the question was for (`报名 5 豆豆`)
        return Reading(Intent(word, args), after=_heard(ctx, word), decision=Decision("act", intent, word, args=args))
    if got.kind == "dropped":
        ctx.conversations.clear()
        return Reading(reply=texts.FREE_DROPPED.format(action=replies.action(word)), decision=Decision("refuse", intent, word))
    if got.kind == "new" or strict is not None:
        ctx.conversations.clear()
        return None
    if got.kind == "elsewhere" and word:
        # `消防` after "which one?" names one not listed: the same request, about that one.
        ctx.conversations.clear()
        return read(ctx, f"{word} {ctx.text}")
    question = data.get("question", "")
    if conversation.state == dialog.CHOOSE:
        count = len(data.get("options") or [])
        again = texts.FREE_CHOOSE_AGAIN.format(count=count, question=question)
        return Reading(reply=again, decision=Decision("choose", intent, word))
    return Reading(reply=texts.FREE_ASK_AGAIN.format(question=question), decision=Decision("ask", intent, word))


def vet(ctx, intent: Intent) -> Reading:  # type: ignore[no-untyped-def]
    """A strict command as it is; by voice, a change named only by a number is asked about
    first (`报名三` may have been `报名山`…), and its reply says what was heard."""
    heard = getattr(ctx, "heard", "")
    if heard and intent.word in ("报名", "取消", "请假") and intent.number is not None:
        lexicon = Lexicon.shared()
        world = load_world(ctx, lexicon)
        if intent.number in world.by_id:
            decision = Decision("ask", "", intent.word, args=intent.args, ids=(intent.number,))
            return follow(ctx, decision, world)
    return Reading(intent, after=_heard(ctx, intent.word))
