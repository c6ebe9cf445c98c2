"""Sales feedback from the command line: with 'contact', 'lost' and 'won', or afterwards with 'feedback'; and the
activity timeline 'lead show' prints."""

from __future__ import annotations

import json

from sqlalchemy import select

from leadpact.store.tables import Feedback, FeedbackRequest
from leadpact.store.unit_of_work import UnitOfWork
from tests.cli.conftest import AT, Handed
from tests.test_cli_access import refused, run

ANN = "ann@acme.example"


def kept(handed: Handed) -> list[tuple[str, str | None, list[str], str | None, str | None]]:
    with UnitOfWork(handed.engine) as uow:
        rows = uow.session.scalars(select(Feedback).order_by(Feedback.id)).all()
        return [
            (
                f.moment,
                f.competitor,
                sorted(uow.session.scalars(select(FeedbackRequest.request).where(FeedbackRequest.feedback_id == f.id))),
                f.message,
                f.note,
            )
            for f in rows
        ]


def test_feedback_is_recorded_with_contact_won_and_lost_and_after_the_fact(handed: Handed) -> None:
    url = handed.url
    run(url, "accept", ANN, "--at", AT)
    wrong = refused(url, "contact", ANN, "--competitor", "acme", "--at", AT)
    assert (
        wrong
        == "--competitor: 'acme' is not a competitor the agreement lists; use one of: roboworks, automata, in_house"
    )
    assert kept(handed) == []
    printed = run(
        url, "contact", ANN, "--competitor", "roboworks", "--request", "sap_connector", "--request", "mobile_app",
        "--message", "roi_calculator", "--note", "Runs SAP.", "--at", AT,
    )  # fmt: skip
    assert printed.strip() == f"Contact with {ANN} logged (first contact), with feedback."
    run(url, "qualify", ANN, "--budget", "yes", "--authority", "user", "--timing", "later", "--at", AT)
    run(url, "convert", ANN, "--amount", "9000", "--close-date", "2026-05-01", "--at", AT)
    assert "lost (no_need), with feedback." in run(
        url, "lost", ANN, "--reason", "no_need", "--competitor", "in_house", "--at", AT
    )
    assert "--moment: 'won' is not" not in refused(url, "feedback", ANN, "--moment", "won", "--note", "x", "--at", AT)
    assert refused(url, "feedback", ANN, "--moment", "won", "--note", "x", "--at", AT) == (
        f"--moment: lead {ANN} has no deal closed as won"
    )
    assert refused(url, "feedback", ANN, "--moment", "lost", "--at", AT) == (
        "name a competitor, a product request or a message, or write a note"
    )
    assert f"{ANN}: feedback on lost recorded." in run(
        url, "feedback", ANN, "--moment", "lost", "--request", "api_rate_limits", "--at", AT
    )
    assert kept(handed) == [
        ("contact", "roboworks", ["mobile_app", "sap_connector"], "roi_calculator", "Runs SAP."),
        ("lost", "in_house", [], None, None),
        ("lost", None, ["api_rate_limits"], None, None),
    ]

    shown = run(url, "lead", "show", ANN, "--at", AT)
    assert "Activity" in shown
    assert "feedback on contact: competitor" in shown  # the table may wrap the rest
    activity = json.loads(run(url, "lead", "show", ANN, "--at", AT, "--json"))["activity"]
    # everything happened at the same moment: the sources' order ranks them, feedback last
    assert [a["kind"] for a in activity][-4:] == ["deal", "feedback", "feedback", "feedback"]
    assert activity[-4]["what"].endswith("lost: no need")


def test_a_won_deal_takes_feedback_with_the_command_that_wins_it(handed: Handed) -> None:
    url = handed.url
    for command in (
        ["accept"],
        ["contact"],
        ["qualify", "--budget", "yes", "--authority", "user", "--timing", "later"],
        ["convert", "--amount", "9000", "--close-date", "2026-05-01"],
    ):
        run(url, command[0], ANN, *command[1:], "--at", AT)
    assert f"{ANN}: won, with feedback." in run(url, "won", ANN, "--message", "webinar_series", "--at", AT)
    assert kept(handed) == [("won", None, [], "webinar_series", None)]
