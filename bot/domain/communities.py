"""The residential communities (社区): their order, and the one way a typed name is matched to one.

People type a community the way they say it: `南乾元社区`, `南乾元`, sometimes with the
suffix where the name has none. `matches` is that rule, written once; registration,
publishing, broadcasts, the CLI and the console all go through `named` or `pick`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import InvalidInput, NotFound
from bot.storage.models import Community
from config import texts


def in_order(session: Session) -> list[Community]:
    """All communities in their set order (the order residents choose from)."""
    return list(session.execute(select(Community).order_by(Community.position, Community.id)).scalars())


def aliases(name: str) -> tuple[str, ...]:
    """The ways people write a community's name: in full, and without the 社区 suffix."""
    bare = name.removesuffix(texts.COMMUNITY_SUFFIX)
    return (name, bare) if bare != name and len(bare) >= 2 else (name,)


def matches(community: Community, text: str) -> bool:
    """Whether `text` names `community`: its name, or its name without or with the 社区 suffix."""
    text = text.strip()
    if not text:
        return False
    suffix = texts.COMMUNITY_SUFFIX
    bare = community.name.removesuffix(suffix)
    return text in (community.name, bare) or text.removesuffix(suffix) == bare


def named(options: Iterable[Community | None] | Session, text: str) -> Community | None:
    """The community `text` names, among `options` (or all communities of a session); None when none."""
    candidates = in_order(options) if isinstance(options, Session) else options
    return next((c for c in candidates if c is not None and matches(c, text)), None)


def pick(options: Sequence[Community | None], text: str) -> Community | None:
    """The option chosen from a numbered list: its number (from 1) or a community's name.

    A `None` option stands for the whole subdistrict (全街道), chosen by its number or by
    one of `texts.SUBDISTRICT_WORDS`. Raises InvalidInput when the text chooses nothing.
    """
    text = text.strip()
    if text.isdigit() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    if None in options and text in texts.SUBDISTRICT_WORDS:
        return None
    community = named(options, text)
    if community is None:
        raise InvalidInput("community")
    return community


def required(session: Session, name: str | None) -> Community | None:
    """The community `name` names, or None (the whole subdistrict) when no name is given; unknown names raise NotFound."""
    if not name or not name.strip():
        return None
    community = named(session, name)
    if community is None:
        raise NotFound(f"no community named {name.strip()!r}")
    return community


def add(session: Session, name: str) -> Community:
    """Add a community at the end of the order; an existing one (same name) is returned as it is."""
    name = name.strip()
    if not name:
        raise InvalidInput(texts.COMMUNITY_NAME_EMPTY)
    existing = session.execute(select(Community).where(Community.name == name)).scalar_one_or_none()
    if existing is not None:
        return existing
    last = session.execute(select(Community.position).order_by(Community.position.desc()).limit(1)).scalar()
    community = Community(name=name, position=(last or 0) + 1)
    session.add(community)
    session.flush()
    return community
