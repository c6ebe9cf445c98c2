"""Who may do what: each action names the roles allowed to take it.

A rep acts only on leads assigned to them and on their own opportunities; marketing captures, imports and
reads the reports but never accepts or rejects on a rep's behalf; only managers sign an agreement, each for
their own side (marketing or sales). An admin runs the system (people, tokens, forms) and may do everything
except sign. Only an admin reads the audit trail, and exports or erases a person's data. A qualifier
(marketing's inside sales) captures leads and works the screening queue: calls the leads in screening, records
their answers and passes, sends back or disqualifies them; managers and admins may too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from leadpact.domain.errors import NotPermitted


class Role(StrEnum):
    ADMIN = "admin"
    MARKETING = "marketing"
    MANAGER = "manager"
    REP = "rep"
    QUALIFIER = "qualifier"


ROLE_NAMES = tuple(role.value for role in Role)
SIDES = ("marketing", "sales")
"""A manager manages for one side of the agreement, and signs for it."""


class Action(StrEnum):
    CAPTURE = "capture"  # capture leads and record events
    READ_LEADS = "read_leads"  # every lead (a rep reads only their own)
    WORK_LEADS = "work_leads"  # accept, reject, contact, qualify, convert, move, win, lose
    MANAGE_CAMPAIGNS = "manage_campaigns"  # campaigns, costs, imports, capture forms
    READ_REPORTS = "read_reports"
    READ_AGREEMENT = "read_agreement"
    PROPOSE_AGREEMENT = "propose_agreement"  # upload a candidate and backtest it
    SIGN_AGREEMENT = "sign_agreement"
    MANAGE_TEAM = "manage_team"  # reps, teams, capacity, away and back
    MANAGE_ACCESS = "manage_access"  # users, passwords, API tokens, webhooks
    READ_AUDIT = "read_audit"  # the audit trail
    MANAGE_PERSONAL_DATA = "manage_personal_data"  # export or erase what is held about a person
    LEARN = "learn"  # learn a customer profile, score lists against it, train the predictive model
    RUN_WORKSHOP = "run_workshop"  # start a calibration workshop and read its report
    GRADE_LEADS = "grade_leads"  # grade a workshop's leads for one's side
    DEDUPE = "dedupe"  # find duplicate people and accounts, and merge them
    SCREEN = "screen"  # read the screening queue and its leads; call, answer, pass, not yet, disqualify


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.CAPTURE: frozenset({Role.ADMIN, Role.MARKETING, Role.QUALIFIER}),
    Action.READ_LEADS: frozenset({Role.ADMIN, Role.MARKETING, Role.MANAGER}),
    Action.WORK_LEADS: frozenset({Role.ADMIN, Role.MANAGER, Role.REP}),
    Action.MANAGE_CAMPAIGNS: frozenset({Role.ADMIN, Role.MARKETING}),
    Action.READ_REPORTS: frozenset({Role.ADMIN, Role.MARKETING, Role.MANAGER}),
    Action.READ_AGREEMENT: frozenset({Role.ADMIN, Role.MARKETING, Role.MANAGER, Role.REP}),
    Action.PROPOSE_AGREEMENT: frozenset({Role.ADMIN, Role.MANAGER}),
    Action.SIGN_AGREEMENT: frozenset({Role.MANAGER}),
    Action.MANAGE_TEAM: frozenset({Role.ADMIN, Role.MANAGER}),
    Action.MANAGE_ACCESS: frozenset({Role.ADMIN}),
    Action.READ_AUDIT: frozenset({Role.ADMIN}),
    Action.MANAGE_PERSONAL_DATA: frozenset({Role.ADMIN}),
    Action.LEARN: frozenset({Role.ADMIN, Role.MARKETING, Role.MANAGER}),
    Action.RUN_WORKSHOP: frozenset({Role.ADMIN, Role.MARKETING, Role.MANAGER}),
    Action.GRADE_LEADS: frozenset({Role.MARKETING, Role.MANAGER, Role.REP}),
    Action.DEDUPE: frozenset({Role.ADMIN, Role.MARKETING}),
    Action.SCREEN: frozenset({Role.ADMIN, Role.MANAGER, Role.QUALIFIER}),
}


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in person, or an API token acting with its role (and maybe for a person)."""

    role: Role
    name: str
    user_id: int | None = None
    side: str | None = None

    def may(self, action: Action) -> bool:
        return self.role in ALLOWED[action]

    def require(self, action: Action) -> None:
        if not self.may(action):
            raise NotPermitted(f"{self.name} ({self.role}) may not {action.value.replace('_', ' ')}")

    def require_owner(self, owner_id: int | None, what: str) -> None:
        """A rep may act only on what is theirs; other roles allowed the action may act on anything."""
        if self.role is Role.REP and (owner_id is None or owner_id != self.user_id):
            raise NotPermitted(f"{what} is not assigned to {self.name}")
