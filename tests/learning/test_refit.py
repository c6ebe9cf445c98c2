"""The fit points refitted to graded leads: they move toward the points the grades were given by, stay where the
grades agree with the agreement, stay put for a rule the grades say nothing about, and are not made up from too
few grades."""

from __future__ import annotations

import numpy as np
import pytest

from leadpact.learning.refit import MIN_LEADS, grade_of, refit

SCALE = ("A", "B", "C", "D")
BOUNDS = (45.0, 30.0, 15.0)
RULES = ("senior-title", "target-size", "target-industry", "free-mail", "has-budget")
IN_FORCE = (20.0, 15.0, 15.0, -20.0, 10.0)


def graded(
    truth: tuple[float, ...], leads: int, seed: int, noise: float = 4.0
) -> tuple[list[list[bool]], list[str], list[int]]:
    """Leads with random rules holding, each graded by both sides as the points ``truth`` (plus each side's noise)
    grade them; the last rule holds on none."""
    rng = np.random.default_rng(seed)
    holds = rng.random((leads, len(RULES))) < 0.4
    holds[:, -1] = False
    rows, grades, ids = [], [], []
    for _side in range(2):
        fit = holds @ np.asarray(truth) + rng.normal(0.0, noise, leads)
        rows += holds.tolist()
        grades += [SCALE[i] for i in grade_of(fit, BOUNDS)]
        ids += list(range(leads))
    return rows, grades, ids


def test_the_grade_of_a_fit_is_the_first_whose_bound_it_reaches() -> None:
    assert grade_of(np.array([60.0, 45.0, 44.9, 30.0, 15.0, 0.0, -20.0]), BOUNDS).tolist() == [0, 0, 1, 1, 2, 3, 3]


def test_points_move_toward_the_points_the_grades_were_given_by() -> None:
    truth = (5.0, 30.0, 15.0, -20.0, 10.0)  # the graders care about size, not titles
    holds, grades, leads = graded(truth, 100, seed=3)
    found = refit(SCALE, BOUNDS, RULES, IN_FORCE, holds, grades, leads)
    assert found.reason is None
    assert [r.suggested for r in found.rules] == pytest.approx(truth, abs=4)
    assert found.kappa_refitted is not None
    assert found.kappa_in_force is not None
    assert found.kappa_refitted > found.kappa_in_force
    assert (found.leads, found.grades) == (100, 200)


def test_grades_that_follow_the_agreement_keep_its_points_and_suggest_no_change() -> None:
    holds, grades, leads = graded(IN_FORCE, 80, seed=5)
    found = refit(SCALE, BOUNDS, RULES, IN_FORCE, holds, grades, leads)
    assert found.reason == "the grades give no reason to move any rule's points from those in force"
    assert [r.suggested for r in found.rules] == list(IN_FORCE)
    assert found.kappa_refitted is None


def test_a_rule_that_holds_on_no_graded_lead_keeps_its_points_exactly() -> None:
    holds, grades, leads = graded((5.0, 30.0, 15.0, -20.0, 99.0), 60, seed=8)
    budget = next(
        r for r in refit(SCALE, BOUNDS, RULES, IN_FORCE, holds, grades, leads).rules if r.rule == "has-budget"
    )
    assert (budget.holds_on, budget.suggested) == (0, 10.0)


def test_no_points_are_made_up_from_too_few_leads_or_from_grades_that_never_differ() -> None:
    holds, grades, leads = graded(IN_FORCE, MIN_LEADS - 1, seed=1)
    few = refit(SCALE, BOUNDS, RULES, IN_FORCE, holds, grades, leads)
    assert few.reason == f"{MIN_LEADS - 1} lead(s) graded; refitting the points needs grades of at least {MIN_LEADS}"
    assert all(r.suggested is None for r in few.rules)
    assert few.kappa_in_force is not None
    same = refit(SCALE, BOUNDS, RULES, IN_FORCE, [[False] * 5] * 30, ["C"] * 30, list(range(30)))
    assert same.reason == "every grade given is C: the points can only be read from grades that differ"
    none = refit(SCALE, BOUNDS, (), (), [[]] * 30, ["A", "B"] * 15, list(range(30)))
    assert none.reason == "the agreement has no fit rules to refit"


def test_grades_that_fall_as_the_fit_rises_give_no_points() -> None:
    holds, grades, leads = graded(IN_FORCE, 60, seed=2)
    reversed_ = [SCALE[len(SCALE) - 1 - SCALE.index(g)] for g in grades]
    found = refit(SCALE, BOUNDS, RULES, IN_FORCE, holds, reversed_, leads)
    assert found.reason == "the grades given do not rise with the fit: no points can be read from them"
