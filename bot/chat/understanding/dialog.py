"""Short answers to a question the understanding asked: `1`, `第二个`, `讲座那个`, `都不是`, `是`.

The question is a named dialog state (`understand:choose` or `understand:ask`) kept in
the person's conversation in Redis, with the options in its data, so the answer is
read without looking at the database again. Anything that is not an answer but a new
request leaves the question behind and is read as that request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from bot.chat.understanding import plain
from bot.chat.understanding.lexicon import Lexicon
from bot.chat.understanding.match import by_title_word, select
from bot.chat.understanding.parse import parse
from bot.chat.understanding.world import Item, World
from config import vocabulary as v

DIALOG = "understand"
CHOOSE = "choose"
ASK = "ask"

_INDEX = re.compile(
    f"^(?:{'|'.join(v.CHOICE_PREFIXES)})?\\s*(\\d{{1,3}})\\s*(?:{'|'.join(v.CHOICE_COUNTERS)})?(?:{'|'.join(v.CHOICE_ENDINGS)})?$"
)


@dataclass(frozen=True)
class Answer:
    """What the answer was: `chosen` (id), `dropped`, `again` (ask once more), `new` (a new
    request), or `elsewhere` (it names an activity, but none of the options)."""

    kind: str
    id: int | None = None


def option_data(item: Item) -> dict:
    """What a numbered option keeps in the dialog state: enough to read `讲座那个` later."""
    return {
        "id": item.id,
        "kind": item.kind,
        "title": item.title,
        "place": item.place,
        "community": item.community,
        "start": item.start.isoformat(),
        "end": item.end.isoformat(),
        "text": item.text,
    }


def _item(data: dict) -> Item:
    start = datetime.fromisoformat(data["start"])
    end = datetime.fromisoformat(data["end"])
    return Item(
        id=data["id"], kind=data["kind"], title=data["title"], content="", place=data["place"], community=data["community"],
        start=start, end=end, deadline=start, status="published", capacity=0, taken=0, hours=0, text=data["text"],
        plain_title=data["title"],
    )


_MARKS = "。.,，!！?？~～ "
# An answer this short is looked for in the options' titles and places as it is.
_SHORT = 2
_HAN = re.compile(r"[\u4e00-\u9fff]+")


def _raw(text: str) -> str:
    return plain.fold(text).strip(_MARKS).lower()


def _plain(text: str, lexicon: Lexicon) -> str:
    return plain.clean(text, lexicon).text.replace(" ", "").strip(_MARKS).lower()


def read_choice(text: str, options: list[dict], lexicon: Lexicon, now: datetime) -> Answer:
    """Which of the numbered options the answer picks."""
    if _raw(text) in lexicon.no:
        return Answer("dropped")
    plain = _plain(text, lexicon)
    if not plain:
        return Answer("again")
    if any(word in plain for word in lexicon.none_of_them) or plain in lexicon.no:
        return Answer("dropped")
    index = _INDEX.match(plain)
    if index is not None:
        n = int(index.group(1))
        if 1 <= n <= len(options):
            return Answer("chosen", options[n - 1]["id"])
        ids = [o["id"] for o in options]
        return Answer("chosen", n) if n in ids else Answer("again")
    where = plain.removesuffix("吧")
    if where in v.CHOICE_FIRST or where in v.CHOICE_LAST:
        return Answer("chosen", options[0 if where in v.CHOICE_FIRST else -1]["id"])
    # `河那个`: a character or two of one option's title or place, that are no word the bot reads
    # (`活动`) and no yes (`中` is "all right", not 中医养生讲座).
    own = len(plain) <= _SHORT and _HAN.fullmatch(plain) is not None and plain not in lexicon.tags
    own = own and plain not in lexicon.yes and plain not in lexicon.no
    short = [o for o in options if own and plain in o["title"] + o["place"]]
    if len(short) == 1:
        return Answer("chosen", short[0]["id"])
    items = [_item(o) for o in options]
    world = World(items, now)
    parsed = parse(plain, lexicon, now, world.protected, world.communities, world.titles)
    if parsed.refs.any() and not parsed.refs.ids:
        found = select(items, parsed.refs, world, lexicon)
        found = replace(found, items=by_title_word(found.items, parsed.refs, lexicon))
        if len(found.items) == 1 and found.explained:
            return Answer("chosen", found.items[0].id)
        if found.items and found.explained:
            return Answer("again")
        if parsed.intent in ("none", "detail"):
            return Answer("elsewhere")
    if parsed.intent not in ("none", "detail") or parsed.refs.ids:
        return Answer("new")
    return Answer("again")


def read_yes_no(text: str, lexicon: Lexicon, now: datetime) -> Answer:
    """`是` / `中` / `好的` → yes; `不是` / `算了` → no; a new request → new."""
    raw = _raw(text)
    if raw in lexicon.yes:
        return Answer("chosen")
    if raw in lexicon.no:
        return Answer("dropped")
    plain = _plain(text, lexicon)
    if plain in lexicon.yes:
        return Answer("chosen")
    if plain in lexicon.no or any(word in plain for word in lexicon.none_of_them):
        return Answer("dropped")
    if plain.startswith(v.YES_STARTS) and len(plain) <= 4:
        return Answer("chosen")
    if plain.startswith(v.NO_STARTS) and len(plain) <= 4:
        return Answer("dropped")
    parsed = parse(plain, lexicon, now)
    if parsed.intent not in ("none", "detail", "greet", "thanks"):
        return Answer("new")
    return Answer("again")
