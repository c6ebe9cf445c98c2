"""Accounts: one with its people and engagement, the most engaged ones, and their owner; a rep's cap on open leads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from leadpact.api.routes.common import PREFIX, errors, permitted
from leadpact.api.schemas import Answer, Body, Moment
from leadpact.domain.permissions import Action, Principal
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import accounts, team

router = APIRouter(prefix=PREFIX, responses=errors(401, 403, 422))
Reader = Annotated[Principal, permitted(Action.READ_LEADS)]
Manager = Annotated[Principal, permitted(Action.MANAGE_TEAM)]


class AccountRuleOut(Answer):
    engagement_at_least: float
    people_engaged_at_least: int


class PersonOut(Answer):
    id: int
    email: str
    name: str | None
    title: str | None
    authority: str | None = Field(description="The qualification answer on authority, once a rep recorded it.")
    stage: str
    grade: str | None
    priority: str
    score: float
    engagement: float = Field(description="Decayed to the moment asked about.")
    owner: str | None


class AccountOut(Answer):
    id: int
    domain: str | None
    name: str | None
    industry: str | None
    employees: int | None
    country: str | None
    owner: str | None = Field(description="The rep who owns the account.")
    stage: str | None = Field(description="The furthest stage any of its people reached.")
    engagement: float = Field(description="The sum of its people's decayed engagement at the moment asked about.")
    people_engaged: int = Field(description="Its people whose engagement then is above zero.")
    meets_rule: bool | None = Field(description="Whether it meets the agreement's account rule; null: no rule.")
    rule: AccountRuleOut | None
    people: list[PersonOut]


class AccountSummaryOut(Answer):
    domain: str | None
    name: str | None
    owner: str | None
    people: int
    people_engaged: int
    engagement: float
    meets_rule: bool | None


class OwnerIn(Body):
    owner: str | None = Field(description="The rep (name or email) who owns the account; null clears the owner.")


class CapacityIn(Body):
    capacity: int | None = Field(default=None, ge=0, description="The rep's share of new leads; left out: unchanged.")
    max_open: int | None = Field(ge=1, description="The most open leads (mql, sal, sql) the rep holds; null: no cap.")


class RepCapacityOut(Answer):
    name: str
    capacity: int
    max_open: int | None


@router.get("/accounts", tags=["accounts"], summary="List the most engaged accounts", responses=errors(409))
def list_accounts(
    caller: Reader,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    at: Annotated[Moment | None, Query(description="As of this moment (ISO 8601); default now.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[AccountSummaryOut]:
    """The accounts with the most engagement (the sum of their people's decayed engagement), most first."""
    rows = accounts.top(uow, inforce, at or clock.now(), limit)
    return [AccountSummaryOut.model_validate(r) for r in rows]


@router.get("/accounts/{domain}", tags=["accounts"], summary="Show an account", responses=errors(404, 409))
def show_account(
    domain: str,
    caller: Reader,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    at: Annotated[Moment | None, Query(description="As of this moment (ISO 8601); default now.")] = None,
) -> AccountOut:
    """The account's fields, owner and stage; its people with their roles, stages and scores; its engagement and
    whether it meets the agreement's account rule."""
    return AccountOut.model_validate(accounts.show(uow, inforce, at or clock.now(), domain))


@router.put("/accounts/{domain}/owner", tags=["accounts"], summary="Set an account's owner", responses=errors(404, 409))
def set_owner(domain: str, body: OwnerIn, caller: Manager, uow: Uow, clock: Now, inforce: Agreement) -> AccountOut:
    """Make a rep the account's owner, or clear it (null): its leads go to the owner when the agreement's
    `handoff.account_owner` says so. Needs a manager or an admin."""
    account = accounts.set_owner(uow, clock, domain, body.owner)
    return AccountOut.model_validate(accounts.show(uow, inforce, clock.now(), account.domain or domain))


@router.put("/reps/{name}/capacity", tags=["team"], summary="Change a rep's share or cap", responses=errors(404))
def set_capacity(name: str, body: CapacityIn, caller: Manager, uow: Uow, clock: Now) -> RepCapacityOut:
    """Change the rep's share of new leads (when given) and set their cap on open leads (null lifts it): a rep at
    the cap is skipped by assignment, as one who is away is. Needs a manager or an admin."""
    if body.capacity is not None:
        team.set_capacity(uow, clock, name, body.capacity)
    user = team.set_max_open(uow, clock, name, body.max_open)
    return RepCapacityOut(name=user.name, capacity=user.capacity, max_open=user.max_open)
