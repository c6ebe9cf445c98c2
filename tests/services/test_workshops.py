"""The calibration workshop on both engines: the sample drawn stratified by score and kept blind, each side's
grades (replaced when given again, landing together when both sides grade a lead at once), a file of grades refused
whole for any bad row, and the report: kappa as scikit-learn computes it, the agreement against each side, the
leads the sides disagree on most, and the refitted fit points as a candidate agreement file."""

from __future__ import annotations

import math
import random
import re
import threading
import time
import warnings
from dataclasses import dataclass

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score  # type: ignore[import-untyped]
from sqlalchemy import Engine, select

from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.audit import Actor
from leadpact.domain.errors import Conflict, ImportRejected, InvalidInput, NoAgreement, NotFound, NotPermitted
from leadpact.domain.permissions import Principal, Role
from leadpact.domain.scoring import engagement_at, to_seconds
from leadpact.services import privacy, workshops
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Lead, Workshop, WorkshopGrade, WorkshopLead
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE, adopt_example
from tests.factories import add_team, agreement_text, capture, event, record

TITLES = ("VP Operations", "Plant Manager", "Engineer", "Student", "Director of Logistics", "Buyer")
INDUSTRIES = ("manufacturing", "retail", "software")
SIZES = (1000, 50, 300, 8000)
RUNNER = Actor("dana", "cli", "laptop")


@dataclass
class World:
    engine: Engine
    clock: FixedClock
    inforce: InForce
    emails: list[str]


def people(engine: Engine, clock: FixedClock, inforce: InForce, count: int) -> list[str]:
    """``count`` leads of every kind of fit, some with a download, none scoring enough to be handed over."""
    emails = []
    for n in range(count):
        domain = "gmail.com" if n % 7 == 3 else f"co{n}.example"
        email = f"p{n:02d}@{domain}"
        fields = {"title": TITLES[n % 6], "industry": INDUSTRIES[n % 3], "employees": SIZES[n % 4], "country": "US"}
        capture(engine, clock, inforce, email, first_name=f"Pat{n}", company=f"Company {n}", **fields)
        if n % 4 == 0:
            record(engine, clock, inforce, event(f"wp-{n}", email, "whitepaper_download", clock.now()))
        emails.append(email)
    return emails


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"alice": 1})
    return World(engine, clock, inforce, people(engine, clock, inforce, 30))


def start(w: World, name: str = "q3", sample: int = 10, seed: int | None = 7) -> workshops.Started:
    with UnitOfWork(w.engine, RUNNER) as uow:
        return workshops.start(uow, w.clock, name, sample, seed)


def scores(w: World) -> dict[str, float]:
    at = to_seconds(w.clock.now())
    with UnitOfWork(w.engine) as uow:
        rows = uow.session.execute(select(Lead.email, Lead.fit, Lead.engagement, Lead.engagement_at)).all()
    half_life = w.inforce.agreement.half_life_days
    return {r.email: r.fit + engagement_at(r.engagement, r.engagement_at, at, half_life) for r in rows}


def drawn(w: World, name: str = "q3") -> list[tuple[int, str, float, str]]:
    """The sample as stored: (position, email, score, grade), in the order it is graded."""
    with UnitOfWork(w.engine) as uow:
        rows = uow.session.execute(
            select(WorkshopLead.position, Lead.email, WorkshopLead.score, WorkshopLead.grade)
            .join(Lead, Lead.id == WorkshopLead.lead_id)
            .join(Workshop, Workshop.id == WorkshopLead.workshop_id)
            .where(Workshop.name == name)
            .order_by(WorkshopLead.position)
        )
        return [(p, e, s, g) for p, e, s, g in rows]


def lead_id(w: World, email: str) -> int:
    with UnitOfWork(w.engine) as uow:
        found = uow.session.scalar(select(Lead.id).where(Lead.email == email))
        assert found is not None
        return found


