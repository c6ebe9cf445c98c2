"""feedback: what reps learned on contact, lost and won (competitor, product requests, message, note)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadpact.store.tables

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("moment", sa.String(length=10), nullable=False),
        sa.Column("competitor", sa.String(length=100), nullable=True),
        sa.Column("message", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], name=op.f("fk_feedback_by_user_id_users")),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_feedback_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["opportunity_id"], ["opportunities.id"], name=op.f("fk_feedback_opportunity_id_opportunities")
        ),
        sa.ForeignKeyConstraint(
            ["version"], ["agreement_versions.version"], name=op.f("fk_feedback_version_agreement_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "feedback_requests",
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("request", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_feedback_requests_feedback_id_feedback")
        ),
        sa.PrimaryKeyConstraint("feedback_id", "request", name=op.f("pk_feedback_requests")),
    )


def downgrade() -> None:
    op.drop_table("feedback_requests")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_lead_id"))
    op.drop_table("feedback")
