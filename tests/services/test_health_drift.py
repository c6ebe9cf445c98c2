"""The two health bounds that watch the lead model: population shift and model calibration, measured from the stored
model and the store's hand-offs, on both engines.

The world of tests.learning.leadmodel_world (250 leads handed to sales over 2026, a model learned from them) keeps
both bounds. A store of its own where twenty leads alike (the world's likeliest: logistics, from webinars, three
pricing pages read) are handed over in January 2027 and none reaches an opportunity breaks both: their predicted
chances all lie in the model's top ranges, and the model's 90 % is met by nothing.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from leadpact.domain.agreement import HealthBound, Indicator
from leadpact.domain.health import PSI_FLOOR, Reading, Status
from leadpact.domain.scoring import from_seconds, local_day_bounds
from leadpact.services import agreements, health, intake, models, sales, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Lead, StageChange
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import ENGINES, PG_ENV
from tests.factories import agreement_text
from tests.learning.leadmodel_world import AS_OF, HORIZON, START, World, keep_model, shared, trained_model
from tests.services.test_health import EXAMPLE_HEALTH, messages

TEXT = agreement_text(
    (
        EXAMPLE_HEALTH,
        "\nhealth:\n  window_days: 90\n  population_shift: {min_leads: 20}\n  model_calibration: {min_leads: 20}\n",
    )
)
"""The example agreement with both drift bounds at their default limits (0.25 and 0.1), judged from 20 hand-offs."""
ALIKE = 20
FIRST_ALIKE = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
CHECKED = datetime(2027, 3, 15, 15, 0, tzinfo=UTC)
"""Ninety days up to 15 March 2027 hold the twenty hand-offs, and each one's 30-day horizon has ended in them."""


@pytest.fixture(params=ENGINES)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> World:
    if request.param == "postgresql" and not os.environ.get(PG_ENV):
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return shared(request.param, tmp_path_factory.getbasetemp())


def adopted(engine: Engine) -> InForce:
    """``TEXT`` in force on an empty store, with a rep to take the leads."""
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, FixedClock(START - timedelta(days=30)), TEXT, "agreement.yaml", "Dana", "Sam")
        team.add_user(uow, FixedClock(START), "alice", "rep", "americas", 1)
    with UnitOfWork(engine) as uow:
        return agreements.in_force(uow)


def hand_over_alike(engine: Engine, inforce: InForce) -> None:
    """Twenty leads alike, captured a day apart from ``FIRST_ALIKE``, each reading three pricing pages on the next
    three days (the first hands it to sales) and asking for a demo the day after, and accepted; none reaches an
    opportunity."""
    with UnitOfWork(engine) as uow:
        for number in range(ALIKE):
            at = FIRST_ALIKE + timedelta(days=number)
            email = f"alike{number}@firm{number}.example"
            given = intake.LeadInput(
                email=email,
                first_name=f"Alike{number}",
                title="VP Operations",
                company=f"Firm {number}",
                industry="logistics",
                employees=1500,
                country="US",
                source="webinar",
                created_at=at,
            )
            handed = at + timedelta(days=4, hours=1)
            events = [
                intake.EventInput(f"{email}-view-{i}", email, "pricing_page_view", at + timedelta(days=i + 1))
                for i in range(3)
            ]
            events.append(intake.EventInput(f"{email}-demo", email, "demo_request", handed))
            lead, _ = intake.capture_lead(uow, FixedClock(at), inforce, given)
            intake.record_events(uow, FixedClock(handed), inforce, events)
            sales.accept(uow, FixedClock(handed + timedelta(days=1)), inforce, lead)


def measured(engine: Engine, at: datetime, inforce: InForce) -> dict[Indicator, Reading]:
    with UnitOfWork(engine) as uow:
        return {r.bound.indicator: r for r in health.measure(uow, FixedClock(at), inforce).readings}


def without_profile(tmp: Path) -> str:
    """The trained model's summary as a model trained before models kept their population's profile has it."""
    summary = json.loads(trained_model(tmp).summary)
    del summary["population"]
    return json.dumps(summary)


