"""places taken and people waiting, as counters on the activity

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00

A sign-up takes a place with one UPDATE … RETURNING of these counters instead of
counting sign-up rows under the lock; every change of a sign-up's status keeps them
exact. The backfill counts what is there.
"""
from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('taken', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('waiting', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE activities SET"
        " taken = (SELECT count(*) FROM signups WHERE signups.activity_id = activities.id AND signups.status = 'confirmed'),"
        " waiting = (SELECT count(*) FROM signups WHERE signups.activity_id = activities.id AND signups.status = 'waitlisted')"
    )


def downgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('waiting')
        batch_op.drop_column('taken')
