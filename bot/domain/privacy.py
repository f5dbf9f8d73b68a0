"""Privacy: erasing a person's profile (`注销`), and keeping phone numbers out of logs.

Erasure keeps only what the hours ledger needs, anonymised: the resident row stays (its
hour entries point at it, so totals per community and year still add up) but loses
name, phone, employer, volunteer number and openid. The openid becomes a placeholder,
so the same WeChat user writing again starts as a new, unregistered person.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain import signups
from bot.storage.models import Activity, Notice, Resident, Signup, utc_now

log = logging.getLogger(__name__)

ERASED_OPENID_PREFIX = "erased:"

# An 11-digit mainland mobile number not inside a longer run of digits, with or without
# +86 in front and the spaces or dashes people type (`138 0013 8000`).
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?)(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")


def mask_phones(text: str) -> str:
    """Replace every mobile number in `text` by its masked form `138****8000`."""
    return _MOBILE.sub(r"\1\2****\4", text)


class PhoneMaskFilter(logging.Filter):
    """Masks mobile numbers in a log record's message, arguments and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's problem, not ours
            return True
        masked = mask_phones(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Exceptions carry SQL parameters and user input; format them now, masked.
            record.exc_text = mask_phones(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_phones(record.stack_info)
        return True


_FILTER = PhoneMaskFilter()


def install_log_filter() -> None:
    """Mask phone numbers in every log record this process creates, whatever logger or handler.

    A filter on one logger misses records of its children, and one on a handler misses
    handlers added later (gunicorn's, pytest's); wrapping the record factory covers all.
    Installing twice is harmless.
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "masks_phones", False):
        return

    def masking_factory(*args, **kwargs) -> logging.LogRecord:  # type: ignore[no-untyped-def]
        record = factory(*args, **kwargs)
        _FILTER.filter(record)
        return record

    masking_factory.masks_phones = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masking_factory)


def erase(session: Session, resident: Resident, now: datetime | None = None) -> int:
    """Erase the person's profile; returns how many future places were given up.

    Future sign-ups are cancelled first (the waitlist moves up as on any cancellation),
    pending notices are dropped, then the profile is blanked. Hour entries stay,
    attached to the anonymous row.
    """
    now = now or utc_now()
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
    resident.erased_at = now
    session.flush()
    log.info("resident %s erased; %s future places given up", resident.id, len(future))
    return len(future)
