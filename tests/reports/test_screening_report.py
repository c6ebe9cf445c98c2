"""The screening report and the funnel's screening step, worked out by hand on a small history, on every engine.

Four webinar leads go to screening in January: quinn passes two (one is then accepted, qualified and won, the
other waits for sales), disqualifies one, and one is sent back for later by quentin. Only three were called in
time: the late first call records a breach, with no SLA check run. The report also looks from a moment before
the decisions: then nothing was decided yet.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from leadpact.analytics.funnel import funnel
from leadpact.analytics.screening import screening
from leadpact.services import agreements, intake, team
from leadpact.services import screening as screen
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.reports.conftest import HOT, History, run_report, utc
from tests.screening import with_screening

READY = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}


@pytest.fixture
def screened(engine: Engine) -> History:
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, FixedClock(utc(2026, 1, 1)), with_screening(), "agreement.yaml", "Dana", "Sam")
    with UnitOfWork(engine) as uow:
        h = History(engine, agreements.in_force(uow))
    h.rep("ann", "americas")
    with UnitOfWork(engine) as uow:
        for name in ("quinn", "quentin"):
            team.add_user(uow, FixedClock(utc(2026, 1, 1)), name, "qualifier", "sdr")
    for n, email in enumerate(("a@a.example", "b@b.example", "c@c.example", "d@d.example")):
        h.capture(email, utc(2026, 1, 5 + n, 15), source="webinar", **HOT)
    h._act(
        "a@a.example",
        utc(2026, 1, 5, 16),
        lambda uow, clock, lead: screen.call(uow, clock, h.inforce, lead, "reached", by="quinn"),
    )
    h._act(
        "b@b.example",
        utc(2026, 1, 6, 16),
        lambda uow, clock, lead: screen.call(uow, clock, h.inforce, lead, "no_answer"),
    )
    h._act(
        "c@c.example", utc(2026, 1, 7, 16), lambda uow, clock, lead: screen.call(uow, clock, h.inforce, lead, "reached")
    )
    h._act(
        "d@d.example",
        utc(2026, 1, 12, 16),
        lambda uow, clock, lead: screen.call(uow, clock, h.inforce, lead, "reached"),
    )  # late
    h._act(
        "a@a.example",
        utc(2026, 1, 13, 15),
        lambda uow, clock, lead: screen.pass_to_sales(uow, clock, h.inforce, lead, "hot", "quinn", READY),
    )
    h._act(
        "b@b.example",
        utc(2026, 1, 13, 15),
        lambda uow, clock, lead: screen.pass_to_sales(uow, clock, h.inforce, lead, None, "quinn", READY),
    )
    h._act(
        "c@c.example",
        utc(2026, 1, 13, 15),
        lambda uow, clock, lead: screen.disqualify(uow, clock, h.inforce, lead, "competitor", None, "quinn"),
    )
    h._act(
        "d@d.example",
        utc(2026, 1, 13, 15),
        lambda uow, clock, lead: screen.not_yet(uow, clock, h.inforce, lead, None, "quentin"),
    )
    h.accept("a@a.example", utc(2026, 1, 14, 15))
    h.qualify("a@a.example", utc(2026, 1, 15, 15), READY)
    h.convert("a@a.example", utc(2026, 1, 16, 15), 5_000, date(2026, 3, 31))
    h.win("a@a.example", utc(2026, 1, 20, 15))
    return h


def test_the_qualifiers_figures_and_how_their_passed_leads_fared(screened: History) -> None:
    report = run_report(screened.engine, lambda ctx: screening(ctx, "qualifier"), utc(2026, 2, 1))
    rows = {row["group"]: row for row in report.rows}
    quinn, quentin, total = rows["quinn"], rows["quentin"], rows["all"]
    assert [quinn[k] for k in ("screened", "passed", "disqualified", "accepted", "sql", "won")] == [3, 2, 1, 1, 1, 1]
    assert quinn["pass_rate"] == pytest.approx(2 / 3)
    assert (quentin["not_yet"], quentin["pass_rate"], quentin["called_in_sla"]) == (1, 0.0, 0)
    assert (total["screened"], total["call_due"], total["called_in_sla"], total["in_sla_rate"]) == (4, 4, 3, 0.75)
    assert (quinn["call_breaches"], quentin["call_breaches"], total["call_breaches"]) == (0, 1, 1)
    by_source = run_report(screened.engine, lambda ctx: screening(ctx, "source"), utc(2026, 2, 1))
    assert [(r["group"], r["screened"]) for r in by_source.rows] == [("webinar", 4), ("all", 4)]


def test_before_the_decisions_every_screening_waits_and_the_funnel_counts_the_screened(screened: History) -> None:
    report = run_report(screened.engine, lambda ctx: screening(ctx, "qualifier"), utc(2026, 1, 8, 18))
    assert [(r["group"], r["screened"], r["call_due"], r["call_breaches"], r["pass_rate"]) for r in report.rows] == [
        ("(waiting)", 4, 3, 0, None),  # d's call is not due yet
        ("all", 4, 3, 0, None),
    ]
    rows = run_report(screened.engine, lambda ctx: funnel(ctx, "source"), utc(2026, 2, 1)).rows
    assert [(r["group"], r["leads"], r["screened"], r["mql"], r["won"]) for r in rows] == [
        ("webinar", 4, 4, 2, 1),
        ("all", 4, 4, 2, 1),
    ]
    with UnitOfWork(screened.engine) as uow:
        assert intake.find_lead(uow, "d@d.example").stage == "recycled"
