"""An agreement that names a lead model version and puts a fit rule on ``predicted.probability``, on both engines:
refused while the version does not exist; once adopted, every lead's chance as captured is kept, the online path
and the batch credit the rule to the same leads, a change of fields makes the chance again, and the backtest of a
candidate naming the model replays the kept chances."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from leadpact.domain.errors import InvalidAgreement
from leadpact.services import agreements, intake, predictions, reports, rescore
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Lead, Prediction
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import agreement_text, capture
from tests.learning.leadmodel_world import keep_model, trained_model

FREE_MAIL = "    - {id: free-mail, field: email, free_mail: true, points: -20}"
KINDS = [
    (industry, source)
    for industry in ("logistics", "manufacturing", "retail", "education")
    for source in ("webinar", "paid_search", "partner")
]
"""Leads of every kind the model tells apart: its chance differs by industry and by source."""


def with_model(threshold: float, version: int = 1, points: float = 100) -> str:
    """The example agreement naming the model version, with a rule worth ``points`` on its chance."""
    rule = f"    - {{id: likely-buyer, field: predicted.probability, at_least: {threshold}, points: {points}}}"
    return agreement_text((FREE_MAIL, f"{FREE_MAIL}\n{rule}"), ("\nqualified:", f"\nmodel: {version}\nqualified:"))


def adopt(engine: Engine, clock: FixedClock, text: str) -> InForce:
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, clock, text, "agreement.yaml", "Dana", "Sam")
    with UnitOfWork(engine) as uow:
        return agreements.in_force(uow)


def people(engine: Engine, clock: FixedClock, inforce: InForce, prefix: str) -> list[int]:
    return [
        capture(engine, clock, inforce, f"{prefix}{n}@firm{n}.example", industry=industry, source=source, title="CFO")
        for n, (industry, source) in enumerate(KINDS)
    ]


def chances(engine: Engine, version: int = 1) -> dict[int, float]:
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(Prediction.lead_id, Prediction.probability).where(Prediction.model_version == version)
        )
        return dict(rows.all())


def credited(engine: Engine) -> set[int]:
    """The leads the ledger credits with the rule on the model's chance."""
    with UnitOfWork(engine) as uow:
        ids = uow.session.scalars(select(Lead.id)).all()
        return {lead_id for lead_id, items in intake.fit_items_many(uow, ids).items() if "likely-buyer" in items}


@pytest.fixture
def modelled(engine: Engine, clock: FixedClock, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The store with a trained model as version 1."""
    keep_model(engine, trained_model(tmp_path_factory.getbasetemp()))
    return engine


def test_an_agreement_naming_a_model_the_store_does_not_hold_is_refused_by_its_key(
    modelled: Engine, clock: FixedClock
) -> None:
    with UnitOfWork(modelled) as uow, pytest.raises(InvalidAgreement) as refused:
        agreements.adopt(uow, clock, with_model(0.5, version=2), "agreement.yaml", "Dana", "Sam")
    assert refused.value.problems == [
        "agreement.yaml: model: lead model version 2 does not exist; 'leadpact model show' tells the newest"
    ]
    with UnitOfWork(modelled) as uow:
        assert agreements.versions(uow) == []


def test_the_rule_on_the_chance_is_credited_alike_online_and_in_the_batch(modelled: Engine, clock: FixedClock) -> None:
    before = people(modelled, clock, adopt_example(modelled, clock), "early")
    first = adopt(modelled, clock, with_model(0.5))
    kept = chances(modelled)
    assert sorted(kept) == before  # adopting fills the chance of every lead there is
    assert all(0 < p < 1 for p in kept.values())
    by_kind = dict(zip(KINDS, (kept[i] for i in before), strict=True))
    assert by_kind["logistics", "webinar"] > by_kind["retail", "webinar"]  # the model tells industries apart
    assert by_kind["logistics", "webinar"] > by_kind["logistics", "paid_search"]  # and sources
    threshold = sorted(kept.values())[len(kept) // 2]  # half the leads reach it
    inforce = adopt(modelled, clock, with_model(threshold))
    assert inforce.version == first.version + 1
    with UnitOfWork(modelled) as uow:
        rescore.rescore(uow, clock, inforce)  # the earlier leads come in line with the rule
    later = people(modelled, clock, inforce, "late")  # online: each capture keeps its chance and credits the rule
    moved = later[0]
    with UnitOfWork(modelled) as uow:
        lead = uow.session.get(Lead, moved)
        assert lead is not None
        intake.capture_lead(uow, clock, inforce, intake.LeadInput(email=lead.email, industry="education"))
    kept = chances(modelled)
    assert sorted(kept) == sorted(before + later)
    assert kept[moved] != by_kind[KINDS[0]]  # its fields changed: its chance was made again
    assert credited(modelled) == {i for i, p in kept.items() if p >= threshold}
    assert 0 < len(credited(modelled)) < len(kept)
    for engine_name in ("app", "duckdb"):
        with UnitOfWork(modelled) as uow:
            again = rescore.rescore(uow, clock, inforce, engine_name)
        assert (again.ledger_rows, again.leads_changed) == (0, 0)  # the batch credits what the online path did


def test_a_backtest_of_a_candidate_naming_the_model_replays_its_chances(
    modelled: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    inforce = adopt_example(modelled, clock)
    ids = people(modelled, clock, inforce, "lead")
    assert chances(modelled) == {}  # the agreement in force names no model: no chance is kept

    def added(threshold: float) -> set[int]:
        with UnitOfWork(modelled) as uow:
            result = reports.backtest(uow, clock, inforce, with_model(threshold), "candidate.yaml")
        return {row["id"] for row in result.changed if row["candidate"]["mql"] and not row["current"]["mql"]}

    assert added(0) == set(ids)  # 100 points more for everyone: each an MQL at its capture
    kept = chances(modelled)
    assert sorted(kept) == ids  # the backtest made the chances it replays, and keeps them
    threshold = sorted(kept.values())[len(kept) // 2]
    assert added(threshold) == {i for i, p in kept.items() if p >= threshold}
    assert chances(modelled) == kept
    with UnitOfWork(modelled) as uow, pytest.raises(InvalidAgreement, match="version 7 does not exist"):
        reports.backtest(uow, clock, inforce, with_model(0.3, version=7), "candidate.yaml")


def test_a_lead_captured_under_an_agreement_without_a_model_keeps_no_stale_chance(
    modelled: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(modelled, clock)
    lead_id = capture(modelled, clock, inforce, "ann@firm.example", industry="logistics", source="webinar")
    with UnitOfWork(modelled) as uow:
        predictions.fill(uow, 1)  # as a backtest does
    assert list(chances(modelled)) == [lead_id]
    capture(modelled, clock, inforce, "ann@firm.example", industry="retail")  # its fields change
    assert chances(modelled) == {}  # the chance made from the old fields is gone; the next backtest makes it again
    with UnitOfWork(modelled) as uow:
        lead = uow.session.get(Lead, lead_id)
        assert lead is not None
        predictions.refresh(uow, 1, [lead, lead])  # a lead named twice in one change is kept once
    assert list(chances(modelled)) == [lead_id]
