"""The service-record certificate (志愿服务记录证明) and its verification code.

`证明` hands out a link whose token is signed with SECRET_KEY (itsdangerous) and
carries the person and the moment of issue. The page lists the ledger as it stood at
that moment — the ledger is append-only, so the same link always shows the same
record — with each activity's Art. 7 fields.

The verification code printed on the page is signed too and carries the holder, the
moment of issue and the total; `/verify/<code>` checks the signature and shows those
from the ledger. Editing the page cannot change what the code verifies, and editing
the code or the link breaks its signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot.domain.hours import ZERO
from bot.domain.timefmt import to_local
from bot.storage.models import Activity, Community, HourEntry, Resident

LINK_SALT = "certificate-link"
CODE_SALT = "certificate-verify"
# A link is personal data in a chat; it works for this long. Codes never expire:
# a printed certificate is checked years later.
LINK_MAX_AGE = 30 * 86400


class InvalidCertificate(Exception):
    """A link or code that was not made by us (edited, truncated) or has expired."""


@dataclass(frozen=True)
class CertificateLine:
    """One activity on a certificate: the fields 《志愿服务记录与证明出具办法》 Art. 7 asks for."""

    activity_id: int
    title: str
    date: str
    place: str
    content: str
    hours: Decimal
    organizing_body: str
    person_in_charge: str


@dataclass(frozen=True)
class Certificate:
    resident_id: int
    name: str
    volunteer_no: str
    issued_at: datetime  # naive UTC
    lines: list[CertificateLine]

    @property
    def total(self) -> Decimal:
        return sum((line.hours for line in self.lines), ZERO)

    @property
    def issued_local(self) -> datetime:
        return to_local(self.issued_at)


# ── signing ────────────────────────────────────────────────────────────────
def _link_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=LINK_SALT)


def link_token(secret_key: str, resident_id: int) -> str:
    """A signed, dated token naming the person; the date is the moment of issue."""
    return _link_serializer(secret_key).dumps(resident_id)


def read_link(secret_key: str, token: str, max_age: int = LINK_MAX_AGE) -> tuple[int, datetime]:
    """(resident id, issue time as naive UTC) from a link token; InvalidCertificate if forged or expired."""
    try:
        resident_id, signed_at = _link_serializer(secret_key).loads(token, max_age=max_age, return_timestamp=True)
    except BadSignature as exc:  # SignatureExpired is a BadSignature too
        raise InvalidCertificate(str(exc)) from exc
    if not isinstance(resident_id, int):
        raise InvalidCertificate("not a certificate link")
    return resident_id, _naive_utc(signed_at)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _code_signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt=CODE_SALT, sep=".")


def verification_code(secret_key: str, certificate: Certificate) -> str:
    """`<resident>-<issued unix time>-<total in half hours>.<signature>`."""
    halves = int(certificate.total * 2)
    stamp = int(certificate.issued_at.replace(tzinfo=UTC).timestamp())
    return _code_signer(secret_key).sign(f"{certificate.resident_id}-{stamp}-{halves}").decode()


@dataclass(frozen=True)
class Verified:
    resident_id: int
    issued_at: datetime  # naive UTC
    total: Decimal


def read_code(secret_key: str, code: str) -> Verified:
    """What a verification code certifies; InvalidCertificate when it was not made by us."""
    try:
        payload = _code_signer(secret_key).unsign(code.strip()).decode()
        resident_part, stamp_part, halves_part = payload.split("-")
        issued = datetime.fromtimestamp(int(stamp_part), UTC).replace(tzinfo=None)
        return Verified(int(resident_part), issued, Decimal(int(halves_part)) / 2)
    except (BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCertificate(str(exc)) from exc


# ── the record ─────────────────────────────────────────────────────────────
def build(session: Session, resident_id: int, issued_at: datetime, org_name: str) -> Certificate | None:
    """The person's record as the ledger stood at `issued_at`: one line per activity with hours > 0.

    Signed times are whole seconds, so entries made during the second of issue count.
    """
    resident = session.get(Resident, resident_id)
    if resident is None:
        return None
    organizer = aliased(Resident)
    activity_community = aliased(Community)
    hours_sum = func.sum(HourEntry.hours)
    rows = session.execute(
        select(
            Activity.id,
            Activity.title,
            Activity.start_at,
            Activity.place,
            Activity.content,
            activity_community.name,
            organizer.name,
            hours_sum,
        )
        .join(Activity, Activity.id == HourEntry.activity_id)
        .outerjoin(activity_community, activity_community.id == Activity.community_id)
        .outerjoin(organizer, organizer.id == Activity.organizer_id)
        .where(HourEntry.resident_id == resident_id, HourEntry.created_at < issued_at + timedelta(seconds=1))
        .group_by(Activity.id, Activity.title, Activity.start_at, Activity.place, Activity.content, activity_community.name, organizer.name)
        .having(hours_sum > 0)
        .order_by(Activity.start_at, Activity.id)
    )
    lines = [
        CertificateLine(
            activity_id=activity_id,
            title=title,
            date=f"{to_local(start_at):%Y-%m-%d}",
            place=place,
            content=content or title,
            hours=Decimal(total).quantize(Decimal("0.1")),
            organizing_body=community_name or org_name,
            person_in_charge=organizer_name or "—",
        )
        for activity_id, title, start_at, place, content, community_name, organizer_name, total in rows
    ]
    return Certificate(
        resident_id=resident.id,
        name=resident.name or "",
        volunteer_no=resident.volunteer_no or "",
        issued_at=issued_at,
        lines=lines,
    )


def current_total(session: Session, resident_id: int) -> Decimal:
    """The person's hours in the ledger now (corrections never take an activity below 0)."""
    total = session.execute(select(func.coalesce(func.sum(HourEntry.hours), 0)).where(HourEntry.resident_id == resident_id)).scalar_one()
    return Decimal(total).quantize(Decimal("0.1"))


def has_record(session: Session, resident_id: int) -> bool:
    """True when the person has any hours to certify."""
    return current_total(session, resident_id) > 0
