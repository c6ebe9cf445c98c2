"""The agreement's health: its bounds measured from the reports, and the daily check recorded once per local day.

The history is written through the services: three leads handed to sales in February and accepted, one called
within the SLA, two never called. Under ``TEXT`` that keeps the acceptance rate (3 of 3) and breaks contact
within the SLA (1 of 3) and never contacted (2 of 3).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from leadpact.domain.agreement import Indicator
from leadpact.domain.health import Status
from leadpact.services import agreements, health, reports
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import HealthCheck, OutboxMessage
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE
from tests.factories import agreement_text
from tests.reports.conftest import WARM, History, utc

EXAMPLE_HEALTH = EXAMPLE.read_text()[EXAMPLE.read_text().index("\nhealth:") :]
TEXT = agreement_text(
    (
        EXAMPLE_HEALTH,
        "\nhealth:\n"
        "  window_days: 30\n"
        "  acceptance_rate: {at_least: 0.5, min_leads: 3}\n"
        "  contact_within_sla: {at_least: 0.8, min_leads: 3}\n"
        "  never_contacted: {after_days: 2, at_most: 0.4, min_leads: 3}\n",
    )
)
"""The example agreement with bounds three leads can judge, over 30 days."""
LEADS = ("called@acme.example", "waiting@bolt.example", "silent@corp.example")
CALLED = LEADS[0]
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
"""The clock fixture's Monday 2 March 2026, 09:00 in Chicago."""
BROKEN = ["contact_within_sla", "never_contacted"]


def sloppy(engine: Engine, team: str | None = "americas") -> History:
    """``TEXT`` adopted, and the February history above; the rep alice joins ``team`` (None: she is there)."""
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, FixedClock(utc(2026, 2, 1)), TEXT, "agreement.yaml", "Dana", "Sam")
    with UnitOfWork(engine) as uow:
        history = History(engine, agreements.in_force(uow))
    if team is not None:
        history.rep("alice", team)
    for email in LEADS:
        history.handed_over(email, utc(2026, 2, 9, 16))
        history.accept(email, utc(2026, 2, 9, 17))
    history.contact(CALLED, utc(2026, 2, 9, 18))
    return history


def checks(engine: Engine) -> list[tuple[str, str, bool]]:
    with UnitOfWork(engine) as uow:
        rows = uow.session.scalars(select(HealthCheck).order_by(HealthCheck.day, HealthCheck.id))
        return [(row.day.isoformat(), row.bound, row.broken) for row in rows]


def messages(engine: Engine) -> list[dict[str, object]]:
    with UnitOfWork(engine) as uow:
        rows = uow.session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.topic == health.TOPIC).order_by(OutboxMessage.id)
        )
        return [json.loads(payload) for payload in rows]


def run_check(engine: Engine, at: datetime, inforce: InForce) -> tuple[str, ...]:
    with UnitOfWork(engine) as uow:
        return tuple(r.bound.indicator.value for r in health.check(uow, FixedClock(at), inforce))


def test_each_bound_is_the_figure_of_its_report_over_its_window_with_the_counts_behind_it(engine: Engine) -> None:
    inforce = sloppy(engine).inforce
    clock = FixedClock(NOW)
    with UnitOfWork(engine) as uow:
        measured = health.measure(uow, clock, inforce)
        sla = reports.run(uow, clock, inforce, "sla", {"by": "team"}, utc(2026, 2, 1).date(), NOW.date())
        funnel = reports.run(uow, clock, inforce, "funnel", {"by": "source"}, utc(2026, 2, 1).date(), NOW.date())
    kept, climbed = sla.rows[-1], funnel.rows[-1]
    acceptance, contact, never = measured.readings
    assert (measured.version, measured.day.isoformat()) == (inforce.version, "2026-03-02")
    assert (acceptance.value, acceptance.status) == (climbed["sal_rate"], Status.HELD) == (1.0, Status.HELD)
    assert (contact.value, contact.status) == (kept["contacted_in_sla_share"], Status.BROKEN)
    assert contact.evidence() == {"from": "2026-02-01", "to": "2026-03-02", "contact_due": 3, "contacted_in_sla": 1}
    assert (never.value, never.status) == (2 / 3, Status.BROKEN)
    assert never.evidence() == {"from": "2026-02-01", "to": "2026-02-28", "leads_assigned": 3, "never_contacted": 2}
    assert [r.bound.indicator.value for r in measured.broken] == BROKEN


def test_grade_calibration_is_the_grades_reports_conversion_by_grade(engine: Engine) -> None:
    calibrated = TEXT.replace(
        "  window_days: 30\n", "  window_days: 30\n  grade_calibration: {grades: [A, B], min_leads: 1}\n"
    )
    history = sloppy(engine)
    history.capture("warm@dyno.example", utc(2026, 2, 10, 16), **WARM)
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, FixedClock(utc(2026, 2, 11)), calibrated, "agreement.yaml", "Dana", "Sam")
        inforce = agreements.in_force(uow)
    history.qualify(CALLED, utc(2026, 2, 12, 16))
    history.convert(CALLED, utc(2026, 2, 13, 16), 1000.0, utc(2026, 6, 30).date())
    with UnitOfWork(engine) as uow:
        (calibration,) = health.measure(uow, FixedClock(NOW), inforce, [Indicator.GRADE_CALIBRATION]).readings
    assert calibration.evidence()["grades"] == [
        {"grade": "A", "leads": 3, "opportunities": 1, "opportunity_rate": 1 / 3, "judged": True},
        {"grade": "B", "leads": 1, "opportunities": 0, "opportunity_rate": 0.0, "judged": True},
    ]
    assert (calibration.value, calibration.status) == (1 / 3, Status.HELD)


