"""The lead lifecycle as data: which move takes a lead from which stage to which.

A lead starts as an inquiry. The agreement hands it to sales as an MQL; the assigned rep accepts it (SAL),
qualifies it by recording the answers on budget, authority, need and timing (SQL), converts it to an
opportunity, and wins or loses it. A rep may send a lead back with one of the agreement's reject reasons: it
is recycled to marketing for nurturing or disqualified for good. A lost opportunity goes back to nurturing
too. A recycled lead comes back as an MQL only through the agreement, after its cooldown. Any move not in
the table is refused.

When the agreement has a screening section, an inquiry that meets its rule goes to screening instead: a
qualifier calls it and passes it to sales (an MQL), sends it back to nurture (recycled), or disqualifies it.

One move is the agreement's own correction: when events that arrive late show that a lead handed over but
not yet acted on (or a lead in screening) never met the rule, the hand-off is withdrawn and the lead returns to
where it came from.
"""

from __future__ import annotations

from enum import StrEnum

from leadpact.domain.errors import IllegalTransition


class Stage(StrEnum):
    INQUIRY = "inquiry"
    SCREENING = "screening"
    MQL = "mql"
    SAL = "sal"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    RECYCLED = "recycled"
    DISQUALIFIED = "disqualified"


class Move(StrEnum):
    HAND_OFF = "hand_off"  # the agreement hands the lead to sales: it becomes an MQL
    DISQUALIFY = "disqualify"  # marketing removes an inquiry
    ACCEPT = "accept"  # the assigned rep takes the MQL on: it becomes an SAL
    RECYCLE = "recycle"  # the rep rejects with a reason that recycles
    REJECT = "reject"  # the rep rejects with a reason that disqualifies
    QUALIFY = "qualify"  # the rep records the qualification answers: it becomes an SQL
    CONVERT = "convert"  # the rep opens an opportunity
    WIN = "win"  # the opportunity is won: a customer
    LOSE = "lose"  # the opportunity is lost: back to nurturing
    SCREEN = "screen"  # the agreement sends the inquiry to the qualifiers
    PASS = "pass"  # the qualifier passes the lead to sales: it becomes an MQL
    NOT_YET = "not_yet"  # the qualifier sends the lead back to nurture


TRANSITIONS: dict[tuple[Stage, Move], Stage] = {
    (Stage.INQUIRY, Move.HAND_OFF): Stage.MQL,
    (Stage.RECYCLED, Move.HAND_OFF): Stage.MQL,
    (Stage.INQUIRY, Move.DISQUALIFY): Stage.DISQUALIFIED,
    (Stage.MQL, Move.ACCEPT): Stage.SAL,
    (Stage.MQL, Move.RECYCLE): Stage.RECYCLED,
    (Stage.SAL, Move.RECYCLE): Stage.RECYCLED,
    (Stage.SQL, Move.RECYCLE): Stage.RECYCLED,
    (Stage.MQL, Move.REJECT): Stage.DISQUALIFIED,
    (Stage.SAL, Move.REJECT): Stage.DISQUALIFIED,
    (Stage.SQL, Move.REJECT): Stage.DISQUALIFIED,
    (Stage.SAL, Move.QUALIFY): Stage.SQL,
    (Stage.SQL, Move.CONVERT): Stage.OPPORTUNITY,
    (Stage.OPPORTUNITY, Move.WIN): Stage.CUSTOMER,
    (Stage.OPPORTUNITY, Move.LOSE): Stage.RECYCLED,
    (Stage.INQUIRY, Move.SCREEN): Stage.SCREENING,
    (Stage.RECYCLED, Move.SCREEN): Stage.SCREENING,
    (Stage.SCREENING, Move.PASS): Stage.MQL,
    (Stage.SCREENING, Move.NOT_YET): Stage.RECYCLED,
    (Stage.SCREENING, Move.DISQUALIFY): Stage.DISQUALIFIED,
}

WITHDRAWABLE = frozenset({Stage.INQUIRY, Stage.RECYCLED})
"""Where a withdrawn hand-off returns: the stage the lead qualified from."""


def withdrawn_stage(current: Stage, origin: Stage) -> Stage:
    """Where the agreement's correction takes a lead: an MQL, or a lead in screening, goes back to the stage it
    came from."""
    if current not in (Stage.MQL, Stage.SCREENING) or origin not in WITHDRAWABLE:
        raise IllegalTransition(
            f"only an MQL or a lead in screening, from inquiry or recycled, can be withdrawn, not {current}"
        )
    return origin


WORKING = frozenset({Stage.MQL, Stage.SAL, Stage.SQL})
"""Stages in which a lead sits with a rep under an SLA clock."""


def next_stage(current: Stage, move: Move) -> Stage:
    """The stage a move leads to, or ``IllegalTransition`` naming what is allowed instead."""
    target = TRANSITIONS.get((current, move))
    if target is None:
        allowed = sorted(m.value for (s, m) in TRANSITIONS if s == current)
        hint = f"; from {current} a lead can: {', '.join(allowed)}" if allowed else f"; {current} is final"
        raise IllegalTransition(f"a lead in stage {current} cannot {move}{hint}")
    return target
