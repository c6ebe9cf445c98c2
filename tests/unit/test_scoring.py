"""Scoring: decay, which events count (per local day, once), grades, bands and the moment a lead qualifies.

Expected numbers are worked out by hand from the agreement's semantics (DESIGN section 4), on the example
agreement: half-life 30 days, qualified at score 60 with grade A (fit 45+) or B (fit 30+), immediate
hand-off for A, B and C (fit 15+), in America/Chicago.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from leadpact.domain.agreement import Agreement
from leadpact.domain.scoring import (
    DAY_SECONDS,
    Cycle,
    EventFact,
    advance,
    counted_events,
    decay,
    engagement_at,
    local_day,
    local_day_bounds,
    qualification_moment,
    qualifies_now,
    to_seconds,
)
from tests.factories import parsed
from tests.strategies import event_facts, near_edges

EXAMPLE = parsed()
CHICAGO = ZoneInfo("America/Chicago")
T0 = to_seconds(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
DAY = DAY_SECONDS
HALF_LIFE = 30 * DAY


def utc(text: str) -> int:
    return to_seconds(datetime.fromisoformat(text).replace(tzinfo=UTC))


def ids(events: list[EventFact]) -> list[str]:
    return [e.event_id for e in events]


def shuffled(items: list[EventFact], seed: int) -> list[EventFact]:
    out = list(items)
    random.Random(seed).shuffle(out)
    return out


# --- decay -------------------------------------------------------------------------------------------------


def test_points_halve_every_half_life() -> None:
    assert decay(40.0, HALF_LIFE, 30) == pytest.approx(20.0, rel=1e-12)
    assert decay(40.0, 2 * HALF_LIFE, 30) == pytest.approx(10.0, rel=1e-12)
    assert decay(-25.0, HALF_LIFE, 30) == pytest.approx(-12.5, rel=1e-12)
    assert decay(40.0, 0, 30) == 40.0


@given(
    points=st.floats(-100, 100, allow_nan=False),
    elapsed=st.integers(0, 5 * 365 * DAY),
    half_life=st.sampled_from((0.25, 1.0, 7.0, 30.0, 365.0)),
)
def test_decay_is_exactly_two_to_the_minus_elapsed_over_half_life(
    points: float, elapsed: int, half_life: float
) -> None:
    expected = points * 2.0 ** (-elapsed / (half_life * DAY))
    assert decay(points, elapsed, half_life) == pytest.approx(expected, rel=1e-12, abs=1e-300)


@given(points=st.floats(-100, 100, allow_nan=False), elapsed=st.integers(0, 50 * 365 * DAY))
def test_without_a_half_life_points_never_fade(points: float, elapsed: int) -> None:
    assert decay(points, elapsed, None) == points
    assert engagement_at(points, T0, T0 + elapsed, None) == points


def test_an_agreement_without_half_life_has_no_decay() -> None:
    agreement = parsed(("  half_life_days: 30               # points halve every 30 days\n", ""))
    assert agreement.half_life_days is None
    value, anchor = advance(0.0, 0, 15.0, T0, agreement.half_life_days)
    value, anchor = advance(value, anchor, 30.0, T0 + 400 * DAY, agreement.half_life_days)
    assert engagement_at(value, anchor, T0 + 4000 * DAY, agreement.half_life_days) == 45.0


SIGNED_POINTS = st.sampled_from((50.0, 30.0, 15.0, 12.0, 10.0, 8.0, 5.0, 3.0, 1.0, -25.0, 2.5))


@given(
    events=st.lists(st.tuples(SIGNED_POINTS, st.integers(T0, T0 + 400 * DAY)), max_size=40),
    half_life=st.sampled_from((None, 0.5, 14.0, 30.0)),
    later=st.integers(0, 90 * DAY),
)
def test_the_online_advance_equals_the_direct_sum_in_any_arrival_order(
    events: list[tuple[float, int]], half_life: float | None, later: int
) -> None:
    value, anchor = 0.0, 0
    for points, at in events:  # arrival order: any
        value, anchor = advance(value, anchor, points, at, half_life)
    t = max([at for _, at in events], default=T0) + later
    h = math.inf if half_life is None else half_life * DAY
    expected = sum(p * 2.0 ** (-(t - at) / h) for p, at in events)
    scale = 1.0 + sum(abs(p) for p, _ in events)
    assert engagement_at(value, anchor, t, half_life) == pytest.approx(expected, abs=1e-12 * scale)


def test_an_event_arriving_late_adds_its_decayed_points() -> None:
    value, anchor = advance(0.0, 0, 10.0, T0 + HALF_LIFE, 30)
    value, anchor = advance(value, anchor, 20.0, T0, 30)  # happened one half-life before the first
    assert anchor == T0 + HALF_LIFE
    assert value == pytest.approx(10.0 + 10.0, rel=1e-12)


# --- which events count ---------------------------------------------------------------------------------------


def test_an_event_type_not_in_the_agreement_never_counts() -> None:
    events = [EventFact(T0, "a", "page_scroll"), EventFact(T0, "b", "webinar_attended")]
    assert ids(counted_events(EXAMPLE, events)) == ["b"]


def test_types_without_a_cap_count_every_time() -> None:
    events = [EventFact(T0 + n, f"w{n}", "webinar_attended") for n in range(5)]
    assert len(counted_events(EXAMPLE, events)) == 5


def test_max_per_day_counts_the_earliest_events_of_the_local_day() -> None:
    day = [
        EventFact(utc("2026-06-15T22:00:00"), "c3", "email_click"),  # 17:00 CDT
        EventFact(utc("2026-06-15T14:00:00"), "c1", "email_click"),  # 09:00 CDT
        EventFact(utc("2026-06-15T18:00:00"), "c2", "email_click"),  # 13:00 CDT
    ]
    assert ids(counted_events(EXAMPLE, day)) == ["c1", "c2"]


def test_max_per_day_is_per_type() -> None:
    events = [
        EventFact(utc("2026-06-15T14:00:00"), "p1", "pricing_page_view"),
        EventFact(utc("2026-06-15T15:00:00"), "o1", "email_open"),
        EventFact(utc("2026-06-15T16:00:00"), "p2", "pricing_page_view"),
        EventFact(utc("2026-06-15T17:00:00"), "o2", "email_open"),
    ]
    assert ids(counted_events(EXAMPLE, events)) == ["p1", "o1"]


def test_events_on_either_side_of_local_midnight_are_on_two_days() -> None:
    before = EventFact(utc("2026-06-16T04:59:59"), "before", "pricing_page_view")  # 23:59:59 CDT, 15 June
    after = EventFact(utc("2026-06-16T05:00:00"), "after", "pricing_page_view")  # 00:00:00 CDT, 16 June
    assert ids(counted_events(EXAMPLE, [after, before])) == ["before", "after"]


def test_two_utc_days_that_are_one_local_day_share_the_cap() -> None:
    evening = EventFact(utc("2026-06-15T23:00:00"), "evening", "pricing_page_view")  # 18:00 CDT, 15 June
    night = EventFact(utc("2026-06-16T03:00:00"), "night", "pricing_page_view")  # 22:00 CDT, 15 June
    assert ids(counted_events(EXAMPLE, [night, evening])) == ["evening"]


def test_the_23_hour_day_of_the_spring_change_is_one_local_day() -> None:
    events = [
        EventFact(utc("2026-03-08T05:59:59"), "sat-late", "pricing_page_view"),  # 23:59:59 CST, Saturday 7 March
        EventFact(utc("2026-03-08T06:00:00"), "sun-first", "pricing_page_view"),  # 00:00 CST, Sunday 8 March
        EventFact(utc("2026-03-08T09:00:00"), "sun-dst", "pricing_page_view"),  # 04:00 CDT, Sunday
        EventFact(utc("2026-03-09T04:59:59"), "sun-last", "pricing_page_view"),  # 23:59:59 CDT, Sunday
        EventFact(utc("2026-03-09T05:00:00"), "mon-first", "pricing_page_view"),  # 00:00 CDT, Monday 9 March
    ]
    assert ids(counted_events(EXAMPLE, shuffled(events, 1))) == ["sat-late", "sun-first", "mon-first"]


def test_the_25_hour_day_of_the_autumn_change_is_one_local_day() -> None:
    events = [
        EventFact(utc("2026-11-01T04:59:59"), "sat-last", "pricing_page_view"),  # 23:59:59 CDT, Saturday 31 Oct
        EventFact(utc("2026-11-01T05:00:00"), "sun-first", "pricing_page_view"),  # 00:00 CDT, Sunday 1 Nov
        EventFact(utc("2026-11-01T07:30:00"), "sun-repeat", "pricing_page_view"),  # 01:30 CST, the hour again
        EventFact(utc("2026-11-02T05:59:59"), "sun-last", "pricing_page_view"),  # 23:59:59 CST, Sunday
        EventFact(utc("2026-11-02T06:00:00"), "mon-first", "pricing_page_view"),  # 00:00 CST, Monday 2 Nov
    ]
    assert ids(counted_events(EXAMPLE, shuffled(events, 2))) == ["sat-last", "sun-first", "mon-first"]


def test_two_events_in_the_repeated_hour_of_the_autumn_change_share_a_day() -> None:
    first = EventFact(utc("2026-11-01T06:30:00"), "cdt", "email_open")  # 01:30 CDT
    second = EventFact(utc("2026-11-01T07:30:00"), "cst", "email_open")  # 01:30 CST, an hour later
    assert ids(counted_events(EXAMPLE, [second, first])) == ["cdt"]


def test_the_local_day_follows_the_agreements_time_zone() -> None:
    kolkata = parsed(("timezone: America/Chicago", "timezone: Asia/Kolkata"))
    evening = EventFact(utc("2026-06-15T23:00:00"), "evening", "pricing_page_view")  # 04:30 IST, 16 June
    night = EventFact(utc("2026-06-16T03:00:00"), "night", "pricing_page_view")  # 08:30 IST, 16 June
    morning = EventFact(utc("2026-06-15T17:00:00"), "morning", "pricing_page_view")  # 22:30 IST, 15 June
    assert ids(counted_events(kolkata, [night, evening, morning])) == ["morning", "evening"]
    assert ids(counted_events(EXAMPLE, [night, evening, morning])) == ["morning"]


def test_events_in_the_same_second_are_ordered_by_event_id() -> None:
    events = [EventFact(T0, "b", "pricing_page_view"), EventFact(T0, "a", "pricing_page_view")]
    assert ids(counted_events(EXAMPLE, events)) == ["a"]


def test_a_once_type_counts_only_its_first_occurrence_whatever_the_day() -> None:
    events = [
        EventFact(T0 + 40 * DAY, "u-late", "unsubscribe"),
        EventFact(T0, "u-first", "unsubscribe"),
        EventFact(T0 + 1, "u-again", "unsubscribe"),
    ]
    assert ids(counted_events(EXAMPLE, events)) == ["u-first"]


def chicago_oracle(agreement: Agreement, events: list[EventFact]) -> set[str]:
    """The counting rule written out: per type and Chicago calendar day, the first max_per_day; once, the first."""
    by_key: dict[tuple[str, date | None], list[EventFact]] = defaultdict(list)
    for e in events:
        rule = agreement.events.get(e.type)
        if rule is None:
            continue
        day = datetime.fromtimestamp(e.at, CHICAGO).date() if rule.max_per_day else None
        by_key[(e.type, day)].append(e)
    out: set[str] = set()
    for (kind, _), group in by_key.items():
        rule = agreement.events[kind]
        limit = 1 if rule.once else (rule.max_per_day or len(group))
        out.update(e.event_id for e in sorted(group, key=lambda e: (e.at, e.event_id))[:limit])
    return out


@given(events=event_facts(), seed=st.integers(0, 2**16))
def test_the_counted_events_follow_the_rule_whatever_the_arrival_order(events: list[EventFact], seed: int) -> None:
    counted = counted_events(EXAMPLE, events)
    assert set(ids(counted)) == chicago_oracle(EXAMPLE, events)
    assert counted == sorted(counted)  # in occurrence order
    assert counted_events(EXAMPLE, shuffled(events, seed)) == counted


def test_local_days_across_the_changes_are_23_and_25_hours_long() -> None:
    spring = local_day_bounds(EXAMPLE, date(2026, 3, 8))
    autumn = local_day_bounds(EXAMPLE, date(2026, 11, 1))
    assert spring == (utc("2026-03-08T06:00:00"), utc("2026-03-09T05:00:00"))
    assert autumn == (utc("2026-11-01T05:00:00"), utc("2026-11-02T06:00:00"))
    assert local_day(EXAMPLE, spring[1] - 1) == date(2026, 3, 8)
    assert local_day(EXAMPLE, autumn[1] - 1) == date(2026, 11, 1)


# --- grades, bands, the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fit", "grade"),
    [(100, "A"), (45, "A"), (44.999, "B"), (30, "B"), (29.5, "C"), (15, "C"), (14.99, "D"), (0, "D"), (-50, "D")],
)
def test_the_grade_is_the_first_whose_bound_the_fit_reaches(fit: float, grade: str) -> None:
    assert EXAMPLE.grade_for(fit) == grade


@pytest.mark.parametrize(
    ("score", "band"), [(200, "hot"), (80, "hot"), (79.99, "warm"), (40, "warm"), (39.99, "future"), (-10, "future")]
)
def test_the_priority_is_the_first_band_whose_bound_the_score_reaches(score: float, band: str) -> None:
    assert EXAMPLE.band_for(score) == band


@pytest.mark.parametrize(
    ("fit", "score", "immediate", "result"),
    [
        (45, 60, False, True),  # A at the threshold
        (45, 59.999, False, False),
        (30, 60, False, True),  # B at the threshold
        (29.9, 200, False, False),  # C never by score
        (15, 16, True, True),  # C by an immediate event, whatever the score
        (14.9, 200, True, False),  # D not even by an immediate event
        (50, -10, True, True),  # A by an immediate event, whatever the score
    ],
)
def test_the_rule_at_one_moment(fit: float, score: float, immediate: bool, result: bool) -> None:
    assert qualifies_now(EXAMPLE, fit, score, immediate) is result


def moment(
    fit_changes: list[tuple[int, float]], events: list[EventFact], cooldown_until: int | None = None
) -> int | None:
    return qualification_moment(EXAMPLE, fit_changes, counted_events(EXAMPLE, events), Cycle(cooldown_until))


def test_a_lead_qualifies_at_the_event_that_brings_it_to_the_threshold() -> None:
    # fit 45 (A) + 15 = 60 at the webinar
    assert moment([(T0, 45.0)], [EventFact(T0 + DAY, "w", "webinar_attended")]) == T0 + DAY


def test_a_lead_just_below_the_threshold_waits_for_the_next_event_and_decay_counts() -> None:
    events = [EventFact(T0 + DAY, "w", "webinar_attended"), EventFact(T0 + 31 * DAY, "c", "contact_form")]
    # fit 44 (B): 59 at the webinar; one half-life later 44 + 7.5 + 30 = 81.5
    assert moment([(T0, 44.0)], events) == T0 + 31 * DAY


def test_engagement_that_fades_below_the_threshold_before_the_next_event_does_not_qualify() -> None:
    events = [EventFact(T0 + DAY, "w1", "webinar_attended"), EventFact(T0 + 31 * DAY, "w2", "webinar_attended")]
    # fit 30 (B): 45 at the first webinar; 30 + 7.5 + 15 = 52.5 at the second
    assert moment([(T0, 30.0)], events) is None


def test_a_fit_change_is_a_moment_the_lead_may_qualify_with_the_engagement_decayed_to_it() -> None:
    events = [EventFact(T0, "c", "contact_form"), EventFact(T0, "w", "webinar_attended")]  # 45 points at T0
    # grade D until the fit change; one half-life later the 45 points are worth 22.5
    assert moment([(T0 + HALF_LIFE, 45.0)], events) == T0 + HALF_LIFE  # 45 + 22.5 = 67.5
    assert moment([(T0 + HALF_LIFE, 30.0)], events) is None  # 30 + 22.5 = 52.5
    ten_days = 10 * DAY  # 45 * 2^(-1/3) = 35.7: 30 + 35.7 = 65.7
    assert moment([(T0 + ten_days, 30.0)], events) == T0 + ten_days


def test_the_first_qualifying_moment_is_taken_not_a_later_one() -> None:
    events = [
        EventFact(T0 + DAY, "c1", "contact_form"),
        EventFact(T0 + 2 * DAY, "c2", "contact_form"),
        EventFact(T0 + 3 * DAY, "c3", "contact_form"),
    ]
    assert moment([(T0, 30.0)], events) == T0 + DAY


def test_events_of_the_same_second_are_weighed_together() -> None:
    # 45 + 30 = 75 would qualify, but the unsubscribe of the same second makes it 50 at that moment
    events = [EventFact(T0 + DAY, "a-form", "contact_form"), EventFact(T0 + DAY, "b-unsub", "unsubscribe")]
    assert moment([(T0, 45.0)], events) is None


def test_an_immediate_event_qualifies_a_grade_c_lead_whatever_its_score() -> None:
    events = [EventFact(T0, "u", "unsubscribe"), EventFact(T0 + DAY, "d", "demo_request")]
    # fit 15 (C): 15 - 25 * 2^(-1/30) + 50 = 40.6, below 60, but C is an immediate grade
    assert moment([(T0, 15.0)], events) == T0 + DAY


def test_an_immediate_event_does_not_qualify_a_grade_d_lead() -> None:
    events = [EventFact(T0 + DAY, "d", "demo_request"), EventFact(T0 + DAY, "c", "contact_form")]
    assert moment([(T0, 14.0)], events) is None  # 14 + 80 = 94, but D is in neither list


def test_a_grade_c_lead_does_not_qualify_by_score_alone() -> None:
    events = [EventFact(T0 + DAY, "c", "contact_form"), EventFact(T0 + DAY, "w", "webinar_attended")]
    assert moment([(T0, 20.0)], events) is None  # 65, but C qualifies only through an immediate event


def test_immediate_grades_may_be_narrower_than_the_qualifying_grades() -> None:
    strict = parsed(("immediate_grades: [A, B, C]", "immediate_grades: [A]"))
    demo = [EventFact(T0 + DAY, "d", "demo_request")]
    assert qualification_moment(EXAMPLE, [(T0, 15.0)], demo, Cycle()) == T0 + DAY
    assert qualification_moment(strict, [(T0, 15.0)], demo, Cycle()) is None  # C: 65, but no longer immediate
    assert qualification_moment(strict, [(T0, 45.0)], demo, Cycle()) == T0 + DAY


def test_a_recycled_lead_qualifies_only_through_a_counted_event_after_its_cooldown() -> None:
    cooldown = T0 + 60 * DAY
    fit = [(T0, 50.0)]
    before = [EventFact(cooldown - DAY, "c", "contact_form")]  # 80 points of score, but during the cooldown
    assert moment(fit, before, cooldown) is None
    fit_after = [*fit, (cooldown + 3600, 5.0)]  # a better fit after the cooldown is not an event
    assert moment(fit_after, before, cooldown) is None
    opened = [*before, EventFact(cooldown + 7200, "o", "email_open")]
    assert moment(fit_after, opened, cooldown) == cooldown + 7200


def test_an_event_at_the_end_of_the_cooldown_counts() -> None:
    cooldown = T0 + 60 * DAY
    assert moment([(T0, 50.0)], [EventFact(cooldown, "c", "contact_form")], cooldown) == cooldown
    assert moment([(T0, 50.0)], [EventFact(cooldown - 1, "c", "contact_form")], cooldown) is None


def test_a_fresh_lead_qualifies_through_its_fit_alone_when_engagement_is_already_there() -> None:
    events = [EventFact(T0, "c", "contact_form")]  # 30 points, while the lead is grade D
    assert moment([(T0, 10.0), (T0 + 1, 30.0)], events) == T0 + 1  # 40 (B) + 30 = 70 a second later


FIT_DELTAS = st.sampled_from((-20.0, -5.0, 5.0, 8.0, 10.0, 15.0, 20.0, 30.0, 45.0))


def first_moment_oracle(
    fit_changes: list[tuple[int, float]], counted: list[EventFact], cooldown: int | None
) -> int | None:
    """The rule written out: the earliest candidate moment where S(t) = F(t) + E(t) meets it, from scratch."""
    h = 30 * DAY
    rule = EXAMPLE.qualified
    candidates = sorted({at for at, _ in fit_changes} | {e.at for e in counted})
    for t in candidates:
        at_t = [e for e in counted if e.at == t]
        if cooldown is not None and (not at_t or t < cooldown):
            continue
        fit = sum(delta for at, delta in fit_changes if at <= t)
        score = fit + sum(EXAMPLE.events[e.type].points * 2.0 ** (-(t - e.at) / h) for e in counted if e.at <= t)
        assume(abs(score - rule.score_at_least) > 1e-6)  # ties decided by rounding are no test of the rule
        grade = EXAMPLE.grade_for(fit)
        immediate = any(EXAMPLE.events[e.type].immediate for e in at_t)
        if (grade in rule.grades and score >= rule.score_at_least) or (immediate and grade in rule.immediate_grades):
            return t
    return None


@given(
    events=event_facts(max_size=20),
    fit_changes=st.lists(st.tuples(near_edges(), FIT_DELTAS), max_size=4),
    cooldown=st.one_of(st.none(), near_edges()),
    seed=st.integers(0, 2**16),
)
def test_the_qualification_moment_is_the_first_moment_the_rule_holds_in_any_order(
    events: list[EventFact], fit_changes: list[tuple[int, float]], cooldown: int | None, seed: int
) -> None:
    counted = counted_events(EXAMPLE, events)
    expected = first_moment_oracle(fit_changes, counted, cooldown)
    assert qualification_moment(EXAMPLE, fit_changes, counted, Cycle(cooldown)) == expected
    rng = random.Random(seed)
    arrived = counted_events(EXAMPLE, shuffled(events, seed))
    changes = list(fit_changes)
    rng.shuffle(changes)
    assert qualification_moment(EXAMPLE, changes, arrived, Cycle(cooldown)) == expected
