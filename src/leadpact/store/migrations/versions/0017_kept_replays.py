"""replays and replay_marks: each lead's replay under the agreement in force, kept for the reports

On a history of millions of events, replaying every lead's events for the grade calibration and the backtest costs
seconds; the rescore keeps each lead's replay, and a report replays only the leads whose kept replay no longer holds.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadpact.store.tables

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "replays",
        sa.Column("lead_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fit", sa.Float(), nullable=False),
        sa.Column("screened_source", sa.Boolean(), nullable=False),
        sa.Column("latest", sa.BigInteger(), nullable=True),
        sa.Column("first", sa.BigInteger(), nullable=True),
        sa.Column("first_screened", sa.BigInteger(), nullable=True),
        sa.Column("top", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_replays_lead_id_leads")),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_replays")),
    )
    op.create_table(
        "replay_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement", sa.String(length=64), nullable=False),
        sa.Column("through", sa.BigInteger(), nullable=False),
        sa.Column("at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replay_marks")),
    )


def downgrade() -> None:
    op.drop_table("replay_marks")
    op.drop_table("replays")
