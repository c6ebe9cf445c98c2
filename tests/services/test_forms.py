"""Capture forms: each has a key, allowed origins and a field map; a submission is a lead and one scored event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from sqlalchemy import Engine, func, select

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.services import forms
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Campaign, Event, Lead, LeadField
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import capture, hours, lead, ledger

FIELD_MAP = {"Work Email": "email", "Job": "title", "Org": "company", "Team size": "employees", "Budget": "budget"}
POSTED = {"Work Email": "Ann.Lee@Acme.example", "Job": "Head of Operations", "Org": "Acme", "Team size": "800"}


def add_form(
    engine: Engine,
    clock: FixedClock,
    name: str = "contact us",
    origins: Sequence[str] = ("https://www.acme.example",),
    field_map: Mapping[str, str] = FIELD_MAP,
    campaign: str | None = "spring webinar",
) -> str:
    """A form of source ``website``; returns its key."""
    with UnitOfWork(engine) as uow:
        return forms.add_form(uow, clock, name, "website", origins, field_map, campaign).key


def submit(
    engine: Engine, clock: FixedClock, inforce: InForce, key: str, posted: Mapping[str, str]
) -> forms.Submission:
    with UnitOfWork(engine) as uow:
        return forms.submit(uow, clock, inforce, forms.form_by_key(uow, key), posted)


def events_of(engine: Engine, email: str) -> list[tuple[str, str, int, bool, str | None]]:
    """The lead's events as (event id, type, time, counted, campaign), oldest first."""
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(Event.event_id, Event.type, Event.occurred_at, Event.counted, Campaign.name)
            .join(Lead, Lead.id == Event.lead_id)
            .outerjoin(Campaign, Campaign.id == Event.campaign_id)
            .where(Lead.email == email)
            .order_by(Event.id)
        )
        return [(i, t, at, c, name) for i, t, at, c, name in rows]


def campaign_of(engine: Engine, email: str) -> str | None:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(
            select(Campaign.name).join(Lead, Lead.campaign_id == Campaign.id).where(Lead.email == email)
        )


def count(engine: Engine, model: type[Lead] | type[Event]) -> int:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("origin", "stored"),
    [
        ("https://www.acme.example", "https://www.acme.example"),
        ("https://WWW.Acme.example/", "https://www.acme.example"),
        ("http://localhost:8080", "http://localhost:8080"),
    ],
)
def test_an_origin_is_kept_as_a_browser_sends_it(engine: Engine, clock: FixedClock, origin: str, stored: str) -> None:
    key = add_form(engine, clock, origins=[origin, " "])
    with UnitOfWork(engine) as uow:
        assert forms.allowed_origins(forms.form_by_key(uow, key)) == [stored]


@pytest.mark.parametrize(
    "origin",
    ["www.acme.example", "https://www.acme.example/contact", "ftp://acme.example", "https://", "https://a@b.c"],
)
def test_an_origin_that_is_not_scheme_and_host_is_refused(engine: Engine, clock: FixedClock, origin: str) -> None:
    with pytest.raises(InvalidInput, match=f"origin: '{origin.rstrip('/')}' is not an origin"):
        add_form(engine, clock, origins=["https://www.acme.example", origin])
    with UnitOfWork(engine) as uow:
        assert forms.forms(uow) == []


@pytest.mark.parametrize(
    ("field_map", "problem"),
    [
        ({"Email": "e-mail"}, "'Email' maps to 'e-mail', which is not a lead field"),
        ({"Where": "account.country"}, "'Where' maps to 'account.country'"),
        ({"utm_source": "source"}, "'utm_source' cannot set source; the form decides it"),
        ({"Sent": "created_at"}, "'Sent' cannot set created_at"),
        ({"!!": "title"}, "'!!' is not a form field name"),
    ],
)
def test_a_field_map_onto_what_is_not_a_lead_field_is_refused(
    engine: Engine, clock: FixedClock, field_map: dict[str, str], problem: str
) -> None:
    with pytest.raises(InvalidInput, match=problem):
        add_form(engine, clock, field_map=field_map)


