"""Preparing the database the demo fills: its world never mixes with data already there.

A database that holds leads, agreement versions or users is refused, unless the demo is asked to replace it
(``store.database.empty``: every row deleted in one transaction, the schema kept).
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from leadpact.store.tables import AgreementVersion, Lead, User

COUNTED = ((Lead, "lead"), (AgreementVersion, "agreement version"), (User, "user"))


def holdings(engine: Engine) -> str | None:
    """What the database already holds, in words ("1,200 leads, 1 agreement version"), or None when empty."""
    present = set(inspect(engine).get_table_names())
    found = []
    with engine.connect() as connection:
        for table, words in COUNTED:
            if table.__tablename__ in present:
                count = connection.execute(text(f"SELECT COUNT(*) FROM {table.__tablename__}")).scalar_one()
                if count:
                    found.append(f"{count:,} {words}{'' if count == 1 else 's'}")
    return ", ".join(found) or None
