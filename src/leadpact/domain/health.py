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

Two bounds watch the predictive lead model (``DRIFT``): the version the agreement names, else the newest one
trained. Without one (or with one this leadpact cannot read) they are not judged, saying why.

- **population shift**: the population stability index (PSI) of the model's predicted chance between the
  hand-offs it learned from and the hand-offs that stood in the window, each described at its hand-off as the
  model describes it: over the ranges cut at the learning rows' deciles (kept with the model),
  ``sum((now - learned) * ln(now / learned))`` of the two populations' shares, each share taken as at least
  ``PSI_FLOOR`` so that an empty range keeps the index finite; at most the limit (0.25 unless agreed, the usual
  threshold of a major shift). Few hand-offs make it large by chance alone (about 9 divided by their number
  where nothing shifted), so the bound is judged from 200 hand-offs unless it says. A model kept without the
  learning rows' profile is not judged: train it again.
- **model calibration**: the model's calibration error (``model show``'s: the hand-offs in ten equal ranges of
  predicted chance, each range's gap between its mean chance and its share that reached the target, weighted by
  its size) on the hand-offs whose outcome became known in the window: those whose horizon (the model's, after
  the hand-off) ended on a day of the window, by now. A hand-off's outcome is whether the lead reached the
  model's target stage within the horizon and before its next hand-off. At most the limit (0.1 unless agreed).

A rate is judged once it counts ``min_leads`` leads; grade calibration judges the grades with ``min_leads``
leads each, and needs two of them; a drift bound, once it counts ``min_leads`` hand-offs. A bound not judged is
neither held nor broken.

For every indicator this module says what its value is, which way its limit points and which further keys
it takes in the file (``spec``), how the bound reads (``describe_bound``), its row of the table in
``docs/agreement.md`` (``docs_table``), and how a measured value is judged and told with its evidence
(``Reading``). The figures themselves come from the store's reports (``services.health``).
"""

from __future__ import annotations

import bisect
import itertools
import math
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
DRIFT = frozenset({Indicator.POPULATION_SHIFT, Indicator.MODEL_CALIBRATION})
"""The bounds that watch the predictive lead model."""
PSI_FLOOR = 0.001
"""The least share of a range in the population stability index: an empty range counts as a tenth of a percent,
so the index stays finite and one empty range does not outweigh every other."""


class Limit(Enum):
    """Which way a bound's limit points; the value is its key in the file."""

    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    MARGIN = "margin"


class Scale(Enum):
    """What a bound's value and limit are, and so how they are written."""

    SHARE = "share"  # a share of leads: "70 %"
    POINTS = "points"  # a difference of two shares: "2 points"
    NUMBER = "number"  # an index or an error, as the model's reports give it: "0.25"


LIMIT_VERBS = {Limit.AT_LEAST: "must reach", Limit.AT_MOST: "must not exceed", Limit.MARGIN: "must be above"}
"""What each limit asks of the value, in the documentation."""


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
    scale: Scale = Scale.SHARE
    min_leads: int = DEFAULT_MIN_LEADS  # how many it counts before it is judged, unless the bound says


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
                scale=Scale.POINTS,
            )
        case Indicator.POPULATION_SHIFT:
            return Spec(
                "population shift",
                Limit.AT_MOST,
                0.25,
                "hand-offs in the window",
                "the population stability index of the lead model's predicted chance, between the hand-offs it "
                "learned from and those that stood in the window (each described at its hand-off), over the ranges "
                "cut at the deciles of the hand-offs it learned from",
                "population_shift: {at_most: 0.25, min_leads: 200}",
                scale=Scale.NUMBER,
                min_leads=200,
            )
        case Indicator.MODEL_CALIBRATION:
            return Spec(
                "model calibration",
                Limit.AT_MOST,
                0.1,
                "hand-offs whose outcome became known",
                "the lead model's calibration error (as `model show` reports it) on the hand-offs whose horizon "
                "ended in the window: their predicted chance against whether they reached the model's target "
                "within it",
                "model_calibration: {at_most: 0.1, min_leads: 100}",
                scale=Scale.NUMBER,
                min_leads=100,
            )
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(indicator)


def docs_table() -> str:
    """The table of health bounds in ``docs/agreement.md``, one row per indicator."""
    rows = ["| bound | its value | its limit | example |", "|---|---|---|---|"]
    for indicator in Indicator:
        s = spec(indicator)
        rows.append(f"| `{indicator.value}` | {s.measures} | {limit_words(s)} | `{s.example}` |")
    return "\n".join(rows) + "\n"


def limit_words(s: Spec) -> str:
    """An indicator's limit in the documentation: its key, its default, what it is and what it asks of the value."""
    default = "" if s.default_limit is None else f" (default {s.default_limit:g})"
    what = "a number" if s.scale is Scale.NUMBER else "a share"
    return f"`{s.limit.value}`{default}: {what} (0 to 1) the value {LIMIT_VERBS[s.limit]}"


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


