"""Preparing the database the demo fills: its world never mixes with data already there.

A database that holds leads, agreement versions or users is refused, unless the demo is asked to replace it:
then every row of every leadpact table is deleted in one transaction (the schema stays, and is brought to the
newest revision afterwards), so an interrupted replace leaves the database as it was.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from leadpact.store.tables import AgreementVersion, Base, Lead, User

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


def empty(engine: Engine) -> None:
    """Delete every row of every leadpact table there is, in one transaction."""
    present = set(inspect(engine).get_table_names())
    names = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in present]
    if not names:
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
            return
        # teams and users name each other (a team's manager is a user): check the keys once all rows are gone
        connection.execute(text("PRAGMA defer_foreign_keys = ON"))
        for name in names:
            connection.execute(text(f"DELETE FROM {name}"))
