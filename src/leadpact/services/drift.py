"""The two health bounds that watch the predictive lead model, measured from the store: population shift and
model calibration (``domain.health`` says what each is and how it is judged).

The model watched is the version the agreement names (``model``), else the newest one trained. None, one this
leadpact cannot read, or for population shift one kept without its learning rows' profile (trained before the
model kept it), leaves the bound not judged, saying what to do.

- **Population shift** reads the hand-offs that stood, as of now, whose moment falls on a local day of the
  bound's window; each is described at its hand-off exactly as the model learned (``models.describe``, with the
  model's half-life), and scored by the model.
- **Model calibration** reads the hand-offs whose outcome became known in the window: the model's horizon after
  the hand-off ended on a local day of the window, and by now. The outcome is ``features.outcomes``'s (the lead
  reached the model's target stage within the horizon and before its next hand-off), the prediction the model's
  at the hand-off, and the error ``leadmodel.calibration_error``, the one ``model show`` reports.

Only the stage changes of the leads with a hand-off in the range asked about are read: all of theirs up to now, so
that a hand-off withdrawn later, an earlier hand-off and the next one are seen. pandas and the learning modules
are imported here when a drift bound is measured, not with this module.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from leadpact.domain.agreement import HealthBound, Indicator
from leadpact.domain.errors import Conflict
from leadpact.domain.health import Reading, Watched, model_calibration_reading, shift_reading, unjudged_drift
from leadpact.domain.scoring import DAY_SECONDS, from_seconds, local_day_bounds, to_seconds
from leadpact.services import models
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.tables import StageChange
from leadpact.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from leadpact.learning.features import Change, Handoff
    from leadpact.learning.leadmodel import Predictor

RETRAIN = "train the model again with 'leadpact model train'"


def reading(uow: UnitOfWork, clock: Clock, inforce: InForce, bound: HealthBound, first: date, last: date) -> Reading:
    """A drift bound measured over the local days ``first`` to ``last``, as of the clock's now."""
    named = inforce.agreement.model
    row = models.stored(uow, named)
    if row is None:
        why = (
            f"the agreement names model version {named}, which is not stored: train it or name a stored version"
            if named is not None
            else "no model trained yet: run 'leadpact model train'"
        )
        return unjudged_drift(bound, first, last, why)
    summary = json.loads(row.summary)
    model = Watched(row.version, str(summary["target_stage"]), int(summary["horizon_days"]))
    try:
        predictor = models.predictor_of(row)
    except Conflict as exc:
        return unjudged_drift(bound, first, last, str(exc), model)
    start = local_day_bounds(inforce.agreement, first)[0]
    end = local_day_bounds(inforce.agreement, last)[1]
    now = to_seconds(clock.now())
    if bound.indicator is Indicator.POPULATION_SHIFT:
        profile = summary.get("population")
        if profile is None:
            why = f"model version {row.version} was trained before models kept their population's profile: {RETRAIN}"
            return unjudged_drift(bound, first, last, why, model)
        chances = _chances(uow, predictor, _handoffs(uow, start, end, now))
        return shift_reading(bound, first, last, model, profile["cuts"], profile["shares"], chances)
    return _calibration(uow, predictor, bound, first, last, model, (start, end), now)


def _calibration(
    uow: UnitOfWork,
    predictor: Predictor,
    bound: HealthBound,
    first: date,
    last: date,
    model: Watched,
    days: tuple[int, int],
    now: int,
) -> Reading:
    """Model calibration over the hand-offs whose horizon ended within ``days`` (UTC seconds, [start, end)) by now."""
    import numpy as np

    from leadpact.learning import features, leadmodel

    horizon = model.horizon_days * DAY_SECONDS
    start, end = days[0] - horizon, min(days[1] - horizon, now - horizon + 1)
    changes = _changes(uow, start, end, now)
    stood = features.handoffs(changes)
    known = features.outcomes(changes, [h for h in stood if start <= h.at < end], model.target, horizon, now)
    if not known:
        return model_calibration_reading(bound, first, last, model, 0, 0, None, None)
    y = np.asarray([outcome for _, outcome in known], dtype="int64")
    chances = _chances(uow, predictor, ([h for h, _ in known], stood))
    p = np.asarray(chances, dtype="float64")
    error = leadmodel.calibration_error(y, p)
    return model_calibration_reading(bound, first, last, model, int(y.sum()), len(y), float(p.mean()), error)


def _handoffs(uow: UnitOfWork, start: int, end: int, now: int) -> tuple[list[Handoff], list[Handoff]]:
    """The hand-offs that stood (as of now) at a moment in [start, end), and every hand-off of their leads."""
    from leadpact.learning import features

    stood = features.handoffs(_changes(uow, start, end, now))
    return [h for h in stood if start <= h.at < end], stood


def _changes(uow: UnitOfWork, start: int, end: int, now: int) -> list[Change]:
    """Every stage change up to now of the leads handed over at a moment in [start, end)."""
    from leadpact.learning.features import HANDED

    handed = select(StageChange.lead_id).where(
        StageChange.to_stage == HANDED,
        StageChange.at >= from_seconds(start),
        StageChange.at < from_seconds(end),
    )
    query = select(StageChange).where(StageChange.lead_id.in_(handed), StageChange.at <= from_seconds(now))
    return models.stage_changes(uow, query)


def _chances(uow: UnitOfWork, predictor: Predictor, handoffs: tuple[list[Handoff], list[Handoff]]) -> list[float]:
    """The model's chance for each of the first hand-offs, described at its moment; the second are every hand-off
    of their leads (a feature counts the earlier ones)."""
    scored, stood = handoffs
    if not scored:
        return []
    moments = [(h.lead_id, h.at) for h in scored]
    frame = models.describe(uow, moments, stood, predictor.half_life_days)
    return [float(p) for p in predictor.probabilities(frame)]