def grade(w: World, email: str, side: str, given: str, name: str = "q3") -> None:
    with UnitOfWork(w.engine, RUNNER) as uow:
        workshops.grade(uow, w.clock, name, lead_id(w, email), side, given)


def stored(w: World) -> set[tuple[str, str, str]]:
    with UnitOfWork(w.engine) as uow:
        rows = uow.session.execute(
            select(Lead.email, WorkshopGrade.side, WorkshopGrade.grade).join(Lead, Lead.id == WorkshopGrade.lead_id)
        )
        return {(e, s, g) for e, s, g in rows}


def label(w: World, text: str, name: str = "q3") -> workshops.Labelled:
    with UnitOfWork(w.engine, RUNNER) as uow:
        return workshops.label(uow, w.clock, name, text, "grades.csv")


def report(w: World, name: str = "q3") -> workshops.WorkshopReport:
    with UnitOfWork(w.engine) as uow:
        return workshops.report(uow, name)


# --- the draw ---------------------------------------------------------------------------------------------------


def test_the_sample_takes_its_share_of_every_score_band_in_an_order_that_hides_the_score(world: World) -> None:
    started = start(world, sample=10)
    sample = drawn(world)
    score_of = scores(world)
    assert [e for _, e, _, _ in sample] == started.emails
    assert len(set(started.emails)) == 10
    ranked = sorted(score_of, key=lambda e: (score_of[e], lead_id(world, e)))
    bands = [ranked[b * 6 : (b + 1) * 6] for b in range(5)]  # 30 leads in five bands of six
    assert [sum(e in band for e in started.emails) for band in bands] == [2, 2, 2, 2, 2]
    in_order = [s for _, _, s, _ in sample]
    assert in_order not in (sorted(in_order), sorted(in_order, reverse=True))
    assert [p for p, _, _, _ in sample] == list(range(1, 11))
    with UnitOfWork(world.engine) as uow:
        grades = dict(uow.session.execute(select(Lead.email, Lead.grade)).all())
    for _, email, score, grade_ in sample:
        assert score == pytest.approx(score_of[email])
        assert grade_ == grades[email]
    assert len({g for _, _, _, g in sample}) > 1
    assert (started.workshop.version, started.workshop.seed, started.workshop.created_by) == (1, 7, "dana")


@given(total=st.integers(1, 300), sample=st.integers(1, 500), seed=st.integers(0, 2**16))
def test_every_draw_takes_each_score_bands_share_and_no_lead_twice(total: int, sample: int, seed: int) -> None:
    chosen = workshops.draw(total, sample, random.Random(seed))
    assert len(chosen) == len(set(chosen)) == min(sample, total)
    assert set(chosen) <= set(range(total))
    bands = min(workshops.STRATA, sample)
    for b in range(bands if sample < total else 0):
        low, high = round(total * b / bands), round(total * (b + 1) / bands)  # bands of equal size, lowest first
        share = sample * (high - low) / total
        assert math.floor(share) <= sum(low <= i < high for i in chosen) <= math.ceil(share)


def test_the_same_seed_draws_the_same_sample_and_another_seed_another(world: World) -> None:
    first = start(world, "one", seed=11).emails
    assert start(world, "two", seed=11).emails == first
    assert start(world, "three", seed=12).emails != first
    unseeded = start(world, "four", seed=None)
    assert 0 <= unseeded.workshop.seed < workshops.SEEDS


def test_a_sample_as_large_as_the_store_takes_every_lead_but_no_erased_one(world: World) -> None:
    with UnitOfWork(world.engine, RUNNER) as uow:
        privacy.erase(uow, world.clock, world.emails[0], "asked on 2026-03-01")
    everyone = start(world, sample=500).emails
    assert len(everyone) == 29
    assert not any(email.startswith("erased-") for email in everyone)


