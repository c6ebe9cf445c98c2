"""Every operation the OpenAPI document describes, called with generated requests: no request, however odd,
makes the API fail with a server error, and every refusal is a ``{"code", "detail"}`` body."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.case import Case
from sqlalchemy import Engine

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.services.clock import FixedClock
from tests.api.conftest import seed_api_people
from tests.conftest import adopt_example


def test_no_generated_request_makes_the_api_fail_and_every_refusal_has_a_code(
    sqlite_engine: Engine, clock: FixedClock
) -> None:
    adopt_example(sqlite_engine, clock)
    admin = {"Authorization": f"Bearer {seed_api_people(sqlite_engine, clock)['root']}"}
    app = create_app(Settings(database_url=sqlite_engine.url.render_as_string(hide_password=False)), clock)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    called = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an operation the schema could not describe fails here
        called.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def answers_well(case: Case[Any]) -> None:
            response = case.call(headers=admin)
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)
            if response.status_code >= 400:
                body = response.json()
                assert isinstance(body["code"], str), body
                assert body["code"], body
                assert isinstance(body["detail"], str), body

        answers_well()
    assert len(called) >= 30, called
