"""leads: the index on the owner also holds the stage, so a rep's open leads are counted from the index alone

Routing counts a capped rep's open leads (mql, sal, sql) at each hand-off; through the owner alone it read every lead
the rep ever owned. The index on (owner_id, stage) replaces the one on owner_id, whose lookups it serves as well.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 21:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_leads_owner_id_stage", "leads", ["owner_id", "stage"], unique=False)
    op.drop_index(op.f("ix_leads_owner_id"), table_name="leads")


def downgrade() -> None:
    op.create_index(op.f("ix_leads_owner_id"), "leads", ["owner_id"], unique=False)
    op.drop_index("ix_leads_owner_id_stage", table_name="leads")
