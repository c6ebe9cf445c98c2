"""The reports the app keeps: the store's last change moves with every write a report can show, and not with reading;
a kept report is given again only while it is young enough, and the cache holds a bounded number of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import Engine

from leadpact.domain.audit import Actor
from leadpact.domain.report import Report
from leadpact.services import campaigns, dedupe, handoff, intake, privacy, reports, sales, store_changes
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.services.report_cache import Kept, Key, ReportCache
from leadpact.services.store_changes import Change
from leadpact.store.tables import Lead
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, add_team, capture, days, event, hand_off, record

LEE, KIM = "lee@acme.example", "kim@bolt.example"
MARCH_1 = date(2026, 3, 1)


def change(engine: Engine) -> Change:
    with UnitOfWork(engine) as uow:
        return store_changes.last_change(uow)


def newest_rows(found: Change) -> Change:
    """The newest row of each table, without the transactions PostgreSQL has open: any database's work moves
    those."""
    return found[: len(store_changes.NEWEST)]


def as_person(engine: Engine, name: str, work: Callable[[UnitOfWork], object]) -> None:
    """A change made from a page by ``name``: the unit of work names them, as the web's does."""
    with UnitOfWork(engine, Actor(name, "web")) as uow:
        work(uow)


def test_every_write_a_report_can_show_moves_the_stores_last_change_and_reading_does_not(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 2})

    def on_lee(work: Callable[[UnitOfWork, Lead], object]) -> Callable[[UnitOfWork], object]:
        return lambda uow: work(uow, intake.find_lead(uow, LEE))

    def accept(uow: UnitOfWork, lead: Lead) -> None:
        sales.accept(uow, clock, inforce, lead)

    def contact(uow: UnitOfWork, lead: Lead) -> object:
        return sales.contact(uow, clock, lead)

    def form() -> object:
        return record(engine, clock, inforce, event("form", LEE, "contact_form", clock.now()))

    def cost(amount: float) -> Callable[[UnitOfWork], object]:
        return lambda uow: campaigns.record_costs(uow, clock, [(intake.campaign_id(uow, "Fair"), MARCH_1, amount)])

    fair = [campaigns.CampaignInput("Fair", "tradeshow")]
    writes: list[tuple[str, Callable[[], object]]] = [
        ("a lead captured", lambda: capture(engine, clock, inforce, LEE, **HOT)),
        ("an event handing it to sales", form),
        ("the rep accepts it", lambda: as_person(engine, "ann", on_lee(accept))),
        ("the rep logs a contact: an assignment changed in place", lambda: as_person(engine, "ann", on_lee(contact))),
        ("a campaign", lambda: as_person(engine, "mia", lambda uow: campaigns.record_campaigns(uow, clock, fair))),
        ("a day's cost", lambda: as_person(engine, "mia", cost(100.0))),
        ("the same day's cost again: a row changed in place", lambda: as_person(engine, "mia", cost(250.0))),
        ("another lead handed off", lambda: hand_off(engine, clock, inforce, KIM)),
        ("the SLA worker records a breach, no person acting", lambda: breach(engine, clock, inforce)),
        ("a duplicate merged", lambda: merge(engine, clock, inforce)),
        ("a person erased", lambda: as_person(engine, "root", lambda uow: privacy.erase(uow, clock, LEE, "asked"))),
    ]
    for what, write in writes:
        before = change(engine)
        write()
        assert change(engine) != before, what

    before = change(engine)
    with UnitOfWork(engine) as uow, reports.reader(uow, clock, inforce) as read:
        for name in ("funnel", "costs", "sla", "reasons", "grades", "feedback"):
            read(name)
    assert newest_rows(change(engine)) == newest_rows(before)


def breach(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    clock.at += days(3)  # past the accept-due moment of the lead just handed off
    with UnitOfWork(engine) as uow:
        checked = handoff.check_sla(uow, clock, inforce)
    assert checked.accept_breaches == 1


def merge(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    capture(engine, clock, inforce, "kim.b@bolt.example", first_name="Kim")
    as_person(engine, "dana", lambda uow: dedupe.merge_leads(uow, clock, inforce, KIM, "kim.b@bolt.example"))


def kept(at: FixedClock) -> Kept:
    return Kept(Report("funnel", "Funnel", (), ()), at.now())


def key(n: int) -> Key:
    return Key("funnel", (("by", "source"),), date(2026, 1, n), None, 1, (n,))


def test_a_kept_report_is_given_again_only_while_young_enough_and_the_oldest_unused_goes_first(
    clock: FixedClock,
) -> None:
    cache = ReportCache(size=2, max_age=timedelta(minutes=10))
    report = kept(clock)
    cache.put(key(1), report)
    cache.put(key(2), kept(clock))
    assert cache.get(key(1), clock.now()) is report  # now the most recently used
    cache.put(key(3), kept(clock))
    assert cache.get(key(2), clock.now()) is None  # the least recently used went
    assert cache.get(key(1), clock.now() + timedelta(minutes=10)) is report
    assert cache.get(key(1), clock.now() + timedelta(minutes=10, seconds=1)) is None  # too old: dropped
    assert cache.get(key(3), clock.now() - timedelta(seconds=1)) is None  # computed after the moment asked about

    cache.put(key(1), kept(clock))
    cache.put(key(3), kept(clock))
    cache.forget(date(2026, 1, 3), None)
    assert cache.get(key(3), clock.now()) is None
    assert cache.get(key(1), clock.now()) is not None
