"""A lead as the agreement's rules see it: its fields, its account's, its answers and custom fields."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import select

from leadpact.domain.agreement import Scalar
from leadpact.domain.fields import ACCOUNT_FIELDS, LEAD_FIELDS, PREDICTED
from leadpact.store.tables import Account, Campaign, Lead, LeadField, Prediction
from leadpact.store.unit_of_work import UnitOfWork

CHUNK = 5_000


def facts_of(
    uow: UnitOfWork, lead: Lead, needed: Iterable[str] | None = None, model: int | None = None
) -> dict[str, Scalar | None]:
    """The lead's facts; with ``needed``, only what those field names require is loaded."""
    return facts_of_many(uow, [lead], needed, model)[lead.id]


def facts_of_many(
    uow: UnitOfWork, leads: Sequence[Lead], needed: Iterable[str] | None = None, model: int | None = None
) -> dict[int, dict[str, Scalar | None]]:
    """Each lead's facts by lead id, in a few queries however many leads there are; with ``model``, a lead model
    version, also the chance it gives the lead (``predicted.probability``, kept by ``services.predictions``)."""
    wanted = None if needed is None else set(needed)
    facts: dict[int, dict[str, Scalar | None]] = {
        lead.id: {name: getattr(lead, name) for name in LEAD_FIELDS if name != "campaign"} for lead in leads
    }
    session = uow.session
    if wanted is None or "campaign" in wanted:
        names: dict[int, str] = {}
        for chunk in _chunks(sorted({lead.campaign_id for lead in leads if lead.campaign_id is not None})):
            query = select(Campaign.id, Campaign.name).where(Campaign.id.in_(chunk))
            names.update((campaign_id, name) for campaign_id, name in session.execute(query))
        for lead in leads:
            if lead.campaign_id is not None:
                facts[lead.id]["campaign"] = names.get(lead.campaign_id)
    if wanted is None or any(w.startswith("account.") for w in wanted):
        ids = {lead.account_id for lead in leads if lead.account_id is not None}
        missing = sorted(i for i in ids if session.identity_key(Account, i) not in session.identity_map)
        for chunk in _chunks(missing):
            session.scalars(select(Account).where(Account.id.in_(chunk))).all()  # into the identity map
        for lead in leads:
            account = session.get(Account, lead.account_id) if lead.account_id is not None else None
            if account is not None:
                for name in ACCOUNT_FIELDS:
                    facts[lead.id][f"account.{name}"] = getattr(account, name)
    if model is not None and (wanted is None or PREDICTED in wanted):
        for chunk in _chunks(sorted(facts)):
            for lead_id, probability in session.execute(
                select(Prediction.lead_id, Prediction.probability).where(
                    Prediction.model_version == model, Prediction.lead_id.in_(chunk)
                )
            ):
                facts[lead_id][PREDICTED] = probability
    custom = [w for w in wanted or () if w not in LEAD_FIELDS and not w.startswith("account.") and w != PREDICTED]
    if wanted is None or custom:
        for chunk in _chunks(sorted(facts)):
            for lead_id, name, value in session.execute(
                select(LeadField.lead_id, LeadField.name, LeadField.value).where(LeadField.lead_id.in_(chunk))
            ):
                facts[lead_id][name] = value
    return facts


def _chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
