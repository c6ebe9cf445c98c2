"""Capturing leads and recording their events, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.scoring import to_seconds
from leadpact.services import intake
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Account, Event, Lead, LeadField, LedgerEntry
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import (
    HOT,
    agreement_text,
    capture,
    counted_ids,
    days,
    event,
    history,
    hours,
    lead,
    ledger,
    record,
)


def fit_rows(engine: Engine, email: str) -> list[tuple[str, float]]:
    return [(item, points) for kind, item, points, _ in ledger(engine, email) if kind == "fit"]


def test_a_new_lead_is_an_inquiry_with_its_fit_from_its_and_its_accounts_fields(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    with UnitOfWork(engine) as uow:
        found, created = intake.capture_lead(
            uow, clock, inforce, intake.LeadInput(email=" Lee@Acme.Example ", company="Acme", **HOT)
        )
        assert created
    lee = lead(engine, "lee@acme.example")
    assert (lee.stage, lee.fit, lee.grade) == ("inquiry", 50.0, "A")
    assert lee.id == found.id
    assert history(engine, "lee@acme.example") == [(None, "inquiry", None)]
    assert sorted(fit_rows(engine, "lee@acme.example")) == [
        ("senior-title", 20.0),
        ("target-industry", 15.0),
        ("target-size", 15.0),
    ]
    with UnitOfWork(engine) as uow:
        account = uow.session.scalars(select(Account)).one()
        assert (account.domain, account.name, account.industry, account.employees, account.country) == (
            "acme.example",
            "Acme",
            "manufacturing",
            1000,
            "US",
        )
        assert lee.account_id == account.id


def test_capturing_the_same_email_again_updates_the_lead_and_the_ledger_records_the_change(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    first = capture(engine, clock, inforce, "lee@acme.example", **HOT)
    clock.at += days(2)
    with UnitOfWork(engine) as uow:
        again, created = intake.capture_lead(
            uow, clock, inforce, intake.LeadInput(email="LEE@acme.example", title="Software Engineer")
        )
        assert not created
        assert again.id == first
    lee = lead(engine, "lee@acme.example")
    assert (lee.title, lee.fit, lee.grade) == ("Software Engineer", 30.0, "B")
    rows = fit_rows(engine, "lee@acme.example")
    assert rows[-1] == ("senior-title", -20.0)  # append-only: the first +20 stays, a -20 follows
    assert ("senior-title", 20.0) in rows
    assert sum(p for _, p in rows) == lee.fit
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Lead)) == 1
        last = uow.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id.desc()).limit(1)).one()
        assert last.at == to_seconds(clock.now())


def test_capturing_a_lead_without_changes_writes_nothing_to_the_ledger(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "lee@acme.example", **HOT)
    before = ledger(engine, "lee@acme.example")
    clock.at += hours(1)
    capture(engine, clock, inforce, "lee@acme.example", **HOT)
    assert ledger(engine, "lee@acme.example") == before


def test_a_free_mail_lead_has_no_account_and_loses_the_free_mail_points(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "joe@Gmail.com", company="Acme", **HOT)
    joe = lead(engine, "joe@gmail.com")
    assert joe.account_id is None
    # the senior title counts, the company facts do not: they would be gmail.com's
    assert sorted(fit_rows(engine, "joe@gmail.com")) == [("free-mail", -20.0), ("senior-title", 20.0)]
    assert (joe.fit, joe.grade) == (0.0, "D")
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Account)) == 0


def test_leads_of_one_company_share_its_account(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "ann@acme.example", **HOT)
    capture(engine, clock, inforce, "bob@acme.example", title="Engineer")
    bob = lead(engine, "bob@acme.example")
    assert bob.account_id == lead(engine, "ann@acme.example").account_id
    assert bob.fit == 30.0  # the account's size and industry count for him too


def test_custom_fields_are_kept_and_usable_by_fit_rules(engine: Engine, clock: FixedClock) -> None:
    text = agreement_text(
        (
            "    - {id: manager-title,",
            "    - {id: enterprise, field: segment, equals: enterprise, points: 12}\n    - {id: manager-title,",
        )
    )
    inforce = adopt_example(engine, clock, text)
    capture(engine, clock, inforce, "lee@acme.example", custom={"segment": " Enterprise "})
    assert fit_rows(engine, "lee@acme.example") == [("enterprise", 12.0)]
    with UnitOfWork(engine) as uow:
        stored = uow.session.scalars(select(LeadField.value).where(LeadField.name == "segment")).one()
        assert stored == "Enterprise"
    clock.at += days(1)
    capture(engine, clock, inforce, "lee@acme.example", custom={"segment": "smb"})
    assert fit_rows(engine, "lee@acme.example") == [("enterprise", 12.0), ("enterprise", -12.0)]
    assert lead(engine, "lee@acme.example").fit == 0.0


def test_a_lead_whose_fit_alone_meets_the_rule_is_handed_over_at_capture(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "lee@acme.example", custom={"answers.budget": "yes"}, **HOT)
    lee = lead(engine, "lee@acme.example")
    assert (lee.fit, lee.stage, lee.qualified_at) == (60.0, "mql", to_seconds(clock.now()))


@pytest.mark.parametrize("email", ["", "lee", "lee@", "lee@acme", "lee @acme.example", "a@b@c.d"])
def test_a_bad_email_is_refused_naming_the_field(engine: Engine, clock: FixedClock, email: str) -> None:
    inforce = adopt_example(engine, clock)
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput) as caught:
        intake.capture_lead(uow, clock, inforce, intake.LeadInput(email=email))
    assert caught.value.code == "invalid_input"
    assert caught.value.detail.startswith("email: ")


def test_an_event_of_an_unknown_lead_is_refused_naming_the_event(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "lee@acme.example")
    with pytest.raises(NotFound) as caught:
        record(
            engine,
            clock,
            inforce,
            event("ok-1", "lee@acme.example", "email_open", clock.now()),
            event("ev-77", "nobody@acme.example", "email_open", clock.now()),
        )
    assert caught.value.code == "not_found"
    assert "ev-77" in caught.value.detail
    assert "nobody@acme.example" in caught.value.detail
    assert counted_ids(engine) == set()  # the batch is all or nothing


def test_recording_an_event_id_again_changes_nothing(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "lee@acme.example")
    first = record(engine, clock, inforce, event("w-1", "lee@acme.example", "webinar_attended", clock.now()))
    assert (first.recorded, first.counted, first.duplicates) == (1, 1, 0)
    rows = ledger(engine, "lee@acme.example")
    before = lead(engine, "lee@acme.example")
    clock.at += days(3)
    # the same id, even with another type and time, is the same event
    again = record(
        engine,
        clock,
        inforce,
        event("w-1", "lee@acme.example", "contact_form", clock.now()),
        event("w-1", "lee@acme.example", "contact_form", clock.now()),
    )
    assert (again.recorded, again.counted, again.duplicates) == (0, 0, 2)
    assert again.outcomes == {"w-1": "duplicate"}
    assert ledger(engine, "lee@acme.example") == rows
    after = lead(engine, "lee@acme.example")
    assert (after.engagement, after.engagement_at) == (before.engagement, before.engagement_at)


def test_every_event_is_stored_but_only_those_that_count_reach_the_ledger(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "lee@acme.example")
    now = clock.now()
    report = record(
        engine,
        clock,
        inforce,
        event("p-1", "lee@acme.example", "pricing_page_view", now),
        event("p-2", "lee@acme.example", "pricing_page_view", now + hours(1)),  # the day's one is taken
        event("x-1", "lee@acme.example", "page_scroll", now),  # not in the agreement
        event("u-1", "lee@acme.example", "unsubscribe", now),
    )
    assert report.outcomes == {"p-1": "counted", "p-2": "not counted", "x-1": "not in agreement", "u-1": "counted"}
    assert (report.recorded, report.counted, report.not_in_agreement) == (4, 2, 1)
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Event)) == 4
    assert [(item, points) for kind, item, points, _ in ledger(engine, "lee@acme.example") if kind == "event"] == [
        ("p-1", 10.0),
        ("u-1", -25.0),
    ]
    lee = lead(engine, "lee@acme.example")
    assert lee.engagement == pytest.approx(-15.0)


def test_a_late_event_takes_the_place_of_a_later_one_of_the_same_day(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "lee@acme.example")
    noon = clock.now() + hours(3)  # 12:00 in Chicago
    record(engine, clock, inforce, event("p-noon", "lee@acme.example", "pricing_page_view", noon))
    report = record(engine, clock, inforce, event("p-nine", "lee@acme.example", "pricing_page_view", clock.now()))
    assert (report.counted, report.displaced) == (1, 1)
    assert counted_ids(engine) == {"p-nine"}
    events = [(item, points) for kind, item, points, _ in ledger(engine, "lee@acme.example") if kind == "event"]
    assert sorted(events) == [("p-nine", 10.0), ("p-noon", -10.0), ("p-noon", 10.0)]
