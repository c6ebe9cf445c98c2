"""'leadpact workshop': start draws the sample (and prints it as JSON), label stores a file of grades or refuses it
whole, report prints the comparison and writes the suggested agreement that 'agreement backtest' then reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from leadpact.domain.agreement_file import parse_agreement
from leadpact.services.clock import FixedClock
from leadpact.store.tables import WorkshopGrade
from leadpact.store.unit_of_work import UnitOfWork
from tests.cli.conftest import AT
from tests.conftest import adopt_example
from tests.factories import add_team, capture
from tests.test_cli_access import refused, run

TITLES = ("VP Operations", "Engineer", "Plant Manager", "Director of Sales", "Buyer")


@pytest.fixture
def leads(sqlite_engine: Engine, clock: FixedClock) -> list[str]:
    """24 leads of varied fit under the example agreement."""
    inforce = adopt_example(sqlite_engine, clock)
    add_team(sqlite_engine, clock, "americas", {"alice": 1})
    emails = [f"p{n:02d}@co{n}.example" for n in range(24)]
    for n, email in enumerate(emails):
        industry = ("manufacturing", "software")[n % 2]
        capture(sqlite_engine, clock, inforce, email, title=TITLES[n % 5], industry=industry, employees=100 + 300 * n)
    return emails


def grades_stored(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(WorkshopGrade)) or 0


def test_start_draws_the_sample_and_prints_it_as_words_or_json(url: str, leads: list[str]) -> None:
    printed = run(url, "workshop", "start", "q3", "--sample", "6", "--seed", "4", "--at", AT)
    assert "Workshop q3: 6 leads drawn under agreement version 1 (seed 4)." in printed
    listed = [line.strip() for line in printed.splitlines() if line.startswith("  ")]
    assert len(listed) == 6
    assert set(listed) <= set(leads)
    as_json = json.loads(run(url, "workshop", "start", "q4", "--sample", "6", "--seed", "4", "--at", AT, "--json"))
    assert as_json == {"workshop": "q4", "version": 1, "seed": 4, "leads": [{"email": e} for e in listed]}
    assert refused(url, "workshop", "start", "q3") == "there is already a workshop named q3; choose another name"
    assert refused(url, "workshop", "start", "q5", "--sample", "0") == "--sample: draw between 1 and 500 leads, not 0"
    assert refused(url, "workshop", "start", "no good").startswith("NAME: 'no good' is not a workshop name")


def test_label_stores_a_file_of_grades_or_refuses_it_whole(
    url: str, leads: list[str], sqlite_engine: Engine, tmp_path: Path
) -> None:
    sample = json.loads(run(url, "workshop", "start", "q3", "--sample", "3", "--seed", "1", "--json"))["leads"]
    first, second = sample[0]["email"], sample[1]["email"]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"email,side,grade\n{first},sales,A\n{second},finance,B\n")
    assert refused(url, "workshop", "label", "q3", str(bad)) == (
        f"{bad}: 1 problem(s), nothing was imported:\nrow 3: side: 'finance' is not a side: marketing or sales"
    )
    assert grades_stored(sqlite_engine) == 0
    good = tmp_path / "grades.csv"
    good.write_text(f"email,side,grade\n{first},sales,A\n{second},marketing,B\n{first},marketing,A\n")
    assert " ".join(run(url, "workshop", "label", "q3", str(good)).split()) == (  # a long path wraps the line
        f"{good}: 3 grades stored (marketing 2, sales 1)."
    )
    good.write_text(f"email,side,grade\n{first},sales,C\n")
    assert "1 grades stored (marketing 0, sales 1); 1 of them replaced a grade given before." in " ".join(
        run(url, "workshop", "label", "q3", str(good)).split()
    )
    assert grades_stored(sqlite_engine) == 3
    assert refused(url, "workshop", "label", "q3", str(tmp_path / "none.csv")).endswith(
        "none.csv: cannot read it (No such file or directory)"
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes("email,side,grade\nzoë@x.example,sales,A\n".encode("latin-1"))
    assert "is not UTF-8 text" in refused(url, "workshop", "label", "q3", str(latin))
    assert refused(url, "workshop", "label", "q9", str(good)).startswith("there is no workshop named q9")


def test_a_refused_file_names_every_bad_row_and_column_and_says_no_grade_was_stored(
    url: str, leads: list[str], sqlite_engine: Engine, tmp_path: Path
) -> None:
    sample = json.loads(run(url, "workshop", "start", "q3", "--sample", "3", "--seed", "1", "--json"))["leads"]
    first, second = sample[0]["email"], sample[1]["email"]
    outsider = next(email for email in leads if email not in {lead["email"] for lead in sample})
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"email,side,grade\n{first},sales,A\n{outsider},sales,B\n{second},marketing,E\n{first},SALES,b\n,finance,C\n"
    )
    assert refused(url, "workshop", "label", "q3", str(bad)) == (
        f"{bad}: 5 problem(s), nothing was imported:\n"
        f"row 3: email: {outsider} is not one of the leads drawn for workshop q3\n"
        "row 4: grade: 'E' is not a grade of the agreement (A, B, C, D)\n"
        f"row 5: side: {first} is graded for sales already on row 2\n"
        "row 6: email: the lead's email is missing\n"
        "row 6: side: 'finance' is not a side: marketing or sales"
    )
    assert grades_stored(sqlite_engine) == 0  # not even the good row 2
    no_side = tmp_path / "no-side.csv"
    no_side.write_text(f"email,grade\n{first},A\n")
    assert refused(url, "workshop", "label", "q3", str(no_side)) == (
        f"{no_side}: no column side; the columns are email, side, grade (the file has: email, grade); "
        "nothing was stored"
    )
    assert grades_stored(sqlite_engine) == 0


def test_report_prints_the_comparison_and_writes_the_suggested_agreement_for_the_backtest(
    url: str, leads: list[str], tmp_path: Path
) -> None:
    sample = json.loads(run(url, "workshop", "start", "q3", "--sample", "24", "--seed", "2", "--json"))["leads"]
    emails = [lead["email"] for lead in sample]
    early = tmp_path / "early.yaml"
    assert refused(url, "workshop", "report", "q3", "--out", str(early)) == (
        "--out: no agreement is suggested: 0 lead(s) graded; refitting the points needs grades of at least 20"
    )
    assert not early.exists()
    rows = []
    for email in emails:
        n = int(email[1:3])
        senior = TITLES[n % 5] in ("VP Operations", "Director of Sales")
        rows += [f"{email},marketing,{'A' if senior else 'C'}", f"{email},sales,{'A' if senior else 'CD'[n % 2]}"]
    grades = tmp_path / "grades.csv"
    grades.write_text("email,side,grade\n" + "\n".join(rows) + "\n")
    run(url, "workshop", "label", "q3", str(grades))

    printed = run(url, "workshop", "report", "q3")
    assert "Workshop q3: 24 leads drawn" in printed
    assert "graded by marketing 24, by sales 24, by both 24." in printed
    as_json = json.loads(run(url, "workshop", "report", "q3", "--json"))
    assert f"Kappa between the sides: {as_json['kappa']:.2f}, {as_json['kappa_reading']} (24 leads" in printed
    assert as_json["graded"] == {"marketing": 24, "sales": 24, "both": 24}
    assert len(as_json["disagreements"]) == as_json["sides"]["leads"] - as_json["sides"]["same"]
    assert {d["gap"] for d in as_json["disagreements"]} == {1}
    assert as_json["suggested"] is not None
    assert "Write the suggested agreement to a file with --out FILE" in printed
    refitted = as_json["refit"]
    worse = refitted["kappa_refitted"] < refitted["kappa_in_force"]
    assert ("worse than the points in force" in printed) == worse

    out = tmp_path / "suggested.yaml"
    written = run(url, "workshop", "report", "q3", "--out", str(out))
    assert f"The suggested agreement is in {out}: try it with 'leadpact agreement backtest {out}'." in written
    assert out.read_text() == as_json["suggested"]
    candidate = parse_agreement(out.read_text(), str(out))
    assert {r.id: r.points for r in candidate.fit_rules} == {
        r["rule"]: r["suggested"] for r in as_json["refit"]["rules"]
    }
    replayed = json.loads(run(url, "agreement", "backtest", str(out), "--json"))
    assert (replayed["candidate"], replayed["current"]) == (str(out), "version 1 (in force)")
