"""The SLA report: a hand-built week worked out by hand, and the demo world against the raw tables."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import ColumnElement, Engine, and_, exists, func, select
from sqlalchemy.orm import aliased

from leadpact.analytics.sla import sla
from leadpact.domain.calendar import working_seconds_between
from leadpact.domain.errors import InvalidInput
from leadpact.domain.report import Report
from leadpact.domain.scoring import to_seconds
from leadpact.services import agreements, handoff, reports
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Assignment, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.reports.conftest import DEMO_AT, DemoWorld, History, grouped, rows_by, run_report, scalar

CHICAGO = ZoneInfo("America/Chicago")


def chicago(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock moment in Chicago in the first week of February 2026 (CST, UTC-6); day 2 is a Monday."""
    return datetime(2026, 2, day, hour, minute, tzinfo=CHICAGO).astimezone(UTC)


MON, TUE, WED = 2, 3, 4
AT = chicago(WED, 10)


def check_sla(h: History, at: datetime) -> None:
    with UnitOfWork(h.engine) as uow:
        handoff.check_sla(uow, FixedClock(at), h.inforce)


@pytest.fixture
def built(history: History) -> History:
    """Three reps, six leads, eight assignments (times in Chicago; accept within 4 working hours, first contact
    within one working day of 10 hours, 08:00-18:00 Monday to Friday):

    - americas: ann and bob, dealt in turn from bob (the tie goes to the later name);
    - emea: eva alone, who gets the German leads d and f;
    - a (webinar, bob): Monday 09:00; accepted 10:00 (due 13:00), contacted 11:00 (due Tuesday 09:00): 2 h;
    - b (webinar, ann): Monday 10:00; accepted late at 15:00 (due 14:00), contacted Tuesday 10:00, at the
      very moment it was due: 8 h Monday + 2 h Tuesday = 10 h;
    - c (paid search, bob): Monday 11:00; never accepted; the check at 16:00 finds the accept breach (due
      15:00) and deals it to ann (c2): accepted Tuesday 09:00 (due 10:00), contacted late Wednesday 09:00
      (due Tuesday 16:00): 2 h + 10 h + 1 h = 13 h;
    - e (paid search, ann): Monday 12:00; accepted 13:00 (due 16:00), never contacted; the check at Tuesday
      13:00 finds the contact breach (due 12:00) and deals it to bob already accepted (e2): contacted Tuesday
      15:00 (due Wednesday 13:00): 2 h;
    - d (trade show, eva): Monday 09:00; rejected unaccepted at 11:00;
    - f (trade show, eva): Tuesday 17:00; still waiting at Wednesday 10:00 (accept due 11:00, contact 17:00).
    """
    h = history
    h.rep("ann", "americas")
    h.rep("bob", "americas")
    h.rep("eva", "emea")
    h.handed_over("a@alpha.example", chicago(MON, 9), source="webinar")
    h.handed_over("d@delta.example", chicago(MON, 9), source="trade_show", country="DE")
    h.accept("a@alpha.example", chicago(MON, 10))
    h.handed_over("b@beta.example", chicago(MON, 10), source="webinar")
    h.contact("a@alpha.example", chicago(MON, 11))
    h.handed_over("c@gamma.example", chicago(MON, 11), source="paid_search")
    h.reject("d@delta.example", chicago(MON, 11), "not_ready")
    h.handed_over("e@epsilon.example", chicago(MON, 12), source="paid_search")
    h.accept("e@epsilon.example", chicago(MON, 13))
    h.accept("b@beta.example", chicago(MON, 15))
    check_sla(h, chicago(MON, 16))
    h.accept("c@gamma.example", chicago(TUE, 9))
    h.contact("b@beta.example", chicago(TUE, 10))
    check_sla(h, chicago(TUE, 13))
    h.contact("e@epsilon.example", chicago(TUE, 15))
    h.handed_over("f@phi.example", chicago(TUE, 17), source="trade_show", country="DE")
    h.contact("c@gamma.example", chicago(WED, 9))
    return h


COUNTS = (
    "assignments",
    "awaiting",
    "acceptance_due",
    "accepted_in_sla",
    "contact_due",
    "contacted_in_sla",
    "never_contacted",
    "accept_breaches",
    "contact_breaches",
    "reassigned",
)


def counts(row: dict[str, Any]) -> list[int]:
    return [row[key] for key in COUNTS]


def report(h: History, by: str, at: datetime = AT, engine_name: str = "app", **dates: date) -> Report:
    return run_report(h.engine, lambda ctx: sla(ctx, by), at, engine_name=engine_name, **dates)


