"""nurture: sequence file versions, enrolments, the nurture email outbox and the suppression list

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "nurture_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("adopted_by", sa.String(length=100), nullable=False),
        sa.Column("adopted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_nurture_versions")),
    )
    op.create_table(
        "nurture_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.String(length=100), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("entry_key", sa.String(length=50), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("sent_step", sa.Integer(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_nurture_enrolments_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["version"], ["nurture_versions.version"], name=op.f("fk_nurture_enrolments_version_nurture_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nurture_enrolments")),
        sa.UniqueConstraint("sequence", "lead_id", "entry_key", name="uq_nurture_enrolments_entry"),
    )
    op.create_index(op.f("ix_nurture_enrolments_lead_id"), "nurture_enrolments", ["lead_id"])
    op.create_index(op.f("ix_nurture_enrolments_ended_at"), "nurture_enrolments", ["ended_at"])
    op.create_table(
        "nurture_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.String(length=100), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("targets", sa.Text(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retry_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("clicked_at", sa.DateTime(), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["nurture_enrolments.id"],
            name=op.f("fk_nurture_messages_enrolment_id_nurture_enrolments"),
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_nurture_messages_lead_id_leads")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nurture_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_nurture_messages_message_id")),
        sa.UniqueConstraint("token", name=op.f("uq_nurture_messages_token")),
    )
    op.create_index(op.f("ix_nurture_messages_enrolment_id"), "nurture_messages", ["enrolment_id"])
    op.create_index(op.f("ix_nurture_messages_lead_id"), "nurture_messages", ["lead_id"])
    op.create_index(op.f("ix_nurture_messages_outcome"), "nurture_messages", ["outcome"])
    op.create_table(
        "suppressions",
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("email_digest", name=op.f("pk_suppressions")),
    )


def downgrade() -> None:
    op.drop_table("suppressions")
    op.drop_index(op.f("ix_nurture_messages_outcome"), table_name="nurture_messages")
    op.drop_index(op.f("ix_nurture_messages_lead_id"), table_name="nurture_messages")
    op.drop_index(op.f("ix_nurture_messages_enrolment_id"), table_name="nurture_messages")
    op.drop_table("nurture_messages")
    op.drop_index(op.f("ix_nurture_enrolments_ended_at"), table_name="nurture_enrolments")
    op.drop_index(op.f("ix_nurture_enrolments_lead_id"), table_name="nurture_enrolments")
    op.drop_table("nurture_enrolments")
    op.drop_table("nurture_versions")
