"""For whom a sign-up or a cancel is (SPEC §11): the sender, family members, or a stranger.

`给俺孙子豆豆报上读书会` from someone with a family member named 豆豆 is for 豆豆
(`报名 5 豆豆`); `给俺老伴报个名` is for the one member who is a spouse; `给小明报上` from
someone without a member of that name is for someone the bot does not know, and the
bot says how to add family members. A member is named only by a name or a relation
word in the place of the one the request is for; a word that describes an activity
(`给老人理发那个`) is never taken for a person. Pure: the caller gives the members.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.chat.understanding.lexicon import Hit, Lexicon
from config import texts

SELF, MEMBERS, ASK, OTHER = "self", "members", "ask", "other"
# How far before the request word the one it is for may start (`给我孙子豆豆也报上`).
_REACH = 8


@dataclass(frozen=True)
class Whom:
    """`self`; `members` (`names`, with the sender too when `with_self`); `ask` (a family
    member, not clear which: the sign-up asks for whom); `other` (someone unknown)."""

    kind: str = SELF
    names: tuple[str, ...] = ()
    with_self: bool = False

    def args(self) -> str:
        """What follows the activity's number in the command (`本人 豆豆`)."""
        if self.kind != MEMBERS:
            return ""
        return " ".join((*((texts.FAMILY_SELF_WORDS[0],) if self.with_self else ()), *self.names))


def _slot(text: str, hits: Sequence[Hit], lexicon: Lexicon) -> str | None:
    """What stands between `给`/`帮`/`替` and the request word (`豆豆` in `帮豆豆报个名`),
    or None when no such place is filled (`给我报上` is the sender's own)."""
    requests = [h for h in hits if any(c == "intent" and v in ("signup", "attend", "cancel") for c, v in h.tags)]
    # The request word with a `给`/`帮` before it (`我娘也想学…，给她报个`), else the first.
    for request in requests:
        before = text[max(0, request.start - _REACH) : request.start]
        marks = list(lexicon.for_whom_mark.finditer(before))
        if marks:
            break
    else:
        return None
    start = request.start - len(before) + marks[-1].end()
    # A word about the activity in that place (`给老人理发`, `给孩子理发`): no person.
    for h in hits:
        if start <= h.start < request.start and not lexicon.relation_words.fullmatch(h.word):
            if any(c not in ("func", "time") for c, _ in h.tags):
                return None
    who = lexicon.possessive.sub("", text[start : request.start]).strip()
    return lexicon.together.sub("", who).strip()


def _by_relation(words: set[str], members: Sequence[tuple[str, str]], lexicon: Lexicon) -> Whom:
    relations = {r for w in words for r in lexicon.relations.get(w, ())}
    fitting = tuple(name for name, relation in members if relation in relations)
    if len(fitting) == 1:
        return Whom(MEMBERS, fitting)
    return Whom(ASK) if fitting else Whom(OTHER)


def for_whom(
    text: str,
    hits: Sequence[Hit],
    members: Sequence[tuple[str, str]],
    lexicon: Lexicon,
    describes: Callable[[str], bool] | None = None,
) -> Whom:
    """For whom the request in `text` is, given the sender's members as (name, relation);
    `describes(words)` says whether words describe an activity (`给交警送绿豆汤那个`)."""
    named = sorted((text.find(name), name) for name, _ in members if name and name in text)
    with_self = lexicon.with_me.search(text) is not None
    if named:
        return Whom(MEMBERS, tuple(name for _, name in named), with_self)
    if members and lexicon.whole_family.search(text):
        return Whom(MEMBERS, tuple(name for name, _ in members), True)
    who = _slot(text, hits, lexicon)
    proxy = lexicon.proxy.search(text)
    relation_words = set(lexicon.relation_words.findall(who or ""))
    if proxy is not None:
        relation_words.update(lexicon.relation_words.findall(proxy.group(0)))
    if relation_words:
        return _by_relation(relation_words, members, lexicon) if members else Whom(OTHER)
    if proxy is not None:
        return Whom(OTHER)  # a neighbour, a friend: they sign up themselves
    if not who or who in lexicon.self_words:
        return Whom(SELF)
    if who in lexicon.pronouns:
        # `我娘也想学…，给她报个`: the one named before by a relation word.
        named_before = set(lexicon.relation_words.findall(text))
        if named_before:
            return _by_relation(named_before, members, lexicon) if members else Whom(OTHER)
        return Whom(ASK) if members else Whom(OTHER)
    if describes is not None and describes(who):
        return Whom(SELF)  # `给交警送绿豆汤那个我参加`: what the activity does, not for whom
    return Whom(OTHER)  # a name the bot does not know among the sender's family
