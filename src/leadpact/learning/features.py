"""The store's hand-offs as rows to learn from: each time the agreement handed a lead to sales, what was known of
the lead at that moment (its features) and what came of it within a fixed horizon (its outcome).

- A **hand-off** is a stage change to ``mql`` that late events did not withdraw (the agreement's own correction
  moves the lead back from ``mql`` with the reason ``late_events``). A lead recycled and handed over again has a
  hand-off each time; what happens after its next hand-off belongs to that one.
- Its **outcome**, for a target stage (``opportunity``, or ``customer`` for a won deal), is 1 when the lead reached
  that stage within ``horizon`` seconds of the hand-off and before its next hand-off, else 0. A hand-off is counted
  only once its whole horizon lies before the moment of learning: one too recent to know is left out, whatever
  happened to it so far, so the latest months are not filled with the quick successes alone.
- Its **features** are what was known when it happened: the engagement the score ledger gives at that moment (with
  the agreement's decay), the agreement's fit points by then, the events the lead had done by then, how long it had
  been a lead and how often it had been handed over before; and the lead's fields and its account's as the store
  holds them (the store keeps no history of fields: one changed after the hand-off is seen as it is now).

A lead not handed over yet is described the same way as of any moment, as if it were handed over then: that is how
the model scores a live lead.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import NamedTuple

import pandas as pd  # type: ignore[import-untyped]

from leadpact.domain.fields import FREE_MAIL_DOMAINS, email_domain
from leadpact.domain.scoring import DAY_SECONDS, decay

HANDED = "mql"
WITHDRAWN = "late_events"
"""The reason the agreement records when late events withdraw a hand-off: that hand-off never stood."""
EVENTS = "events."
"""The prefix of the features that count a lead's events of one type: ``events.webinar_attended``."""


class Kind(StrEnum):
    CATEGORY = "category"  # a text value: each common value is a column, the rare ones share one
    WORDS = "words"  # a text made of words: each common word is a column
    NUMBER = "number"  # a number: ranges of it (by the learning rows' quantiles) are columns


FIELDS: dict[str, Kind] = {
    "source": Kind.CATEGORY,
    "campaign": Kind.CATEGORY,
    "industry": Kind.CATEGORY,
    "country": Kind.CATEGORY,
    "employees": Kind.NUMBER,
    "title": Kind.WORDS,
    "free_mail": Kind.CATEGORY,
    "fit": Kind.NUMBER,
    "engagement": Kind.NUMBER,
    "days_since_capture": Kind.NUMBER,
    "earlier_handoffs": Kind.NUMBER,
}
"""Every feature but the event counts, in the order they are shown, with how each is read."""

MEANINGS: dict[str, str] = {
    "source": "the lead's source (first touch)",
    "campaign": "the campaign that brought the lead",
    "industry": "the account's industry, else the lead's own",
    "country": "the account's country, else the lead's own",
    "employees": "the account's number of employees, else the lead's own",
    "title": "the words of the lead's job title",
    "free_mail": "whether the email address is at a free-mail provider",
    "fit": "the agreement's fit points at the hand-off",
    "engagement": "the agreement's engagement points at the hand-off, after decay",
    "days_since_capture": "days from the lead's capture to the hand-off",
    "earlier_handoffs": "how often the lead had been handed over before",
}
"""What each feature is, in words; an event count is 'how many <type> events the lead had done by the hand-off'."""


class Change(NamedTuple):
    """A stage change as the hand-offs are read from: ``at`` in UTC seconds."""

    id: int
    lead_id: int
    at: int
    from_stage: str | None
    to_stage: str
    reason: str | None


class Person(NamedTuple):
    """What the features need of a lead: its own fields, its account's, and its capture in UTC seconds."""

    lead_id: int
    email: str | None
    title: str | None
    source: str | None
    campaign: str | None
    industry: str | None
    employees: int | None
    country: str | None
    account_industry: str | None
    account_employees: int | None
    account_country: str | None
    created_at: int


class Points(NamedTuple):
    """A score-ledger row: fit points (``kind`` "fit") or an event's points, earned at ``at``."""

    lead_id: int
    kind: str
    at: int
    points: float


class Done(NamedTuple):
    """A stored event: what the lead did, and when."""

    lead_id: int
    type: str
    occurred_at: int


class Handoff(NamedTuple):
    """A hand-off that stood: the lead, when, and when the lead was next handed over (infinity: never yet)."""

    lead_id: int
    at: int
    next_at: float


def kind_of(feature: str) -> Kind:
    return Kind.NUMBER if feature.startswith(EVENTS) else FIELDS[feature]


def meaning(feature: str) -> str:
    if feature.startswith(EVENTS):
        return f"how many {feature.removeprefix(EVENTS)} events the lead had done by the hand-off"
    return MEANINGS[feature]


