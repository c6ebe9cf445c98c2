"""Duplicates: the likely duplicate people and accounts with their match probability, and merging two into one.

Marketing and admins find and merge; a merge keeps one history (``services.dedupe``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from leadpact.api.routes.common import PREFIX, errors, permitted
from leadpact.api.schemas import Answer, Body, Stripped
from leadpact.domain.permissions import Action, Principal
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import dedupe

router = APIRouter(prefix=f"{PREFIX}/dedupe", tags=["dedupe"], responses=errors(401, 403, 422))
Deduper = Annotated[Principal, permitted(Action.DEDUPE)]


class PersonOut(Answer):
    id: int
    email: str
    name: str
    company: str | None
    stage: str


class PersonPairOut(Answer):
    keep: PersonOut = Field(description="The lead a merge should keep: the one furthest along, else the older.")
    other: PersonOut
    probability: float = Field(description="splink's match probability.")


class CompanyOut(Answer):
    id: int
    domain: str | None
    name: str | None
    people: int


class AccountPairOut(Answer):
    keep: CompanyOut = Field(description="The account a merge should keep: the one with more people.")
    other: CompanyOut
    probability: float = Field(description="1 when the domains or normalised names agree, else the names' likeness.")
    basis: str = Field(description="Why they match: domain, name or fuzzy.")


class PairsOut(Answer):
    threshold: float
    people: list[PersonPairOut]
    accounts: list[AccountPairOut]


class MergeIn(Body):
    keep: Stripped = Field(
        min_length=1, max_length=320, description="The record kept (a lead's email or id; an account's domain)."
    )
    other: Stripped = Field(min_length=1, max_length=320, description="The duplicate merged into it.")


class LeadMergeOut(Answer):
    survivor: int
    merged: int
    events: int = Field(description="Events that moved to the survivor.")
    ledger_rows: int = Field(description="Score ledger rows that moved to the survivor.")
    stage_before: str
    stage_after: str
    fields: list[str] = Field(description="Fields and answers the survivor took from the duplicate.")


class AccountMergeOut(Answer):
    survivor: str
    merged: str
    people: int = Field(description="Leads that moved to the survivor.")


@router.get("/pairs", summary="List likely duplicates")
def pairs(
    caller: Deduper,
    uow: Uow,
    threshold: Annotated[float, Query(gt=0, le=1, description="The least match probability shown.")] = (
        dedupe.DEFAULT_THRESHOLD
    ),
) -> PairsOut:
    """Likely duplicate people (splink) and accounts (domain, normalised name, rapidfuzz), most likely first."""
    people = [PersonPairOut.model_validate(p) for p in dedupe.people_pairs(uow, threshold)]
    accounts = [AccountPairOut.model_validate(a) for a in dedupe.account_pairs(uow, threshold)]
    return PairsOut(threshold=threshold, people=people, accounts=accounts)


@router.post("/merge", summary="Merge a duplicate lead", responses=errors(404, 409))
def merge(body: MergeIn, caller: Deduper, uow: Uow, clock: Now, inforce: Agreement) -> LeadMergeOut:
    """Merge the lead `other` into `keep`: its events and score ledger move, `keep` keeps the stage furthest along,
    and `other` points to `keep` from then on."""
    done = dedupe.merge_leads(uow, clock, inforce, body.keep, body.other, caller.user_id)
    return LeadMergeOut.model_validate(done)


@router.post("/merge-accounts", summary="Merge a duplicate account", responses=errors(404, 409))
def merge_accounts(body: MergeIn, caller: Deduper, uow: Uow, clock: Now, inforce: Agreement) -> AccountMergeOut:
    """Merge the account of domain `other` into that of `keep`: its people move, and leads captured later at
    `other`'s domain join `keep`."""
    return AccountMergeOut.model_validate(dedupe.merge_accounts(uow, clock, inforce, body.keep, body.other))
