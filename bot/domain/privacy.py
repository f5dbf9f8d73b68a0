"""Privacy: erasing a person's profile (`注销`). (Phone numbers are kept out of logs by `bot.runtime.logs`.)

Erasure keeps only what the hours ledger needs, anonymised: the resident row stays (its
hour entries point at it, so totals per community and year still add up) but loses
name, phone, employer, volunteer number and openid. The openid becomes a placeholder,
so the same WeChat user writing again starts as a new, unregistered person.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain import families, signups
from bot.storage.models import Activity, Notice, Resident, Signup, utc_now

log = logging.getLogger(__name__)

ERASED_OPENID_PREFIX = "erased:"

def erase(session: Session, resident: Resident, now: datetime | None = None) -> int:
    """Erase the person's profile, and their family members' (SPEC §11); returns how many
    future places were given up.

    Future sign-ups are cancelled first (the waitlist moves up as on any cancellation),
    pending notices are dropped, then the profile is blanked. Hour entries stay,
    attached to the anonymous row.
    """
    now = now or utc_now()
    given_up = sum(_erase_one(session, member, now) for member in families.members(session, resident.id))
    return given_up + _erase_one(session, resident, now)


def _erase_one(session: Session, resident: Resident, now: datetime) -> int:
    future = list(
        session.execute(
            select(Signup.activity_id)
            .join(Activity, Activity.id == Signup.activity_id)
            .where(
                Signup.resident_id == resident.id,
                Signup.status.in_(("confirmed", "waitlisted")),
                Activity.status == "published",
                Activity.start_at > now,
            )
        ).scalars()
    )
    for activity_id in future:
        signups.cancel(session, resident.id, activity_id, now)
    session.execute(
        update(Notice)
        .where(Notice.resident_id == resident.id, Notice.status == "pending")
        .values(status="dropped", reason="erased")
        .execution_options(synchronize_session=False)
    )
    resident.openid = f"{ERASED_OPENID_PREFIX}{uuid.uuid4().hex}"
    resident.name = None
    resident.phone = None
    resident.employer = None
    resident.is_party_member = False
    resident.volunteer_no = None
    resident.role = "resident"
    resident.role_community_id = None
    resident.subscribed = False
    resident.last_message_at = None
    resident.last_event_at = None
    resident.birth_year = None
    resident.relation = None
    resident.erased_at = now
    session.flush()
    log.info("resident %s erased; %s future places given up", resident.id, len(future))
    return len(future)
