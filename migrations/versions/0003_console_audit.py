"""console: the audit log; the ledger's running totals per activity and per person-year; indexes for the console's pages

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=32), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=True),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["residents.id"]),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_actor", "audit_log", ["actor_id", "id"])
    op.create_index("ix_audit_log_action", "audit_log", ["action", "id"])
    # The console sums the ledger per activity (dashboard charts, hours by activity):
    # with the person and the hours in the index those sums never touch the table.
    op.create_index("ix_hour_entries_activity", "hour_entries", ["activity_id", "resident_id", "hours"])
    # A broadcast's progress by status, and its recipients page by page.
    op.create_index("ix_notices_broadcast_status", "notices", ["broadcast_id", "status"])


    op.create_table(
        "activity_hour_totals",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=12, scale=1), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"]),
        sa.PrimaryKeyConstraint("activity_id"),
    )
    op.create_table(
        "resident_year_hours",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=10, scale=1), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"]),
        sa.PrimaryKeyConstraint("resident_id", "year"),
    )
    # The totals of the ledger as it stands (bot.domain.ledger_totals.rebuild does the same).
    year = (
        "EXTRACT(YEAR FROM a.start_at + interval '8 hours')::int"
        if op.get_bind().dialect.name == "postgresql"
        else "CAST(strftime('%Y', a.start_at, '+8 hours') AS INTEGER)"
    )
    op.execute(
        "INSERT INTO activity_hour_totals (activity_id, hours, credits) "
        "SELECT activity_id, SUM(hours), SUM(CASE WHEN kind = 'credit' THEN 1 ELSE 0 END) FROM hour_entries GROUP BY activity_id"
    )
    op.execute(
        "INSERT INTO resident_year_hours (resident_id, year, hours) "
        f"SELECT h.resident_id, {year}, SUM(h.hours) FROM hour_entries h JOIN activities a ON a.id = h.activity_id "
        f"GROUP BY h.resident_id, {year}"
    )


def downgrade() -> None:
    op.drop_table("resident_year_hours")
    op.drop_table("activity_hour_totals")
    op.drop_index("ix_notices_broadcast_status", table_name="notices")
    op.drop_index("ix_hour_entries_activity", table_name="hour_entries")
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.drop_table("audit_log")
