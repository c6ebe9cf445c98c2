"""Preparing the database the demo fills, and the Maildir its emails are delivered to: its world never mixes with
data already there.

A database that holds leads, agreement versions or users, or a mailbox that holds emails, is refused, unless the
demo is asked to replace them (``store.database.empty``: every row deleted in one transaction, the schema kept;
the mailbox's emails deleted).
"""

from __future__ import annotations

import mailbox
from pathlib import Path

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


def mailbox_beside(engine: Engine) -> Path:
    """Where the demo delivers its emails: the Maildir ``NAME-mail`` beside the SQLite file ``NAME.db``, or
    ``leadpact-demo-mail`` in the current directory for another database."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:":
        path = Path(database)
        return path.with_name(f"{path.stem}-mail").absolute()
    return Path("leadpact-demo-mail").absolute()


def emails_in(path: Path) -> int:
    """How many emails the Maildir at ``path`` holds; 0 when there is none."""
    return len(mailbox.Maildir(path, create=False)) if _is_maildir(path) else 0


def empty_mailbox(path: Path) -> None:
    """Delete the emails of the Maildir at ``path``, if there is one; the folders stay."""
    if _is_maildir(path):
        mailbox.Maildir(path, create=False).clear()


def _is_maildir(path: Path) -> bool:
    return all((path / folder).is_dir() for folder in ("new", "cur", "tmp"))
