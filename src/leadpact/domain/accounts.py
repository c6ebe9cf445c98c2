"""Accounts as buying groups: how engaged an account is, and whether it meets the agreement's account rule.

An account's engagement at a moment is the sum of its people's engagement at that moment, each person's
decayed exactly as their score decays (``scoring.engagement_at``). A person is engaged when their engagement
then is above zero. The account meets the agreement's rule (``accounts.qualify``) when its engagement reaches
``engagement_at_least`` while at least ``people_engaged_at_least`` of its people are engaged: a buying group,
ready for sales.

The rule is a reading of the account, shown wherever the account is, which routing may use at the hand-off
(``account.buying_group``: the leads of a buying group to a team of their own). It leaves each lead's stage to the
lead's own qualification rule: a stage that depended on other people's events would change with every late event
of any of them, and the batch replay (``analytics.replay``) judges each lead on its own history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leadpact.domain.agreement import AccountRule
from leadpact.domain.scoring import engagement_at


@dataclass(frozen=True)
class Engagement:
    total: float
    people_engaged: int


def account_engagement(
    people: Iterable[tuple[float, int]], at: int, half_life_days: float | None
) -> tuple[list[float], Engagement]:
    """Each person's engagement at ``at`` (from their stored value and its anchor), and the account's."""
    each = [engagement_at(value, anchor, at, half_life_days) for value, anchor in people]
    return each, Engagement(sum(each), sum(1 for e in each if e > 0))


def meets(rule: AccountRule | None, engagement: Engagement) -> bool | None:
    """Whether the account meets the rule; None when the agreement has no account rule."""
    if rule is None:
        return None
    return engagement.total >= rule.engagement_at_least and engagement.people_engaged >= rule.people_engaged_at_least
