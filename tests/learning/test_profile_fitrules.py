"""Fit rules drawn from a profile's traits: lead fields only, points from the lift, levels worth the same points in
one rule, grades bounded on the learning table, and the agreement file's fit section replaced and nothing else."""

from __future__ import annotations

import math

from leadpact.domain.agreement_file import parse_agreement
from leadpact.learning.fitrules import COMPANY_MAIL, FREE_MAIL, fit_section, grade_bounds, lead_field, rules, with_fit
from leadpact.learning.traits import TIMES, Trait
from tests.conftest import EXAMPLE


def trait(column: str, lift: float, rows: int = 200, **where: object) -> Trait:
    expected = 20.0
    buyers = round(lift * expected)
    return Trait(column, "category", f"{column} = x", rows, buyers, expected, lift, 0.1, **where)  # type: ignore[arg-type]


def test_columns_that_are_lead_fields_are_named_as_the_agreement_names_them() -> None:
    assert [lead_field(c) for c in ("Industry", "Job Title", "company size", "account.country", "Lead Source")] == [
        "industry",
        "title",
        "employees",
        "account.country",
        "source",
    ]
    assert [lead_field(c) for c in ("email", "account.domain", "Company", "2nd try")] == [None, None, None, None]
    assert lead_field("poutcome") == "poutcome"  # a custom field, as an import keeps it


def test_traits_become_rules_worth_ten_times_the_log_of_their_lift() -> None:
    more = [
        trait("industry", 3.0, level="logistics"),
        trait("industry", 3.0, level="manufacturing"),
        trait("employees", 2.0, low=200.0, high=5000.0),
        trait("email", 0.5, level=FREE_MAIL),
        trait("signed", 4.0, level="2026"),
    ]
    less = [trait("employees", 0.0, missing=True), trait("title", 0.5, level="Student")]
    found = {r.id: (r.field, r.op, r.value, r.points) for r in rules(more, less)}
    assert found == {
        "profile-employees-true": ("employees", "missing", True, -30),
        "profile-industry-logistics": ("industry", "in", ["logistics", "manufacturing"], 11),
        "profile-employees-200": ("employees", "between", [200, 5000], 7),
        "profile-email-true": ("email", "free_mail", True, -6),
        "profile-title-student": ("title", "equals", "Student", -6),
        "profile-signed-2026": ("signed", "equals", "2026", 13),
    }
    assert round(10 * math.log((60 + 1) / (20 + 1))) == 11  # one buyer added to each side of the lift
    assert rules([trait("email", 2.0, level=COMPANY_MAIL)], [])[0].value is False


def test_grades_take_about_the_top_tenth_then_down_to_the_top_sixty_percent() -> None:
    spread = [(40.0, 10, 5), (25.0, 20, 6), (10.0, 30, 3), (0.0, 40, 1)]  # (fit, rows, buyers), 100 rows
    assert grade_bounds(4, spread) == [40.0, 25.0, 10.0]
    assert grade_bounds(2, spread) == [25.0]
    assert grade_bounds(4, [(10.0, 50, 5), (0.0, 50, 1)]) == [10.0, 0.0, -1.0]  # still strictly descending
    assert grade_bounds(3, [(30.0, 5, 4), (20.0, 55, 6), (0.0, 40, 1)]) == [30.0, 20.0]  # the closest, not the first


def test_the_fit_section_is_replaced_and_the_rest_of_the_file_kept_word_for_word() -> None:
    text = EXAMPLE.read_text()
    found = rules([trait("account.industry", 3.0, level="logistics")], [])
    section = fit_section(found, ["A", "B", "C", "D"], [(11.0, 30, 12), (0.0, 70, 8)], "Drawn from a profile.")
    changed = with_fit(text, section)
    before, after = text.split("\nfit:", 1)[0], changed.split("\nfit:", 1)[0]
    assert before == after
    assert changed.split("\nengagement:", 1)[1] == text.split("\nengagement:", 1)[1]
    agreement = parse_agreement(changed, "suggested.yaml")
    assert [(r.id, r.condition.field, r.points) for r in agreement.fit_rules] == [
        ("profile-account-industry-logistics", "account.industry", 11)
    ]
    assert [(g.grade, g.fit_at_least) for g in agreement.grades] == [("A", 11), ("B", 0), ("C", -1), ("D", None)]
    assert f"# 30% of the learning table, 2.0{TIMES} as likely to buy" in changed
