"""What the command line tests share: a database file with the example agreement in force and a lead handed over."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from tests.conftest import adopt_example
from tests.factories import add_team, hand_off

AT = "2026-03-02T16:00:00Z"
"""An hour after the ``clock`` fixture's moment, when the lead was handed over: what the commands act as of."""


@dataclass(frozen=True)
class Handed:
    """A database where ann@acme.example, a grade A lead, was handed to alice, the americas team's only rep."""

    engine: Engine
    inforce: InForce

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def url(sqlite_engine: Engine) -> str:
    """A migrated, empty database's URL."""
    return sqlite_engine.url.render_as_string(hide_password=False)


@pytest.fixture
def handed(sqlite_engine: Engine, clock: FixedClock) -> Handed:
    inforce = adopt_example(sqlite_engine, clock)
    add_team(sqlite_engine, clock, "americas", {"alice": 1})
    hand_off(sqlite_engine, clock, inforce, "ann@acme.example", first_name="Ann", company="Acme")
    return Handed(sqlite_engine, inforce)
