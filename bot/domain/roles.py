"""Who may do what: the one place organizer commands check role and scope.

An organizer may be scoped to one community: they may act on that community's
activities and audience only. Admins and unscoped organizers may act on everything.
A refusal is logged (without personal data) and raised as `Forbidden` (reply contains 无权).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from bot.domain import activities
from bot.domain.errors import Forbidden, UserError
from bot.storage.models import Activity, Resident
from config import texts

log = logging.getLogger(__name__)


def is_organizer(resident: Resident) -> bool:
    return resident.role in ("organizer", "admin")


def scope_of(resident: Resident) -> int | None:
    """The one community an organizer is limited to; None when they may act everywhere."""
    if resident.role == "admin":
        return None
    return resident.role_community_id


def require_organizer(
    resident: Resident,
    word: str,
    activity: Activity | None = None,
    community_id: int | None = None,
    *,
    subdistrict: bool = False,
) -> None:
    """Raise Forbidden unless `resident` may run organizer command `word`.

    The target, when there is one: `activity`, a `community_id`, or `subdistrict=True`
    for the whole 街道 (a 全街道 activity, a broadcast to everyone or to party members).
    A scoped organizer may only act on their own community.
    """
    if not is_organizer(resident):
        log.warning("refused %s: resident %s has role %s", word, resident.id, resident.role)
        raise Forbidden(texts.FORBIDDEN.format(word=word))
    scope = scope_of(resident)
    if scope is None:
        return
    if activity is not None:
        target = activity.community_id
    elif community_id is not None or subdistrict:
        target = community_id
    else:
        return
    if target != scope:
        log.warning("refused %s: organizer %s is scoped to community %s, not %s", word, resident.id, scope, target or "subdistrict")
        raise Forbidden(texts.FORBIDDEN_SCOPE)


def organizer_activity(session: Session, resident: Resident, word: str, activity_id: int | None) -> Activity:
    """The activity organizer command `word` acts on, once `resident` may act on it.

    A resident is refused (无权) before the number is even read; a missing number or an
    unknown id gets its own clear answer; an organizer of another community is refused.
    """
    require_organizer(resident, word)
    if activity_id is None:
        raise UserError(texts.NEED_NUMBER.format(word=word))
    activity = activities.get(session, activity_id)
    require_organizer(resident, word, activity)
    return activity
