"""The predictive model of the store's leads: training a new version from the store's history, showing a version
and how it held up, and predicting a lead's chance with the newest version, feature by feature.

``learning.features`` says what a hand-off, its outcome and its features are; ``learning.leadmodel`` how the model
learns and is checked. Here the store's rows are read into them, as of a moment, and each version is kept.

A live lead is scored at its latest hand-off when it has been handed over and is not back in marketing's hands:
its features are then exactly what the model learned from for such hand-offs. A lead waiting in marketing's hands
(an inquiry, a recycled lead) or never handed over is scored as if it were handed over at the moment asked about.

pandas and the learning modules are imported when a model is trained or used, not with this module: every lead's
explanation asks here for a prediction, and a store without a model should not pay for loading them.
"""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select

from leadpact.domain.errors import Conflict, InvalidInput, NotFound
from leadpact.domain.lifecycle import Stage
from leadpact.domain.scoring import DAY_SECONDS, from_seconds, to_seconds
from leadpact.services import audit
from leadpact.services.clock import Clock
from leadpact.store.tables import Account, Campaign, Event, Lead, LeadModel, LedgerEntry, StageChange
from leadpact.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

    from leadpact.learning.features import Change, Handoff, Person
    from leadpact.learning.leadmodel import Predictor
    from leadpact.services.agreements import InForce

CHUNK = 5_000


@dataclass(frozen=True)
class Target:
    name: str
    stage: str
    horizon_days: int
    words: str


TARGETS = {
    "opportunity": Target("opportunity", Stage.OPPORTUNITY, 90, "reaches an opportunity"),
    "won": Target("won", Stage.CUSTOMER, 180, "is won (becomes a customer)"),
}
"""What a model can predict, the stage that makes a hand-off's outcome 1, and the default horizon: the days after
a hand-off within which it must get there (sales cycles run longer to a won deal than to an opportunity)."""

TIMES = "\N{MULTIPLICATION SIGN}"
WAITING = frozenset({Stage.INQUIRY, Stage.RECYCLED})
"""Stages in marketing's hands: a lead here is scored as if handed over at the moment asked about."""


@dataclass(frozen=True)
class Reason:
    """One feature's part in a prediction: the lead's value, its effect on the log-odds, and both in plain words
    ("industry = logistics raises the chance", with how much it multiplies the odds)."""

    feature: str
    value: str | float | None
    effect: float
    words: str


@dataclass
class Prediction:
    """The newest model's chance for a lead, and why: ``base + sum(effect)`` is the logit of ``probability``."""

    probability: float
    version: int
    target: str
    horizon_days: int
    base: float
    at: datetime
    basis: str
    contributions: list[Reason] = field(default_factory=list)

    @property
    def question(self) -> str:
        return f"the chance it {TARGETS[self.target].words} within {self.horizon_days} days of its hand-off"

    @property
    def base_probability(self) -> float:
        """The chance the base log-odds stand for: that of an average hand-off the model learned from."""
        return 1.0 / (1.0 + math.exp(-self.base))

    def strongest(self, count: int = 5) -> list[Reason]:
        """The features with the largest effects, those that change nothing left out."""
        return [c for c in self.contributions if c.effect][:count]


@dataclass(frozen=True)
class Version:
    """A stored version: its row's facts and the summary of its training (quality, sizes, features)."""

    version: int
    target: str
    as_of: datetime
    trained_at: datetime
    trained_by: str
    rows: int
    positives: int
    summary: dict[str, Any]


