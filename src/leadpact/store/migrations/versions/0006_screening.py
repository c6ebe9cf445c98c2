"""screening: each lead's turn with the qualifiers (first-call clock, decision) and their calls

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadpact.store.tables

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entered_at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("call_due", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.Column("first_call_at", leadpact.store.tables.UTCDateTime(), nullable=True),
        sa.Column("decided_at", leadpact.store.tables.UTCDateTime(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("qualifier_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_screenings_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["version"], ["agreement_versions.version"], name=op.f("fk_screenings_version_agreement_versions")
        ),
        sa.ForeignKeyConstraint(["qualifier_id"], ["users.id"], name=op.f("fk_screenings_qualifier_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenings")),
    )
    op.create_index(op.f("ix_screenings_lead_id"), "screenings", ["lead_id"], unique=False)
    op.create_table(
        "screening_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("qualifier_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_screening_calls_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["screening_id"], ["screenings.id"], name=op.f("fk_screening_calls_screening_id_screenings")
        ),
        sa.ForeignKeyConstraint(["qualifier_id"], ["users.id"], name=op.f("fk_screening_calls_qualifier_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_calls")),
    )
    op.create_index(op.f("ix_screening_calls_lead_id"), "screening_calls", ["lead_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_screening_calls_lead_id"), table_name="screening_calls")
    op.drop_table("screening_calls")
    op.drop_index(op.f("ix_screenings_lead_id"), table_name="screenings")
    op.drop_table("screenings")