def stated(limit: float, scale: Scale) -> str:
    """A limit as the agreement states it, in its scale."""
    match scale:
        case Scale.SHARE:
            return percent(limit)
        case Scale.POINTS:
            return points(limit)
        case Scale.NUMBER:
            return f"{limit:g}"
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(scale)


def shown_in(value: float, scale: Scale) -> str:
    """A measured value as people read it, in its scale: a share or a difference to a tenth, a number to three
    decimals."""
    match scale:
        case Scale.SHARE:
            return measured(value)
        case Scale.POINTS:
            return gap(value)
        case Scale.NUMBER:
            return f"{value:.3f}"
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(scale)


def describe_limit(bound: HealthBound) -> str:
    """The bound's limit in words: ``at least 70 %``."""
    s = spec(bound.indicator)
    limit = s.limit
    match limit:
        case Limit.AT_LEAST:
            return f"at least {stated(bound.limit, s.scale)}"
        case Limit.AT_MOST:
            return f"at most {stated(bound.limit, s.scale)}"
        case Limit.MARGIN:
            return " > ".join(bound.grades) + (f", by more than {stated(bound.limit, s.scale)}" if bound.limit else "")
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
        case Indicator.POPULATION_SHIFT:
            return (
                f"the lead model's predicted chances for the hand-offs {over} stay close to those of the hand-offs "
                f"it learned from: a population stability index of at most {limit:g} ({judged})"
            )
        case Indicator.MODEL_CALIBRATION:
            return (
                f"the lead model's chances match the outcomes of the hand-offs whose horizon ended in the last "
                f"{bound.window_days} days: a calibration error of at most {limit:g} ({judged})"
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
class Watched:
    """The lead model a drift bound watches: its version, the stage its outcome is reaching (``opportunity``,
    ``customer``), and within how many days of the hand-off."""

    version: int
    target: str
    horizon_days: int


@dataclass(frozen=True)
class Band:
    """A range of predicted chance, from ``low`` (None: from 0) up to ``high`` (None: up to 1), with the share of
    the hand-offs the model learned from and of the window's hand-offs in it."""

    low: float | None
    high: float | None
    learned: float
    now: float

    def words(self) -> str:
        if self.low is None:
            return f"below {measured(self.high)}"
        return (
            f"{measured(self.low)} and above" if self.high is None else f"{measured(self.low)} to {measured(self.high)}"
        )


@dataclass(frozen=True)
class Reading:
    """A bound measured as of a day: over the local days ``first`` to ``last``, its value (None: not judged), its
    status, and the counts behind it: ``part`` of ``whole`` for a rate, the grades' table for grade calibration.

    A drift bound also has the ``model`` it watched (None: none could be) and why it could not be judged at all
    (``unusable``); population shift the ranges of predicted chance (``bands``) and ``whole`` hand-offs in the
    window; model calibration ``part`` of its ``whole`` hand-offs reaching the target and their mean predicted
    chance (``predicted``)."""

    bound: HealthBound
    first: date
    last: date
    value: float | None
    status: Status
    part: int = 0
    whole: int = 0
    grades: tuple[GradeCount, ...] = ()
    model: Watched | None = None
    unusable: str | None = None
    bands: tuple[Band, ...] = ()
    predicted: float | None = None

    @property
    def title(self) -> str:
        return spec(self.bound.indicator).title

    def judged_grades(self) -> list[GradeCount]:
        return _judged(self.grades, self.bound.min_leads)

    def summary(self) -> str:
        """One line: the value against the limit."""
        indicator = self.bound.indicator
        match indicator:
            case (
                Indicator.ACCEPTANCE_RATE
                | Indicator.CONTACT_WITHIN_SLA
                | Indicator.NEVER_CONTACTED
                | Indicator.POPULATION_SHIFT
                | Indicator.MODEL_CALIBRATION
            ):
                return self._limit_summary()
            case Indicator.GRADE_CALIBRATION:
                return self._calibration_summary()
            case _:  # pragma: no cover - the type check proves every case above is handled
                assert_never(indicator)

    def _limit_summary(self) -> str:
        s, bound = spec(self.bound.indicator), self.bound
        if self.unusable is not None:
            return f"{s.title}: not judged, {self.unusable}"
        if self.value is None:
            return f"{s.title}: not judged, {self.whole} {s.counts} and it needs {bound.min_leads}"
        words = {Limit.AT_LEAST: ("below", "at least"), Limit.AT_MOST: ("above", "within")}[s.limit]
        relation = words[self.status is Status.HELD]
        return f"{s.title}: {self.shown()}, {relation} the agreed {stated(bound.limit, s.scale)}"

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
        return "—" if self.value is None else shown_in(self.value, spec(self.bound.indicator).scale)

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
            case Indicator.POPULATION_SHIFT | Indicator.MODEL_CALIBRATION:
                return self._drift_details(days)
            case _:  # pragma: no cover - the type check proves every case above is handled
                assert_never(indicator)

    def _drift_details(self, days: str) -> tuple[str, ...]:
        model = self.model
        if model is None:
            return ()
        watched = (
            f"the model watched: version {model.version}, the chance that a hand-off reaches the {model.target} "
            f"stage within {model.horizon_days} days",
        )
        if self.unusable is not None:
            return watched
        if self.bound.indicator is Indicator.POPULATION_SHIFT:
            return (
                *watched,
                f"{self.whole} hand-offs stood {days}, each scored as described at its hand-off",
                *(
                    f"predicted chance {band.words()}: {measured(band.learned)} of the hand-offs it learned from, "
                    f"{measured(band.now)} of the window's"
                    for band in self.bands
                ),
            )
        reached = (
            f"{self.part} of the {self.whole} hand-offs whose {model.horizon_days}-day horizon ended {days} "
            f"reached the {model.target} stage within it"
        )
        if self.predicted is None:
            return (*watched, reached)
        return (
            *watched,
            f"{reached} ({measured(self.part / self.whole)})",
            f"the model gave them a {measured(self.predicted)} chance on average",
        )

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
            case Indicator.POPULATION_SHIFT | Indicator.MODEL_CALIBRATION:
                return {**days, **self._drift_evidence()}
            case _:  # pragma: no cover - the type check proves every case above is handled
                assert_never(indicator)

    def _drift_evidence(self) -> dict[str, Any]:
        model = self.model
        watched = {} if model is None else {"target": model.target, "horizon_days": model.horizon_days}
        shown: dict[str, Any] = {"model": None if model is None else model.version, **watched}
        if self.unusable is not None:
            return {**shown, "not_judged_because": self.unusable}
        if self.bound.indicator is Indicator.POPULATION_SHIFT:
            bands = [{"from": b.low, "to": b.high, "learned": b.learned, "window": b.now} for b in self.bands]
            return {**shown, "handoffs": self.whole, "bands": bands}
        observed = self.part / self.whole if self.whole else None
        return {
            **shown,
            "handoffs": self.whole,
            "reached": self.part,
            "predicted_mean": self.predicted,
            "observed_rate": observed,
        }


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


def shares(cuts: Sequence[float], chances: Sequence[float]) -> tuple[float, ...]:
    """The share of ``chances`` in each range the ascending ``cuts`` make: below the first cut, from each cut up to
    the next, from the last cut up (a chance equal to a cut falls in the range it starts); all 0 without chances."""
    counts = [0] * (len(cuts) + 1)
    for chance in chances:
        counts[bisect.bisect_right(cuts, chance)] += 1
    return tuple(count / max(len(chances), 1) for count in counts)


def stability_index(learned: Sequence[float], now: Sequence[float]) -> float:
    """The population stability index of two populations' shares of the same ranges:
    ``sum((now - learned) * ln(now / learned))``, each share taken as at least ``PSI_FLOOR``. 0 when the shares are
    the same; above 0.25 is commonly read as a major shift, 0.1 to 0.25 as a moderate one."""
    pairs = [(max(before, PSI_FLOOR), max(after, PSI_FLOOR)) for before, after in zip(learned, now, strict=True)]
    return float(sum((after - before) * math.log(after / before) for before, after in pairs))


def unjudged_drift(bound: HealthBound, first: date, last: date, why: str, model: Watched | None = None) -> Reading:
    """A drift bound that cannot be judged at all, whatever the hand-offs: ``why`` says so (no model, one this
    leadpact cannot read, one kept without what the bound needs), and what to do."""
    return Reading(bound, first, last, None, Status.NOT_JUDGED, model=model, unusable=why)


def shift_reading(
    bound: HealthBound,
    first: date,
    last: date,
    model: Watched,
    cuts: Sequence[float],
    learned: Sequence[float],
    chances: Sequence[float],
) -> Reading:
    """Population shift's reading: the model's predicted ``chances`` for the window's hand-offs against the shares
    of the hand-offs it learned from (``learned``) in the ranges its ``cuts`` make; judged once the window has the
    bound's ``min_leads`` hand-offs."""
    now = shares(cuts, chances)
    edges = [None, *cuts, None]
    bands = tuple(
        Band(*edge, before, after) for edge, before, after in zip(itertools.pairwise(edges), learned, now, strict=True)
    )
    value = stability_index(learned, now) if len(chances) >= bound.min_leads else None
    return Reading(bound, first, last, value, judge(bound, value), whole=len(chances), model=model, bands=bands)


def model_calibration_reading(
    bound: HealthBound,
    first: date,
    last: date,
    model: Watched,
    reached: int,
    counted: int,
    predicted: float | None,
    error: float | None,
) -> Reading:
    """Model calibration's reading: of the ``counted`` hand-offs whose outcome became known in the window,
    ``reached`` the model's target; their mean ``predicted`` chance and the calibration ``error`` (None: no
    hand-off counted); judged once ``counted`` reaches the bound's ``min_leads``."""
    value = error if counted >= bound.min_leads else None
    return Reading(
        bound, first, last, value, judge(bound, value), part=reached, whole=counted, model=model, predicted=predicted
    )
