"""The qualifiers' commands: the queue, a call, the answers, and pass, not yet or disqualify, with what they store."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from leadpact.services.clock import FixedClock
from tests.cli.conftest import AT
from tests.conftest import adopt_example
from tests.factories import HOT, add_team, capture, history, lead, owner_name
from tests.screening import with_screening
from tests.test_cli_access import refused, run

ANN, BEA, CAL = "ann@acme.example", "bea@bolt.example", "cal@cyco.example"


@pytest.fixture
def url(sqlite_engine: Engine, clock: FixedClock) -> str:
    """Three webinar leads of grade A in screening; alice takes what passes, quinn screens for team sdr."""
    inforce = adopt_example(sqlite_engine, clock, with_screening())
    add_team(sqlite_engine, clock, "americas", {"alice": 1})
    for email in (ANN, BEA, CAL):
        capture(sqlite_engine, clock, inforce, email, **HOT, source="webinar", first_name=email[:3].title())
    url = sqlite_engine.url.render_as_string(hide_password=False)
    quinn = ("quinn", "--role", "qualifier", "--team", "sdr", "--new-team", "--password-stdin")
    run(url, "user", "add", *quinn, stdin="s3cret-pass\n")
    return url


def test_a_qualifier_works_the_queue_from_call_to_decision(url: str, sqlite_engine: Engine) -> None:
    table = run(url, "screening", "queue", "--at", AT)
    assert all(email in table for email in (ANN, BEA, CAL))
    assert "due 2026-03-02 19:00" in table
    first = run(
        url, "screening", "call", ANN, "--outcome", "reached", "--note", "keen", "--qualifier", "quinn", "--at", AT
    )
    assert first == f"Call to {ANN} logged: reached (first call).\n"
    answered = run(url, "screening", "answer", ANN, "budget=yes", "authority=user", "--at", AT)
    assert answered == f"{ANN}: answers recorded (budget=yes, authority=user).\n"
    assert refused(url, "screening", "pass", ANN, "--at", AT) == (
        "authority: 'user' is not ready for sales; the agreement wants decision_maker or influencer"
    )
    assert refused(url, "screening", "answer", ANN, "budget") == "'budget' is not QUESTION=ANSWER, e.g. budget=yes"
    passed = run(
        url, "screening", "pass", ANN, "authority=influencer", "--note", "call Tue", "--qualifier", "quinn", "--at", AT
    )
    assert passed == f"{ANN} passed to sales: dealt to alice.\n"
    assert (lead(sqlite_engine, ANN).stage, owner_name(sqlite_engine, ANN)) == ("mql", "alice")
    shown = run(url, "lead", "show", ANN, "--at", AT)
    assert "call Tue" in shown
    assert "quinn" in shown
    assert run(url, "screening", "not-yet", BEA, "--note", "next year", "--at", AT) == f"{BEA} sent back to nurture.\n"
    assert lead(sqlite_engine, BEA).stage == "recycled"
    assert refused(url, "screening", "disqualify", CAL, "--reason", "late") == (
        "'late' is not a reason to disqualify in screening; use one of: bad_data, competitor"
    )
    assert run(url, "screening", "disqualify", CAL, "--reason", "competitor", "--at", AT) == (
        f"{CAL} disqualified: competitor.\n"
    )
    assert history(sqlite_engine, CAL)[-1] == ("screening", "disqualified", "competitor")
    assert json.loads(run(url, "screening", "queue", "--json")) == []
    assert run(url, "screening", "queue") == "No leads are waiting for screening.\n"


def test_the_queue_in_json_has_each_leads_clock_and_answers(url: str) -> None:
    run(url, "screening", "call", BEA, "--outcome", "no_answer", "--at", AT)
    run(url, "screening", "answer", BEA, "timing=later", "--at", AT)
    items = {i["email"]: i for i in json.loads(run(url, "screening", "queue", "--at", AT, "--json"))}
    assert (items[BEA]["calls"], items[BEA]["last_outcome"], items[BEA]["answers"]) == (
        1,
        "no_answer",
        {"timing": "later"},
    )
    assert (items[ANN]["calls"], items[ANN]["first_call_at"], items[ANN]["overdue"]) == (0, None, False)
    assert "made 2026-03-02 16:00" in run(url, "screening", "queue", "--at", AT)
