"""The demo's sales team: who the reps are, when they work, and how they treat the leads handed to them.

Reps differ in capacity (their share of new leads) and in style: a diligent rep reviews a lead within an
hour or two and calls the same day; a slow one takes most of a day and sometimes forgets to call; a
neglectful one leaves many leads untouched until the SLA takes them away. Delays count in the rep's own
working hours, which for the EMEA team are European hours, not the agreement's.

What a rep decides depends on what only the world knows about the lead: people far from the ideal customer
are rejected more often, people not in a buying window are sent back to nurture after the first call, and
the chance of winning a deal grows with fit and intent. The reasons given are the agreement's own, and so are
the competitors, product requests and messages reps note as sales feedback.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time

from leadpact.demo.world import Person
from leadpact.domain.agreement import Agreement, Duration, FeedbackLists, WorkingHours
from leadpact.domain.calendar import add_working_time
from leadpact.domain.feedback import Given

WEEKDAYS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Style:
    name: str
    ignores: float  # chance a new lead is left untouched until the SLA takes it away
    review_hours: tuple[float, float]  # working hours from the hand-off to accepting or rejecting
    call_hours: tuple[float, float]  # working hours from accepting to the first call
    never_calls: float  # chance an accepted lead is never called


DILIGENT = Style("diligent", 0.01, (0.1, 2.0), (0.3, 5.0), 0.02)
SLOW = Style("slow", 0.04, (0.5, 5.0), (2.0, 14.0), 0.08)
NEGLECTFUL = Style("neglectful", 0.25, (2.0, 16.0), (6.0, 30.0), 0.3)


@dataclass(frozen=True)
class Rep:
    name: str
    team: str
    capacity: int
    style: Style
    timezone: str
    starts: time
    ends: time
    holidays: bool  # whether the agreement's holidays are this rep's days off too

    @property
    def email(self) -> str:
        return f"{self.name}@acme-robotics.example"


REPS = (
    Rep("alice", "americas", 3, DILIGENT, "America/Chicago", time(8), time(17), True),
    Rep("ben", "americas", 2, SLOW, "America/Chicago", time(8, 30), time(17, 30), True),
    Rep("carla", "americas", 2, DILIGENT, "America/New_York", time(8), time(17), True),
    Rep("dev", "americas", 1, NEGLECTFUL, "America/Denver", time(9), time(18), True),
    # long European days: the agreement's clock runs on Chicago time, which they overlap only in the morning
    Rep("eva", "emea", 2, DILIGENT, "Europe/Berlin", time(8), time(19), False),
    Rep("jonas", "emea", 2, SLOW, "Europe/Berlin", time(9), time(19), False),
    Rep("marie", "emea", 1, NEGLECTFUL, "Europe/Paris", time(9), time(18), False),
)
MANAGERS = {"americas": "Raj Patel", "emea": "Nora Field"}


def calendar_of(rep: Rep, agreement: Agreement) -> Agreement:
    """The rep's own working calendar, in the shape the domain's calendar arithmetic takes."""
    return dataclasses.replace(
        agreement,
        timezone=rep.timezone,
        working_hours=WorkingHours(WEEKDAYS, rep.starts, rep.ends),
        holidays=agreement.holidays if rep.holidays else (),
    )


def after_working_hours(calendar: Agreement, start: int, hours: float) -> int:
    return add_working_time(calendar, start, Duration(max(hours, 0.01), "h"))


def choose(rng: random.Random, preferred: Mapping[str, float], available: Sequence[str]) -> str:
    """One of the agreement's names, weighted by preference; any of them when none is preferred."""
    names = [n for n in available if preferred.get(n, 0) > 0]
    if not names:
        return rng.choice(list(available))
    weights = [preferred[n] for n in names]
    return rng.choices(names, weights)[0]


def review(rng: random.Random, person: Person, reasons: Sequence[str]) -> str | None:
    """Accept (None) or reject with a reason, on first sight: poor fit and junk are sent back."""
    junk = person.power < 0.05
    chance = 0.08 + 0.7 * (1 - person.fit) ** 2 + (0.3 if junk else 0.0) + (0.0 if person.in_market else 0.1)
    if rng.random() >= chance:
        return None
    if rng.random() < 0.04:
        return choose(rng, {"competitor": 1}, reasons)
    if junk:
        return choose(rng, {"bad_data": 3, "wrong_contact": 2}, reasons)
    if person.fit < 0.35:
        return choose(rng, {"wrong_contact": 2, "not_ready": 1, "bad_data": 1}, reasons)
    return choose(rng, {"not_ready": 3, "no_budget": 1, "wrong_contact": 1}, reasons)


def after_call(rng: random.Random, person: Person, reasons: Sequence[str]) -> str | None:
    """Qualify (None) or send back after the first conversation: most people out of a buying window go back."""
    if rng.random() >= (0.25 if person.in_market else 0.7):
        return None
    if person.in_market:
        return choose(rng, {"no_budget": 2, "wrong_contact": 1}, reasons)
    return choose(rng, {"not_ready": 5, "no_budget": 3}, reasons)


