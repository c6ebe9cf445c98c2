"""The chance a lead model version gives each lead as it was captured, kept per version: what a fit or routing
rule on ``predicted.probability`` reads.

An agreement may name a lead model version both sides signed (``model: 3``); its rules may then compare the chance
that version gives a lead. The chance is the lead's **as it was captured**: who the lead is (its fields and its
account's, as the store holds them), before any points or events, so fit, engagement, days since capture, earlier
hand-offs and every event count are 0. The fit rules say who a good lead is and the engagement rules score what it
does; the chance here depends on nothing else than the lead's fields and the version, never on the agreement's own
points, so it is one number per lead and version, the same online, in the batch, in a backtest.

The numbers are kept in ``predictions``:

- when leadpact brings a lead's fit in line with its fields (a capture, an import, a change of fields, the
  qualification answers) it drops the lead's kept chances, which may be stale, and makes the one of the version
  the agreement in force names, in the same transaction;
- when an agreement naming a version is adopted, the version's chance of every lead that has none;
- before a backtest or a rescoring reads them, the chance of every lead that has none for a version they read,
  in a transaction of its own: the batch reads committed rows through its own connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Engine, delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite

from leadpact.domain.agreement import Agreement
from leadpact.domain.errors import Conflict, InvalidAgreement, NotFound
from leadpact.domain.fields import PREDICTED
from leadpact.domain.scoring import to_seconds
from leadpact.services import models
from leadpact.store.tables import Lead, Prediction
from leadpact.store.unit_of_work import UnitOfWork

CHUNK = 5_000


def require(uow: UnitOfWork, agreement: Agreement, source: str) -> None:
    """Refuse an agreement (read from ``source``) naming a model version the store does not hold or cannot read."""
    version = agreement.model
    if version is None:
        return
    row = models.stored(uow, version)
    if row is None:
        problem = f"lead model version {version} does not exist; 'leadpact model show' tells the newest"
        raise InvalidAgreement([f"{source}: model: {problem}"])
    try:
        models.predictor_of(row)
    except Conflict as exc:
        raise InvalidAgreement([f"{source}: model: {exc}"]) from exc


def refresh(uow: UnitOfWork, version: int | None, leads: Sequence[Lead]) -> None:
    """Drop the leads' kept chances and make those of ``version`` (none when None) from their fields as they are."""
    captured = sorted({lead.id: to_seconds(lead.created_at) for lead in leads}.items())
    for start in range(0, len(captured), CHUNK):
        chunk = captured[start : start + CHUNK]
        uow.session.execute(delete(Prediction).where(Prediction.lead_id.in_([lead_id for lead_id, _ in chunk])))
        if version is not None:
            _keep(uow, version, chunk)


def fill(uow: UnitOfWork, version: int) -> int:
    """Make the chance of every lead that has none for ``version``; how many were made."""
    lacking = (
        select(Lead.id, Lead.created_at)
        .where(~exists().where(Prediction.lead_id == Lead.id, Prediction.model_version == version))
        .order_by(Lead.id)
    )
    captured = [(lead_id, to_seconds(at)) for lead_id, at in uow.session.execute(lacking)]
    for start in range(0, len(captured), CHUNK):
        _keep(uow, version, captured[start : start + CHUNK])
    return len(captured)


def fill_for(engine: Engine, agreements: Iterable[Agreement]) -> None:
    """Make, and commit, the chances the agreements' rules read, for every lead without one: before a batch reads
    them through a connection of its own."""
    versions = sorted({a.model for a in agreements if a.model is not None and _reads_prediction(a)})
    if not versions:
        return
    with UnitOfWork(engine) as uow:
        for version in versions:
            fill(uow, version)


def _reads_prediction(agreement: Agreement) -> bool:
    fields = [rule.condition.field for rule in agreement.fit_rules]
    fields += [route.when.field for route in agreement.handoff.routing if route.when]
    return PREDICTED in fields


def _keep(uow: UnitOfWork, version: int, captured: Sequence[tuple[int, int]]) -> None:
    """Predict each (lead id, capture second) as captured and keep it; a chance kept meanwhile is replaced."""
    if not captured:
        return
    from leadpact.learning.features import describe

    row = models.stored(uow, version)
    if row is None:
        raise NotFound(f"lead model version {version} does not exist")
    predictor = models.predictor_of(row)
    ids = [lead_id for lead_id, _ in captured]
    frame = describe(captured, models.people(uow, ids), (), (), (), predictor.half_life_days)
    chances = predictor.probabilities(frame)
    table = Prediction.__table__
    dialect = postgresql if uow.dialect == "postgresql" else sqlite
    values = [
        {"lead_id": lead_id, "model_version": version, "probability": float(p)}
        for lead_id, p in zip(ids, chances, strict=True)
    ]
    statement = dialect.insert(table).values(values)
    uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["lead_id", "model_version"], set_={"probability": statement.excluded.probability}
        )
    )
