"""Signing up for family members (SPEC §11): one adult takes places for several people at once.

Everyone named is signed up inside one transaction, in the order given, each through the
same rule as anyone (`signups.sign_up`): one place per person, capacity exact (the
activity stays locked from the first to the last), overlap, deadline and age checked per
person. When not all fit, the rest wait in that order. A person refused (too young,
already signed up, busy elsewhere) is reported and the others go ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain import families, signups
from bot.domain.errors import NotRegistered, UserError
from bot.storage.models import Resident
from config import texts


@dataclass(frozen=True)
class Outcome:
    """What happened to one person of a family sign-up."""

    person: Resident
    is_self: bool
    result: signups.SignupResult | None = None
    refusal: str | None = None


def choices(proxy: Resident, members: list[Resident]) -> list[tuple[str, list[Resident]]]:
    """The numbered answers to "for whom?": 本人, each member, then 全部."""
    options: list[tuple[str, list[Resident]]] = [(texts.SIGNUP_SELF, [proxy])]
    options += [(m.name or "", [m]) for m in members]
    options.append((texts.SIGNUP_FOR_ALL, [proxy, *members]))
    return options


def read_people(text: str, proxy: Resident, members: list[Resident]) -> list[Resident]:
    """The people an answer names, in the order named: numbers of `choices`, names, 本人, 全部.

    `1 3`, `1、3`, `小明 小红`, `本人`, `全部`; raises UserError when any part names nobody.
    """
    options = choices(proxy, members)
    picked: list[Resident] = []
    parts = [p for p in text.replace("、", " ").replace(",", " ").replace("，", " ").split() if p]
    if not parts:
        raise UserError(texts.FAMILY_NOT_FOUND.format(name=text))
    for part in parts:
        if part.isdigit() and 1 <= int(part) <= len(options):
            found = options[int(part) - 1][1]
        elif part in texts.FAMILY_SELF_WORDS:
            found = [proxy]
        elif part in texts.FAMILY_ALL_WORDS:
            found = [proxy, *members]
        else:
            member = next((m for m in members if m.name == part), None)
            if member is None:
                raise UserError(texts.FAMILY_NOT_FOUND.format(name=part))
            found = [member]
        picked += [p for p in found if p not in picked]
    return picked


def sign_up(session: Session, proxy: Resident, activity_id: int, people: list[Resident], now: datetime | None = None) -> list[Outcome]:
    """Take a place (or a place in line) for each person, in order, in the caller's transaction."""
    outcomes = []
    for person in people:
        is_self = person.id == proxy.id
        if not is_self and person.proxy_id != proxy.id:  # only one's own family
            raise UserError(texts.FAMILY_NOT_FOUND.format(name=person.name or ""))
        try:
            with session.begin_nested():  # a refusal undoes this person's part only
                result = signups.sign_up(session, person.id, activity_id, now)
        except NotRegistered:
            raise
        except UserError as exc:
            outcomes.append(Outcome(person, is_self, refusal=exc.message))
            continue
        outcomes.append(Outcome(person, is_self, result=result))
    return outcomes


def member_named(session: Session, proxy: Resident, name: str) -> Resident:
    """The proxy's family member of this name; refused when there is none."""
    member = families.named(session, proxy.id, name)
    if member is None:
        raise UserError(texts.FAMILY_NOT_FOUND.format(name=name))
    return member
