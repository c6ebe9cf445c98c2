"""Settings, passed explicitly into the CLI and the app; nothing is read at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from leadpact.store.database import DEFAULT_URL

DATABASE_ENV = "LEADPACT_DATABASE_URL"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL

    @classmethod
    def resolve(cls, db: str | None, environ: Mapping[str, str] = os.environ) -> Settings:
        """``--db`` wins, then ``LEADPACT_DATABASE_URL``, then the SQLite file ``leadpact.db`` here."""
        return cls(database_url=db or environ.get(DATABASE_ENV) or DEFAULT_URL)