def test_a_workshop_is_refused_a_bad_name_size_or_seed_a_name_taken_and_an_empty_store(
    engine: Engine, clock: FixedClock
) -> None:
    with pytest.raises(NoAgreement), UnitOfWork(engine) as uow:
        workshops.start(uow, clock, "q3")
    w = World(engine, clock, adopt_example(engine, clock), [])
    with pytest.raises(InvalidInput, match="no leads to draw"):
        start(w)
    w.emails = people(engine, clock, w.inforce, 3)
    for name, sample, seed, field in (
        ("q 3", 10, 1, "name"),
        ("", 10, 1, "name"),
        ("x" * 101, 10, 1, "name"),
        ("q3", 0, 1, "sample"),
        ("q3", 501, 1, "sample"),
        ("q3", 10, -1, "seed"),
        ("q3", 10, 2**31, "seed"),
    ):
        with pytest.raises(InvalidInput) as refused:
            start(w, name, sample, seed)
        assert refused.value.field == field
    start(w)
    with pytest.raises(Conflict, match="already a workshop named q3"):
        start(w, " q3 ")
    with UnitOfWork(engine) as uow:
        assert uow.session.scalars(select(Workshop.name)).all() == ["q3"]


# --- grading ----------------------------------------------------------------------------------------------------


def test_each_person_grades_for_their_own_side() -> None:
    assert workshops.side_of(Principal(Role.MARKETING, "mia", 1)) == "marketing"
    assert workshops.side_of(Principal(Role.REP, "alice", 2)) == "sales"
    assert workshops.side_of(Principal(Role.MANAGER, "dana", 3, "marketing")) == "marketing"
    assert workshops.side_of(Principal(Role.MANAGER, "sam", 4, "sales")) == "sales"
    with pytest.raises(NotPermitted, match="raj manages for neither side"):
        workshops.side_of(Principal(Role.MANAGER, "raj", 5))
    with pytest.raises(NotPermitted, match="may not grade leads"):
        workshops.side_of(Principal(Role.ADMIN, "root", 6))


def test_a_side_grades_its_next_lead_and_a_grade_given_again_replaces_the_first(world: World) -> None:
    emails = start(world, sample=4).emails
    with UnitOfWork(world.engine) as uow:
        first = workshops.sheet(uow, "q3", "sales")
    assert (first.total, first.graded, first.position, first.given, first.scale) == (
        4,
        0,
        1,
        None,
        ("A", "B", "C", "D"),
    )
    assert first.lead is not None
    assert first.lead.email == emails[0]
    assert ("Company", f"Company {int(emails[0][1:3])}") in first.lead.fields
    assert all(label not in ("Score", "Grade", "Stage") for label, _ in first.lead.fields)
    grade(world, emails[0], "sales", "B")
    grade(world, emails[0], "marketing", "A")
    with UnitOfWork(world.engine) as uow:
        second = workshops.sheet(uow, "q3", "sales")
        again = workshops.sheet(uow, "q3", "sales", lead_id(world, emails[0]))
    assert (second.graded, second.position) == (1, 2)
    assert second.lead is not None
    assert second.lead.email == emails[1]
    assert (again.position, again.given) == (1, "B")
    assert second.mine == [(1, lead_id(world, emails[0]), emails[0], "B")]
    grade(world, emails[0], "sales", "D")
    assert stored(world) == {(emails[0], "sales", "D"), (emails[0], "marketing", "A")}
    for email in emails[1:]:
        grade(world, email, "sales", "C")
    with UnitOfWork(world.engine) as uow:
        done = workshops.sheet(uow, "q3", "sales")
        (listed,) = workshops.overview(uow)
    assert (done.graded, done.lead, done.position) == (4, None, None)
    assert (listed.name, listed.leads, listed.graded, listed.both) == ("q3", 4, {"marketing": 1, "sales": 4}, 1)


def test_the_lead_shown_has_its_fields_and_events_and_nothing_of_its_score(world: World) -> None:
    emails = start(world, sample=30).emails
    with_download = world.emails[4]
    with UnitOfWork(world.engine) as uow:
        card = workshops.card(uow, lead_id(world, with_download))
    fields = dict(card.fields)
    assert card.name == "Pat4"
    assert (fields["Title"], fields["Industry"], fields["Employees"]) == ("Director of Logistics", "retail", "1000")
    assert [(e.type, e.at) for e in card.events] == [("whitepaper_download", world.clock.now())]
    assert with_download in emails


