"""events: the record an event was recorded for, kept when a merge moves it, so caps count each record apart

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_for", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_events_recorded_for_leads"), "leads", ["recorded_for"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_events_recorded_for_leads"), type_="foreignkey")
        batch_op.drop_column("recorded_for")
