"""The batch still follows the online path with an account rule in the agreement: the rule reads accounts and moves
no lead, so the stages, the scores on every engine and the replayed qualification moments are the same with and
without it, for an account whose people together meet the rule."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from leadpact.analytics import engines
from leadpact.analytics.replay import qualifications
from leadpact.domain.agreement_file import parse_agreement
from leadpact.services import accounts, intake
from leadpact.store.database import empty
from leadpact.store.tables import Lead
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE
from tests.integration.test_rescore_differential import AT, END, START, History, Step, batch_results, close, replay
from tests.integration.test_rescore_differential import snapshot as scored

WITH_RULE = EXAMPLE.read_text() + "accounts:\n  qualify: {engagement_at_least: 20, people_engaged_at_least: 2}\n"
PEOPLE = {"ann@acme.example": "VP Operations", "bob@acme.example": "Engineer", "cy@acme.example": None}
EVENTS = (
    ("e1", "ann@acme.example", "webinar_attended", START + timedelta(days=3)),
    ("e2", "bob@acme.example", "whitepaper_download", START + timedelta(days=5)),
    ("e3", "cy@acme.example", "pricing_page_view", START + timedelta(days=6)),
    ("e4", "bob@acme.example", "contact_form", START + timedelta(days=8)),
    ("e5", "cy@acme.example", "unsubscribe", START + timedelta(days=9)),
)
HISTORY = History(
    (
        *(
            Step(START, lead=intake.LeadInput(email=e, title=t, industry="manufacturing", employees=300))
            for e, t in PEOPLE.items()
        ),
        Step(END, events=tuple(intake.EventInput(i, e, kind, at) for i, e, kind, at in EVENTS[3:])),  # late ones first
        Step(END, events=tuple(intake.EventInput(i, e, kind, at) for i, e, kind, at in EVENTS[:3])),
    )
)


def stages(engine: Engine) -> dict[str, tuple[str, int | None]]:
    with UnitOfWork(engine) as uow:
        return {lead.email: (lead.stage, lead.qualified_at) for lead in uow.session.scalars(select(Lead))}


def replayed(engine: Engine, text: str) -> dict[int, int | None]:
    con = engines.connect(engine.url, "app")
    try:
        rows = qualifications(con, parse_agreement(text, "agreement.yaml"), AT).to_pyarrow().to_pylist()
    finally:
        con.disconnect()
    return {r["lead_id"]: r["qualified_at"] for r in rows}


def test_an_account_meeting_the_rule_changes_no_stage_score_or_replayed_moment(engine: Engine) -> None:
    replay(engine, HISTORY)
    plain_stages, plain_moments = stages(engine), replayed(engine, EXAMPLE.read_text())
    empty(engine)
    with_rule = replay(engine, HISTORY, WITH_RULE)
    with UnitOfWork(engine) as uow:
        view = accounts.show(uow, with_rule, START + timedelta(days=9), "acme.example")
    assert view.meets_rule is True
    assert stages(engine) == plain_stages
    assert replayed(engine, WITH_RULE) == plain_moments
    online = scored(engine, with_rule)
    for engine_name in engines.ENGINES:
        scores, verdicts = batch_results(engine, with_rule, engine_name)
        assert verdicts == online.counted
        for s in scores:
            want = online.leads[online.ids[s["lead_id"]]]
            assert close(s["engagement"], want["engagement"]), (engine_name, s, want)
            assert close(s["fit"], want["fit"]), (engine_name, s, want)