def test_a_grade_is_refused_outside_the_workshop_its_grades_or_its_sides(world: World) -> None:
    emails = start(world, sample=3).emails
    outside = next(e for e in world.emails if e not in emails)
    with pytest.raises(InvalidInput, match=r"'E' is not a grade of the agreement \(A, B, C, D\)"):
        grade(world, emails[0], "sales", "E")
    with pytest.raises(InvalidInput, match="'ops' is not a side"):
        grade(world, emails[0], "ops", "A")
    with pytest.raises(NotFound, match="is not in workshop q3"):
        grade(world, outside, "sales", "A")
    with pytest.raises(NotFound, match="no workshop named q9"):
        grade(world, emails[0], "sales", "A", name="q9")
    with pytest.raises(NotFound, match="is not in workshop q3"), UnitOfWork(world.engine) as uow:
        workshops.sheet(uow, "q3", "sales", lead_id(world, outside))
    assert stored(world) == set()


def test_the_grades_are_the_agreements_own_names(engine: Engine, clock: FixedClock) -> None:
    metals = agreement_text(
        (
            "grades: [{grade: A, fit_at_least: 45}, {grade: B, fit_at_least: 30}, {grade: C, fit_at_least: 15}, "
            "{grade: D}]",
            "grades: [{grade: gold, fit_at_least: 40}, {grade: silver, fit_at_least: 10}, {grade: bronze}]",
        ),
        ("grades: [A, B], immediate_grades: [A, B, C]", "grades: [gold], immediate_grades: [gold, silver]"),
    ).replace("grades: [A, B, C]", "grades: [gold, silver, bronze]")  # any other list of the grades
    inforce = adopt_example(engine, clock, metals)
    w = World(engine, clock, inforce, people(engine, clock, inforce, 6))
    emails = start(w, sample=3).emails
    label(w, f"email,side,grade\n{emails[0]},sales,Gold\n{emails[0]},marketing,bronze\n")
    with pytest.raises(ImportRejected, match="'A' is not a grade of the agreement \\(gold, silver, bronze\\)"):
        label(w, f"email,side,grade\n{emails[1]},sales,A\n")
    found = report(w)
    assert (found.scale, found.kappa) == (("gold", "silver", "bronze"), 0.0)
    assert found.disagreements[0].gap == 2


