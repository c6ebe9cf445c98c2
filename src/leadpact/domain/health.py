"""The agreement's health: bounds both sides sign on how well the agreement is kept, each kind defined once.

A health bound puts a limit on one indicator of the recent past: the last ``window_days`` local days of the
agreement's time zone, up to and including today.

- **acceptance rate**: of the leads captured in the window that were handed to sales (MQL), the share sales
  accepted (SAL); it must be at least the limit.
- **contact within SLA**: of the assignments started in the window whose first contact was due (or settled),
  the share first contacted within the SLA; at least the limit.
- **never contacted**: of the leads assigned in the window, up to ``after_days`` days before today, the share
  nobody ever contacted; at most the limit.
- **grade calibration**: each of the ``grades`` (best first) turns its leads captured in the window into
  opportunities more often than the next one does, by more than the margin (0 unless agreed); the value is
  the smallest such lead, a difference of two shares.

A rate is judged once it counts ``min_leads`` leads; grade calibration judges the grades with ``min_leads``
leads each, and needs two of them. A bound not judged is neither held nor broken.

For every indicator this module says what its value is, which way its limit points and which further keys
it takes in the file (``spec``), how the bound reads (``describe_bound``), its row of the table in
``docs/agreement.md`` (``docs_table``), and how a measured value is judged and told with its evidence
(``Reading``). The figures themselves come from the store's reports (``services.health``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum, StrEnum
from typing import Any, assert_never

from leadpact.domain.agreement import HealthBound, Indicator

DEFAULT_WINDOW_DAYS = 90
"""The days a bound looks back over when neither it nor the section says."""
DEFAULT_MIN_LEADS = 20
"""The leads a bound needs before it is judged, unless it says."""


class Limit(Enum):
    """Which way a bound's limit points; the value is its key in the file."""

    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    MARGIN = "margin"


LIMIT_WORDS = {
    Limit.AT_LEAST: "`at_least`: a share (0 to 1) the value must reach",
    Limit.AT_MOST: "`at_most`: a share (0 to 1) the value must not exceed",
    Limit.MARGIN: "`margin` (default 0): a share (0 to 1) the value must be above",
}
"""Each limit's row text in the documentation."""


@dataclass(frozen=True)
class Spec:
    """An indicator's name in words, its limit, the further keys it takes, and its row of the documentation."""

    title: str
    limit: Limit
    default_limit: float | None  # None: the file must give the limit
    counts: str  # what ``min_leads`` counts
    measures: str  # what its value is
    example: str  # the bound as the file writes it
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


def spec(indicator: Indicator) -> Spec:
    """What the indicator measures, its limit and keys, and its documentation."""
    match indicator:
        case Indicator.ACCEPTANCE_RATE:
            return Spec(
                "acceptance rate",
                Limit.AT_LEAST,
                None,
                "leads handed off",
                "of the leads captured in the window and handed to sales (MQL), the share sales accepted (SAL)",
                "acceptance_rate: {at_least: 0.7}",
            )
        case Indicator.CONTACT_WITHIN_SLA:
            return Spec(
                "contact within SLA",
                Limit.AT_LEAST,
                None,
                "assignments due a contact",
                "of the assignments started in the window whose first contact was due, the share contacted within "
                "`handoff.first_contact_within`",
                "contact_within_sla: {at_least: 0.8}",
            )
        case Indicator.NEVER_CONTACTED:
            return Spec(
                "never contacted",
                Limit.AT_MOST,
                None,
                "leads assigned",
                "of the leads assigned in the window, `after_days` (a whole number of days, fewer than the window's) "
                "or more before today, the share nobody contacted",
                "never_contacted: {after_days: 7, at_most: 0.05}",
                required=("after_days",),
            )
        case Indicator.GRADE_CALIBRATION:
            return Spec(
                "grade calibration",
                Limit.MARGIN,
                0.0,
                "leads of a grade",
                "of each of `grades` (best first, at least two; default: every grade) and the next, how much larger "
                "the better grade's share of leads captured in the window that reached an opportunity is; the "
                "smallest such difference",
                "grade_calibration: {grades: [A, B, C], min_leads: 30}",
                optional=("grades",),
            )
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(indicator)


def docs_table() -> str:
    """The table of health bounds in ``docs/agreement.md``, one row per indicator."""
    rows = ["| bound | its value | its limit | example |", "|---|---|---|---|"]
    for indicator in Indicator:
        s = spec(indicator)
        rows.append(f"| `{indicator.value}` | {s.measures} | {LIMIT_WORDS[s.limit]} | `{s.example}` |")
    return "\n".join(rows) + "\n"


def window(bound: HealthBound, today: date) -> tuple[date, date]:
    """The local days the bound looks at as of ``today``: the last ``window_days`` days up to today; for never
    contacted, the days of assignment up to ``after_days`` before today, so every lead counted has had them."""
    first = today - timedelta(days=bound.window_days - 1)
    return first, today - timedelta(days=bound.after_days or 0)