@pytest.mark.parametrize("engine_name", ["app", "duckdb"])
def test_the_sla_by_rep_counts_each_assignment_for_the_rep_who_held_the_lead(built: History, engine_name: str) -> None:
    rows = rows_by(report(built, "rep", engine_name=engine_name))
    assert list(rows) == ["ann", "bob", "eva", "all"]  # most assignments first, the total last
    ann, bob, eva, total = rows["ann"], rows["bob"], rows["eva"], rows["all"]
    # ann: b, e, c2. Accepted in time e and c2 (b late); contacted in time b only (c2 late); she never called e.
    assert counts(ann) == [3, 3, 3, 2, 3, 1, 1, 1, 2, 1]
    # bob: a, c, e2. e2 came already accepted; c was due and never accepted nor contacted.
    assert counts(bob) == [3, 2, 2, 1, 3, 2, 1, 1, 0, 1]
    # eva: d, rejected unaccepted (due and settled both ways), and f, not due yet at all.
    assert counts(eva) == [2, 2, 1, 0, 1, 0, 1, 0, 0, 0]
    # of the leads, only d was never contacted by anyone: c and e were called by the rep who took them over
    assert counts(total) == [8, 7, 6, 3, 7, 3, 1, 2, 2, 2]
    assert total["never_contacted_share"] == pytest.approx(1 / 5)  # f's contact is not due yet
    assert (ann["accepted_in_sla_share"], ann["contacted_in_sla_share"]) == (pytest.approx(2 / 3), pytest.approx(1 / 3))
    assert (bob["accepted_in_sla_share"], bob["never_contacted_share"]) == (0.5, pytest.approx(1 / 3))
    assert (eva["accepted_in_sla_share"], eva["never_contacted_share"]) == (0, 1)
    assert (total["accepted_in_sla_share"], total["contacted_in_sla_share"]) == (0.5, pytest.approx(3 / 7))
    # working hours to first contact: ann 10 and 13; bob 2 and 2; all 2, 2, 10, 13
    assert ann["median_hours_to_contact"] == pytest.approx(11.5)
    assert ann["p90_hours_to_contact"] == pytest.approx(10 + 0.9 * 3)
    assert (bob["median_hours_to_contact"], bob["p90_hours_to_contact"]) == (pytest.approx(2), pytest.approx(2))
    assert eva["median_hours_to_contact"] is None  # nobody contacted: no median, not zero
    assert total["median_hours_to_contact"] == pytest.approx(6)
    assert total["p90_hours_to_contact"] == pytest.approx(10 + 0.7 * 3)  # position 0.9 * 3 = 2.7


def test_the_sla_by_team_and_by_source(built: History) -> None:
    teams = rows_by(report(built, "team"))
    assert list(teams) == ["americas", "emea", "all"]
    americas = teams["americas"]
    # a, b, c, c2, e, e2: e2 awaits nothing; in time a, e, c2 accepted and a, b, e2 contacted; every lead of
    # the team was contacted in the end (c by ann, e by bob), so none counts as never contacted
    assert counts(americas) == [6, 5, 5, 3, 6, 3, 0, 2, 2, 2]
    assert americas["contacted_in_sla_share"] == 0.5
    assert (americas["median_hours_to_contact"], americas["p90_hours_to_contact"]) == (
        pytest.approx(6),
        pytest.approx(12.1),
    )
    assert counts(teams["emea"]) == [2, 2, 1, 0, 1, 0, 1, 0, 0, 0]
    sources = rows_by(report(built, "source"))
    assert list(sources) == ["paid_search", "trade_show", "webinar", "all"]
    paid, webinar = sources["paid_search"], sources["webinar"]
    assert counts(paid) == [4, 3, 3, 2, 4, 1, 0, 1, 2, 2]  # c, c2, e, e2
    assert counts(webinar) == [2, 2, 2, 1, 2, 2, 0, 1, 0, 0]  # a and b
    assert paid["never_contacted_share"] == 0
    assert (paid["median_hours_to_contact"], paid["p90_hours_to_contact"]) == (
        pytest.approx(7.5),  # 2 and 13
        pytest.approx(2 + 0.9 * 11),
    )
    assert webinar["p90_hours_to_contact"] == pytest.approx(2 + 0.9 * 8)  # 2 and 10


def test_as_of_monday_afternoon_a_breach_counts_from_its_due_moment_and_nothing_later_counts(built: History) -> None:
    total = rows_by(report(built, "rep", at=chicago(MON, 15, 30)))["all"]
    # a, b, c, d, e so far: all of them due for acceptance (c at 15:00), a and e accepted in time;
    # contact settled only for a (contacted) and d (rejected); b's late acceptance and c's missed one are
    # breaches, though c's was found only at 16:00; nothing reassigned yet.
    assert counts(total) == [5, 5, 5, 2, 2, 1, 1, 2, 0, 0]
    assert (total["median_hours_to_contact"], total["p90_hours_to_contact"]) == (2, 2)


