"""family members (SPEC §11) and activity age ranges

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("residents") as batch:
        batch.add_column(sa.Column("proxy_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("relation", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("birth_year", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("consent_kind", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("consent_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("consent_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key("fk_residents_proxy_id", "residents", ["proxy_id"], ["id"])
        batch.create_foreign_key("fk_residents_consent_by_id", "residents", ["consent_by_id"], ["id"])
        batch.create_index("ix_residents_proxy_id", ["proxy_id"])
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("min_age", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("max_age", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.drop_column("max_age")
        batch.drop_column("min_age")
    with op.batch_alter_table("residents") as batch:
        batch.drop_index("ix_residents_proxy_id")
        batch.drop_constraint("fk_residents_consent_by_id", type_="foreignkey")
        batch.drop_constraint("fk_residents_proxy_id", type_="foreignkey")
        for column in ("consent_at", "consent_by_id", "consent_kind", "birth_year", "relation", "proxy_id"):
            batch.drop_column(column)
