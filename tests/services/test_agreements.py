"""Adopting agreement versions: both sign-offs, numbered versions, and every change records its version."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from leadpact.domain.errors import InvalidAgreement, InvalidInput, NoAgreement, NotFound, UnknownReason
from leadpact.services import agreements, intake, sales
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Assignment, LedgerEntry, StageChange
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE, adopt_example
from tests.factories import HOT, add_team, agreement_text, capture, days, event, lead, record

LOWER = agreement_text(
    ("qualified: {score_at_least: 60", "qualified: {score_at_least: 55"),
    ("webinar_attended:      {points: 15}", "webinar_attended:      {points: 20}"),
)


def adopt(engine: Engine, clock: FixedClock, text: str, marketing: str = "Dana Lee", sales_: str = "Sam Ortiz") -> int:
    with UnitOfWork(engine) as uow:
        return agreements.adopt(uow, clock, text, "agreement.yaml", marketing, sales_).version


def versions(engine: Engine) -> list[tuple[int, str, str]]:
    with UnitOfWork(engine) as uow:
        return [(v.version, v.marketing_signoff, v.sales_signoff) for v in agreements.versions(uow)]


def in_force(engine: Engine) -> InForce:
    with UnitOfWork(engine) as uow:
        return agreements.in_force(uow)


@pytest.mark.parametrize(("marketing", "sales_"), [("", "Sam Ortiz"), ("Dana Lee", "  "), ("", "")])
def test_an_agreement_needs_both_sign_offs(engine: Engine, clock: FixedClock, marketing: str, sales_: str) -> None:
    with pytest.raises(InvalidInput, match="both sign-offs"):
        adopt(engine, clock, EXAMPLE.read_text(), marketing, sales_)
    assert versions(engine) == []


def test_no_agreement_is_in_force_before_the_first_is_adopted(engine: Engine) -> None:
    with pytest.raises(NoAgreement) as caught:
        in_force(engine)
    assert caught.value.code == "no_agreement"


def test_an_invalid_file_is_not_adopted(engine: Engine, clock: FixedClock) -> None:
    with pytest.raises(InvalidAgreement):
        adopt(engine, clock, agreement_text(("half_life_days: 30", "half_life_days: soon")))
    assert versions(engine) == []


def test_versions_are_numbered_and_the_latest_is_in_force(engine: Engine, clock: FixedClock) -> None:
    assert adopt(engine, clock, EXAMPLE.read_text(), " Dana Lee ", "Sam Ortiz") == 1
    clock.at += days(1)
    assert adopt(engine, clock, LOWER, "Dana Lee", "Pat Kim") == 2
    assert versions(engine) == [(1, "Dana Lee", "Sam Ortiz"), (2, "Dana Lee", "Pat Kim")]
    current = in_force(engine)
    assert current.version == 2
    assert current.agreement.qualified.score_at_least == 55
    with UnitOfWork(engine) as uow:
        row, agreement = agreements.load_version(uow, 1)
        assert (row.adopted_at, agreement.qualified.score_at_least) == (clock.now() - days(1), 60)
        with pytest.raises(NotFound):
            agreements.load_version(uow, 3)


def test_the_text_in_force_cannot_be_adopted_again(engine: Engine, clock: FixedClock) -> None:
    adopt(engine, clock, EXAMPLE.read_text())
    with pytest.raises(InvalidInput, match="version 1"):
        adopt(engine, clock, EXAMPLE.read_text())
    assert [v for v, _, _ in versions(engine)] == [1]


def test_an_earlier_text_may_come_back_as_a_new_version(engine: Engine, clock: FixedClock) -> None:
    adopt(engine, clock, EXAMPLE.read_text())
    adopt(engine, clock, LOWER)
    assert adopt(engine, clock, EXAMPLE.read_text()) == 3
    assert in_force(engine).agreement.qualified.score_at_least == 60


def test_every_stage_change_ledger_row_and_assignment_records_the_version_in_force(
    engine: Engine, clock: FixedClock
) -> None:
    v1 = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    capture(engine, clock, v1, "lee@acme.example", **{**HOT, "title": "Director"})  # fit 50
    clock.at += days(1)
    v2 = adopt_example(engine, clock, LOWER)
    assert v2.version == 2
    record(engine, clock, v2, event("w-1", "lee@acme.example", "webinar_attended", clock.now()))
    assert lead(engine, "lee@acme.example").stage == "mql"  # 50 + 20 under version 2
    with UnitOfWork(engine) as uow:
        sales.accept(uow, clock, v2, intake.find_lead(uow, "lee@acme.example"))
    clock.at += days(1)
    v3 = adopt_example(engine, clock, agreement_text(("accept_within: 4h", "accept_within: 2h")))
    with UnitOfWork(engine) as uow:
        answers = {"budget": "yes", "authority": "influencer", "timing": "this_year"}
        sales.qualify(uow, clock, v3, intake.find_lead(uow, "lee@acme.example"), answers)
    with UnitOfWork(engine) as uow:
        changes = [(c.to_stage, c.version) for c in uow.session.scalars(select(StageChange).order_by(StageChange.id))]
        assert changes == [("inquiry", 1), ("mql", 2), ("sal", 2), ("sql", 3)]
        rows = [
            (r.item, r.points, r.version) for r in uow.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
        ]
        assert sorted(rows[:3]) == [("senior-title", 20.0, 1), ("target-industry", 15.0, 1), ("target-size", 15.0, 1)]
        assert rows[3:] == [("w-1", 20.0, 2), ("has-budget", 10.0, 3)]
        assert [a.version for a in uow.session.scalars(select(Assignment))] == [2]


def test_a_reason_the_new_version_dropped_is_refused(engine: Engine, clock: FixedClock) -> None:
    v1 = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    capture(engine, clock, v1, "lee@acme.example", **HOT)
    record(engine, clock, v1, event("form", "lee@acme.example", "contact_form", clock.now()))
    v2 = adopt_example(engine, clock, agreement_text(("    competitor:    {disqualify: true}\n", "")))
    with UnitOfWork(engine) as uow, pytest.raises(UnknownReason, match="competitor"):
        sales.reject(uow, clock, v2, intake.find_lead(uow, "lee@acme.example"), "competitor")
    assert lead(engine, "lee@acme.example").stage == "mql"