def test_waiting_now_counts_the_assignments_still_open_and_unaccepted_at_the_reports_moment(built: History) -> None:
    columns = {c.key: c.title for c in report(built, "rep").columns}
    assert (columns["awaiting"], columns["waiting"]) == ("started unaccepted", "waiting now")
    waiting = {
        at: {rep: row["waiting"] for rep, row in rows_by(report(built, "rep", at=at)).items()}
        for at in (chicago(MON, 10, 30), chicago(MON, 15, 30), AT)
    }
    # Monday 10:30: b (ann) and d (eva) were dealt and not accepted yet; a was accepted at 10:00
    assert waiting[chicago(MON, 10, 30)] == {"ann": 1, "bob": 0, "eva": 1, "all": 2}
    # Monday 15:30: only c (bob), overdue since 15:00; d was rejected, b accepted late at 15:00
    assert waiting[chicago(MON, 15, 30)] == {"ann": 0, "bob": 1, "eva": 0, "all": 1}
    # Wednesday 10:00: only f (eva); c was dealt on to ann, who accepted it; 7 of the 8 started unaccepted
    assert waiting[AT] == {"ann": 0, "bob": 0, "eva": 1, "all": 1}
    assert rows_by(report(built, "rep"))["all"]["awaiting"] == 7


def test_a_date_range_picks_the_assignments_started_in_it(built: History) -> None:
    tuesday_on = rows_by(report(built, "source", first=date(2026, 2, 3)))
    assert list(tuesday_on) == ["paid_search", "trade_show", "all"]  # e2 and f
    total = tuesday_on["all"]
    assert counts(total) == [2, 1, 0, 0, 1, 1, 0, 0, 0, 0]
    assert total["accepted_in_sla_share"] is None  # nothing was due yet: no share, not zero
    monday = rows_by(report(built, "rep", last=date(2026, 2, 2)))
    assert monday["all"]["assignments"] == 6  # a, b, c, c2, d, e


def test_an_unknown_grouping_is_refused_with_the_option_named(built: History) -> None:
    refused = pytest.raises(InvalidInput, match="by: 'campaign' is not one of")
    with UnitOfWork(built.engine) as uow, refused:
        reports.run(uow, FixedClock(AT), agreements.in_force(uow), "sla", {"by": "campaign"})


# --- the demo world ---------------------------------------------------------------------------------------

Condition = Callable[[Any], ColumnElement[bool]]


def per_rep(engine: Engine, condition: Condition | None = None) -> dict[str, int]:
    """The assignments meeting ``condition`` (given the assignments table), counted per rep."""
    a = aliased(Assignment)
    query = select(User.name, func.count()).join(a, a.user_id == User.id)
    if condition is not None:
        query = query.where(condition(a))
    with UnitOfWork(engine) as uow:
        return {str(name): int(n) for name, n in uow.session.execute(query.group_by(User.name))}


def awaiting(a: Any) -> ColumnElement[bool]:
    """Not dealt on by a contact breach, which hands the lead over already accepted."""
    before = aliased(Assignment)
    handed = exists().where(
        before.lead_id == a.lead_id, before.end_reason == "contact_breach", before.ended_at == a.assigned_at
    )
    return ~handed


def p90(values: list[float]) -> float:
    """numpy's default (linear) 90th percentile."""
    return values[0] if len(values) == 1 else statistics.quantiles(values, n=10, method="inclusive")[8]


