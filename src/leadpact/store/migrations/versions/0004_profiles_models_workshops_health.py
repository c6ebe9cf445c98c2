"""profiles, lead models, workshops, health checks

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 02:23:22.768830
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadpact.store.tables

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_models",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("as_of", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.Column("trained_at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.Column("trained_by", sa.String(length=100), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("positives", sa.Integer(), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_lead_models")),
    )
    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("outcome", sa.String(length=100), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("positives", sa.Integer(), nullable=False),
        sa.Column("learned_at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.Column("learned_by", sa.String(length=100), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
        sa.UniqueConstraint("name", "version", name="uq_profiles_version"),
    )
    op.create_table(
        "health_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bound", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("broken", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("checked_at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version"], ["agreement_versions.version"], name=op.f("fk_health_checks_version_agreement_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_checks")),
        sa.UniqueConstraint("day", "bound", name="uq_health_checks_day"),
    )
    with op.batch_alter_table("health_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_checks_day"), ["day"], unique=False)

    op.create_table(
        "workshops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["version"], ["agreement_versions.version"], name=op.f("fk_workshops_version_agreement_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshops")),
        sa.UniqueConstraint("name", name=op.f("uq_workshops_name")),
    )
    op.create_table(
        "workshop_grades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=20), nullable=False),
        sa.Column("grade", sa.String(length=10), nullable=False),
        sa.Column("graded_by", sa.String(length=100), nullable=False),
        sa.Column("graded_at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_workshop_grades_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshops.id"], name=op.f("fk_workshop_grades_workshop_id_workshops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_grades")),
        sa.UniqueConstraint("workshop_id", "lead_id", "side", name="uq_workshop_grades_side"),
    )
    with op.batch_alter_table("workshop_grades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workshop_grades_workshop_id"), ["workshop_id"], unique=False)

    op.create_table(
        "workshop_leads",
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_workshop_leads_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshops.id"], name=op.f("fk_workshop_leads_workshop_id_workshops")
        ),
        sa.PrimaryKeyConstraint("workshop_id", "lead_id", name=op.f("pk_workshop_leads")),
    )


def downgrade() -> None:
    op.drop_table("workshop_leads")
    with op.batch_alter_table("workshop_grades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_grades_workshop_id"))

    op.drop_table("workshop_grades")
    op.drop_table("workshops")
    with op.batch_alter_table("health_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_checks_day"))

    op.drop_table("health_checks")
    op.drop_table("profiles")
    op.drop_table("lead_models")
