"""people, tokens, sessions, candidates, forms

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 01:20:04.773951
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadpact.store.tables

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "capture_forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("origins", sa.Text(), nullable=False),
        sa.Column("field_map", sa.Text(), nullable=False),
        sa.Column("created_at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_capture_forms_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capture_forms")),
        sa.UniqueConstraint("key", name=op.f("uq_capture_forms_key")),
        sa.UniqueConstraint("name", name=op.f("uq_capture_forms_name")),
    )
    op.create_table(
        "agreement_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.Column("against_version", sa.Integer(), nullable=True),
        sa.Column("marketing_signed_by", sa.Integer(), nullable=True),
        sa.Column("marketing_signed_at", leadpact.store.tables.UTCDateTime(), nullable=True),
        sa.Column("sales_signed_by", sa.Integer(), nullable=True),
        sa.Column("sales_signed_at", leadpact.store.tables.UTCDateTime(), nullable=True),
        sa.Column("adopted_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["adopted_version"],
            ["agreement_versions.version"],
            name=op.f("fk_agreement_candidates_adopted_version_agreement_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["against_version"],
            ["agreement_versions.version"],
            name=op.f("fk_agreement_candidates_against_version_agreement_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["marketing_signed_by"], ["users.id"], name=op.f("fk_agreement_candidates_marketing_signed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["sales_signed_by"], ["users.id"], name=op.f("fk_agreement_candidates_sales_signed_by_users")
        ),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"], name=op.f("fk_agreement_candidates_uploaded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_candidates")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", leadpact.store.tables.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_tokens_digest")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.Column("expires_at", leadpact.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("digest", name=op.f("uq_web_sessions_digest")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("side", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_at", leadpact.store.tables.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("retry_at")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_hash")
        batch_op.drop_column("side")

    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")
    op.drop_table("api_tokens")
    op.drop_table("agreement_candidates")
    op.drop_table("capture_forms")
