"""A lead as the agreement's rules see it: its fields, its account's, its answers and custom fields."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from leadpact.domain.agreement import Scalar
from leadpact.domain.fields import ACCOUNT_FIELDS, LEAD_FIELDS
from leadpact.store.tables import Account, Campaign, Lead, LeadField
from leadpact.store.unit_of_work import UnitOfWork


def facts_of(uow: UnitOfWork, lead: Lead, needed: Iterable[str] | None = None) -> dict[str, Scalar | None]:
    """The lead's facts; with ``needed``, only what those field names require is loaded."""
    wanted = None if needed is None else set(needed)
    facts: dict[str, Scalar | None] = {name: getattr(lead, name) for name in LEAD_FIELDS if name != "campaign"}
    if lead.campaign_id is not None and (wanted is None or "campaign" in wanted):
        campaign = uow.session.get(Campaign, lead.campaign_id)
        facts["campaign"] = campaign.name if campaign else None
    if lead.account_id is not None and (wanted is None or any(w.startswith("account.") for w in wanted)):
        account = uow.session.get(Account, lead.account_id)
        if account is not None:
            for name in ACCOUNT_FIELDS:
                facts[f"account.{name}"] = getattr(account, name)
    if wanted is None or any(w not in LEAD_FIELDS and not w.startswith("account.") for w in wanted):
        for row in uow.session.scalars(select(LeadField).where(LeadField.lead_id == lead.id)):
            facts[row.name] = row.value
    return facts