def test_a_broken_bound_is_recorded_and_posted_with_its_evidence_once_a_day(engine: Engine) -> None:
    inforce = sloppy(engine).inforce
    assert run_check(engine, NOW, inforce) == ("acceptance_rate", *BROKEN)
    assert checks(engine) == [
        ("2026-03-02", "acceptance_rate", False),
        ("2026-03-02", "contact_within_sla", True),
        ("2026-03-02", "never_contacted", True),
    ]
    posted = messages(engine)
    assert [m["bound"] for m in posted] == BROKEN
    contact = posted[0]
    assert (contact["value"], contact["limit"], contact["day"]) == (1 / 3, 0.8, "2026-03-02")
    assert contact["version"] == inforce.version
    assert contact["evidence"] == {"from": "2026-02-01", "to": "2026-03-02", "contact_due": 3, "contacted_in_sla": 1}
    assert contact["summary"] == "contact within SLA: 33.3 %, below the agreed 80 %"
    assert run_check(engine, NOW, inforce) == ()  # called again the same day
    assert run_check(engine, datetime(2026, 3, 3, 5, 59, tzinfo=UTC), inforce) == ()  # 23:59 in Chicago
    assert (len(checks(engine)), len(messages(engine))) == (3, 2)
    with UnitOfWork(engine) as uow:
        assert [c.reading["bound"] for c in health.broken(uow, inforce)] == BROKEN


def test_a_check_that_measured_while_another_was_recording_waits_for_it_then_records_nothing(engine: Engine) -> None:
    inforce = sloppy(engine).inforce
    clock = FixedClock(NOW)
    with UnitOfWork(engine) as first_uow, UnitOfWork(engine) as second_uow:
        first = health.due(first_uow, clock, inforce)
        second = health.due(second_uow, clock, inforce)
    assert first is not None  # both found the day unchecked
    assert second is not None
    outcome: list[object] = []

    def record_second() -> None:
        try:
            with UnitOfWork(engine) as uow:
                outcome.append(health.record(uow, clock, second))
        except Exception as exc:  # reported below, on the test's thread
            outcome.append(exc)

    waiting = threading.Thread(target=record_second)
    with UnitOfWork(engine) as uow:
        assert len(health.record(uow, clock, first)) == 3
        waiting.start()  # while the first check's rows are not committed yet
        waiting.join(timeout=0.5)
        assert waiting.is_alive()
    waiting.join(timeout=30)
    assert outcome == [()]
    assert (len(checks(engine)), len(messages(engine))) == (3, 2)


def test_concurrent_checks_record_the_day_once(engine: Engine) -> None:
    inforce = sloppy(engine).inforce
    start = threading.Barrier(4)
    recorded: list[tuple[str, ...]] = []
    failures: list[BaseException] = []

    def check() -> None:
        try:
            start.wait()
            recorded.append(run_check(engine, NOW, inforce))
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=check) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sorted(recorded, key=len) == [(), (), (), ("acceptance_rate", *BROKEN)]
    assert (len(checks(engine)), len(messages(engine))) == (3, 2)


def test_a_new_local_day_is_checked_again_and_a_bound_that_holds_again_is_not_broken(engine: Engine) -> None:
    history = sloppy(engine)
    run_check(engine, NOW, history.inforce)
    for email in LEADS[1:]:
        history.contact(email, utc(2026, 3, 2, 20))  # late, but contacted
    next_day = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)  # midnight in Chicago
    assert run_check(engine, next_day, history.inforce) == ("acceptance_rate", *BROKEN)
    assert checks(engine)[3:] == [
        ("2026-03-03", "acceptance_rate", False),
        ("2026-03-03", "contact_within_sla", True),
        ("2026-03-03", "never_contacted", False),
    ]
    assert [(m["bound"], m["day"]) for m in messages(engine)] == [
        ("contact_within_sla", "2026-03-02"),
        ("never_contacted", "2026-03-02"),
        ("contact_within_sla", "2026-03-03"),
    ]
    with UnitOfWork(engine) as uow:
        broken = health.broken(uow, history.inforce)
        latest = health.latest(uow, history.inforce)
    assert [(c.reading["bound"], c.day.isoformat()) for c in broken] == [("contact_within_sla", "2026-03-03")]
    assert [c.reading["bound"] for c in latest] == ["acceptance_rate", *BROKEN]
    assert broken[0].summary == "contact within SLA: 33.3 %, below the agreed 80 %"
    assert broken[0].details == [
        "1 of the 3 assignments started 2026-02-02 to 2026-03-03 and due a first contact were contacted within the SLA"
    ]


def test_an_agreement_without_health_measures_and_records_nothing(engine: Engine) -> None:
    text = EXAMPLE.read_text()
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, FixedClock(NOW), text[: text.index("\nhealth:")], "agreement.yaml", "Dana", "Sam")
        inforce = agreements.in_force(uow)
    assert run_check(engine, NOW, inforce) == ()
    with UnitOfWork(engine) as uow:
        assert health.measure(uow, FixedClock(NOW), inforce).readings == ()
        assert health.latest(uow, inforce) == []
    assert checks(engine) == []
