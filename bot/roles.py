"""Who may do what: the one place organizer commands check role and scope.

An organizer may be scoped to one community: they may act on that community's
activities and audience only. Admins and unscoped organizers may act on everything.
A refusal is logged (without personal data) and raised as `Forbidden` (reply contains 无权).
"""

from __future__ import annotations

import logging

from bot.errors import Forbidden
from bot.models import Activity, Resident
from config import texts

log = logging.getLogger(__name__)


def is_organizer(resident: Resident) -> bool:
    return resident.role in ("organizer", "admin")


def require_organizer(resident: Resident, word: str, activity: Activity | None = None, community_id: int | None = None) -> None:
    """Raise Forbidden unless `resident` may run organizer command `word` (on `activity` / `community_id`)."""
    if not is_organizer(resident):
        log.warning("refused %s: resident %s has role %s", word, resident.id, resident.role)
        raise Forbidden(texts.FORBIDDEN.format(word=word))
    if resident.role == "admin" or resident.role_community_id is None:
        return
    target = activity.community_id if activity is not None else community_id
    if (activity is not None or community_id is not None) and target != resident.role_community_id:
        log.warning("refused %s: organizer %s is scoped to community %s, not %s", word, resident.id, resident.role_community_id, target)
        raise Forbidden(texts.FORBIDDEN_SCOPE)