def test_the_demo_sla_matches_counts_from_the_raw_tables(demo_world: DemoWorld) -> None:
    engine = demo_world.engine
    rows = rows_by(run_report(engine, lambda ctx: sla(ctx, "rep"), DEMO_AT))
    with UnitOfWork(engine) as uow:
        last_due = uow.session.scalar(select(func.max(Assignment.contact_due)))
    assert last_due is not None
    assert last_due < DEMO_AT  # every contact was due: never contacted is final
    expected = {
        "assignments": per_rep(engine),
        "awaiting": per_rep(engine, awaiting),
        "accepted_in_sla": per_rep(engine, lambda a: and_(awaiting(a), a.accepted_at <= a.accept_due)),
        "contacted_in_sla": per_rep(engine, lambda a: a.contacted_at <= a.contact_due),
        "accept_breaches": per_rep(engine, lambda a: a.accept_breached_at.is_not(None)),
        "contact_breaches": per_rep(engine, lambda a: a.contact_breached_at.is_not(None)),
        "reassigned": per_rep(engine, lambda a: a.end_reason.in_(("accept_breach", "contact_breach"))),
    }
    for key, by_rep in expected.items():
        assert {rep: rows[rep][key] for rep in by_rep} == by_rep, key
        assert rows["all"][key] == sum(by_rep.values()), key
    assert set(rows) == {*expected["assignments"], "all"}
    # never contacted counts leads: per rep, the leads none of the rep's assignments contacted; in all, the
    # leads nobody contacted
    never_by_rep = grouped(
        engine,
        "SELECT u.name, COUNT(*) FROM (SELECT user_id, lead_id FROM assignments GROUP BY user_id, lead_id "
        "HAVING COUNT(contacted_at) = 0) x JOIN users u ON u.id = x.user_id GROUP BY u.name",
    )
    assert {rep: row["never_contacted"] for rep, row in rows.items() if rep != "all" and row["never_contacted"]} == {
        rep: n for rep, n in never_by_rep.items() if rep in rows
    }
    never = "SELECT COUNT(*) FROM (SELECT lead_id FROM assignments GROUP BY lead_id HAVING COUNT(contacted_at) = 0) x"
    assert rows["all"]["never_contacted"] == scalar(engine, never)
    assert rows["all"]["leads_contact_due"] == scalar(engine, "SELECT COUNT(DISTINCT lead_id) FROM assignments")
    # the whole table, with another definition of awaiting: not accepted in the moment it was assigned
    whole = {
        "assignments": "1 = 1",
        "awaiting": "accepted_at IS NULL OR accepted_at > assigned_at",
        "waiting": "accepted_at IS NULL AND ended_at IS NULL",
        "accepted_in_sla": "accepted_at > assigned_at AND accepted_at <= accept_due",
        "contacted_in_sla": "contacted_at <= contact_due",
        "accept_breaches": "accept_breached_at IS NOT NULL",
        "contact_breaches": "contact_breached_at IS NOT NULL",
        "reassigned": "end_reason IN ('accept_breach', 'contact_breach')",
    }
    for key, condition in whole.items():
        assert rows["all"][key] == scalar(engine, f"SELECT COUNT(*) FROM assignments WHERE {condition}"), key


def test_the_demo_hours_to_contact_are_the_calendars_working_hours(demo_world: DemoWorld) -> None:
    engine = demo_world.engine
    rows = rows_by(run_report(engine, lambda ctx: sla(ctx, "rep"), DEMO_AT))
    contacted = (
        select(User.name, Assignment.assigned_at, Assignment.contacted_at)
        .join(Assignment, Assignment.user_id == User.id)
        .where(Assignment.contacted_at.is_not(None))
    )
    with UnitOfWork(engine) as uow:
        agreement = agreements.in_force(uow).agreement
        raw = uow.session.execute(contacted).all()
    hours: dict[str, list[float]] = {}
    for rep, assigned, contacted_at in raw:
        assert contacted_at is not None
        worked = working_seconds_between(agreement, to_seconds(assigned), to_seconds(contacted_at))
        hours.setdefault(rep, []).append(worked / 3600)
    hours["all"] = [h for values in hours.values() for h in values]
    assert len(hours["all"]) == scalar(engine, "SELECT COUNT(*) FROM assignments WHERE contacted_at IS NOT NULL")
    for rep, values in hours.items():
        assert rows[rep]["median_hours_to_contact"] == pytest.approx(statistics.median(values)), rep
        assert rows[rep]["p90_hours_to_contact"] == pytest.approx(p90(values)), rep
    never_called = {rep for rep in rows if rep not in hours}
    assert all(rows[rep]["median_hours_to_contact"] is None for rep in never_called)


def test_with_no_assignment_the_total_is_zero_and_no_share_or_hour_is_made_up(history: History) -> None:
    (total,) = report(history, "team").rows
    assert total["group"] == "all"
    assert counts(total) == [0] * len(COUNTS)
    assert total["accepted_in_sla_share"] is None
    assert total["median_hours_to_contact"] is None


@pytest.mark.parametrize("engine_name", ["app", "duckdb"])
def test_moments_count_in_whole_seconds_on_every_engine_as_the_service_counts_them(
    history: History, engine_name: str
) -> None:
    """Accepted 0.7 s after the due moment is within its second: in time, with no breach; 1.2 s after is late."""
    h = history
    h.rep("ann", "americas")
    due = chicago(MON, 13)  # 4 working hours after 09:00
    h.handed_over("a@alpha.example", chicago(MON, 9), source="webinar")
    h.accept("a@alpha.example", due + timedelta(seconds=0.7))
    h.handed_over("b@beta.example", chicago(MON, 9), source="webinar")
    h.accept("b@beta.example", due + timedelta(seconds=1.2))
    total = rows_by(report(h, "rep", engine_name=engine_name))["all"]
    assert (total["acceptance_due"], total["accepted_in_sla"], total["accept_breaches"]) == (2, 1, 1)