def test_both_sides_grading_one_lead_at_once_both_land_and_one_side_twice_keeps_one_grade(world: World) -> None:
    emails = start(world, sample=2).emails
    target = lead_id(world, emails[0])
    failures: list[BaseException] = []
    ready = threading.Barrier(4)

    def grade_now(side: str, given: str, name: str) -> None:
        try:
            ready.wait()
            with UnitOfWork(world.engine, Actor(name, "web")) as uow:
                workshops.grade(uow, world.clock, "q3", target, side, given)
                time.sleep(0.2)  # hold the transaction open while the others try theirs
        except BaseException as error:  # a failure in a thread is reported by the test
            failures.append(error)

    threads = [
        threading.Thread(target=grade_now, args=args)
        for args in (
            ("marketing", "A", "mia"),
            ("sales", "C", "alice"),
            ("sales", "C", "bob"),
            ("marketing", "A", "dana"),
        )
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert stored(world) == {(emails[0], "marketing", "A"), (emails[0], "sales", "C")}


def test_a_file_of_grades_lands_whole_or_not_at_all_with_every_problem_by_row_and_column(world: World) -> None:
    emails = start(world, sample=5).emails
    outside = next(e for e in world.emails if e not in emails)
    bad = (
        "Email,Side,Grade,notes\n"
        f"{emails[0]},marketing,A,fine\n"
        f"{outside},sales,B,\n"
        f"{emails[1]},both,E,\n"
        f"{emails[0]},Marketing,b,again\n"
        f",sales,C,\n"
        "\n"
        f"{emails[2].upper()},SALES,c,\n"
    )
    with pytest.raises(ImportRejected) as refused:
        label(world, bad)
    assert refused.value.problems == [
        f"row 3: email: {outside} is not one of the leads drawn for workshop q3",
        "row 4: side: 'both' is not a side: marketing or sales",
        "row 4: grade: 'E' is not a grade of the agreement (A, B, C, D)",
        f"row 5: side: {emails[0]} is graded for marketing already on row 2",
        "row 6: email: the lead's email is missing",
    ]
    assert stored(world) == set()
    good = f"email,side,grade\n{emails[0]},marketing,A\n{emails[0]},sales,B\n{emails[2].upper()},SALES,c\n"
    assert label(world, good) == workshops.Labelled(rows=3, by_side={"marketing": 1, "sales": 2}, replaced=0)
    again = label(world, f"email,side,grade\n{emails[0]},sales,D\n{emails[1]},sales,D\n")
    assert (again.rows, again.replaced) == (2, 1)
    assert stored(world) == {
        (emails[0], "marketing", "A"),
        (emails[0], "sales", "D"),
        (emails[2], "sales", "C"),
        (emails[1], "sales", "D"),
    }


def test_a_file_without_its_columns_or_rows_is_refused(world: World) -> None:
    start(world, sample=2)
    with pytest.raises(InvalidInput, match=re.escape("grades.csv: no column side; the columns are email, side, grade")):
        label(world, "email,grade\nx@y.example,A\n")
    with pytest.raises(InvalidInput, match=re.escape("grades.csv: the file is empty")):
        label(world, "\n\n")
    with pytest.raises(InvalidInput, match=re.escape("grades.csv: row 2: not readable as CSV")):
        label(world, "email,side,grade\n" + "x" * 200_000 + ",sales,A\n")


# --- the report -------------------------------------------------------------------------------------------------


def sklearn_kappa(first: list[str], second: list[str]) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(first, second, labels=["A", "B", "C", "D"], weights="quadratic"))


def test_the_report_compares_the_sides_and_the_agreement_with_each_as_scikit_learn_does(world: World) -> None:
    sample = drawn(world, start(world, sample=10).workshop.name)
    marketing = ["A", "B", "C", "D", "A", "B", "C", "D", "B", "C"]
    sales = ["A", "C", "C", "D", "D", "B", "B", "C", "B"]  # the last lead graded by marketing only
    rows = [f"{e},marketing,{g}" for (_, e, _, _), g in zip(sample, marketing, strict=True)]
    rows += [f"{e},sales,{g}" for (_, e, _, _), g in zip(sample, sales, strict=False)]
    label(world, "email,side,grade\n" + "\n".join(rows))
    found = report(world)
    assert found.graded == {"marketing": 10, "sales": 9}
    assert found.kappa == pytest.approx(sklearn_kappa(marketing[:9], sales))
    assert (found.sides.leads, found.sides.same, found.sides.first_higher, found.sides.first_lower) == (9, 5, 2, 2)
    assert found.note is None
    at_draw = [g for _, _, _, g in sample]
    assert found.agreement["marketing"].kappa == pytest.approx(sklearn_kappa(at_draw, marketing))
    assert found.agreement["sales"].kappa == pytest.approx(sklearn_kappa(at_draw[:9], sales))
    assert found.agreement["sales"].leads == 9
    emails = [e for _, e, _, _ in sample]
    assert [(d.email, d.marketing, d.sales, d.agreement, d.gap) for d in found.disagreements] == [
        (emails[4], "A", "D", at_draw[4], 3),
        (emails[1], "B", "C", at_draw[1], 1),
        (emails[6], "C", "B", at_draw[6], 1),
        (emails[7], "D", "C", at_draw[7], 1),
    ]
    as_json = found.as_dict()
    assert as_json["kappa"] == found.kappa
    assert as_json["graded"] == {"marketing": 10, "sales": 9, "both": 9}
    assert as_json["disagreements"][0] == {
        "email": emails[4],
        "marketing": "A",
        "sales": "D",
        "agreement": at_draw[4],
        "gap": 3,
    }
    assert as_json["suggested"] is None
    assert as_json["refit"]["reason"] == "10 lead(s) graded; refitting the points needs grades of at least 20"


