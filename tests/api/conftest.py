"""The API under test: the real app on a real database (SQLite file and PostgreSQL), called over ASGI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from leadpact.api.app import create_app
from leadpact.config import Settings
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from tests.conftest import adopt_example
from tests.people import seed_people


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]  # an API token for each person of tests.people, by name
    engine: Engine
    clock: FixedClock
    inforce: InForce

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@pytest.fixture
def api(engine: Engine, clock: FixedClock) -> Iterator[Api]:
    inforce = adopt_example(engine, clock)
    tokens = seed_people(engine, clock)
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), clock)
    with TestClient(app) as client:
        yield Api(client, tokens, engine, clock, inforce)
