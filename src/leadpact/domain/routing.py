"""Routing: which team gets a qualified lead, and which member of the team.

The first routing rule whose condition holds on the lead names the team. Within the team, leads are dealt
by smooth weighted round robin: over time each available member receives leads in proportion to their
capacity, without bursts; members who are away are skipped, and ties go to the member assigned least
recently.
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


def pick_member(
    members: Sequence[Member], exclude: frozenset[str] = frozenset()
) -> tuple[str, dict[str, float]] | None:
    """The member who gets the next lead, and every eligible member's new round-robin credit.

    Each eligible member earns its capacity in credit; the richest is chosen and pays the total back.
    Returns None when nobody in the team can take a lead.
    """
    eligible = [m for m in members if m.available and m.capacity > 0 and m.name not in exclude]
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
