"""A report as data: its columns, its CSV with sections, its options, and its values as people read them."""

from __future__ import annotations

import io
import math
from typing import Any

import pytest

from leadpact.domain.errors import InvalidInput
from leadpact.domain.report import Backtest, Column, Definition, Kind, Option, Report, clean, shown

LEADS = Report(
    name="funnel",
    title="Funnel",
    columns=(Column("stage", "Stage", Kind.TEXT), Column("leads", "Leads"), Column("rate", "Rate", Kind.SHARE)),
    rows=({"stage": "mql", "leads": 10, "rate": 0.5}, {"stage": "sql", "leads": 0, "rate": math.nan}),
    scope={"from": "2026-01-01"},
    sections=(
        Report(
            name="cost",
            title="Cost",
            columns=(Column("cost", "Cost", Kind.MONEY), Column("leads", "Leads")),
            rows=({"leads": 3},),
        ),
    ),
)
BY = Option(name="by", choices=("month", "campaign"), default="month", help="how rows are grouped")


def test_a_column_is_found_by_its_key() -> None:
    assert LEADS.column("rate") == Column("rate", "Rate", Kind.SHARE)


def test_the_csv_has_a_header_per_section_and_an_empty_cell_for_a_value_that_cannot_be_computed() -> None:
    out = io.StringIO()
    LEADS.write_csv(out)
    assert out.getvalue() == "stage,leads,rate\nmql,10,0.5\nsql,0,\n\ncost,leads\n,3\n"


def test_a_backtest_as_data_names_both_versions_and_keeps_the_months_scope() -> None:
    backtest = Backtest(current="v3", candidate="candidate", months=LEADS, load=LEADS, changed=({"lead": 7},))
    data = backtest.as_dict()
    assert (data["current"], data["candidate"], data["scope"], data["changed"]) == (
        "v3",
        "candidate",
        {"from": "2026-01-01"},
        [{"lead": 7}],
    )
    assert (
        data["months"]
        == data["load"]
        == [
            {"stage": "mql", "leads": 10, "rate": 0.5},
            {"stage": "sql", "leads": 0, "rate": None},
        ]
    )
    assert [c["kind"] for c in data["columns"]] == ["text", "count", "share"]


def test_an_option_takes_its_default_or_one_of_its_choices_and_refuses_others() -> None:
    assert (BY.check(None), BY.check("campaign")) == ("month", "campaign")
    with pytest.raises(InvalidInput) as caught:
        BY.check("week")
    assert (caught.value.field, caught.value.problem) == ("by", "'week' is not one of month, campaign")


def compute(**options: Any) -> Report:
    return LEADS


@pytest.mark.parametrize(
    ("options", "refusal"),
    [((BY,), "the funnel report takes only 'by'"), ((), "the funnel report takes no option")],
)
def test_a_report_refuses_an_option_it_does_not_take(options: tuple[Option, ...], refusal: str) -> None:
    definition = Definition(name="funnel", summary="", help="", compute=compute, options=options)
    assert definition.chosen({"model": None}) == {o.name: o.default for o in options}
    with pytest.raises(InvalidInput) as caught:
        definition.chosen({"model": "linear"})
    assert (caught.value.field, caught.value.problem) == ("model", refusal)


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        (Kind.TEXT, "mql", "mql"),
        (Kind.COUNT, 1234.4, "1,234"),
        (Kind.MONEY, 1234567, "$1,234,567"),
        (Kind.SHARE, 0.1234, "12.3%"),
        (Kind.RATIO, 1.5, "150%"),
        (Kind.NUMBER, 1234.56, "1,234.6"),
        (Kind.DAYS, 2.26, "2.3"),
        (Kind.HOURS, 12.34, "12.3"),
        (Kind.MONEY, None, "—"),
        (Kind.SHARE, math.inf, "—"),
    ],
)
def test_a_value_is_shown_by_the_kind_of_its_column(kind: Kind, value: Any, text: str) -> None:
    assert shown(kind, value) == text


def test_clean_turns_only_nan_and_infinities_into_none() -> None:
    assert [clean(v) for v in (math.nan, -math.inf, 2.0, 0, "x", None)] == [None, None, 2.0, 0, "x", None]
