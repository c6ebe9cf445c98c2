"""dedupe: a duplicate lead or account points to the record it was merged into; accounts keep a normalised name

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leadpact.domain.dedupe import company_key

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_leads_merged_into_leads"), "leads", ["merged_into"], ["id"])
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("merged_into", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_accounts_name_key"), ["name_key"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_accounts_merged_into_accounts"), "accounts", ["merged_into"], ["id"])
    accounts = sa.table(
        "accounts", sa.column("id", sa.Integer()), sa.column("name", sa.String()), sa.column("name_key", sa.String())
    )
    connection = op.get_bind()
    keys = [
        {"key": company_key(name), "id_": id_}
        for id_, name in connection.execute(
            sa.select(accounts.c.id, accounts.c.name).where(accounts.c.name.is_not(None))
        )
    ]
    if keys:
        connection.execute(
            accounts.update().where(accounts.c.id == sa.bindparam("id_")).values(name_key=sa.bindparam("key")), keys
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_accounts_merged_into_accounts"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_accounts_name_key"))
        batch_op.drop_column("merged_into")
        batch_op.drop_column("name_key")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_leads_merged_into_leads"), type_="foreignkey")
        batch_op.drop_column("merged_into")