def percent(share: float) -> str:
    """A limit as the agreement states it: 0.7 is "70 %"."""
    return f"{100 * share:g} %"


def measured(share: float | None) -> str:
    """A measured share, to a tenth of a percent."""
    return "—" if share is None else f"{100 * share:.1f} %"


def points(difference: float) -> str:
    """A difference of two shares as the agreement states it, in percentage points: 0.02 is "2 points"."""
    return f"{100 * difference:g} points"


def gap(difference: float) -> str:
    """A measured difference of two shares, to a tenth of a percentage point."""
    return f"{100 * difference:.1f} points"


def describe_limit(bound: HealthBound) -> str:
    """The bound's limit in words: ``at least 70 %``."""
    limit = spec(bound.indicator).limit
    match limit:
        case Limit.AT_LEAST:
            return f"at least {percent(bound.limit)}"
        case Limit.AT_MOST:
            return f"at most {percent(bound.limit)}"
        case Limit.MARGIN:
            return " > ".join(bound.grades) + (f", by more than {points(bound.limit)}" if bound.limit else "")
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(limit)


def describe_bound(bound: HealthBound) -> str:
    """The bound in plain words: ``sales accepts at least 70 % of the leads handed to it ...``."""
    limit, over = bound.limit, f"over the last {bound.window_days} days"
    judged = f"judged from {bound.min_leads} {spec(bound.indicator).counts}"
    indicator = bound.indicator
    match indicator:
        case Indicator.ACCEPTANCE_RATE:
            return f"sales accepts at least {percent(limit)} of the leads handed to it, {over} ({judged})"
        case Indicator.CONTACT_WITHIN_SLA:
            return f"at least {percent(limit)} of the first contacts due are made within the SLA, {over} ({judged})"
        case Indicator.NEVER_CONTACTED:
            return (
                f"at most {percent(limit)} of the leads assigned {over}, {bound.after_days} days ago or more, are "
                f"never contacted ({judged})"
            )
        case Indicator.GRADE_CALIBRATION:
            by = f" by more than {points(limit)}" if limit else ""
            return (
                f"grade {' beats '.join(bound.grades)} at turning leads into opportunities{by}, {over} (a grade is "
                f"judged from {bound.min_leads} leads)"
            )
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(indicator)


class Status(StrEnum):
    HELD = "held"
    BROKEN = "broken"
    NOT_JUDGED = "not judged"  # too few leads to tell


def judge(bound: HealthBound, value: float | None) -> Status:
    """Whether the measured value keeps the bound's limit; None, too few leads to tell, is not judged."""
    if value is None:
        return Status.NOT_JUDGED
    limit = spec(bound.indicator).limit
    match limit:
        case Limit.AT_LEAST:
            held = value >= bound.limit
        case Limit.AT_MOST:
            held = value <= bound.limit
        case Limit.MARGIN:
            held = value > bound.limit
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(limit)
    return Status.HELD if held else Status.BROKEN


@dataclass(frozen=True)
class GradeCount:
    """A grade's leads in the window and how many of them reached an opportunity."""

    grade: str
    leads: int
    opportunities: int

    @property
    def rate(self) -> float | None:
        return self.opportunities / self.leads if self.leads else None