def test_kappa_is_one_for_perfect_agreement_and_none_with_a_reason_when_it_means_nothing(world: World) -> None:
    emails = start(world, sample=4).emails
    assert (report(world).kappa, report(world).note) == (None, "no lead has been graded by both sides yet")
    for email in emails[:2]:
        grade(world, email, "marketing", "C")
        grade(world, email, "sales", "C")
    same = report(world)
    assert same.kappa is None
    assert same.note == (
        "both sides gave every lead they both graded the same grade, C: chance alone would agree as much, "
        "so kappa is undefined"
    )
    grade(world, emails[2], "marketing", "A")
    grade(world, emails[2], "sales", "A")
    assert (report(world).kappa, report(world).note, report(world).disagreements) == (1.0, None, [])


def test_the_suggested_agreement_is_the_one_in_force_with_only_its_fit_points_refitted(world: World) -> None:
    start(world, sample=30)
    # both sides grade senior titles up and the agreement's target size down
    rows = []
    for _, email, _, _ in drawn(world):
        title = TITLES[int(email[1:3]) % 6]
        big = SIZES[int(email[1:3]) % 4] in (300, 1000)
        rank = 0 if title in ("VP Operations", "Director of Logistics") else 2 if big else 3
        if title == "Student":
            rank = 3
        rows += [f"{email},marketing,{'ABCD'[rank]}", f"{email},sales,{'ABCD'[min(rank + (email < 'p05'), 3)]}"]
    label(world, "email,side,grade\n" + "\n".join(rows))
    found = report(world)
    assert found.refit.reason is None
    assert found.suggested is not None
    candidate = parse_agreement(found.suggested, "suggested.yaml")
    suggested = {r.rule: r.suggested for r in found.refit.rules}
    assert {r.id: r.points for r in candidate.fit_rules} == suggested
    assert suggested["senior-title"] is not None
    assert suggested["senior-title"] > 20
    assert suggested["has-budget"] == 10  # held on no graded lead
    in_force = world.inforce.agreement
    assert candidate.grades == in_force.grades
    assert [r.condition for r in candidate.fit_rules] == [r.condition for r in in_force.fit_rules]
    kept = {k: v for k, v in vars(candidate).items() if k != "fit_rules"}
    assert kept == {k: v for k, v in vars(in_force).items() if k != "fit_rules"}
    assert found.suggested.startswith("# A candidate from calibration workshop q3: version 1 with its fit points\n")
    assert "# each rule adds its points at most once" in found.suggested
    assert found.as_dict()["suggested"] == found.suggested
    assert found.as_dict()["refit"]["kappa_refitted"] == found.refit.kappa_refitted


def test_points_are_replaced_in_the_file_as_written_and_nothing_else_is() -> None:
    text = EXAMPLE.read_text()
    changed = workshops.with_points(text, {"senior-title": 31.0, "free-mail": -5.0})
    before, after = text.splitlines(), changed.splitlines()
    differing = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(differing) == 2
    assert differing[0][1].endswith("points: 31}")
    assert differing[1][1] == "    - {id: free-mail, field: email, free_mail: true, points: -5}"
    block = "fit:\n  rules:\n    - id: a\n      field: title\n      equals: x\n      points: 10   # why\n"
    assert "points: 12   # why" in workshops.with_points(
        text.replace(text[text.index("fit:") : text.index("  grades:")], block), {"a": 12.0}
    )
    assert yaml.safe_load(changed)["fit"]["rules"][0]["points"] == 31


def test_the_report_names_a_workshop_that_does_not_exist(world: World) -> None:
    with pytest.raises(NotFound, match="there is no workshop named q9"):
        report(world, "q9")