def test_each_form_gets_its_own_key(engine: Engine, clock: FixedClock) -> None:
    keys = {f"form {n}": add_form(engine, clock, name=f"form {n}") for n in range(5)}
    assert len(set(keys.values())) == 5
    assert all(len(key) >= 20 for key in keys.values())
    with UnitOfWork(engine) as uow:
        assert {name: forms.form_by_key(uow, key).name for name, key in keys.items()} == {n: n for n in keys}
        with pytest.raises(NotFound, match="no form has the key 'made-up'"):
            forms.form_by_key(uow, "made-up")


def test_two_forms_cannot_share_a_name(engine: Engine, clock: FixedClock) -> None:
    add_form(engine, clock)
    with pytest.raises(InvalidInput, match="already a form named 'contact us'"):
        add_form(engine, clock, name=" contact us ")


def test_a_submission_creates_the_lead_with_the_forms_source_and_campaign_and_one_scored_event(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    key = add_form(engine, clock)
    done = submit(engine, clock, inforce, key, {**POSTED, "Budget": "yes", "source": "ads", "campaign": "made up"})
    assert (done.created, done.outcome) == (True, "counted")
    found = lead(engine, "ann.lee@acme.example")
    assert (found.title, found.company, found.employees, found.source) == ("Head of Operations", "Acme", 800, "website")
    assert campaign_of(engine, found.email) == "spring webinar"
    assert events_of(engine, found.email) == [
        (done.event_id, "form_submit", int(clock.now().timestamp()), True, "spring webinar")
    ]
    assert ledger(engine, found.email)[-1] == ("event", done.event_id, 5.0, 1)  # form_submit: {points: 5}
    assert found.engagement == 5.0
    with UnitOfWork(engine) as uow:
        fields = select(LeadField.name, LeadField.value).where(LeadField.lead_id == found.id)
        custom = dict(uow.session.execute(fields).all())
        assert custom == {"budget": "yes"}
        assert uow.session.scalar(select(func.count()).select_from(Campaign)) == 1  # the posted one was not made


def test_a_second_submission_from_the_same_email_updates_the_lead_and_adds_an_event(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    key = add_form(engine, clock)
    first = submit(engine, clock, inforce, key, POSTED)
    clock.at += hours(2)
    second = submit(engine, clock, inforce, key, {"Work Email": "ann.lee@acme.example ", "Job": "VP Operations"})
    assert (second.created, second.lead.id) == (False, first.lead.id)
    assert second.event_id != first.event_id
    assert lead(engine, "ann.lee@acme.example").title == "VP Operations"
    assert [e[0] for e in events_of(engine, "ann.lee@acme.example")] == [first.event_id, second.event_id]
    assert count(engine, Lead) == 1


def test_a_known_lead_keeps_its_first_source_and_campaign(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "ann.lee@acme.example", source="tradeshow", campaign="hannover fair")
    key = add_form(engine, clock)
    submit(engine, clock, inforce, key, POSTED)
    assert lead(engine, "ann.lee@acme.example").source == "tradeshow"
    assert campaign_of(engine, "ann.lee@acme.example") == "hannover fair"
    assert events_of(engine, "ann.lee@acme.example")[0][4] == "spring webinar"  # the event is the form's


def test_a_submission_with_a_bad_field_stores_nothing_and_names_the_field(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    key = add_form(engine, clock)
    with pytest.raises(InvalidInput) as refused:
        submit(engine, clock, inforce, key, {**POSTED, "Work Email": "ann at acme", "Team size": "lots"})
    assert refused.value.detail == (
        "email: 'ann at acme' is not an email address; employees: 'lots' is not a whole number"
    )
    with pytest.raises(InvalidInput, match=r"^email: is empty$"):
        submit(engine, clock, inforce, key, {**POSTED, "Work Email": " "})
    assert (count(engine, Lead), count(engine, Event)) == (0, 0)


def test_a_form_of_an_event_type_the_agreement_does_not_know_records_it_uncounted(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    with UnitOfWork(engine) as uow:
        key = forms.add_form(uow, clock, "newsletter", "website", [], {}, event_type="newsletter_signup").key
    done = submit(engine, clock, inforce, key, {"email": "ann.lee@acme.example"})
    assert done.outcome == "not in agreement"
    assert events_of(engine, "ann.lee@acme.example")[0][1:4] == (
        "newsletter_signup",
        int(clock.now().timestamp()),
        False,
    )
