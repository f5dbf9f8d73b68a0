"""The understanding's own replies: questions back, refusals with what is near, riding answers.

Every text comes from `config/texts.py`; activities are written as residents see them
(`【3】11月28日(周五) 09:00 楼院义务清扫`).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.chat.understanding.resolve import Decision
from bot.chat.understanding.world import Item, World
from bot.domain.timefmt import WEEKDAYS, fmt_hours
from config import texts


def when(item: Item) -> str:
    """`11月28日(周五) 09:00`, from the item's Shanghai wall-clock time."""
    t = item.start
    return f"{t.month}月{t.day}日(周{WEEKDAYS[t.weekday()]}) {t:%H:%M}"


def _end(item: Item) -> str:
    return f"{item.end:%H:%M}" if item.end.date() == item.start.date() else when(item).replace(f"{item.start:%H:%M}", f"{item.end:%H:%M}")


def action(word: str) -> str:
    return texts.FREE_ACTIONS.get(word, word)


def options(items: Sequence[Item]) -> str:
    return "\n".join(texts.FREE_CHOOSE_LINE.format(n=n, id=i.id, when=when(i), title=i.title) for n, i in enumerate(items, 1))


def ask(decision: Decision, world: World) -> str:
    """`您是想报名【3】…吗？回复“是”确认…`"""
    if not decision.ids:
        return texts.FREE_ASK_CODE.format(code=decision.args, action=action(decision.word))
    item = world.by_id[decision.ids[0]]
    return texts.FREE_ASK.format(action=action(decision.word), id=item.id, title=item.title, when=when(item))


def choose(decision: Decision, world: World, total: int | None = None) -> str:
    items = [world.by_id[i] for i in decision.ids]
    text = texts.FREE_CHOOSE.format(action=action(decision.word), options=options(items))
    if total is not None and total > len(items):
        text += "\n" + texts.FREE_CHOOSE_MORE.format(shown=len(items))
    return text


def _near(ids: Sequence[int], world: World) -> str:
    items = [world.by_id[i] for i in ids if i in world.by_id]
    if not items:
        return ""
    lines = "\n".join(texts.FREE_NEAR_LINE.format(id=i.id, when=when(i), title=i.title) for i in items)
    return texts.FREE_NEAR.format(lines=lines)


def refuse(decision: Decision, world: World) -> str:
    """Why nothing was done, and what is near."""
    word = action(decision.word)
    item = world.by_id.get(decision.about) if decision.about is not None else None
    reason = decision.reason
    if item is not None and reason == "cancelled":
        first = texts.FREE_CANCELLED.format(id=item.id, title=item.title)
    elif item is not None and reason == "past":
        first = texts.FREE_PAST.format(id=item.id, title=item.title, when=when(item), action=word)
    elif item is not None and reason == "held":
        first = texts.SIGNUP_ALREADY.format(id=item.id, title=item.title)
    elif item is not None and reason == "closed":
        first = texts.SIGNUP_CLOSED.format(id=item.id)
    elif item is not None and reason == "not_held":
        first = texts.FREE_NOT_HELD.format(id=item.id, title=item.title, action=word)
    elif reason == "none_held":
        first = texts.FREE_NONE_HELD.format(action=word)
    elif reason == "proxy":
        first = texts.FREE_PROXY
    elif reason == "not_held_these":
        first = texts.FREE_NOT_HELD_THESE
    elif reason == "nothing_open":
        first = texts.FREE_NOTHING_OPEN
    else:
        first = texts.FREE_NOT_FOUND
    near = _near(decision.ids, world)
    return f"{first}\n{near}" if near else first


def answers(decision: Decision, world: World) -> list[str]:
    """Answers to the questions that rode along with a request, about the activity acted on."""
    if not decision.answers or not decision.ids or decision.ids[0] not in world.by_id:
        return []
    item = world.by_id[decision.ids[0]]
    out = []
    for question in decision.answers:
        if question == "place":
            out.append(texts.FREE_ANSWER_PLACE.format(place=item.place))
        elif question == "time":
            out.append(texts.FREE_ANSWER_TIME.format(when=when(item), end=_end(item)))
        elif question == "length":
            out.append(texts.FREE_ANSWER_LENGTH.format(hours=fmt_hours(item.hours)))
        elif question == "left":
            places = texts.PLACES_LEFT.format(left=item.left) if item.left else texts.PLACES_FULL
            out.append(texts.FREE_ANSWER_LEFT.format(places=places))
        elif question == "content" and item.content:
            out.append(texts.FREE_ANSWER_CONTENT.format(content=item.content))
    return out
