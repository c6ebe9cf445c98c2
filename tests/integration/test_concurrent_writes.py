"""Requests at the same moment for the same lead: each waits for the other, so no points are lost or doubled.

Several threads record events for one lead at once, each in its own transaction, as concurrent API requests
do; afterwards the score is still exactly what its ledger gives, every event is counted once, and a daily cap
holds across the threads.
"""

from __future__ import annotations

import math
import threading
from datetime import timedelta

from sqlalchemy import Engine, func, select

from leadpact.domain.scoring import engagement_at, to_seconds
from leadpact.services import intake
from leadpact.services.clock import FixedClock
from leadpact.services.explain import ledger_score
from leadpact.store.tables import Event, Lead
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import capture, event

THREADS = 4
PER_THREAD = 12


def test_concurrent_events_for_one_lead_keep_its_score_equal_to_its_ledger(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    lead_id = capture(engine, clock, inforce, "ann@alpha.example", title="Engineer", country="DE")
    start = clock.now()
    failures: list[BaseException] = []

    def post(thread: int) -> None:
        try:
            for n in range(PER_THREAD):
                at = start + timedelta(minutes=thread * PER_THREAD + n)
                types = ("webinar_attended", "email_open")  # uncapped, and capped at one a day
                sent = event(f"t{thread}-{n}", "ann@alpha.example", types[n % 2], at)
                with UnitOfWork(engine) as uow:
                    intake.record_events(uow, clock, inforce, [sent])
        except BaseException as error:  # a failure in a thread is reported by the test
            failures.append(error)

    threads = [threading.Thread(target=post, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with UnitOfWork(engine) as uow:
        lead = uow.session.get_one(Lead, lead_id)
        counted = uow.session.scalar(select(func.count()).where(Event.lead_id == lead_id, Event.counted.is_(True)))
        now = to_seconds(start + timedelta(days=1))
        half_life = inforce.agreement.half_life_days
        fit, engaged = ledger_score(uow, lead_id, now, half_life)
        online = engagement_at(lead.engagement, lead.engagement_at, now, half_life)
    assert counted == THREADS * PER_THREAD // 2 + 1  # every webinar, and one email open on the day
    assert math.isclose(online, engaged, rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(lead.fit, fit, abs_tol=1e-9)