def test_drift_bounds_are_not_judged_without_a_model_they_can_use_and_say_why(
    engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    inforce = adopted(engine)
    untrained = measured(engine, CHECKED, inforce)
    assert [r.summary() for r in untrained.values()] == [
        "population shift: not judged, no model trained yet: run 'leadpact model train'",
        "model calibration: not judged, no model trained yet: run 'leadpact model train'",
    ]
    assert {r.status for r in untrained.values()} == {Status.NOT_JUDGED}

    stored = trained_model(tmp_path_factory.getbasetemp())
    keep_model(engine, stored)
    assert [r.summary() for r in measured(engine, CHECKED, inforce).values()] == [
        "population shift: not judged, 0 hand-offs in the window and it needs 20",
        "model calibration: not judged, 0 hand-offs whose outcome became known and it needs 20",
    ]

    keep_model(engine, dataclasses.replace(stored, summary=without_profile(tmp_path_factory.getbasetemp())), 2)
    hand_over_alike(engine, inforce)
    old = measured(engine, CHECKED, inforce)
    assert old[Indicator.POPULATION_SHIFT].summary() == (
        "population shift: not judged, model version 2 was trained before models kept their population's profile: "
        "train the model again with 'leadpact model train'"
    )
    assert old[Indicator.MODEL_CALIBRATION].status is Status.BROKEN  # it needs no profile

    keep_model(engine, dataclasses.replace(stored, model=b"not a model"), version=3)
    unreadable = measured(engine, CHECKED, inforce)[Indicator.MODEL_CALIBRATION]
    assert unreadable.summary() == (
        "model calibration: not judged, model version 3 was stored by another version of leadpact and cannot be "
        "read; train it again with 'leadpact model train'"
    )
    assert unreadable.evidence()["model"] == 3  # the newest version is the one watched

    named = InForce(inforce.version, dataclasses.replace(inforce.agreement, model=7))
    assert measured(engine, CHECKED, named)[Indicator.POPULATION_SHIFT].summary() == (
        "population shift: not judged, the agreement names model version 7, which is not stored: train it or name "
        "a stored version"
    )
    signed = InForce(inforce.version, dataclasses.replace(inforce.agreement, model=1))
    assert measured(engine, CHECKED, signed)[Indicator.MODEL_CALIBRATION].evidence()["model"] == 1


def test_hand_offs_unlike_those_the_model_learned_from_that_contradict_it_break_both_bounds_and_are_reported(
    engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    inforce = adopted(engine)
    hand_over_alike(engine, inforce)
    stored = trained_model(tmp_path_factory.getbasetemp())
    keep_model(engine, stored)
    with UnitOfWork(engine) as uow:
        chances = [models.predict(uow, lead, CHECKED) for lead in uow.session.scalars(select(Lead))]
        recorded = health.check(uow, FixedClock(CHECKED), inforce)
    predicted = [p.probability for p in chances if p is not None]
    assert len(predicted) == ALIKE
    shift, calibration = recorded
    assert (shift.status, calibration.status) == (Status.BROKEN, Status.BROKEN)

    profile = json.loads(stored.summary)["population"]
    cuts, learned = profile["cuts"], profile["shares"]
    now = [sum(1 for p in predicted if sum(c <= p for c in cuts) == band) / ALIKE for band in range(len(learned))]
    pairs = [(max(a, PSI_FLOOR), max(b, PSI_FLOOR)) for a, b in zip(learned, now, strict=True)]
    assert shift.value == pytest.approx(sum((b - a) * math.log(b / a) for a, b in pairs))
    assert shift.value is not None
    assert shift.value > 1  # far above the agreed 0.25
    assert [band["window"] for band in shift.evidence()["bands"]] == pytest.approx(now)
    assert shift.evidence()["handoffs"] == ALIKE
    assert shift.summary() == f"population shift: {shift.value:.3f}, above the agreed 0.25"

    mean = sum(predicted) / ALIKE
    assert calibration.value == pytest.approx(mean)  # none reached: every range's gap is its mean chance
    assert calibration.evidence() == {
        "from": "2026-12-16",
        "to": "2027-03-15",
        "model": 1,
        "target": "opportunity",
        "horizon_days": HORIZON,
        "handoffs": ALIKE,
        "reached": 0,
        "predicted_mean": pytest.approx(mean),
        "observed_rate": 0.0,
    }
    assert calibration.details()[1:] == (
        f"0 of the {ALIKE} hand-offs whose 30-day horizon ended 2026-12-16 to 2027-03-15 reached the opportunity "
        "stage within it (0.0 %)",
        f"the model gave them a {100 * mean:.1f} % chance on average",
    )
    posted = messages(engine)
    assert [(m["bound"], m["value"], m["evidence"]) for m in posted] == [
        ("population_shift", shift.value, shift.evidence()),
        ("model_calibration", calibration.value, calibration.evidence()),
    ]


def test_a_hand_off_counts_for_model_calibration_once_its_horizon_has_ended_on_a_day_of_the_window_by_now(
    engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    inforce = adopted(engine)
    hand_over_alike(engine, inforce)
    keep_model(engine, trained_model(tmp_path_factory.getbasetemp()))
    # the hand-offs are at 09:00 in Chicago, 5 to 24 January: their horizons end at 09:00, 4 to 23 February
    ten_days = HealthBound(Indicator.MODEL_CALIBRATION, 0.1, 10, 1)
    checked = InForce(inforce.version, dataclasses.replace(inforce.agreement, health=(ten_days,)))
    (before_nine,) = measured(engine, datetime(2027, 2, 23, 14, tzinfo=UTC), checked).values()  # 08:00 in Chicago
    assert (before_nine.first, before_nine.last) == (date(2027, 2, 14), date(2027, 2, 23))
    assert before_nine.evidence()["handoffs"] == 9  # 14 to 22 February; 23 February's horizon has not ended yet
    (after_nine,) = measured(engine, datetime(2027, 2, 23, 16, tzinfo=UTC), checked).values()
    assert after_nine.evidence()["handoffs"] == 10


def test_the_world_the_model_learned_from_keeps_both_bounds(
    world: World, tmp_path_factory: pytest.TempPathFactory
) -> None:
    stored = trained_model(tmp_path_factory.getbasetemp())
    profile = json.loads(stored.summary)["population"]  # the deciles of the chances of the hand-offs learned from
    assert (profile["rows"], len(profile["cuts"])) == (stored.rows, 9)
    assert profile["shares"] == pytest.approx([0.1] * 10, abs=0.01)
    keep_model(world.engine, stored)
    bounds = (
        HealthBound(Indicator.POPULATION_SHIFT, 0.25, 180, 100),
        HealthBound(Indicator.MODEL_CALIBRATION, 0.1, 180, 100),
    )
    inforce = InForce(world.inforce.version, dataclasses.replace(world.inforce.agreement, health=bounds))
    readings = measured(world.engine, AS_OF, inforce)
    shift, calibration = readings[Indicator.POPULATION_SHIFT], readings[Indicator.MODEL_CALIBRATION]
    assert (shift.status, calibration.status) == (Status.HELD, Status.HELD)

    first, last = date(2026, 6, 4), date(2026, 11, 30)  # 180 local days (Chicago) up to the check's day
    assert (shift.first, shift.last) == (first, last)
    start = from_seconds(local_day_bounds(inforce.agreement, first)[0])
    end = from_seconds(local_day_bounds(inforce.agreement, last)[1])
    with UnitOfWork(world.engine) as uow:
        changes = uow.session.execute(select(StageChange.lead_id, StageChange.to_stage, StageChange.at)).all()
    handed = {lead: at for lead, stage, at in changes if stage == "mql"}  # one hand-off a lead in this world
    opened = {lead: at for lead, stage, at in changes if stage == "opportunity"}
    assert shift.whole == sum(1 for at in handed.values() if start <= at < end)
    horizon = timedelta(days=HORIZON)
    # the check is at midnight UTC, 18:00 in Chicago: a horizon ending later that evening has not ended by then
    ended = [lead for lead, at in handed.items() if start <= at + horizon < end and at + horizon <= AS_OF]
    assert calibration.whole == len(ended)
    assert calibration.part == sum(1 for lead in ended if lead in opened and opened[lead] <= handed[lead] + horizon)
    assert calibration.evidence()["observed_rate"] == calibration.part / calibration.whole
