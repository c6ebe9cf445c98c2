"""Accounts: the company behind the leads, its people and their roles, how engaged it is, and who owns it.

An account's engagement is the sum of its people's decayed engagement at the moment asked about
(``domain.accounts``); whether it meets the agreement's account rule is shown with it. An account may have an
owner, a rep, to whom its leads go when the agreement's ``handoff.account_owner`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from leadpact.domain.accounts import Engagement, account_engagement, meets
from leadpact.domain.agreement import AccountRule
from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.lifecycle import Stage
from leadpact.domain.permissions import Role
from leadpact.domain.scoring import to_seconds
from leadpact.services import audit, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.tables import Account, Lead, LeadField, User
from leadpact.store.unit_of_work import UnitOfWork

AUTHORITY = "answers.authority"
"""The qualification answer that says what role a person plays in the buying decision."""
FURTHEST_FIRST = (
    Stage.CUSTOMER,
    Stage.OPPORTUNITY,
    Stage.SQL,
    Stage.SAL,
    Stage.MQL,
    Stage.SCREENING,
    Stage.INQUIRY,
    Stage.RECYCLED,
    Stage.DISQUALIFIED,
)
"""An account stands where its furthest person stands."""


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str | None
    title: str | None
    authority: str | None  # the qualification answer on authority, once a rep recorded it
    stage: str
    grade: str | None
    priority: str
    score: float
    engagement: float
    owner: str | None


@dataclass(frozen=True)
class AccountView:
    id: int
    domain: str | None
    name: str | None
    industry: str | None
    employees: int | None
    country: str | None
    owner: str | None
    stage: str | None  # the furthest stage any of its people reached; None: no people
    engagement: float
    people_engaged: int
    meets_rule: bool | None  # None: the agreement has no account rule
    rule: AccountRule | None
    people: tuple[Person, ...]


@dataclass(frozen=True)
class AccountSummary:
    domain: str | None
    name: str | None
    owner: str | None
    people: int
    people_engaged: int
    engagement: float
    meets_rule: bool | None


def account_named(uow: UnitOfWork, domain: str) -> Account:
    found = uow.session.scalars(select(Account).where(Account.domain == domain.strip().lower())).first()
    if found is None:
        raise NotFound(f"no account with domain '{domain.strip()}'")
    return found


def furthest(stages: list[str]) -> str | None:
    for stage in FURTHEST_FIRST:
        if stage in stages:
            return stage.value
    return None


def show(uow: UnitOfWork, inforce: InForce, now: datetime, domain: str) -> AccountView:
    """The account with its people (highest score first) and its engagement as of ``now``."""
    agreement = inforce.agreement
    account = account_named(uow, domain)
    leads = list(uow.session.scalars(select(Lead).where(Lead.account_id == account.id).order_by(Lead.id)))
    at = to_seconds(now)
    each, engaged = account_engagement(
        ((lead.engagement, lead.engagement_at) for lead in leads), at, agreement.half_life_days
    )
    answers = select(LeadField.lead_id, LeadField.value).where(
        LeadField.lead_id.in_([lead.id for lead in leads]), LeadField.name == AUTHORITY
    )
    authority: dict[int, str] = dict(uow.session.execute(answers).all())
    names = team.names_of(uow, [lead.owner_id for lead in leads] + [account.owner_id])
    people = [
        Person(
            id=lead.id,
            email=lead.email,
            name=" ".join(n for n in (lead.first_name, lead.last_name) if n) or None,
            title=lead.title,
            authority=authority.get(lead.id),
            stage=lead.stage,
            grade=lead.grade,
            priority=agreement.band_for(lead.fit + engagement),
            score=lead.fit + engagement,
            engagement=engagement,
            owner=names.get(lead.owner_id) if lead.owner_id is not None else None,
        )
        for lead, engagement in zip(leads, each, strict=True)
    ]
    people.sort(key=lambda p: (-p.score, p.id))
    return AccountView(
        id=account.id,
        domain=account.domain,
        name=account.name,
        industry=account.industry,
        employees=account.employees,
        country=account.country,
        owner=names.get(account.owner_id) if account.owner_id is not None else None,
        stage=furthest([lead.stage for lead in leads]),
        engagement=engaged.total,
        people_engaged=engaged.people_engaged,
        meets_rule=meets(agreement.accounts, engaged),
        rule=agreement.accounts,
        people=tuple(people),
    )


def top(uow: UnitOfWork, inforce: InForce, now: datetime, limit: int = 20) -> list[AccountSummary]:
    """The accounts with the most engagement as of ``now``, most first (ties by domain)."""
    agreement = inforce.agreement
    at = to_seconds(now)
    people: dict[int, list[tuple[float, int]]] = {}
    for account_id, value, anchor in uow.session.execute(
        select(Lead.account_id, Lead.engagement, Lead.engagement_at).where(Lead.account_id.is_not(None))
    ):
        if account_id is not None:
            people.setdefault(account_id, []).append((value, anchor))
    measured: dict[int, Engagement] = {
        account_id: account_engagement(values, at, agreement.half_life_days)[1] for account_id, values in people.items()
    }
    accounts = list(uow.session.scalars(select(Account).where(Account.id.in_(list(measured)))))
    accounts.sort(key=lambda a: (-measured[a.id].total, a.domain or ""))
    chosen = accounts[:limit]
    names = team.names_of(uow, [a.owner_id for a in chosen])
    return [
        AccountSummary(
            domain=a.domain,
            name=a.name,
            owner=names.get(a.owner_id) if a.owner_id is not None else None,
            people=len(people[a.id]),
            people_engaged=measured[a.id].people_engaged,
            engagement=measured[a.id].total,
            meets_rule=meets(agreement.accounts, measured[a.id]),
        )
        for a in chosen
    ]


def _rep(uow: UnitOfWork, ref: str) -> User:
    by_email = uow.session.scalars(select(User).where(User.email == ref)).first() if "@" in ref else None
    return by_email or team.user_named(uow, ref)


def set_owner(uow: UnitOfWork, clock: Clock, domain: str, rep: str | None) -> Account:
    """Make a rep (by name or email) the account's owner, or clear the owner (``rep`` None)."""
    account = account_named(uow, domain)
    owner: User | None = None
    if rep is not None:
        owner = _rep(uow, rep.strip())
        if owner.role != Role.REP:
            raise InvalidInput(f"{owner.name} is a {owner.role}; only a rep can own an account", "owner")
    account.owner_id = owner.id if owner else None
    audit.record(uow, clock.now(), "account.owner", f"account {account.domain}", owner=owner.name if owner else None)
    return account
