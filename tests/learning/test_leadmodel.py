"""The predictive model's parts as pure functions: which hand-offs stood and what came of them, the features at a
moment, the time-ordered split, the columns, and predictions whose contributions add up exactly."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pytest

from leadpact.domain.errors import Conflict
from leadpact.domain.scoring import DAY_SECONDS, decay
from leadpact.learning import leadmodel
from leadpact.learning.features import Change, Done, Handoff, Kind, Person, Points, describe, handoffs, outcomes
from leadpact.learning.leadmodel import Code, fit_codes, learn, validation_start

DAY = DAY_SECONDS


def seconds(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, 12, tzinfo=UTC).timestamp())


def test_a_withdrawn_hand_off_never_stood_and_each_hand_off_knows_the_next() -> None:
    changes = [
        Change(1, 7, 100, None, "inquiry", None),
        Change(2, 7, 200, "inquiry", "mql", None),
        Change(3, 7, 300, "mql", "inquiry", "late_events"),  # the agreement withdrew it
        Change(4, 7, 400, "inquiry", "mql", None),
        Change(5, 7, 500, "mql", "recycled", "not_ready"),
        Change(6, 7, 900, "recycled", "mql", None),
        Change(7, 8, 150, "inquiry", "mql", None),
    ]
    assert handoffs(reversed(changes)) == [Handoff(8, 150, math.inf), Handoff(7, 400, 900), Handoff(7, 900, math.inf)]


def test_an_outcome_counts_within_the_horizon_and_before_the_next_hand_off_and_recent_ones_are_left_out() -> None:
    changes = [
        Change(1, 1, 0, "inquiry", "mql", None),
        Change(2, 1, 5 * DAY, "sql", "opportunity", None),  # within 10 days: 1
        Change(3, 2, 0, "inquiry", "mql", None),
        Change(4, 2, 11 * DAY, "sql", "opportunity", None),  # after 10 days: 0
        Change(5, 3, 0, "inquiry", "mql", None),
        Change(6, 3, 2 * DAY, "mql", "recycled", "not_ready"),
        Change(7, 3, 4 * DAY, "recycled", "mql", None),
        Change(8, 3, 6 * DAY, "sql", "opportunity", None),  # the second hand-off's, not the first's
        Change(9, 4, 30 * DAY, "inquiry", "mql", None),  # too recent on day 35: its horizon has not passed
        Change(10, 4, 31 * DAY, "sql", "opportunity", None),
    ]
    known = outcomes(changes, handoffs(changes), "opportunity", 10 * DAY, 35 * DAY)
    assert [(h.lead_id, h.at // DAY, outcome) for h, outcome in known] == [(1, 0, 1), (2, 0, 0), (3, 0, 0), (3, 4, 1)]


def person(lead_id: int, **fields: object) -> Person:
    given: dict[str, object] = dict.fromkeys(Person._fields)
    return Person(**{**given, "lead_id": lead_id, "created_at": 0, **fields})  # type: ignore[arg-type]


def test_the_features_are_what_was_known_at_the_moment_with_the_agreements_decay() -> None:
    people = [
        person(1, email="ann@gmail.com", title=" VP Operations ", industry="retail", account_industry="Logistics"),
        person(2, email="bo@acme.example", employees=40, country="DE", account_country=None, title=""),
    ]
    ledger = [
        Points(1, "fit", 0, 20.0),
        Points(1, "event", 2 * DAY, 30.0),
        Points(1, "event", 12 * DAY, 50.0),  # after the moment: not seen
        Points(1, "fit", 12 * DAY, 10.0),
    ]
    done = [Done(1, "webinar_attended", DAY), Done(1, "webinar_attended", 2 * DAY), Done(1, "demo_request", 12 * DAY)]
    stood = [Handoff(1, 5 * DAY, 10 * DAY), Handoff(1, 10 * DAY, math.inf)]
    frame = describe([(1, 10 * DAY), (2, 3 * DAY)], people, ledger, done, stood, 30)
    first, second = frame.iloc[0], frame.iloc[1]
    assert (first["industry"], first["title"], first["free_mail"], first["fit"]) == (
        "Logistics",
        "VP Operations",
        "yes",
        20.0,
    )
    assert first["engagement"] == pytest.approx(decay(30.0, 8 * DAY, 30), abs=1e-12)
    assert first["events.webinar_attended"] == 2.0
    assert "events.demo_request" not in frame  # nobody had asked for a demo by their moment
    assert (first["earlier_handoffs"], first["days_since_capture"]) == (1.0, 10.0)
    assert (second["country"], second["employees"], second["free_mail"]) == ("DE", 40.0, "no")
    assert second["title"] is None
    assert math.isnan(first["employees"])
    assert second["events.webinar_attended"] == 0.0


def test_too_little_history_is_refused_saying_how_much_is_needed() -> None:
    with pytest.raises(Conflict) as refused:
        leadmodel.enough([1] * 150 + [0] * 30)
    assert refused.value.detail == (
        "too little history to learn from: 180 hand-offs with a known outcome, 150 of them reaching it and 30 not; "
        "the model needs at least 200 such hand-offs, with at least 40 of each outcome"
    )
    leadmodel.enough([1] * 40 + [0] * 160)


def test_the_validation_rows_are_the_fewest_latest_whole_months_holding_enough() -> None:
    at = [seconds(2026, m, d) for m in range(1, 7) for d in range(1, 21)]  # 20 a month, January to June
    y = [1 if i % 2 else 0 for i in range(len(at))]
    start = validation_start(np.asarray(at), np.asarray(y))
    assert start == 80  # May and June: 40 rows, 20 of each outcome; June alone is not a fifth
    later = [seconds(2026, m, d) for m in range(1, 8) for d in range(1, 21)]  # January to July
    few = [i % 2 for i in range(100)] + [int(i % 7 == 0) for i in range(40)]  # June and July: 6 positives
    assert validation_start(np.asarray(later), np.asarray(few)) == 80  # so May joins them
    one_month = [seconds(2026, 3, 1 + i % 28) for i in range(120)]
    with pytest.raises(Conflict, match="the history cannot be split in time"):
        validation_start(np.asarray(one_month), np.asarray(y))


def test_a_number_mostly_at_its_lowest_value_still_gets_ranges_above_it() -> None:
    counts = np.asarray([0.0] * 80 + [1.0] * 8 + [2.0] * 6 + [5.0] * 6)
    code = fit_codes(pd.DataFrame({"events.email_click": counts}))[0]
    assert code.cuts == (1.0, 2.0)
    assert code.labels() == [
        "events.email_click < 1",
        "events.email_click 1 to < 2",
        "events.email_click ≥ 2",
        "events.email_click (missing)",
    ]
    assert code.encode(pd.Series([0.0, 1.5, 9.0, math.nan])).tolist() == [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
    ]


def test_a_category_keeps_its_common_values_and_shares_a_column_for_the_rare_ones() -> None:
    values = ["Logistics"] * 5 + ["logistics"] + ["banking"] * 4 + [None]
    code = fit_codes(pd.DataFrame({"industry": values}))[0]
    assert (code.kind, code.levels) == (Kind.CATEGORY, ("logistics",))
    assert code.encode(pd.Series(["LOGISTICS", "banking", None])).tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    title = Code("title", Kind.WORDS, ("director", "vp"))
    assert title.encode(pd.Series(["VP, Director of IT", "Engineer", None])).tolist() == [
        [1, 1, 0],
        [0, 0, 0],
        [0, 0, 1],
    ]


def synthetic(rows: int, seed: int = 3) -> tuple[pd.DataFrame, list[int], list[int]]:
    """Hand-offs over a year whose chance rides on industry, title and pricing pages."""
    rng = random.Random(seed)
    records, outcome, moments = [], [], []
    for i in range(rows):
        industry = rng.choice(["logistics", "banking", "retail", None])
        title = rng.choice(["VP Operations", "Engineer", "Director of IT", None])
        views = float(rng.choice([0, 0, 1, 3]))
        logit = -0.5 + (1.5 if industry == "logistics" else 0) + 0.5 * views - (1 if title == "Engineer" else 0)
        outcome.append(int(rng.random() < 1 / (1 + math.exp(-logit))))
        moments.append(seconds(2026, 1, 1) + i * 365 * DAY // rows)
        records.append(
            {
                "industry": industry,
                "title": title,
                "employees": rng.choice([50.0, 400.0, 3000.0, math.nan]),
                "fit": rng.choice([10.0, 25.0, 50.0]),
                "engagement": rng.uniform(0, 80),
                "events.pricing_page_view": views,
            }
        )
    return pd.DataFrame(records), outcome, moments


def test_each_prediction_is_the_base_plus_one_effect_per_feature_exactly() -> None:
    frame, outcome, moments = synthetic(400)
    steps: list[tuple[int, int]] = []
    learned = learn(frame, outcome, moments, 30.0, lambda done, total: steps.append((done, total)))
    predictor = learned.predictor
    assert steps[-1][0] == steps[-1][1] == len(steps)
    explained = predictor.explain(frame)
    for row in explained:
        logit = math.log(row.probability / (1 - row.probability))
        assert abs(row.base + sum(c.effect for c in row.contributions) - logit) < 1e-9
        assert {c.feature for c in row.contributions} == set(frame.columns)
    assert np.allclose([r.probability for r in explained], predictor.probabilities(frame))
    # the base is the mean log-odds of the rows learned from: the effects average to zero over them
    assert np.mean(predictor.log_odds(frame)) == pytest.approx(predictor.base, abs=1e-9)
    by_feature = {f["feature"]: f for f in learned.summary["features"]}
    assert by_feature["industry"]["spread"] > by_feature["employees"]["spread"]
    logistics = next(c for c in by_feature["industry"]["columns"] if c["column"] == "industry = logistics")
    assert logistics["weight"] > 0
    shown = {c.feature: c.value for c in explained[0].contributions}
    assert shown["industry"] == frame["industry"].iloc[0]
    assert shown["fit"] == frame["fit"].iloc[0]


def test_a_feature_the_rows_lack_is_missing_or_no_events_and_still_adds_up() -> None:
    frame, outcome, moments = synthetic(300)
    predictor = learn(frame, outcome, moments, None).predictor
    lacking = frame.drop(columns=["events.pricing_page_view", "industry"]).iloc[:5]
    for row in predictor.explain(lacking):
        values = {c.feature: c.value for c in row.contributions}
        assert (values["events.pricing_page_view"], values["industry"]) == (0.0, None)
        logit = math.log(row.probability / (1 - row.probability))
        assert abs(row.base + sum(c.effect for c in row.contributions) - logit) < 1e-9


def test_the_quality_figures_mean_what_they_say() -> None:
    y = np.asarray([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    perfect = np.asarray([0.9, 0.1, 0.8, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    assert leadmodel.top_decile_lift(y, perfect) == 5.0  # the top tenth is all positive, against 20 % overall
    assert leadmodel.calibration_error(y, np.full(10, 0.2)) == pytest.approx(0.0)
    assert leadmodel.calibration_error(y, np.full(10, 0.5)) == pytest.approx(0.3)
    assert leadmodel.quality(y, perfect)["auc"] == 1.0
