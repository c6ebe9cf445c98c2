"""The background worker of ``leadpact serve``: SLA checks, the agreement's daily health check, outbox delivery and
the nurture emails, every few seconds."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from leadpact.config import Settings
from leadpact.domain.errors import NoAgreement
from leadpact.domain.health import Status
from leadpact.services import agreements, delivery, handoff, health, mailer, nurture
from leadpact.services.clock import Clock
from leadpact.store.unit_of_work import UnitOfWork

log = logging.getLogger("leadpact.worker")


class Worker:
    def __init__(self, engine: Engine, clock: Clock, settings: Settings, every: float) -> None:
        self.engine, self.clock, self.settings, self.every = engine, clock, settings, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="leadpact-worker", daemon=True)

    def run_once(self) -> tuple[handoff.SlaReport | None, delivery.Delivered]:
        """One round: breaches recorded and acted on (when an agreement is in force: the hand-offs' accept and
        first contact, and screening's first call), the health bounds checked (the first round of a local day),
        then the outbox, with any bound broken."""
        sla = None
        try:
            with UnitOfWork(self.engine) as uow:
                sla = handoff.check_sla(uow, self.clock, agreements.in_force(uow))
        except NoAgreement:
            pass  # nothing is handed off before an agreement is adopted
        else:
            self.check_health()
        with UnitOfWork(self.engine) as uow:
            sent = delivery.deliver(uow, self.clock, self.settings)
        self.nurture()
        return sla, sent

    def nurture(self) -> mailer.Sent | None:
        """The nurture pass: enrol, end and write the steps due (with an agreement in force: its calendar counts
        the waits), then send what the rate allows. One that fails is logged and tried again next round."""
        try:
            with UnitOfWork(self.engine) as uow:
                written = nurture.advance(uow, self.clock, agreements.in_force(uow), self.settings.public_url)
            with UnitOfWork(self.engine) as uow:
                sent = mailer.send_due(uow, self.clock, self.settings)
        except NoAgreement:
            return None
        except Exception:
            log.exception("nurture pass failed")
            return None
        if written.enrolled or written.written:
            log.info("nurture: %d enrolled, %d emails written", written.enrolled, written.written)
        for line in sent.errors:
            log.warning("nurture email not sent: %s", line)
        return sent

    def check_health(self) -> None:
        """The daily health check; one that fails is logged and tried again next round, and delivery goes on."""
        try:
            with UnitOfWork(self.engine) as uow:
                checked = health.check(uow, self.clock, agreements.in_force(uow))
        except Exception:
            log.exception("health check failed")
            return
        for reading in checked:
            log.log(logging.WARNING if reading.status is Status.BROKEN else logging.INFO, reading.summary())

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                sla, sent = self.run_once()
            except Exception:  # the worker outlives a bad round; the next one tries again
                log.exception("worker round failed")
            else:
                for line in sla.lines if sla else []:
                    log.info(line)
                for line in sent.errors:
                    log.warning("delivery failed: %s", line)
            self._stop.wait(self.every)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end and wait for the round in progress (a delivery may be mid-request)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
