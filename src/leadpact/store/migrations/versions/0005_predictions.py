"""predictions: the chance a lead model version gives each lead as it was captured

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_predictions_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["model_version"], ["lead_models.version"], name=op.f("fk_predictions_model_version_lead_models")
        ),
        sa.PrimaryKeyConstraint("lead_id", "model_version", name=op.f("pk_predictions")),
    )


def downgrade() -> None:
    op.drop_table("predictions")