def handoffs(changes: Iterable[Change]) -> list[Handoff]:
    """The hand-offs that stood, in time order."""
    by_lead: dict[int, list[Change]] = defaultdict(list)
    for change in changes:
        by_lead[change.lead_id].append(change)
    out: list[Handoff] = []
    for lead_id, history in by_lead.items():
        history.sort(key=lambda c: (c.at, c.id))
        moments = [
            c.at
            for c, following in zip(history, [*history[1:], None], strict=True)
            if c.to_stage == HANDED
            and not (following and following.from_stage == HANDED and following.reason == WITHDRAWN)
        ]
        following_moments = [*moments[1:], math.inf][: len(moments)]
        out += [Handoff(lead_id, at, nxt) for at, nxt in zip(moments, following_moments, strict=True)]
    return sorted(out, key=lambda h: (h.at, h.lead_id))


def outcomes(
    changes: Iterable[Change], stood: Iterable[Handoff], target_stage: str, horizon: int, as_of: int
) -> list[tuple[Handoff, int]]:
    """The hand-offs whose horizon has passed by ``as_of``, each with its outcome: 1 when the lead reached
    ``target_stage`` within ``horizon`` seconds and before its next hand-off, else 0."""
    reached: dict[int, list[int]] = defaultdict(list)
    for change in changes:
        if change.to_stage == target_stage:
            reached[change.lead_id].append(change.at)
    return [
        (h, int(any(h.at <= t <= h.at + horizon and t < h.next_at for t in reached[h.lead_id])))
        for h in stood
        if h.at + horizon <= as_of
    ]


def describe(
    moments: Sequence[tuple[int, int]],
    people: Iterable[Person],
    ledger: Iterable[Points],
    done: Iterable[Done],
    stood: Iterable[Handoff],
    half_life_days: float | None,
) -> pd.DataFrame:
    """The features of each lead at its moment: one row per ``(lead_id, at)`` of ``moments``, in its order."""
    person = {p.lead_id: p for p in people}
    points: dict[int, list[Points]] = defaultdict(list)
    for row in ledger:
        points[row.lead_id].append(row)
    events: dict[int, list[Done]] = defaultdict(list)
    for event in done:
        events[event.lead_id].append(event)
    handed: dict[int, list[int]] = defaultdict(list)
    for handoff in stood:
        handed[handoff.lead_id].append(handoff.at)
    records = []
    for lead_id, at in moments:
        p = person[lead_id]
        counts: dict[str, int] = defaultdict(int)
        for event in events[lead_id]:
            if event.occurred_at <= at:
                counts[EVENTS + event.type] += 1
        fit = engagement = 0.0
        for row in points[lead_id]:
            if row.at <= at:
                if row.kind == "fit":
                    fit += row.points
                else:
                    engagement += decay(row.points, at - row.at, half_life_days)
        records.append(
            {
                "source": _text(p.source),
                "campaign": _text(p.campaign),
                "industry": _text(p.account_industry) or _text(p.industry),
                "country": _text(p.account_country) or _text(p.country),
                "employees": _number(p.account_employees if p.account_employees is not None else p.employees),
                "title": _text(p.title),
                "free_mail": _free_mail(p.email),
                "fit": fit,
                "engagement": engagement,
                "days_since_capture": (at - p.created_at) / DAY_SECONDS,
                "earlier_handoffs": float(sum(1 for h in handed[lead_id] if h < at)),
                **counts,
            }
        )
    columns = [*FIELDS, *sorted({key for record in records for key in record if key.startswith(EVENTS)})]
    frame = pd.DataFrame.from_records(records, columns=columns)
    for column in columns:
        if column.startswith(EVENTS):
            frame[column] = frame[column].fillna(0.0).astype("float64")
        elif kind_of(column) is Kind.NUMBER:
            frame[column] = frame[column].astype("float64")
        else:
            text = frame[column].astype("object")
            frame[column] = text.where(text.notna(), None)
    return frame


def _text(value: str | None) -> str | None:
    """A text value as the lead has it, stripped; an empty one is missing."""
    return (value.strip() or None) if isinstance(value, str) else None


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _free_mail(email: str | None) -> str | None:
    if not isinstance(email, str) or "@" not in email:
        return None
    return "yes" if email_domain(email) in FREE_MAIL_DOMAINS else "no"


WORD = re.compile(r"[a-z][a-z0-9]+")


def words_of(text: object) -> frozenset[str]:
    """The words of a title, lower case, two letters or more (``vp``, ``head``, ``operations``)."""
    return frozenset(WORD.findall(text.lower())) if isinstance(text, str) else frozenset()
