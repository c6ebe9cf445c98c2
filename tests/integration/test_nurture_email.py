"""Nurture email end to end: sent to a real SMTP server (aiosmtpd, STARTTLS with a self-signed certificate, AUTH
LOGIN), its unsubscribe, pixel and click links followed over HTTP against the real app, and what comes back
checked in the events, the scores and the suppression list; a worker that dies mid-send, and the rate limit."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from mailbox import Maildir
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.domain.errors import InvalidInput
from leadpact.services import auth, intake, mailer, nurture, privacy
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Event, Lead, LedgerEntry, NurtureEnrolment, NurtureMessage
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.worker import Worker
from tests.conftest import adopt_example
from tests.factories import HOT, capture, event, record
from tests.people import seed_people
from tests.receivers import free_port

SEQUENCES = """nurture: test sequences
sequences:
  - name: welcome
    entry: list
    steps:
      - subject: "Hello {{ first_name }}"
        body: |
          Hi {{ first_name }}, read https://acme.example/guide or https://acme.example/guide/more.
        on: {email_click: 3}
      - wait_days: 2
        subject: Reminder
        body: Still there? https://acme.example/guide
      - wait_days: 1
        subject: Case study
        body: Read https://acme.example/case
"""
BASE = "http://testserver"
USER, PASSWORD = "nurture", "s3cret pass"
BOUNCING = "gone@acme.example"
BUSY = "busy@acme.example"


class SecureMailbox:
    """An SMTP server on 127.0.0.1 that requires STARTTLS (a certificate of its own CA) and AUTH LOGIN, refuses
    ``BOUNCING`` with 550, and keeps every message with the login and the TLS state it came with."""

    def __init__(self, folder: Path, implicit_tls: bool = False) -> None:
        ca = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        self.busy = True
        self.cafile = folder / "ca.pem"
        ca.cert_pem.write_to_path(str(self.cafile))
        self.mail: list[tuple[list[str], EmailMessage, bool]] = []
        self.logins: list[str] = []
        port = free_port()
        tls: dict[str, object] = (
            # aiosmtpd counts only STARTTLS as TLS for AUTH: over implicit TLS the connection is encrypted already
            {"ssl_context": context, "auth_require_tls": False}
            if implicit_tls
            else {"tls_context": context, "require_starttls": True}
        )
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=port,
            auth_required=True,
            authenticator=self._authenticate,
            auth_exclude_mechanism=["PLAIN"],  # AUTH LOGIN, as the servers that offer only it
            **tls,  # type: ignore[arg-type]
        )
        login = f"{USER}:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{port}"
        self.url = (
            f"smtps://{login}?cafile={self.cafile}"
            if implicit_tls
            else f"smtp://{login}?starttls=true&cafile={self.cafile}"
        )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
        if ok:
            self.logins.append(f"{mechanism} {USER}")
        return AuthResult(success=ok)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == BOUNCING:
            return "550 5.1.1 no such mailbox"
        if address == BUSY and self.busy:
            return "451 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.mail.append((list(envelope.rcpt_tos), message, session.ssl is not None))
        return "250 Message accepted"

    def __enter__(self) -> SecureMailbox:
        self._controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._controller.stop()


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[SecureMailbox]:
    with SecureMailbox(tmp_path) as box:
        yield box


def setup(engine: Engine, clock: FixedClock, *people: tuple[str, bool]) -> InForce:
    """The example agreement, the people of the tests (mia is marketing), the test sequences adopted by mia, and
    leads captured with their consent (or none), each enrolled in ``welcome``."""
    inforce = adopt_example(engine, clock)
    seed_people(engine, clock, passwords=False)
    with UnitOfWork(engine) as uow:
        nurture.adopt(uow, clock, inforce, SEQUENCES, "seq.yaml", "mia")
    for email, consent in people:
        capture(engine, clock, inforce, email, first_name=email.split("@")[0].title(), **HOT)
        if consent:
            with UnitOfWork(engine) as uow:
                privacy.record_consent(uow, intake.find_lead(uow, email), True, "web form", clock.now())
    with UnitOfWork(engine) as uow:
        nurture.enroll(uow, clock, inforce, "welcome", [email for email, _ in people])
    return inforce


def advance(engine: Engine, clock: FixedClock, inforce: InForce) -> nurture.Advanced:
    with UnitOfWork(engine) as uow:
        return nurture.advance(uow, clock, inforce, BASE)


def send(engine: Engine, clock: FixedClock, settings: Settings) -> mailer.Sent:
    with UnitOfWork(engine) as uow:
        return mailer.send_due(uow, clock, settings)


def enrolment(engine: Engine, email: str) -> NurtureEnrolment:
    with UnitOfWork(engine) as uow:
        found = uow.session.scalars(
            select(NurtureEnrolment).join(Lead, Lead.id == NurtureEnrolment.lead_id).where(Lead.email == email)
        ).one()
        uow.session.expunge(found)
        return found


def events_of(engine: Engine, email: str) -> list[tuple[str, bool]]:
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(Event.type, Event.counted).join(Lead, Lead.id == Event.lead_id).where(Lead.email == email)
        )
        return sorted((t, bool(c)) for t, c in rows)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_an_email_goes_over_starttls_with_login_and_its_links_record_opens_clicks_and_the_unsubscribe(
    engine: Engine, clock: FixedClock, mailbox: SecureMailbox
) -> None:
    people = [("ann@acme.example", True), ("bob@acme.example", False), (BOUNCING, True), ("dan@acme.example", True)]
    inforce = setup(engine, clock, *people)
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False), smtp_url=mailbox.url, public_url=BASE
    )
    written = advance(engine, clock, inforce)
    assert (written.written, written.ended) == (3, {"no_consent": 1})  # bob never consented: nothing is written
    # dan qualifies after his email was written and before it is sent: he leaves at once, and it is not sent
    record(engine, clock, inforce, event("dan-form", "dan@acme.example", "contact_form", clock.now()))
    assert (enrolment(engine, "dan@acme.example").end_reason, enrolment(engine, "bob@acme.example").end_reason) == (
        "qualified",
        "no_consent",
    )
    sent = send(engine, clock, settings)
    assert (sent.sent, sent.bounced, sent.stopped, sent.failed, sent.waiting) == (1, 1, 1, 0, 0)

    [(to, email, over_tls)] = mailbox.mail  # the bounce logged in too, and was refused at its recipient
    assert (to, over_tls, mailbox.logins) == (["ann@acme.example"], True, ["LOGIN nurture"] * 2)
    assert email["Subject"] == "Hello Ann"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = str(email["List-Unsubscribe"]).split(",")[0].strip("<> ")
    text = email.get_body(("plain",))
    html = email.get_body(("html",))
    assert text is not None
    assert html is not None
    body, page = text.get_content(), html.get_content()
    links = [word.rstrip(".") for word in body.split() if word.startswith(BASE)]
    guide, _more, visible_unsubscribe = links
    assert guide.startswith(f"{BASE}/c/")
    assert "to=https%3A%2F%2Facme.example%2Fguide" in guide
    assert visible_unsubscribe == one_click
    pixel = page.split('<img src="')[1].split('"')[0]

    with TestClient(create_app(settings, clock)) as client:
        for _ in range(2):  # a second open of the same email counts once
            opened = client.get(path_of(pixel))
            assert (opened.status_code, opened.headers["content-type"]) == (200, "image/gif")
        followed = client.get(path_of(guide), follow_redirects=False)
        assert (followed.status_code, followed.headers["location"]) == (302, "https://acme.example/guide")
        elsewhere = client.get(path_of(guide).split("?")[0], params={"to": "https://evil.example/"})
        assert elsewhere.status_code == 422
        assert client.get("/o/not-a-token").status_code == 404
        page_answer = client.get(path_of(visible_unsubscribe))
        assert page_answer.status_code == 200
        assert "You are unsubscribed" in page_answer.text
        assert client.post(path_of(one_click), content=b"List-Unsubscribe=One-Click").status_code == 200
        stats = client.get("/api/v1/nurture/stats", headers={"Authorization": f"Bearer {_token(engine, clock)}"}).json()

    # the opens, the click and the unsubscribe are events, each once, scored by the agreement; the bounce too
    assert events_of(engine, "ann@acme.example") == [
        ("email_click", True),
        ("email_open", True),
        ("unsubscribe", True),
    ]
    with UnitOfWork(engine) as uow:
        ann = intake.find_lead(uow, "ann@acme.example")
        points = uow.session.scalars(
            select(LedgerEntry.points).where(LedgerEntry.lead_id == ann.id, LedgerEntry.kind == "event")
        ).all()
        assert sorted(points) == [-25.0, 1.0, 3.0]  # unsubscribe, email_open, email_click of the example agreement
        assert (nurture.suppressed(uow, "ann@acme.example"), nurture.suppressed(uow, BOUNCING)) == (
            "unsubscribed",
            "bounced",
        )
        assert not nurture.consented(uow, ann.id)
    assert events_of(engine, BOUNCING) == [("email_bounce", False)]  # stored; the example agreement gives it no points
    assert (enrolment(engine, "ann@acme.example").end_reason, enrolment(engine, BOUNCING).end_reason) == (
        "unsubscribed",
        "bounced",
    )
    first = stats[0]["steps"][0]
    assert {k: first[k] for k in ("written", "sent", "opened", "clicked", "unsubscribed", "bounced", "qualified")} == {
        "written": 3,
        "sent": 1,
        "opened": 1,
        "clicked": 1,
        "unsubscribed": 1,
        "bounced": 1,
        "qualified": 1,
    }


def _lead_id(uow: UnitOfWork, prefix: str) -> int:
    return uow.session.scalars(select(Lead.id).where(Lead.email.startswith(prefix))).one()


def _token(engine: Engine, clock: FixedClock) -> str:
    with UnitOfWork(engine) as uow:
        return auth.create_token(uow, clock, "stats reader", "", user="mia")[0]


def test_a_click_sends_the_lead_down_its_branch_and_the_waits_count_working_days(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = setup(engine, clock, ("ann@acme.example", True), ("bea@acme.example", True))
    advance(engine, clock, inforce)  # Monday 09:00 Chicago: step 1 of each
    with UnitOfWork(engine) as uow:
        tokens = dict(uow.session.execute(select(NurtureMessage.to_address, NurtureMessage.token)).all())
    clock.at += timedelta(hours=1)
    with UnitOfWork(engine) as uow:
        assert mailer.clicked(uow, clock, tokens["ann@acme.example"], "https://acme.example/guide/more")
    ann, bea = enrolment(engine, "ann@acme.example"), enrolment(engine, "bea@acme.example")
    # step 3 waits 1 working day from the click (10:00 Monday -> 10:00 Tuesday); step 2 waits 2 from the send
    assert (ann.step, ann.due_at, bea.step, bea.due_at) == (
        3,
        clock.now() + timedelta(days=1),
        2,
        clock.now() - timedelta(hours=1) + timedelta(days=2),
    )
    clock.at += timedelta(days=1)
    assert advance(engine, clock, inforce).written == 1  # ann's step 3; bea waits until Wednesday
    clock.at += timedelta(days=1)
    assert advance(engine, clock, inforce).written == 1
    with UnitOfWork(engine) as uow:
        subjects = uow.session.execute(
            select(NurtureMessage.to_address, NurtureMessage.subject).order_by(NurtureMessage.id)
        ).all()
    assert [tuple(s) for s in subjects] == [
        ("ann@acme.example", "Hello Ann"),
        ("bea@acme.example", "Hello Bea"),
        ("ann@acme.example", "Case study"),
        ("bea@acme.example", "Reminder"),
    ]
    assert (enrolment(engine, "ann@acme.example").step, enrolment(engine, "ann@acme.example").ended_at) == (None, None)
    with UnitOfWork(engine) as uow:  # what is held about a person includes the emails sent to them
        held = privacy.export(uow, clock, "ann@acme.example")["nurture_emails"]
    assert [(e["sequence"], e["step"], e["subject"], e["clicked_at"] is not None) for e in held] == [
        ("welcome", 1, "Hello Ann", True),
        ("welcome", 3, "Case study", False),
    ]


def test_a_worker_that_dies_after_its_claim_loses_nothing_and_sends_nothing_twice(
    engine: Engine, clock: FixedClock, mailbox: SecureMailbox
) -> None:
    people = [(f"p{n}@acme.example", True) for n in range(3)]
    inforce = setup(engine, clock, *people)
    settings = Settings(smtp_url=mailbox.url, public_url=BASE)
    advance(engine, clock, inforce)
    with UnitOfWork(engine) as uow:
        first = uow.session.scalars(select(NurtureMessage.id).order_by(NurtureMessage.id)).first()
        assert first is not None
        assert mailer._claim(uow, first, clock.now()) is not None  # the worker claims it, then dies
        uow.commit()
    assert send(engine, clock, settings).sent == 2  # the others go; the claimed one is not taken while its claim holds
    clock.at += mailer.LEASE
    assert send(engine, clock, settings).sent == 1  # the dead worker's claim ran out: it is sent now
    assert send(engine, clock, settings).sent == 0
    ids = [str(email["Message-ID"]) for _, email, _ in mailbox.mail]
    assert sorted(to[0] for to, _, _ in mailbox.mail) == [e for e, _ in people]
    assert len(set(ids)) == 3


def test_sending_keeps_to_the_rate_and_without_a_server_the_emails_wait(
    engine: Engine, clock: FixedClock, mailbox: SecureMailbox
) -> None:
    inforce = setup(engine, clock, *[(f"r{n}@acme.example", True) for n in range(5)])
    advance(engine, clock, inforce)
    assert send(engine, clock, Settings(public_url=BASE)).waiting == 5  # no LEADPACT_SMTP_URL: nothing is sent
    settings = Settings(smtp_url=mailbox.url, smtp_rate=2, public_url=BASE)
    assert send(engine, clock, settings).sent == 2
    clock.at += timedelta(seconds=30)
    assert send(engine, clock, settings).sent == 0  # two in the last minute already
    clock.at += timedelta(seconds=31)
    done = send(engine, clock, settings)
    assert (done.sent, done.waiting) == (2, 1)
    assert len(mailbox.mail) == 4


def test_a_maildir_url_delivers_each_email_as_a_file_and_records_it_sent_as_a_server_would(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    inforce = setup(engine, clock, ("ann@acme.example", True), ("bea@acme.example", True))
    advance(engine, clock, inforce)
    folder = tmp_path / "mail"  # made by the first delivery
    done = send(engine, clock, Settings(smtp_url=f"maildir:{folder}", public_url=BASE))
    assert (done.sent, done.failed, done.waiting) == (2, 0, 0)
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(NurtureMessage.to_address, NurtureMessage.message_id, NurtureMessage.subject, NurtureMessage.outcome)
        ).all()
    files = [(str(m["To"]), str(m["Message-ID"]), str(m["Subject"]), "sent") for m in Maildir(folder)]
    assert sorted(files) == sorted(tuple(row) for row in rows)
    assert len(list((folder / "new").iterdir())) == 2  # new mail, for a mail client to show unread
    refused = pytest.raises(InvalidInput, match="expected smtp://, smtps:// or maildir:PATH, got http://")
    with refused, mailer.smtp_client("http://mail.example"):
        pass


def test_a_new_suppression_stops_an_email_already_written_right_before_it_is_sent(
    engine: Engine, clock: FixedClock, mailbox: SecureMailbox
) -> None:
    inforce = setup(engine, clock, ("ann@acme.example", True), ("eve@acme.example", True))
    advance(engine, clock, inforce)
    with UnitOfWork(engine) as uow:
        nurture.suppress(uow, "ANN@acme.example", "unsubscribed", clock.now())  # e.g. a reply asking to stop
        privacy.erase(uow, clock, "eve@acme.example", "asked by email")
    done = send(engine, clock, replace(Settings(public_url=BASE), smtp_url=mailbox.url))
    assert (done.sent, done.stopped, done.waiting) == (0, 1, 0)  # the erasure stopped eve's at once
    assert mailbox.mail == []
    with UnitOfWork(engine) as uow:
        assert nurture.suppressed(uow, "eve@acme.example") == "erased"
        kept = uow.session.execute(
            select(NurtureMessage.to_address, NurtureMessage.subject, NurtureMessage.outcome, NurtureMessage.detail)
        ).all()
        assert sorted(tuple(k) for k in kept) == [
            ("ann@acme.example", "Hello Ann", "stopped", "unsubscribed"),
            (f"erased-{_lead_id(uow, 'erased')}@acme.example", "(erased)", "stopped", "erased"),
        ]


# aiosmtpd warns of AUTH without STARTTLS; over implicit TLS (smtps) the whole connection is encrypted
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_smtps_works_too_and_a_temporary_refusal_is_tried_again_by_the_worker_later(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    setup(engine, clock, ("ann@acme.example", True), (BUSY, True))
    with SecureMailbox(tmp_path, implicit_tls=True) as box:
        worker = Worker(engine, clock, Settings(smtp_url=box.url, public_url=BASE), every=1)
        worker.run_once()  # the nurture pass writes both emails, and sends what the server takes
        assert [to for to, _, _ in box.mail] == [["ann@acme.example"]]  # the server speaks only TLS
        with UnitOfWork(engine) as uow:
            busy = uow.session.scalars(select(NurtureMessage).where(NurtureMessage.to_address == BUSY)).one()
            assert (busy.outcome, busy.claimed_at, busy.detail) == (None, None, "451 4.2.1 mailbox busy, try later")
        box.busy = False
        worker.run_once()
        assert len(box.mail) == 1  # not before its pause is over
        clock.at += mailer.RETRY
        worker.run_once()
        assert [to for to, _, _ in box.mail] == [["ann@acme.example"], [BUSY]]
