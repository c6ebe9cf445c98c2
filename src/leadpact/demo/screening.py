"""The demo's qualifiers: marketing's inside sales, who call the inquiries webinars and trade shows bring first.

The demo adopts the example agreement with a screening section: inquiries from webinars and trade shows that
reach a score of 40 with grade A or B go to the ``sdr`` team before sales sees them. Each new screening is
taken by one of the qualifiers, who calls it within the agreement's working hours: most within the four-hour
first-call SLA, some later. A call reaches the person, or not (no answer: tried again later, three times at
most, then back to nurture), or finds a wrong number (disqualified as bad data). A reached person gives
answers as the reps hear them, from what only the world knows (buying window, title's power); answers ready
for sales pass the lead on, a poor contact or junk is disqualified, anyone else goes back to nurture.

The draws come from their own random stream, so the reps' year changes only where screening changes it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from leadpact.demo import reps
from leadpact.demo.world import Person

SECTION = """
screening:                         # the demo's qualifiers call webinar and trade-show inquiries first
  when: {score_at_least: 40, grades: [A, B], sources: [webinar, trade_show]}
  team: sdr
  first_call_within: 4h            # working hours
  ready: {budget: ["yes"], authority: [decision_maker, influencer]}
  not_yet_days: 60
  gate_sql: false                  # the reps qualify leads as they always have
"""
"""Added to the example agreement for the demo (the example itself has no screening)."""

TEAM = "sdr"
MAX_CALLS = 3
"""A lead not reached after this many calls goes back to nurture."""


@dataclass(frozen=True)
class Qualifier:
    name: str
    first_call_hours: tuple[float, float]  # working hours from the lead's arrival to the first call
    late: float  # chance the first call comes later than that, beyond the SLA

    @property
    def email(self) -> str:
        return f"{self.name}@acme-robotics.example"


QUALIFIERS = (
    Qualifier("quinn", (0.1, 2.5), 0.05),
    Qualifier("rosa", (0.3, 3.5), 0.12),
    Qualifier("sami", (0.5, 4.0), 0.25),
)


def pick(rng: random.Random) -> Qualifier:
    """Who takes a new screening: the three share the queue."""
    return rng.choice(QUALIFIERS)


def first_call_hours(rng: random.Random, qualifier: Qualifier) -> float:
    if rng.random() < qualifier.late:
        return rng.uniform(4.0, 14.0)
    return rng.uniform(*qualifier.first_call_hours)


def retry_hours(rng: random.Random) -> float:
    """A lead not reached is tried again the next working day or the one after."""
    return rng.uniform(8.0, 20.0)


def outcome(rng: random.Random, person: Person) -> str:
    """How a call goes: junk data gives wrong numbers, busy senior people answer less often."""
    junk = person.power < 0.05
    if rng.random() < (0.3 if junk else 0.04):
        return "wrong_number"
    return "no_answer" if rng.random() < 0.3 + 0.15 * person.power else "reached"


def answers(rng: random.Random, person: Person, questions: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """What the person tells the qualifier: what they would tell a rep."""
    return reps.answers(rng, person, questions)


def disqualifies(rng: random.Random, person: Person) -> bool:
    """Whether a reached person whose answers are not ready is taken out for good rather than nurtured."""
    return person.power < 0.05 or (person.fit < 0.2 and rng.random() < 0.5)
