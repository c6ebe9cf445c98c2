"""Withdrawing a hand-off: only an MQL that came from inquiry or recycled goes back, to where it came from."""

from __future__ import annotations

import pytest

from leadpact.domain.errors import IllegalTransition
from leadpact.domain.lifecycle import Stage, withdrawn_stage


@pytest.mark.parametrize("origin", [Stage.INQUIRY, Stage.RECYCLED])
def test_a_withdrawn_mql_returns_to_the_stage_it_qualified_from(origin: Stage) -> None:
    assert withdrawn_stage(Stage.MQL, origin) == origin


@pytest.mark.parametrize(
    ("current", "origin"),
    [(Stage.SAL, Stage.INQUIRY), (Stage.INQUIRY, Stage.INQUIRY), (Stage.MQL, Stage.SAL), (Stage.MQL, Stage.MQL)],
)
def test_nothing_else_can_be_withdrawn(current: Stage, origin: Stage) -> None:
    with pytest.raises(IllegalTransition, match=f"can be withdrawn, not {current}"):
        withdrawn_stage(current, origin)
