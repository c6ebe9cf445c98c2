"""Routing: which team gets a qualified lead, and which member of the team.

When the lead's account has an owner, the agreement's ``handoff.account_owner`` says whether the owner takes
it: ``always`` (even while away or at their cap), ``when_available`` (only while available and under their
cap; otherwise the routing rules decide), or ``never`` (the default). Otherwise the first routing rule whose
condition holds on the lead names the team; a rule may name the lead's ``priority`` band or its ``score`` at
the hand-off, so hot leads can go to a team of their own. Within the team, leads are dealt by smooth weighted
round robin: over time each available member receives leads in proportion to their capacity, without bursts;
members who are away are skipped, and so are members at their cap on open leads (``max_open``: the leads in
mql, sal or sql assigned to them), and ties go to the member assigned least recently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leadpact.domain.agreement import Agreement
from leadpact.domain.conditions import holds
from leadpact.domain.fields import Facts


def team_for(agreement: Agreement, facts: Facts) -> str | None:
    for rule in agreement.handoff.routing:
        if rule.when is None or holds(rule.when, facts.get(rule.when.field)):
            return rule.team
    return None


@dataclass(frozen=True)
class Member:
    name: str
    capacity: int
    available: bool
    credit: float
    last_assigned_at: int | None
    max_open: int | None = None  # None: no cap on open leads
    open_leads: int = 0

    @property
    def at_cap(self) -> bool:
        return self.max_open is not None and self.open_leads >= self.max_open

    @property
    def can_take(self) -> bool:
        """Available, and below any cap: a member who can take one more lead now."""
        return self.available and not self.at_cap


def owner_takes(mode: str, owner: Member | None) -> bool:
    """Whether the account's owner gets the lead, under the agreement's ``account_owner`` mode."""
    if owner is None or mode == "never":
        return False
    return mode == "always" or owner.can_take


def pick_member(
    members: Sequence[Member], exclude: frozenset[str] = frozenset()
) -> tuple[str, dict[str, float]] | None:
    """The member who gets the next lead, and every eligible member's new round-robin credit.

    Each eligible member earns its capacity in credit; the richest is chosen and pays the total back.
    Returns None when nobody in the team can take a lead.
    """
    eligible = [m for m in members if m.can_take and m.capacity > 0 and m.name not in exclude]
    if not eligible:
        return None
    total = sum(m.capacity for m in eligible)
    credits = {m.name: m.credit + m.capacity for m in eligible}
    chosen = max(
        eligible,
        key=lambda m: (
            credits[m.name],
            -(m.last_assigned_at if m.last_assigned_at is not None else -1),
            m.name,
        ),
    )
    credits[chosen.name] -= total
    return chosen.name, credits
