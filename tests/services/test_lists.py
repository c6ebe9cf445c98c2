"""The leads list as people use it, on SQLite and PostgreSQL: sorted by any of its columns (stable, paged), filtered
by campaign, saved filters of one's own, and acting on many leads at once with what happened to each; and a
campaign's own numbers, which are the reports' rows for it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from leadpact.domain.audit import Actor
from leadpact.domain.errors import InvalidInput, NotFound, NotPermitted
from leadpact.domain.permissions import Principal, Role
from leadpact.services import browse, bulk_actions, campaigns, handoff, intake, nurture, privacy, reports, sales
from leadpact.services import saved_filters as saved
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Assignment, AuditEntry, Lead, NurtureEnrolment, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, capture, hand_off, owner_name
from tests.people import seed_people
from tests.reports.conftest import History
from tests.services.test_nurture import EXAMPLE as NURTURE
from tests.web.test_dashboard_pages import seed_history

MIA = Actor("mia", "web")
COLD = {"title": "Engineer", "industry": "banking", "employees": 10, "country": "US"}


def people(engine: Engine) -> dict[str, Principal]:
    """The people of tests.people as the services see them when they ask."""
    with UnitOfWork(engine) as uow:
        users = uow.session.scalars(select(User)).all()
        return {u.name: Principal(Role(u.role), u.name, u.id, u.side) for u in users}


def emails(rows: list[browse.LeadRow]) -> list[str]:
    return [r.email for r in rows]


def listed(engine: Engine, clock: FixedClock, inforce: InForce, order: browse.Order, **where: str) -> list[str]:
    with UnitOfWork(engine) as uow:
        return emails(browse.matching(uow, inforce, clock.now(), browse.LeadFilter(**where), order))


# --- sorting and filtering ---------------------------------------------------------------------------------


def test_the_list_sorts_by_each_column_either_way_with_ties_in_id_order_and_empty_values_last(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "b@one.example", company="beta", **COLD)  # grade D, the same score as d
    capture(engine, clock, inforce, "a@two.example", company="Alpha", **HOT)  # grade A
    capture(engine, clock, inforce, "c@three.example", **COLD)  # no company
    capture(engine, clock, inforce, "d@four.example", company="beta", **COLD)

    def by(column: str, descending: bool = False) -> list[str]:
        return listed(engine, clock, inforce, browse.Order(column, descending))

    assert by("company") == ["a@two.example", "b@one.example", "d@four.example", "c@three.example"]  # any case
    assert by("company", True) == ["b@one.example", "d@four.example", "a@two.example", "c@three.example"]
    assert by("email") == ["a@two.example", "b@one.example", "c@three.example", "d@four.example"]
    assert by("grade") == ["a@two.example", "b@one.example", "c@three.example", "d@four.example"]  # A first
    assert by("grade", True) == ["b@one.example", "c@three.example", "d@four.example", "a@two.example"]
    assert by("score", True) == ["a@two.example", "b@one.example", "c@three.example", "d@four.example"]
    assert by("score") == ["b@one.example", "c@three.example", "d@four.example", "a@two.example"]
    assert by("owner") == by("owner", True) == ["b@one.example", "a@two.example", "c@three.example", "d@four.example"]


def test_pages_of_a_sorted_list_never_overlap_and_together_hold_every_lead(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    for i in range(7):
        capture(engine, clock, inforce, f"lead{i}@x.example", company=f"Co {i % 2}", **COLD)
    order = browse.Order("company", descending=True)
    with UnitOfWork(engine) as uow:
        pages = [browse.page_of_leads(uow, inforce, clock.now(), browse.LeadFilter(), 3, o, order) for o in (0, 3, 6)]
    seen = [email for page in pages for email in emails(page.rows)]
    assert {page.total for page in pages} == {7}
    assert seen == [
        "lead1@x.example",
        "lead3@x.example",
        "lead5@x.example",
        *(f"lead{i}@x.example" for i in (0, 2, 4, 6)),
    ]


def test_a_sort_order_names_a_column_of_the_list_and_a_direction_or_is_refused() -> None:
    assert browse.order_of("", "") == browse.Order("score", True)
    assert browse.order_of("company", "") == browse.Order("company", False)
    assert browse.order_of("score", "asc") == browse.Order("score", False)
    with pytest.raises(InvalidInput, match="'fit' is not a column the list sorts by") as refused:
        browse.order_of("fit", "asc")
    assert refused.value.field == "sort"
    with pytest.raises(InvalidInput, match="'up' is not a direction"):
        browse.order_of("email", "up")


def test_the_list_filters_by_the_campaign_that_brought_the_lead(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "fair@x.example", campaign="Trade fair")
    capture(engine, clock, inforce, "web@x.example", campaign="Spring webinar")
    capture(engine, clock, inforce, "none@x.example")
    assert listed(engine, clock, inforce, browse.Order(), campaign="Trade fair") == ["fair@x.example"]
    assert listed(engine, clock, inforce, browse.Order(), campaign="Nowhere") == []


# --- saved filters -----------------------------------------------------------------------------------------


def test_a_saved_filter_is_the_persons_own_and_saving_its_name_again_replaces_it(
    engine: Engine, clock: FixedClock
) -> None:
    adopt_example(engine, clock)
    seed_people(engine, clock, passwords=False)
    who = people(engine)
    mia, dana = who["mia"].user_id, who["dana"].user_id
    assert mia is not None
    assert dana is not None
    with UnitOfWork(engine) as uow:
        _, new = saved.save(uow, clock, mia, "  hot   webinar ", "stage=mql&source=webinar")
        assert new
        saved.save(uow, clock, mia, "by company", "sort=company&dir=asc")
        saved.save(uow, clock, dana, "hot webinar", "stage=sal")  # the same name, another person's
    with UnitOfWork(engine) as uow:
        kept, new = saved.save(uow, clock, mia, "hot webinar", "stage=sql&source=webinar")
        assert not new
    with UnitOfWork(engine) as uow:
        assert [(f.name, f.query) for f in saved.saved(uow, mia)] == [
            ("by company", "sort=company&dir=asc"),
            ("hot webinar", "stage=sql&source=webinar"),
        ]
        assert [f.query for f in saved.saved(uow, dana)] == ["stage=sal"]
        with pytest.raises(NotFound):
            saved.forget(uow, dana, kept.id)  # mia's: dana cannot even tell it is there
        saved.forget(uow, mia, kept.id)
    with UnitOfWork(engine) as uow:
        assert [f.name for f in saved.saved(uow, mia)] == ["by company"]
        for name, query, problem in (
            (" ", "stage=mql", "give the filter a name"),
            ("x" * 101, "stage=mql", "at most 100 characters"),
            ("nul\x00", "stage=mql", "NUL"),
            ("empty", "", "nothing to save"),
        ):
            with pytest.raises(InvalidInput, match=problem):
                saved.save(uow, clock, mia, name, query)


# --- acting on many leads ----------------------------------------------------------------------------------


def stage_of(engine: Engine, email: str) -> str:
    with UnitOfWork(engine) as uow:
        return intake.find_lead(uow, email).stage


def ids_of(engine: Engine, *addresses: str) -> list[int]:
    with UnitOfWork(engine) as uow:
        return [intake.find_lead(uow, email).id for email in addresses]


def test_disqualifying_many_does_the_inquiries_and_says_why_each_other_lead_was_skipped(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    seed_people(engine, clock, passwords=False)
    for email in ("spam1@x.example", "spam2@x.example", "gone@x.example"):
        capture(engine, clock, inforce, email, **COLD)
    hand_off(engine, clock, inforce, "hot@acme.example")  # an MQL, with a rep
    with UnitOfWork(engine) as uow:
        sales.disqualify(uow, clock, inforce, intake.lead_for_change(uow, "gone@x.example"), "bad_data")
    chosen = [*ids_of(engine, "spam1@x.example", "spam2@x.example", "gone@x.example", "hot@acme.example"), 99999]
    with UnitOfWork(engine, MIA) as uow:
        done = bulk_actions.disqualify(uow, clock, inforce, people(engine)["mia"], chosen, "bad_data")
    assert done.done == ["spam1@x.example", "spam2@x.example"]
    assert [(s.email, s.why) for s in done.skipped] == [
        (None, "no such lead"),
        ("gone@x.example", "already disqualified"),
        ("hot@acme.example", "in stage mql"),
    ]
    assert done.summary() == "2 leads disqualified; 3 skipped: 1 no such lead, 1 already disqualified, 1 in stage mql."
    assert [stage_of(engine, e) for e in ("spam1@x.example", "spam2@x.example", "hot@acme.example")] == [
        "disqualified",
        "disqualified",
        "mql",
    ]
    with UnitOfWork(engine) as uow:  # each lead disqualified is in the trail, by the person who did it
        trail = uow.session.execute(
            select(AuditEntry.actor, AuditEntry.subject).where(AuditEntry.action == "lead.disqualify")
        ).all()
    assert sorted(trail) == sorted(("mia", f"lead {i}") for i in chosen[:2])


def test_a_bulk_action_is_refused_whole_for_a_role_that_may_not_or_a_choice_that_is_not_there(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    seed_people(engine, clock, passwords=False)
    capture(engine, clock, inforce, "one@x.example", **COLD)
    hand_off(engine, clock, inforce, "hot@acme.example")
    who = people(engine)
    chosen = ids_of(engine, "one@x.example", "hot@acme.example")
    refusals: tuple[
        tuple[Callable[..., bulk_actions.Outcome], Principal, Iterable[int], str, type[Exception], str], ...
    ]
    refusals = (
        (bulk_actions.disqualify, who["sam"], chosen, "bad_data", NotPermitted, "sam \\(manager\\) may not capture"),
        (bulk_actions.disqualify, who["mia"], chosen, "not_ready", InvalidInput, "not a disqualifying reason"),
        (bulk_actions.disqualify, who["mia"], [], "bad_data", InvalidInput, "choose at least one lead"),
        (bulk_actions.disqualify, who["mia"], range(1, 502), "bad_data", InvalidInput, "at most 500 leads"),
        (bulk_actions.reassign, who["mia"], chosen, "alice", NotPermitted, "mia \\(marketing\\) may not manage team"),
        (bulk_actions.reassign, who["sam"], chosen, "mia", InvalidInput, "mia is not a rep"),
        (bulk_actions.reassign, who["sam"], chosen, "nobody", NotFound, "no user named 'nobody'"),
        (bulk_actions.enroll, who["sam"], chosen, "not-ready", NotPermitted, "may not manage campaigns"),
        (bulk_actions.enroll, who["mia"], chosen, "not-ready", NotFound, "no nurture sequences are in force"),
    )
    for action, principal, ids, choice, error, said in refusals:
        with UnitOfWork(engine, MIA) as uow, pytest.raises(error, match=said):
            action(uow, clock, inforce, principal, list(ids), choice)
    assert (stage_of(engine, "one@x.example"), owner_name(engine, "hot@acme.example")) == ("inquiry", "bob")
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_manager_gives_leads_with_sales_to_another_rep_with_a_new_clock_and_an_accepted_lead_stays_accepted(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    seed_people(engine, clock, passwords=False)
    for email in ("one@acme.example", "two@acme.example", "three@acme.example"):
        hand_off(engine, clock, inforce, email)  # bob, alice, bob in turn
    capture(engine, clock, inforce, "cold@x.example", **COLD)
    with UnitOfWork(engine) as uow:
        sales.accept(uow, clock, inforce, intake.lead_for_change(uow, "three@acme.example"))
    assert [owner_name(engine, e) for e in ("one@acme.example", "two@acme.example", "three@acme.example")] == [
        "bob",
        "alice",
        "bob",
    ]
    later = FixedClock(clock.now().replace(hour=17))
    chosen = ids_of(engine, "one@acme.example", "two@acme.example", "three@acme.example", "cold@x.example")
    with UnitOfWork(engine, Actor("sam", "web")) as uow:
        done = bulk_actions.reassign(uow, later, inforce, people(engine)["sam"], chosen, "alice")
    assert done.summary() == "2 leads reassigned to alice; 2 skipped: 1 already alice's, 1 in stage inquiry."
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(Lead.email, User.name, Assignment.assigned_at, Assignment.accepted_at, Assignment.end_reason)
            .join(Lead, Lead.id == Assignment.lead_id)
            .join(User, User.id == Assignment.user_id)
            .where(Lead.email.in_(["one@acme.example", "three@acme.example"]))
            .order_by(Lead.email, Assignment.id)
        ).all()
    assert [(e, rep, end) for e, rep, _, _, end in rows] == [
        ("one@acme.example", "bob", "reassigned"),
        ("one@acme.example", "alice", None),
        ("three@acme.example", "bob", "reassigned"),
        ("three@acme.example", "alice", None),
    ]
    assert [(at, accepted) for e, rep, at, accepted, _ in rows if rep == "alice"] == [
        (later.now(), None),  # the new clock starts when the manager gives it
        (later.now(), later.now()),  # accepted before, accepted still
    ]
    assert stage_of(engine, "three@acme.example") == "sal"
    with UnitOfWork(engine) as uow:
        assert handoff.active_assignment(uow, intake.find_lead(uow, "one@acme.example")) is not None


def test_enrolling_many_skips_the_leads_nothing_may_be_sent_to_and_those_already_in_the_sequence(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    seed_people(engine, clock, passwords=False)
    with UnitOfWork(engine) as uow:
        nurture.adopt(uow, clock, inforce, NURTURE.read_text(), "nurture.yaml", "dana")
    for email in ("yes@x.example", "again@x.example", "silent@x.example"):
        capture(engine, clock, inforce, email, **COLD)
    hand_off(engine, clock, inforce, "hot@acme.example")
    with UnitOfWork(engine) as uow:
        for email in ("yes@x.example", "again@x.example", "hot@acme.example"):
            privacy.record_consent(uow, intake.find_lead(uow, email), True, "form", clock.now())
        nurture.enroll(uow, clock, inforce, "first-touch", ["again@x.example"])
    chosen = ids_of(engine, "yes@x.example", "again@x.example", "silent@x.example", "hot@acme.example")
    with UnitOfWork(engine, MIA) as uow:
        done = bulk_actions.enroll(uow, clock, inforce, people(engine)["mia"], chosen, "first-touch")
    assert done.done == ["yes@x.example"]
    assert [(s.email, s.why) for s in done.skipped] == [
        ("again@x.example", "already in first-touch"),
        ("silent@x.example", "no consent to marketing email"),
        ("hot@acme.example", "with sales"),
    ]
    with UnitOfWork(engine) as uow:
        enrolled = uow.session.execute(
            select(Lead.email).join(NurtureEnrolment, NurtureEnrolment.lead_id == Lead.id).order_by(Lead.email)
        ).all()
    assert [e for (e,) in enrolled] == ["again@x.example", "yes@x.example"]
    with UnitOfWork(engine, MIA) as uow, pytest.raises(NotFound, match="no sequence named 'later'"):
        bulk_actions.enroll(uow, clock, inforce, people(engine)["mia"], chosen, "later")


# --- one campaign --------------------------------------------------------------------------------------------


def test_a_campaigns_numbers_are_its_rows_of_the_funnel_and_of_costs_and_roi_with_its_costs_by_month(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    seed_people(engine, clock, passwords=False)
    h: History = seed_history(engine, inforce)
    h.campaign("Quiet", "email")
    h.cost("Spring webinar", date(2026, 3, 20), 250.0)  # booked ahead: not spent yet
    with UnitOfWork(engine) as uow:
        ids = {c.name: c.id for c in browse.campaigns(uow)}
        spring = campaigns.performance(uow, clock, inforce, ids["Spring webinar"])
        quiet = campaigns.performance(uow, clock, inforce, ids["Quiet"])
        with reports.reader(uow, clock, inforce) as read:
            reached = next(r for r in read("funnel", by="campaign").rows if r["group"] == "Spring webinar")
            returned = next(r for r in read("costs", by="campaign").rows if r["group"] == "Spring webinar")
        with pytest.raises(NotFound, match="no campaign 99999"):
            campaigns.performance(uow, clock, inforce, 99999)
    assert spring.reached == reached
    assert spring.returned == returned
    assert (reached["leads"], reached["mql"], reached["sal"], reached["sql"], reached["won"]) == (2, 2, 2, 2, 1)
    assert (returned["cost"], returned["cost_per_mql"], returned["revenue"]) == (1500.0, 750.0, 12000.0)
    assert returned["roi"] == pytest.approx((12000 - 1500) / 1500)
    assert [(m.month, m.cost, m.days) for m in spring.months] == [
        ("2026-01", 1000.0, 1),
        ("2026-02", 500.0, 1),
        ("2026-03", 250.0, 1),
    ]
    assert (spring.campaign.name, spring.campaign.leads, spring.campaign.cost) == ("Spring webinar", 2, 1750.0)
    assert quiet.reached is None
    assert (quiet.returned["cost"], quiet.returned["leads"], quiet.months) == (None, 0, [])
