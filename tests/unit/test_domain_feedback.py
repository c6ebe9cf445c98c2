"""The agreement's feedback lists as the file states them, and the feedback a rep may record from them."""

from __future__ import annotations

import re

import pytest

from leadpact.domain.agreement import FeedbackLists
from leadpact.domain.agreement_diff import diff_agreements
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidAgreement, InvalidInput
from leadpact.domain.feedback import NOTE_LENGTH, Given, Moment, check, describe, moment_of
from leadpact.domain.wording import parts
from tests.conftest import EXAMPLE

LISTS = FeedbackLists(("roboworks", "automata"), ("sap_connector", "mobile_app"), ("roi_calculator",))


def base() -> str:
    """The example agreement without its feedback section."""
    return re.sub(r"\nfeedback:.*?(?=\n\S|\Z)", "", EXAMPLE.read_text(), flags=re.S)


def problems(section: str) -> list[str]:
    """The problems of the example agreement with ``section`` instead of its own, each as LINE: key: problem, the
    line counted from the section's first."""
    text = base().rstrip("\n") + "\n"
    first = text.count("\n") + 1
    with pytest.raises(InvalidAgreement) as caught:
        parse_agreement(text + section.lstrip("\n"), "a.yaml")
    found = (re.match(r"a\.yaml:(\d+): (.*)", p) for p in caught.value.problems)
    return [f"+{int(m.group(1)) - first}: {m.group(2)}" for m in found if m]


def test_the_feedback_section_gives_the_lists_and_an_agreement_without_one_has_none() -> None:
    text = base()
    parsed = parse_agreement(text + "\nfeedback:\n  competitors: [roboworks, in_house]\n  messages: [webinar]\n")
    assert parsed.feedback == FeedbackLists(competitors=("roboworks", "in_house"), messages=("webinar",))
    assert parse_agreement(text).feedback is None


def test_every_problem_of_the_feedback_section_is_named_with_its_line_and_key() -> None:
    assert problems(
        "\nfeedback:\n  competitors: [roboworks, roboworks, Big Co]\n  product_requests: []\n  colour: [red]\n"
    ) == [
        "+3: feedback.colour: unknown key; expected one of: competitors, product_requests, messages",
        "+1: feedback.competitors[2]: 'Big Co' is not a name (lower case letters, digits, '_' and '-')",
        "+1: feedback.competitors: value 'roboworks' appears twice",
        "+2: feedback.product_requests: list at least one value, or leave the key out",
    ]
    assert problems("\nfeedback: {}\n") == [
        "+0: feedback: name at least one list of: competitors, product_requests, messages"
    ]
    assert problems("\nfeedback: [roboworks]\n") == ["+0: feedback: expected a mapping of keys to values"]
    assert problems("\nfeedback:\n  messages: roi\n") == ["+1: feedback.messages: expected a list"]


def test_feedback_is_kept_with_each_request_once_and_the_note_trimmed() -> None:
    given = Given("roboworks", ("mobile_app", "sap_connector", "mobile_app"), "roi_calculator", "  keen  ")
    assert check(LISTS, given) == Given("roboworks", ("mobile_app", "sap_connector"), "roi_calculator", "keen")
    assert check(LISTS, Given(message="spring-webinar"), {"spring-webinar"}).message == "spring-webinar"
    assert check(LISTS, Given(note="x" * NOTE_LENGTH)).note == "x" * NOTE_LENGTH
    assert [moment_of(m) for m in ("contact", "lost", "won")] == list(Moment)


@pytest.mark.parametrize(
    ("lists", "given", "error"),
    [
        (None, Given(note="keen"), "the agreement in force has no feedback section"),
        (LISTS, Given(note="   "), "name a competitor, a product request or a message, or write a note"),
        (
            LISTS,
            Given("acme"),
            "competitor: 'acme' is not a competitor the agreement lists; use one of: roboworks, automata",
        ),
        (LISTS, Given(requests=("crm",)), "requests: 'crm' is not a product request the agreement lists"),
        (LISTS, Given(message="tv"), "message: 'tv' is not a message (nor a campaign) the agreement lists"),
        (FeedbackLists(messages=("a",)), Given("acme"), "use one of: none (the agreement lists none)"),
        (LISTS, Given(note="x" * (NOTE_LENGTH + 1)), f"note: a note is at most {NOTE_LENGTH} characters"),
        (LISTS, Given(note="a\x00b"), "note: a note cannot hold the NUL character"),
    ],
)
def test_feedback_outside_the_lists_is_refused_naming_what_is_allowed(
    lists: FeedbackLists | None, given: Given, error: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check(lists, given)
    assert error in caught.value.detail


def test_a_moment_that_is_not_one_is_refused_naming_those_there_are() -> None:
    with pytest.raises(InvalidInput) as caught:
        moment_of("call")
    assert caught.value.detail == "moment: 'call' is not one of contact, lost, won"


def test_the_diff_and_the_plain_words_name_the_feedback_lists() -> None:
    with_lists = parse_agreement(EXAMPLE.read_text())
    without = parse_agreement(base())
    assert diff_agreements(without, with_lists) == [
        "feedback competitors: none -> roboworks, automata, in_house",
        "feedback product requests: none -> sap_connector, mobile_app, api_rate_limits",
        "feedback messages: none -> roi_calculator, case_study_auto, webinar_series",
    ]
    fewer = parse_agreement(EXAMPLE.read_text().replace("[roboworks, automata, in_house]", "[roboworks]"))
    assert diff_agreements(with_lists, fewer) == ["feedback competitors: roboworks, automata, in_house -> roboworks"]
    (shown,) = (p for p in parts(with_lists) if p.title == "Sales feedback")
    assert shown.items[0] == ("competitors", "roboworks, automata, in_house")
    (none,) = (p for p in parts(without) if p.title == "Sales feedback")
    assert (none.summary, none.items) == ("No lists agreed: reps record no sales feedback.", ())
    assert describe(FeedbackLists(competitors=("a",)), "messages") == "none"
