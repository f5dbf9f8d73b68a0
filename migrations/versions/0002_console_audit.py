"""console: the audit log, and the ledger indexed by activity for the console's aggregates

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
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


def downgrade() -> None:
    op.drop_index("ix_notices_broadcast_status", table_name="notices")
    op.drop_index("ix_hour_entries_activity", table_name="hour_entries")
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.drop_table("audit_log")
