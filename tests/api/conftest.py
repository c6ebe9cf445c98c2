"""The API under test: the real app on a real database (SQLite file and PostgreSQL), called over ASGI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from tests.conftest import adopt_example
from tests.people import seed_people

V1 = "/api/v1"


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]  # an API token for each person of tests.people, by name
    engine: Engine
    clock: FixedClock
    inforce: InForce

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def get(self, path: str, who: str, **params: Any) -> httpx2.Response:
        """GET an API path (under /api/v1) as a person of tests.people."""
        response: httpx2.Response = self.client.get(V1 + path, headers=self.auth(who), params=params)
        return response

    def post(self, path: str, who: str, body: Any = None, **params: Any) -> httpx2.Response:
        """POST a JSON body to an API path (under /api/v1) as a person of tests.people."""
        response: httpx2.Response = self.client.post(V1 + path, headers=self.auth(who), json=body, params=params)
        return response


def seed_api_people(engine: Engine, clock: FixedClock) -> dict[str, str]:
    """The people of ``tests.people`` with an API token each, by name, without passwords."""
    return seed_people(engine, clock, passwords=False)


@pytest.fixture
def api(engine: Engine, clock: FixedClock) -> Iterator[Api]:
    inforce = adopt_example(engine, clock)
    tokens = seed_api_people(engine, clock)
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), clock)
    with TestClient(app) as client:
        yield Api(client, tokens, engine, clock, inforce)


def refused(response: httpx2.Response, status: int, code: str, *words: str) -> dict[str, Any]:
    """The error answer, checked: its status, its code, and the words its detail must hold (the field at fault)."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    for word in words:
        assert word in body["detail"], body
    return body
