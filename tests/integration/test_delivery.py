"""Outbox delivery to a real SMTP server and real HTTP webhooks on 127.0.0.1, messages made by the real services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from leadpact.config import Settings
from leadpact.services import delivery, handoff, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import OutboxMessage
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import agreement_text, hand_off, owner_name
from tests.receivers import Mailbox, Webhook, free_port

ACCEPT_DUE = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)  # the clock's Monday 09:00 CST + 4 working hours
LEE = "lee@bigco.example"


def staff(engine: Engine, clock: FixedClock) -> None:
    """Reps alice and bob (with emails) in team americas, where every non-European lead goes; Raj manages it."""
    with UnitOfWork(engine) as uow:
        for rep in ("alice", "bob"):
            team.add_user(uow, clock, rep, "rep", team="americas", capacity=1, email=f"{rep}@acme.example")
        team.add_user(uow, clock, "raj", "manager", email="raj@acme.example")
        team.set_manager(uow, clock, "americas", "raj")


def deliver(engine: Engine, clock: FixedClock, settings: Settings) -> delivery.Delivered:
    with UnitOfWork(engine) as uow:
        return delivery.deliver(uow, clock, settings)


def check_sla(engine: Engine, clock: FixedClock, inforce: InForce) -> handoff.SlaReport:
    with UnitOfWork(engine) as uow:
        return handoff.check_sla(uow, clock, inforce)


def outbox(engine: Engine) -> list[OutboxMessage]:
    with UnitOfWork(engine) as uow:
        rows = list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        for row in rows:
            uow.session.expunge(row)
        return rows


def sent(engine: Engine) -> list[tuple[int, str]]:
    return [(m.id, m.topic) for m in outbox(engine)]


def assigned_lead(engine: Engine, clock: FixedClock, agreement: str | None = None) -> InForce:
    inforce = adopt_example(engine, clock, agreement)
    staff(engine, clock)
    hand_off(engine, clock, inforce, LEE)
    return inforce


def test_every_message_goes_to_every_webhook_as_json_with_its_id_and_topic(engine: Engine, clock: FixedClock) -> None:
    assigned_lead(engine, clock)
    with Webhook() as crm, Webhook() as chat:
        done = deliver(engine, clock, Settings(webhooks=(crm.url, chat.url)))
    messages = sent(engine)
    assert {topic for _, topic in messages} >= {"lead.qualified", "lead.assigned"}
    assert (done.delivered, done.failed) == (len(messages), 0)
    assert crm.received() == chat.received() == messages
    assigned = next(body for body in crm.bodies if body["topic"] == "lead.assigned")
    assert (assigned["email"], assigned["rep"], assigned["team"]) == (LEE, owner_name(engine, LEE), "americas")
    assert datetime.fromisoformat(assigned["at"]) == clock.now()


def test_an_assigned_lead_is_emailed_to_its_rep(engine: Engine, clock: FixedClock) -> None:
    assigned_lead(engine, clock)
    with Mailbox() as mailbox:
        deliver(engine, clock, Settings(smtp_url=mailbox.url, mail_from="leads@acme.example"))
    rep = owner_name(engine, LEE)
    assert mailbox.letters() == [([f"{rep}@acme.example"], f"New lead for you: {LEE}")]
    _, letter = mailbox.mail[0]
    assert (letter["From"], letter["To"]) == ("leads@acme.example", f"{rep}@acme.example")
    assigned = next(m for m in outbox(engine) if m.topic == "lead.assigned")
    assert letter["X-Leadpact-Message"] == str(assigned.id)
    assert f"email: {LEE}" in letter.get_content()
    assert all(m.delivered_at == clock.now() for m in outbox(engine))  # the topics no one is emailed about too


def test_a_breached_sla_is_emailed_to_the_rep_who_missed_it(engine: Engine, clock: FixedClock) -> None:
    inforce = assigned_lead(engine, clock)
    first = owner_name(engine, LEE)
    clock.at = ACCEPT_DUE + timedelta(seconds=1)
    assert check_sla(engine, clock, inforce).reassigned == 1
    second = owner_name(engine, LEE)
    with Mailbox() as mailbox:
        deliver(engine, clock, Settings(smtp_url=mailbox.url))
    assert mailbox.letters() == [
        ([f"{first}@acme.example"], f"New lead for you: {LEE}"),
        ([f"{first}@acme.example"], f"SLA breached (accept): {LEE}"),
        ([f"{second}@acme.example"], f"New lead for you: {LEE}"),
    ]


def test_an_escalation_is_emailed_to_the_teams_manager(engine: Engine, clock: FixedClock) -> None:
    inforce = assigned_lead(engine, clock, agreement_text(("on_breach: reassign", "on_breach: escalate")))
    rep = owner_name(engine, LEE)
    clock.at = ACCEPT_DUE + timedelta(seconds=1)
    assert check_sla(engine, clock, inforce).escalated == 1
    with Mailbox() as mailbox:
        deliver(engine, clock, Settings(smtp_url=mailbox.url))
    assert mailbox.letters()[1:] == [
        ([f"{rep}@acme.example"], f"SLA breached (accept): {LEE}"),
        (["raj@acme.example"], f"Escalated: {rep} missed the accept SLA on {LEE}"),
    ]


def test_delivered_messages_are_marked_and_not_sent_again(engine: Engine, clock: FixedClock) -> None:
    inforce = assigned_lead(engine, clock)
    with Webhook() as crm, Mailbox() as mailbox:
        settings = Settings(webhooks=(crm.url,), smtp_url=mailbox.url)
        first = deliver(engine, clock, settings)
        delivered = [(m.id, m.delivered_at, m.attempts) for m in outbox(engine)]
        clock.at += timedelta(minutes=5)
        again = deliver(engine, clock, settings)
        hand_off(engine, clock, inforce, "kim@bigco.example")
        later = deliver(engine, clock, settings)
    assert (again.delivered, again.failed) == (0, 0)
    assert delivered == [(id_, clock.now() - timedelta(minutes=5), 1) for id_, _ in sent(engine)[: first.delivered]]
    assert later.delivered == len(sent(engine)) - first.delivered
    assert crm.received() == sent(engine)  # each message once
    assert len(mailbox.mail) == 2  # one assignment each


def test_a_failing_webhook_leaves_the_message_undelivered_until_the_pause_is_over(
    engine: Engine, clock: FixedClock
) -> None:
    assigned_lead(engine, clock)
    count = len(sent(engine))
    failed_at = clock.now()
    with Webhook() as crm:
        crm.failing = True
        settings = Settings(webhooks=(crm.url,))
        failed = deliver(engine, clock, settings)
        assert (failed.delivered, failed.failed, crm.refused) == (0, count, count)
        for message in outbox(engine):
            assert (message.delivered_at, message.attempts) == (None, 1)
            assert message.last_error == "HTTPError: HTTP Error 500: the receiver is down"
            assert message.retry_at == failed_at + timedelta(seconds=30)
        assert len(failed.errors) == count
        crm.failing = False
        for wait in (timedelta(0), timedelta(seconds=29)):
            clock.at = failed_at + wait
            assert deliver(engine, clock, settings).delivered == 0  # still pausing
        clock.at = failed_at + timedelta(seconds=30)
        retried = deliver(engine, clock, settings)
    assert (retried.delivered, retried.failed) == (count, 0)
    assert crm.received() == sent(engine)
    for message in outbox(engine):
        assert (message.delivered_at, message.attempts, message.last_error, message.retry_at) == (
            clock.now(),
            2,
            None,
            None,
        )


def test_the_pause_doubles_with_each_failure_up_to_an_hour() -> None:
    pauses = [delivery.pause_after(attempts).total_seconds() for attempts in range(1, 10)]
    assert pauses == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_an_unreachable_webhook_is_a_failure_recorded_on_the_message(engine: Engine, clock: FixedClock) -> None:
    assigned_lead(engine, clock)
    done = deliver(engine, clock, Settings(webhooks=(f"http://127.0.0.1:{free_port()}/nobody-listens",)))
    assert done.delivered == 0
    assert done.failed == len(sent(engine))
    assert all("Connection refused" in (m.last_error or "") for m in outbox(engine))


def test_a_message_waiting_out_its_pause_does_not_hold_back_newer_ones(engine: Engine, clock: FixedClock) -> None:
    inforce = assigned_lead(engine, clock)
    old = len(sent(engine))
    with Webhook() as crm:
        crm.failing = True
        deliver(engine, clock, Settings(webhooks=(crm.url,)))
        crm.failing = False
        clock.at += timedelta(seconds=10)
        hand_off(engine, clock, inforce, "kim@bigco.example")
        newer = deliver(engine, clock, Settings(webhooks=(crm.url,)))
    assert newer.delivered == len(sent(engine)) - old
    assert crm.received() == sent(engine)[old:]


def test_with_no_channel_configured_nothing_is_marked_delivered(engine: Engine, clock: FixedClock) -> None:
    assigned_lead(engine, clock)
    done = deliver(engine, clock, Settings())
    assert (done.delivered, done.failed) == (0, 0)
    assert all((m.delivered_at, m.attempts) == (None, 0) for m in outbox(engine))