def train(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    target: str = "opportunity",
    as_of: datetime | None = None,
    horizon_days: int | None = None,
    step: Callable[[int, int], None] | None = None,
) -> Version:
    """Learn a new version from the hand-offs up to ``as_of`` (default now) whose horizon has passed by then;
    ``step`` is told (steps done, steps in all) while it learns."""
    from leadpact.learning import features, leadmodel

    aim = TARGETS.get(target)
    if aim is None:
        raise InvalidInput(f"'{target}' is not something the model predicts; choose {' or '.join(TARGETS)}", "target")
    horizon = aim.horizon_days if horizon_days is None else horizon_days
    if horizon < 1:
        raise InvalidInput(f"{horizon} is not a number of days; give 1 or more", "horizon")
    moment = as_of or clock.now()
    until = to_seconds(moment)
    changes = stage_changes(uow, select(StageChange).where(StageChange.at <= moment))
    stood = features.handoffs(changes)
    labeled = features.outcomes(changes, stood, aim.stage, horizon * DAY_SECONDS, until)
    outcome = [o for _, o in labeled]
    leadmodel.enough(outcome)
    half_life = inforce.agreement.half_life_days
    moments = [(h.lead_id, h.at) for h, _ in labeled]
    frame = describe(uow, moments, stood, half_life)
    learned = leadmodel.learn(frame, outcome, [at for _, at in moments], half_life, step)
    number = (uow.session.scalar(select(func.max(LeadModel.version))) or 0) + 1
    summary = {
        "target": aim.name,
        "target_stage": str(aim.stage),
        "horizon_days": horizon,
        "agreement_version": inforce.version,
        **learned.summary,
    }
    row = LeadModel(
        version=number,
        target=aim.name,
        as_of=moment,
        trained_at=clock.now(),
        trained_by=audit.actor_name(uow),
        rows=len(outcome),
        positives=sum(outcome),
        model=pickle.dumps(learned.predictor),
        summary=json.dumps(summary),
    )
    uow.session.add(row)
    uow.session.flush()
    audit.record(uow, row.trained_at, "model.train", f"model v{number}", target=aim.name, rows=row.rows)
    return _version(row)


def show(uow: UnitOfWork, version: int | None = None) -> Version:
    """A version (the newest when None), refused when there is none yet, saying how to make one."""
    row = stored(uow, version)
    if row is None:
        from leadpact.learning.leadmodel import MIN_EACH, MIN_ROWS

        if version is not None:
            raise NotFound(f"there is no model version {version}; see 'leadpact model show' for the newest")
        raise NotFound(
            "no model has been trained yet; run 'leadpact model train' (it needs at least "
            f"{MIN_ROWS} hand-offs whose outcome is known, with at least {MIN_EACH} of each outcome)"
        )
    predictor_of(row)  # a version this leadpact cannot read is refused here, not shown as if usable
    return _version(row)


def versions(uow: UnitOfWork) -> list[tuple[int, str, datetime, int, int]]:
    """Every version, oldest first: (version, target, as of, rows, positives)."""
    query = select(LeadModel.version, LeadModel.target, LeadModel.as_of, LeadModel.rows, LeadModel.positives)
    return [(v, t, a, r, p) for v, t, a, r, p in uow.session.execute(query.order_by(LeadModel.version))]


def predict(uow: UnitOfWork, lead: Lead, now: datetime) -> Prediction | None:
    """The newest model's chance for the lead as of ``now``, with each feature's part; None without a model (or
    with one this leadpact cannot read: 'leadpact model show' says so)."""
    row = stored(uow, None)
    if row is None:
        return None
    try:
        predictor = predictor_of(row)
    except Conflict:
        return None
    from leadpact.learning import features

    until = to_seconds(now)
    changes = stage_changes(uow, select(StageChange).where(StageChange.lead_id == lead.id, StageChange.at <= now))
    stood = features.handoffs(changes)
    stage = max(changes, key=lambda c: (c.at, c.id)).to_stage if changes else lead.stage
    if stage in WAITING or not stood:
        at, basis = until, "as if handed over at this moment"
    else:
        at, basis = stood[-1].at, "at its latest hand-off"
    explained = predictor.explain(describe(uow, [(lead.id, at)], stood, predictor.half_life_days))[0]
    summary = json.loads(row.summary)
    return Prediction(
        probability=explained.probability,
        version=row.version,
        target=row.target,
        horizon_days=int(summary["horizon_days"]),
        base=explained.base,
        at=from_seconds(at),
        basis=basis,
        contributions=[
            Reason(c.feature, c.value, c.effect, _words(c.feature, c.value, c.effect)) for c in explained.contributions
        ],
    )


