"""The lifecycle table: exactly the moves of DESIGN section 5 are possible, every other one is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpact.domain.errors import IllegalTransition
from leadpact.domain.lifecycle import WITHDRAWABLE, WORKING, Move, Stage, next_stage
from tests.factories import DESIGN_TABLE

S, M = Stage, Move
ALLOWED = DESIGN_TABLE


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("move", list(Move))
def test_a_move_is_possible_exactly_when_the_design_table_has_it(stage: Stage, move: Move) -> None:
    if (stage, move) in ALLOWED:
        assert next_stage(stage, move) == ALLOWED[(stage, move)]
    else:
        with pytest.raises(IllegalTransition) as caught:
            next_stage(stage, move)
        assert caught.value.code == "illegal_transition"


def test_a_refusal_names_the_moves_allowed_from_the_stage() -> None:
    with pytest.raises(IllegalTransition) as caught:
        next_stage(S.SAL, M.WIN)
    detail = caught.value.detail
    assert "sal" in detail
    assert "win" in detail
    for move in ("qualify", "recycle", "reject"):
        assert move in detail
    assert "accept" not in detail.split(";")[1]


@pytest.mark.parametrize("stage", [S.CUSTOMER, S.DISQUALIFIED])
def test_customers_and_disqualified_leads_are_final(stage: Stage) -> None:
    for move in Move:
        with pytest.raises(IllegalTransition, match="final"):
            next_stage(stage, move)


def test_every_stage_can_be_reached_from_an_inquiry() -> None:
    reached = {S.INQUIRY}
    frontier = [S.INQUIRY]
    while frontier:
        stage = frontier.pop()
        for move in Move:
            try:
                target = next_stage(stage, move)
            except IllegalTransition:
                continue
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(Stage)


def test_reps_work_mql_sal_and_sql_and_a_hand_off_is_withdrawn_to_where_it_came_from() -> None:
    assert frozenset({S.MQL, S.SAL, S.SQL}) == WORKING
    assert frozenset({S.INQUIRY, S.RECYCLED}) == WITHDRAWABLE
    assert {stage for (stage, move) in ALLOWED if move is M.HAND_OFF} == WITHDRAWABLE


@given(st.lists(st.sampled_from(list(Move)), max_size=60))
def test_no_sequence_of_moves_leaves_the_table(moves: list[Move]) -> None:
    stage = S.INQUIRY
    for move in moves:
        if (stage, move) in ALLOWED:
            stage_after = next_stage(stage, move)
            assert stage_after == ALLOWED[(stage, move)]
            stage = stage_after
        else:
            with pytest.raises(IllegalTransition):
                next_stage(stage, move)