def before_deal(rng: random.Random, person: Person, reasons: Sequence[str]) -> str | None:
    """Open a deal (None), or find in discovery that there is none after all: budget, mostly."""
    if rng.random() >= 0.08 + 0.2 * (1 - person.intent):
        return None
    return choose(rng, {"no_budget": 3, "not_ready": 2}, reasons)


def answers(rng: random.Random, person: Person, questions: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The qualification answers the rep records, from what the conversation revealed."""
    known: dict[str, Mapping[str, float]] = {
        "budget": {"yes": 75, "unknown": 15, "no": 10} if person.in_market else {"yes": 30, "no": 40, "unknown": 30},
        "authority": {_authority(person.power): 1},
        "timing": {"this_quarter": 60, "this_year": 40}
        if person.in_market
        else {"this_year": 30, "later": 50, "unknown": 20},
    }
    return {key: choose(rng, known.get(key, {}), options) for key, options in questions.items()}


def _authority(power: float) -> str:
    if power >= 0.85:
        return "decision_maker"
    if power >= 0.5:
        return "influencer"
    return "user" if power >= 0.15 else "unknown"


@dataclass(frozen=True)
class Step:
    """One move of a deal: ``days`` after the previous one, to a stage, won, or lost with a reason."""

    days: int
    kind: str  # "stage", "won" or "lost"
    value: str = ""


def win_chance(person: Person) -> float:
    """The chance a deal is won, from the hidden fit and intent: good fit in a buying window wins most."""
    strength = 0.55 * person.fit + 0.45 * person.intent
    return min(0.6, 0.04 + 0.7 * math.pow(strength, 2.5))


def deal_path(
    rng: random.Random, person: Person, stages: Sequence[str], lost_reasons: Mapping[str, Sequence[str]]
) -> list[Step]:
    """How the deal will go from its first stage: each stage is passed with the same chance, won after the last."""
    passes = win_chance(person) ** (1 / max(len(stages), 1))
    steps: list[Step] = []
    for index, stage in enumerate(stages):
        days = rng.randint(7, 35)
        if rng.random() >= passes:
            reasons = lost_reasons.get(stage, ())
            if reasons:
                steps.append(Step(days, "lost", _lost_reason(rng, person, reasons)))
            return steps  # without a reason for this stage the deal stalls: it stays open
        nxt = stages[index + 1] if index + 1 < len(stages) else None
        steps.append(Step(days, "stage", nxt) if nxt else Step(days, "won"))
    return steps


def _lost_reason(rng: random.Random, person: Person, reasons: Sequence[str]) -> str:
    preferred = {
        "no_need": 3 * (1 - person.fit),
        "no_budget": 2 * (1 - person.intent),
        "no_decision": 1.5,
        "price": 2.5,
        "competitor_won": 2,
        "timing": 2 * (1 - person.intent),
        "legal": 0.7,
    }
    return choose(rng, preferred, reasons)


def deal_amount(rng: random.Random, person: Person) -> float:
    """A deal's size grows with the company's size; the list price is rounded to hundreds."""
    base = 30_000 * (max(person.account_employees, 20) / 200) ** 0.35
    amount: float = rng.lognormvariate(math.log(base), 0.45)
    return float(round(min(400_000.0, max(6_000.0, amount)), -2))


def feedback(
    rng: random.Random, person: Person, moment: str, lists: FeedbackLists, lost_reason: str | None = None
) -> Given | None:
    """What a rep notes on a first call, a lost or a won deal, from the agreement's lists; None when nothing.

    Competitors show up where the account is in a buying window, and always where a deal was lost to one; large
    accounts ask for the SAP connector; the door was opened by the lead's own campaign or one of the messages."""
    noted = {"contact": 0.4, "lost": 0.8, "won": 0.9}[moment]
    if rng.random() >= noted:
        return None
    met = lost_reason == "competitor_won" or rng.random() < (0.6 if person.in_market else 0.2)
    competitor = choose(rng, {"roboworks": 3, "automata": 2, "in_house": 1}, lists.competitors) if met else None
    wants = {"sap_connector": 0.45 if person.account_employees >= 1000 else 0.1, "mobile_app": 0.2}
    requests = tuple(r for r in lists.product_requests if rng.random() < wants.get(r, 0.1))
    message = None
    if moment != "lost" and rng.random() < 0.7:
        campaign = person.campaign if person.campaign and rng.random() < 0.4 else None
        preferred = {"roi_calculator": 3, "case_study_auto": 2, "webinar_series": 1}
        message = campaign or (choose(rng, preferred, lists.messages) if lists.messages else None)
    given = Given(competitor if lists.competitors else None, requests, message)
    return None if given.is_empty() else given
