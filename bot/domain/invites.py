"""Organizer invites: an admin makes a one-time code, a person redeems it with `绑定 CODE`.

A code expires after `INVITE_TTL` (7 days by default, `--days` on the CLI) and can be
redeemed once: the redeeming UPDATE only matches a code nobody has used, so two people
sending the same code at the same moment cannot both become organizers.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain.errors import UserError
from bot.storage.models import Community, Invite, Resident, utc_now
from config import texts

log = logging.getLogger(__name__)

INVITE_TTL = timedelta(days=7)
# No 0/O, 1/I/L: the code is read off a screen and typed on a phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def normalise_code(text: str) -> str:
    return text.strip().replace(" ", "").replace("-", "").upper()


def create(
    session: Session,
    role: str = "organizer",
    community: Community | None = None,
    *,
    ttl: timedelta = INVITE_TTL,
    now: datetime | None = None,
) -> Invite:
    """A new unused invite for `role` (scoped to `community` when given)."""
    now = now or utc_now()
    invite = Invite(
        code="".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)),
        role=role,
        community_id=community.id if community else None,
        expires_at=now + ttl,
    )
    session.add(invite)
    session.flush()
    return invite


def redeem(session: Session, resident: Resident, code: str, now: datetime | None = None) -> Invite:
    """Give `resident` the invite's role; raises UserError when the code is unknown, used or expired."""
    now = now or utc_now()
    code = normalise_code(code)
    if not code:
        raise UserError(texts.BIND_NEED_CODE)
    invite = session.execute(select(Invite).where(Invite.code == code)).scalar_one_or_none()
    if invite is None:
        log.warning("invite redeem refused: unknown code (resident %s)", resident.id)
        raise UserError(texts.BIND_UNKNOWN)
    if invite.redeemed_at is not None:
        log.warning("invite %s redeem refused: already used (resident %s)", invite.id, resident.id)
        raise UserError(texts.BIND_USED)
    if invite.expires_at <= now:
        log.warning("invite %s redeem refused: expired (resident %s)", invite.id, resident.id)
        raise UserError(texts.BIND_EXPIRED)
    if resident.role == "admin":
        raise UserError(texts.BIND_ALREADY_ADMIN)
    # The conditional UPDATE is the single-use guarantee: only one transaction can match.
    claimed = session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.redeemed_at.is_(None), Invite.expires_at > now)
        .values(redeemed_at=now, redeemed_by_id=resident.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        log.warning("invite %s redeem refused: used concurrently (resident %s)", invite.id, resident.id)
        raise UserError(texts.BIND_USED)
    resident.role = invite.role
    resident.role_community_id = invite.community_id
    session.flush()
    session.refresh(invite)
    log.info("invite %s redeemed by resident %s: role %s, community %s", invite.id, resident.id, invite.role, invite.community_id)
    return invite