@dataclass(frozen=True)
class Reading:
    """A bound measured as of a day: over the local days ``first`` to ``last``, its value (None: not judged), its
    status, and the counts behind it: ``part`` of ``whole`` for a rate, the grades' table for grade calibration."""

    bound: HealthBound
    first: date
    last: date
    value: float | None
    status: Status
    part: int = 0
    whole: int = 0
    grades: tuple[GradeCount, ...] = ()

    @property
    def title(self) -> str:
        return spec(self.bound.indicator).title

    def judged_grades(self) -> list[GradeCount]:
        return _judged(self.grades, self.bound.min_leads)

    def summary(self) -> str:
        """One line: the value against the limit."""
        indicator = self.bound.indicator
        match indicator:
            case Indicator.ACCEPTANCE_RATE | Indicator.CONTACT_WITHIN_SLA | Indicator.NEVER_CONTACTED:
                return self._rate_summary()
            case Indicator.GRADE_CALIBRATION:
                return self._calibration_summary()
            case _:  # pragma: no cover - the type check proves every case above is handled
                assert_never(indicator)

    def _rate_summary(self) -> str:
        s, bound = spec(self.bound.indicator), self.bound
        if self.value is None:
            return f"{s.title}: not judged, {self.whole} {s.counts} and it needs {bound.min_leads}"
        words = {Limit.AT_LEAST: ("below", "at least"), Limit.AT_MOST: ("above", "within")}[s.limit]
        relation = words[self.status is Status.HELD]
        return f"{s.title}: {measured(self.value)}, {relation} the agreed {percent(bound.limit)}"

    def _calibration_summary(self) -> str:
        judged = self.judged_grades()
        if self.value is None:
            return (
                f"{self.title}: not judged, {len(judged)} of the grades {', '.join(self.bound.grades)} have "
                f"{self.bound.min_leads} leads and it needs two"
            )
        better, worse = min(itertools.pairwise(judged), key=lambda pair: _lead(*pair))
        if self.status is Status.HELD:
            return f"{self.title}: each grade beats the next, by {gap(self.value)} at the least"
        if self.value <= 0:
            return (
                f"{self.title}: grade {better.grade} does not beat {worse.grade} ({measured(better.rate)} against "
                f"{measured(worse.rate)} reached an opportunity)"
            )
        return (
            f"{self.title}: grade {better.grade} beats {worse.grade} by {gap(self.value)} only, not by more than "
            f"the agreed {points(self.bound.limit)}"
        )

    def shown(self) -> str:
        """The value as people read it: a share, or for grade calibration a difference in points."""
        if self.value is None:
            return "—"
        return gap(self.value) if spec(self.bound.indicator).limit is Limit.MARGIN else measured(self.value)

    def as_dict(self) -> dict[str, Any]:
        """The reading for JSON: the bound, its limit, the value, the status and its words, the evidence."""
        return {
            "bound": self.bound.indicator.value,
            "limit": self.bound.limit,
            "limit_kind": spec(self.bound.indicator).limit.value,
            "window_days": self.bound.window_days,
            "min_leads": self.bound.min_leads,
            "value": self.value,
            "status": self.status.value,
            "broken": self.status is Status.BROKEN,
            "summary": self.summary(),
            "details": list(self.details()),
            "evidence": self.evidence(),
        }

    def details(self) -> tuple[str, ...]:
        """The evidence in words, one line per count."""
        days = f"{self.first} to {self.last}"
        indicator = self.bound.indicator
        match indicator:
            case Indicator.ACCEPTANCE_RATE:
                return (f"{self.part} of the {self.whole} leads captured {days} and handed to sales were accepted",)
            case Indicator.CONTACT_WITHIN_SLA:
                return (
                    f"{self.part} of the {self.whole} assignments started {days} and due a first contact were "
                    "contacted within the SLA",
                )
            case Indicator.NEVER_CONTACTED:
                return (f"{self.part} of the {self.whole} leads assigned {days} were never contacted",)
            case Indicator.GRADE_CALIBRATION:
                return tuple(
                    f"grade {g.grade}: {g.opportunities} of {g.leads} leads captured {days} reached an opportunity"
                    + (f" ({measured(g.rate)})" if g.leads else "")
                    + ("" if g.leads >= self.bound.min_leads else ", too few to judge")
                    for g in self.grades
                )
            case _:  # pragma: no cover - the type check proves every case above is handled
                assert_never(indicator)

    def evidence(self) -> dict[str, Any]:
        """The counts behind the value, for JSON: the days, then the indicator's own counts."""
        days: dict[str, Any] = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        indicator = self.bound.indicator
        match indicator:
            case Indicator.ACCEPTANCE_RATE:
                return {**days, "handed_off": self.whole, "accepted": self.part}
            case Indicator.CONTACT_WITHIN_SLA:
                return {**days, "contact_due": self.whole, "contacted_in_sla": self.part}
            case Indicator.NEVER_CONTACTED:
                return {**days, "leads_assigned": self.whole, "never_contacted": self.part}
            case Indicator.GRADE_CALIBRATION:
                rows = [
                    {
                        "grade": g.grade,
                        "leads": g.leads,
                        "opportunities": g.opportunities,
                        "opportunity_rate": g.rate,
                        "judged": g.leads >= self.bound.min_leads,
                    }
                    for g in self.grades
                ]
                return {**days, "grades": rows}
            case _:  # pragma: no cover - the type check proves every case above is handled
                assert_never(indicator)


def _judged(grades: Sequence[GradeCount], min_leads: int) -> list[GradeCount]:
    """The grades with enough leads to be judged, in order."""
    return [g for g in grades if g.leads >= min_leads]


def _lead(better: GradeCount, worse: GradeCount) -> float:
    """How much more often the better grade's leads reached an opportunity; both grades have leads."""
    return better.opportunities / better.leads - worse.opportunities / worse.leads


def rate_reading(bound: HealthBound, first: date, last: date, part: int, whole: int) -> Reading:
    """A rate's reading: ``part`` of ``whole``, judged once ``whole`` reaches the bound's ``min_leads``."""
    value = part / whole if whole >= bound.min_leads else None
    return Reading(bound, first, last, value, judge(bound, value), part=part, whole=whole)


def calibration_reading(bound: HealthBound, first: date, last: date, counts: Sequence[GradeCount]) -> Reading:
    """Grade calibration's reading from each grade's counts: the smallest lead of a judged grade over the next
    judged one (a grade with too few leads is left out between its neighbours)."""
    given = {c.grade: c for c in counts}
    table = tuple(given.get(grade, GradeCount(grade, 0, 0)) for grade in bound.grades)
    leads = [_lead(better, worse) for better, worse in itertools.pairwise(_judged(table, bound.min_leads))]
    value = min(leads) if leads else None
    return Reading(bound, first, last, value, judge(bound, value), grades=table)
