"""A lead's activity timeline gathers the qualifiers' calls and decisions and the nurture emails written to it."""

from __future__ import annotations

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Engine

from leadpact.config import Settings
from leadpact.domain.audit import Actor
from leadpact.services import intake, mailer, nurture, privacy, screening, team, timeline
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, add_team, capture, hours
from tests.receivers import Mailbox
from tests.screening import with_screening

ANN = "ann@acme.example"
BO = "bo@beta.example"
GONE = "gone@acme.example"
READY = {"budget": "yes", "authority": "influencer", "timing": "this_year"}
SEQUENCE = """nurture: test sequences
sequences:
  - name: welcome
    entry: list
    steps:
      - subject: "Hello {{ first_name }}"
        body: Hi {{ first_name }}, read https://acme.example/guide
      - wait_days: 2
        subject: Reminder
        body: Still there? https://acme.example/guide
"""


class Bouncing(Mailbox):
    """The test SMTP server, refusing ``GONE`` for good."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == GONE:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_the_timeline_shows_each_screening_call_and_the_qualifiers_decision_with_the_note(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock, with_screening())
    add_team(engine, clock, "americas", {"alice": 1})
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "quinn", "qualifier", team="sdr")
    for email in (ANN, BO):  # grade A from a webinar: screened at once
        capture(engine, clock, inforce, email, **HOT, source="webinar")
    for outcome, note in (("no_answer", None), ("reached", "keen, budget set")):
        clock.at += hours(1)
        with UnitOfWork(engine, Actor("quinn", "cli")) as uow:
            screening.call(uow, clock, inforce, intake.lead_for_change(uow, ANN), outcome, note, by="quinn")
    with UnitOfWork(engine, Actor("quinn", "cli")) as uow:
        lead = intake.lead_for_change(uow, ANN)
        screening.pass_to_sales(uow, clock, inforce, lead, "call her mornings", "quinn", READY)
        bo = intake.lead_for_change(uow, BO)
        screening.call(uow, clock, inforce, bo, "wrong_number", by="quinn")
        screening.disqualify(uow, clock, inforce, bo, "bad_data", "no such person", by="quinn")
    with UnitOfWork(engine) as uow:
        items = timeline.timeline(uow, intake.find_lead(uow, ANN), clock.now())
        bos = timeline.timeline(uow, intake.find_lead(uow, BO), clock.now())
    assert [(i.what, i.detail) for i in bos if i.kind == "screening"] == [
        ("screening call: wrong number", None),
        ("screening: disqualified: bad data", "no such person"),
    ]
    screened = [(i.what, i.by, i.detail) for i in items if i.kind == "screening"]
    assert screened == [
        ("screening call: no answer", "quinn", None),
        ("screening call: reached", "quinn", "keen, budget set"),
        ("screening: passed to sales", "quinn", "call her mornings"),
    ]
    kinds = [i.kind for i in items]
    assert kinds.index("screening") > kinds.index("stage")  # captured into screening first, then called
    assert [(i.kind, i.what, i.by) for i in items][-4:] == [  # the answers with the pass, before a rep's work
        ("screening", "screening: passed to sales", "quinn"),
        ("stage", "screening → mql", "quinn"),
        ("handoff", "handed to alice", None),
        ("answers", "qualification answers", "quinn"),
    ]
    # the decision comes before the stage move it made, at the same moment
    (decided,) = (i for i in items if i.what == "screening: passed to sales")
    (moved,) = (i for i in items if i.what == "screening → mql")
    assert decided.at == moved.at
    assert items.index(decided) < items.index(moved)


def test_the_timeline_shows_each_nurture_email_with_its_sequence_step_subject_and_whether_it_was_sent_or_bounced(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    for email in (ANN, GONE):
        capture(engine, clock, inforce, email, first_name=email.split("@")[0].title())
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "mia", "marketing")
        for email in (ANN, GONE):
            privacy.record_consent(uow, intake.find_lead(uow, email), True, "form", clock.now())
        nurture.adopt(uow, clock, inforce, SEQUENCE, "nurture.yaml", "mia")
        nurture.enroll(uow, clock, inforce, "welcome", [ANN, GONE])
        nurture.advance(uow, clock, inforce, "http://testserver")
    written = clock.now()
    with Bouncing() as box:
        clock.at += hours(1)
        with UnitOfWork(engine) as uow:
            done = mailer.send_due(uow, clock, Settings(smtp_url=box.url, public_url="http://testserver"))
    assert (done.sent, done.bounced) == (1, 1)
    with UnitOfWork(engine) as uow:
        ann = [i for i in timeline.timeline(uow, intake.find_lead(uow, ANN), clock.now()) if i.kind == "email"]
        gone = [i for i in timeline.timeline(uow, intake.find_lead(uow, GONE), clock.now()) if i.kind == "email"]
        before = timeline.timeline(uow, intake.find_lead(uow, ANN), written)
    assert [(i.what, i.detail, i.at) for i in ann] == [
        ("nurture email: welcome step 1: Hello Ann", "sent", clock.now())
    ]
    assert [(i.what, i.detail) for i in gone] == [
        ("nurture email: welcome step 1: Hello Gone", "bounced: 550 5.1.1 no such mailbox")
    ]
    assert [i for i in before if i.kind == "email"] == []  # sent an hour after it was written
