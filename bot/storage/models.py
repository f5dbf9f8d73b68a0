"""The database tables, as SQLAlchemy 2 models.

Times are stored as naive UTC (`utc_now()`); they are shown in Asia/Shanghai by
`bot.domain.timefmt`. Hours are decimals with one place, never floats.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utc_now() -> datetime:
    """Now, as the naive UTC datetime every column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)


ROLES = ("resident", "organizer", "admin")


class Resident(Base):
    """A person who follows the account: resident, party member, organizer or admin."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    # The internal volunteer number that identifies a person on every record (never an ID card).
    volunteer_no: Mapped[str | None] = mapped_column(String(16), unique=True)
    name: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(16))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    is_party_member: Mapped[bool] = mapped_column(Boolean, default=False)
    employer: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="resident")
    role_community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When the person last wrote to us / clicked, scanned or followed: WeChat's
    # customer-service window is counted from these.
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_event_at: Mapped[datetime | None] = mapped_column(DateTime)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A family member (SPEC §11) has no WeChat of their own: the adult who manages them
    # (the proxy) signs them up, gets their notices, and gave the consent recorded here.
    proxy_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    relation: Mapped[str | None] = mapped_column(String(16))  # child | parent | spouse | other
    birth_year: Mapped[int | None] = mapped_column(Integer)
    consent_kind: Mapped[str | None] = mapped_column(String(16))  # guardian (a minor) | agreed (an adult)
    consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now, onupdate=utc_now)

    community: Mapped[Community | None] = relationship(foreign_keys=[community_id])
    role_community: Mapped[Community | None] = relationship(foreign_keys=[role_community_id])
    proxy: Mapped[Resident | None] = relationship(foreign_keys=[proxy_id], remote_side=[id])

    @property
    def registered(self) -> bool:
        return self.registered_at is not None and self.erased_at is None

    @property
    def is_member(self) -> bool:
        """A family member signed up by someone else (they have no WeChat of their own here)."""
        return self.proxy_id is not None


ACTIVITY_KINDS = ("cleanup", "lecture", "culture", "visit", "training", "other")
ACTIVITY_STATUSES = ("published", "cancelled", "closed")


class Activity(Base):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(128))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    start_at: Mapped[datetime] = mapped_column(DateTime)
    end_at: Mapped[datetime] = mapped_column(DateTime)
    deadline_at: Mapped[datetime] = mapped_column(DateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    status: Mapped[str] = mapped_column(String(16), default="published")
    # Bumped under the activity's row lock on every sign-up; orders the waitlist.
    signup_seq: Mapped[int] = mapped_column(Integer, default=0)
    # Places taken (confirmed sign-ups) and people in line (waitlisted), kept by every change
    # of a sign-up's status under the activity's lock: a sign-up reads and bumps them in
    # its one UPDATE instead of counting rows.
    taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waiting: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checkin_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    # Who may take part, by age in the activity's year (None: no limit).
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now, onupdate=utc_now)

    community: Mapped[Community | None] = relationship()
    organizer: Mapped[Resident | None] = relationship()

    __table_args__ = (Index("ix_activities_status_start", "status", "start_at"),)


SIGNUP_STATUSES = ("confirmed", "waitlisted", "cancelled", "left")


class Signup(Base):
    """One person's place (or place in line) for one activity; one row per pair, ever."""

    __tablename__ = "signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    status: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now, onupdate=utc_now)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    attendance_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime)

    activity: Mapped[Activity] = relationship()
    resident: Mapped[Resident] = relationship()

    __table_args__ = (
        UniqueConstraint("activity_id", "resident_id", name="uq_signups_activity_resident"),
        Index("ix_signups_activity_status_seq", "activity_id", "status", "seq"),
        Index("ix_signups_resident_status", "resident_id", "status"),
    )


class Notice(Base):
    """A message owed to one person. The row exists before any job does; Redis only carries work."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique, deterministic: e.g. `reminder:12:34:86400`; sent as WeChat's client_msg_id.
    key: Mapped[str] = mapped_column(String(128), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    kind: Mapped[str] = mapped_column(String(32))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))
    text: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    # Past this a notice is pointless (a reminder after the start) and is dropped.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    channel: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)

    resident: Mapped[Resident] = relationship()

    __table_args__ = (
        Index("ix_notices_status_due", "status", "due_at"),
        # A broadcast's progress and per-recipient status (console, `群发状态`).
        Index("ix_notices_broadcast_status", "broadcast_id", "status"),
    )


class HourEntry(Base):
    """The append-only hours ledger: one credit per person per activity, plus signed corrections."""

    __tablename__ = "hour_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    kind: Mapped[str] = mapped_column(String(16))  # credit | correction
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    reason: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)

    __table_args__ = (
        # Crediting twice is impossible: the database itself refuses a second credit.
        Index(
            "uq_hour_entries_credit",
            "resident_id",
            "activity_id",
            unique=True,
            postgresql_where=text("kind = 'credit'"),
            sqlite_where=text("kind = 'credit'"),
        ),
        Index("ix_hour_entries_resident_created", "resident_id", "created_at"),
        Index("ix_hour_entries_activity", "activity_id", "resident_id", "hours"),
    )


class Dispute(Base):
    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    correction_id: Mapped[int | None] = mapped_column(ForeignKey("hour_entries.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)


class Invite(Base):
    """A one-time code an admin makes; `绑定 CODE` turns its redeemer into an organizer."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="organizer")
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    redeemed_by_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    audience: Mapped[str] = mapped_column(String(80))  # all | party | community:<id>
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | sending | done
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditEntry(Base):
    """Who changed what, when: every change made through the console or by an organizer in chat."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    # The actor's name as it was: the log must still say who acted after a profile changes.
    actor_name: Mapped[str | None] = mapped_column(String(32))
    via: Mapped[str] = mapped_column(String(16))  # console | chat | cli | system
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str | None] = mapped_column(String(16))
    object_id: Mapped[int | None] = mapped_column(Integer)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_log_actor", "actor_id", "id"), Index("ix_audit_log_action", "action", "id"))


class ActivityHours(Base):
    """The ledger summed per activity, kept in step with every entry written (`bot.domain.ledger_totals`).

    The console's charts and hours pages read these few rows instead of summing a
    million entries on every view.
    """

    __tablename__ = "activity_hour_totals"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), primary_key=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(12, 1), default=Decimal(0))
    credits: Mapped[int] = mapped_column(Integer, default=0)  # people credited (corrections not counted)


class ResidentYearHours(Base):
    """The ledger summed per person and Shanghai year of the activity, kept in step like `ActivityHours`."""

    __tablename__ = "resident_year_hours"

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(10, 1), default=Decimal(0))
