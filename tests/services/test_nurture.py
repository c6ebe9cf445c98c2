"""Who enters a sequence by itself: a lead recycled with the reason a sequence names (once per recycling), and the
inquiries below the floor; who leaves it: a lead that qualifies or is disqualified, before anything more is
written. Adopting is marketing's, and audited with the enrolments made by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.audit import Actor
from leadpact.domain.errors import InvalidAgreement, InvalidInput, NotPermitted
from leadpact.services import intake, nurture, privacy, sales
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import AuditEntry, NurtureEnrolment
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE as EXAMPLE_AGREEMENT
from tests.conftest import adopt_example
from tests.factories import add_team, capture, days, hand_off
from tests.people import seed_people
from tests.screening import with_screening

EXAMPLE = Path(__file__).parents[2] / "src" / "leadpact" / "examples" / "nurture.yaml"


def enrolments(engine: Engine) -> list[tuple[str, str, str, str | None]]:
    """(sequence, lead email, entry key kind, end reason) of every enrolment, oldest first."""
    with UnitOfWork(engine) as uow:
        rows = uow.session.scalars(select(NurtureEnrolment).order_by(NurtureEnrolment.id)).all()
        return [
            (r.sequence, intake.find_lead(uow, str(r.lead_id)).email, r.entry_key.split(":")[0], r.end_reason)
            for r in rows
        ]


def test_recycled_leads_and_inquiries_below_the_floor_enter_their_sequences_once_and_leave_when_they_qualify(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    seed_people(engine, clock, passwords=False)
    with UnitOfWork(engine) as uow:
        nurture.adopt(uow, clock, inforce, EXAMPLE.read_text(), "nurture.yaml", "dana")  # marketing's manager
    hand_off(engine, clock, inforce, "ann@acme.example")
    hand_off(engine, clock, inforce, "cat@acme.example")
    capture(engine, clock, inforce, "ivy@beta.example")  # an inquiry, below the floor
    for email, reason in (("ann@acme.example", "not_ready"), ("cat@acme.example", "bad_data")):
        with UnitOfWork(engine) as uow:
            sales.reject(uow, clock, inforce, intake.lead_for_change(uow, email), reason)
    for _ in range(2):  # a second pass enrols nobody twice
        with UnitOfWork(engine) as uow:
            nurture.advance(uow, clock, inforce, "http://x")
    # ann never consented: her step 1, due at once, ends her sequence; ivy's first step waits a working day
    assert sorted(enrolments(engine)) == [
        ("first-touch", "ivy@beta.example", "below_floor", None),
        ("not-ready", "ann@acme.example", "recycle", "no_consent"),
    ]

    # ivy consents, and qualifies before her first step is due: she leaves at once, and nothing is written
    with UnitOfWork(engine) as uow:
        privacy.record_consent(uow, intake.find_lead(uow, "ivy@beta.example"), True, "form", clock.now())
    hand_off(engine, clock, inforce, "ivy@beta.example", event_id="ivy-demo")
    clock.at += days(2)
    with UnitOfWork(engine) as uow:
        assert nurture.advance(uow, clock, inforce, "http://x").written == 0
    assert {(s, e): r for s, e, _, r in enrolments(engine)}[("first-touch", "ivy@beta.example")] == "qualified"


def test_only_marketing_adopts_and_the_adoption_and_enrolments_by_hand_are_audited(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    seed_people(engine, clock, passwords=False)
    add_team(engine, clock, "emea", {"eva": 1})
    with UnitOfWork(engine, Actor("mia", "api")) as uow:
        for who in ("sam", "root", "eva"):
            with pytest.raises(NotPermitted, match=f"{who} is not on marketing's side"):
                nurture.adopt(uow, clock, inforce, EXAMPLE.read_text(), "nurture.yaml", who)
        with pytest.raises(InvalidInput, match="by: no person named 'zed'"):
            nurture.adopt(uow, clock, inforce, EXAMPLE.read_text(), "nurture.yaml", "zed")
        with pytest.raises(InvalidAgreement, match=r"nurture\.yaml:1: the file is empty"):
            nurture.adopt(uow, clock, inforce, "", "nurture.yaml", "mia")
        assert nurture.adopt(uow, clock, inforce, EXAMPLE.read_text(), "nurture.yaml", "mia").version == 1
    capture(engine, clock, inforce, "ivy@beta.example")
    with UnitOfWork(engine, Actor("mia", "api")) as uow:
        with pytest.raises(InvalidInput, match="emails: give at least one email address"):
            nurture.enroll(uow, clock, inforce, "not-ready", [" "])
        assert nurture.enroll(uow, clock, inforce, "not-ready", ["IVY@beta.example"]).enrolled == ["ivy@beta.example"]
    with UnitOfWork(engine) as uow:
        trail = uow.session.execute(select(AuditEntry.action, AuditEntry.subject).order_by(AuditEntry.id)).all()
    assert [tuple(t) for t in trail] == [
        ("nurture.adopt", "nurture version 1"),
        ("nurture.enroll", "sequence not-ready"),
    ]


def test_a_sequence_may_take_the_leads_a_qualifier_sends_back_only_when_the_agreement_screens() -> None:
    text = EXAMPLE.read_text().replace("entry: not_ready", "entry: not_yet")
    screening = InForce(1, parse_agreement(with_screening(), "agreement.yaml"))
    assert nurture.check(text, "nurture.yaml", screening).sequences["not-ready"].entry == "not_yet"
    plain = InForce(1, parse_agreement(EXAMPLE_AGREEMENT.read_text(), "agreement.yaml"))
    with pytest.raises(InvalidAgreement, match="'not_yet' is not a recycling reason of the agreement"):
        nurture.check(text, "nurture.yaml", plain)