def _words(feature: str, value: str | float | None, effect: float) -> str:
    """A feature's part in plain words: "industry = logistics raises the chance", and by how much it multiplies
    the odds of an average hand-off."""
    from leadpact.learning.features import EVENTS

    if feature.startswith(EVENTS):
        name = f"{feature.removeprefix(EVENTS).replace('_', ' ')} events"
    else:
        name = feature.replace("_", " ")
    if value is None:
        subject = f"{name} unknown"
    else:
        subject = f"{name} = {value:g}" if isinstance(value, float) else f"{name} = {value}"
    if effect == 0:
        return f"{subject} does not change the chance"
    return f"{subject} {'raises' if effect > 0 else 'lowers'} the chance (odds {TIMES}{math.exp(effect):.2f})"


def stored(uow: UnitOfWork, version: int | None) -> LeadModel | None:
    query = select(LeadModel)
    if version is None:
        return uow.session.scalars(query.order_by(LeadModel.version.desc()).limit(1)).first()
    return uow.session.get(LeadModel, version)


def predictor_of(row: LeadModel) -> Predictor:
    """The stored model, or a refusal when this leadpact cannot read it (it was stored by another version)."""
    from leadpact.learning.leadmodel import FORMAT, Predictor

    try:
        predictor = pickle.loads(row.model)  # only rows leadpact itself wrote are ever read
    except (pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError, EOFError) as exc:
        raise Conflict(_unreadable(row.version)) from exc
    if not isinstance(predictor, Predictor) or predictor.format != FORMAT:
        raise Conflict(_unreadable(row.version))
    return predictor


def _unreadable(version: int) -> str:
    return (
        f"model version {version} was stored by another version of leadpact and cannot be read; "
        "train it again with 'leadpact model train'"
    )


def _version(row: LeadModel) -> Version:
    return Version(
        row.version,
        row.target,
        row.as_of,
        row.trained_at,
        row.trained_by,
        row.rows,
        row.positives,
        json.loads(row.summary),
    )


def stage_changes(uow: UnitOfWork, query: Select[StageChange]) -> list[Change]:
    """Stage changes as ``features.handoffs`` reads them, ``at`` in UTC seconds."""
    from leadpact.learning.features import Change

    return [
        Change(c.id, c.lead_id, to_seconds(c.at), c.from_stage, c.to_stage, c.reason)
        for c in uow.session.scalars(query)
    ]


def describe(
    uow: UnitOfWork,
    moments: list[tuple[int, int]],
    stood: list[Handoff],
    half_life_days: float | None,
) -> pd.DataFrame:
    """The features of each (lead, moment), read from the store: the leads' fields, ledger rows and events."""
    from leadpact.learning.features import Done, Points, describe

    ids = sorted({lead_id for lead_id, _ in moments})
    ledger: list[Points] = []
    done: list[Done] = []
    session = uow.session
    for chunk in _chunks(ids):
        points = select(LedgerEntry.lead_id, LedgerEntry.kind, LedgerEntry.at, LedgerEntry.points)
        ledger += [Points(*row) for row in session.execute(points.where(LedgerEntry.lead_id.in_(chunk)))]
        events = select(Event.lead_id, Event.type, Event.occurred_at).where(Event.lead_id.in_(chunk))
        done += [Done(*row) for row in session.execute(events)]
    return describe(moments, people(uow, ids), ledger, done, stood, half_life_days)


def people(uow: UnitOfWork, ids: Sequence[int]) -> list[Person]:
    """What the features need of each lead: its own fields, its account's and its capture."""
    from leadpact.learning.features import Person

    out: list[Person] = []
    for chunk in _chunks(ids):
        query = (
            select(
                Lead.id,
                Lead.email,
                Lead.title,
                Lead.source,
                Campaign.name,
                Lead.industry,
                Lead.employees,
                Lead.country,
                Account.industry,
                Account.employees,
                Account.country,
                Lead.created_at,
            )
            .outerjoin(Campaign, Campaign.id == Lead.campaign_id)
            .outerjoin(Account, Account.id == Lead.account_id)
            .where(Lead.id.in_(chunk))
        )
        for row in uow.session.execute(query):
            lead_id, email, title, source, campaign, industry, employees, country = row[:8]
            account_industry, account_employees, account_country, created_at = row[8:]
            out.append(
                Person(
                    lead_id,
                    email,
                    title,
                    source,
                    campaign,
                    industry,
                    employees,
                    country,
                    account_industry,
                    account_employees,
                    account_country,
                    to_seconds(created_at),
                )
            )
    return out


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]
