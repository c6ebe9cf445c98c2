"""The nurture sequence file: read strictly, every problem named with its line and key; the steps, branches and
exits it gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadpact.domain.errors import InvalidAgreement, InvalidInput
from leadpact.domain.nurture import Sequence, Step, exit_reason, links_in, parse_nurture, render

EXAMPLE = Path(__file__).parents[2] / "src" / "leadpact" / "examples" / "nurture.yaml"
REASONS = frozenset({"not_ready", "no_budget", "price"})


def problems(text: str, reasons: frozenset[str] | None = REASONS) -> list[str]:
    with pytest.raises(InvalidAgreement) as caught:
        parse_nurture(text, "n.yaml", reasons)
    return caught.value.problems


def test_the_example_file_reads_into_its_sequences_steps_links_and_branches() -> None:
    file = parse_nurture(EXAMPLE.read_text(), "nurture.yaml", REASONS)
    assert file.name == "Acme Robotics nurture sequences"
    assert {name: s.entry for name, s in file.sequences.items()} == {
        "not-ready": "not_ready",
        "first-touch": "below_floor",
    }
    first = file.sequences["not-ready"].steps[0]
    assert (first.number, first.wait_days, dict(first.branches)) == (1, 0.0, {"email_click": 3})
    assert first.targets == ("https://acme-robotics.example/guides/first-cell",)
    assert file.sequences["not-ready"].steps[2].targets == (
        "https://acme-robotics.example/customers/midwest-parts",
        "https://acme-robotics.example/demo",
    )


def test_every_problem_is_named_with_its_line_and_key() -> None:
    text = """nurture: broken
colour: blue
sequences:
  - name: Bad Name
    entry: nobody_knows
    steps:
      - subject: "Hi {{ nickname }}"
        body: "see https://x.example/{{ email }}"
        wait_days: -1
        on: {email_open: 1, email_reply: 2}
      - subject: "{% if %}"
        body: fine
        on: {email_click: many}
  - name: empty
    entry: list
    steps: []
  - name: empty
    entry: list
    steps: nope
  - just text
"""
    assert problems(text) == [
        "n.yaml:2: colour: unknown key; expected one of: nurture, sequences",
        "n.yaml:4: sequences[0].name: 'Bad Name' is not a name (lower case letters, digits, '_' and '-')",
        "n.yaml:5: sequences[0].entry: 'nobody_knows' is not a recycling reason of the agreement; one of: "
        "no_budget, not_ready, price, below_floor, list",
        "n.yaml:9: sequences[0].steps[0].wait_days: a wait cannot be negative",
        "n.yaml:7: sequences[0].steps[0].subject: unknown field(s) nickname; a template may use: first_name, "
        "last_name, email, title, company, industry, country, source, fields.<custom field>",
        "n.yaml:8: sequences[0].steps[0].body: a link must be written out whole, not made from fields",
        "n.yaml:10: sequences[0].steps[0].on.email_open: step 1 is not a later step of this 2-step sequence",
        "n.yaml:10: sequences[0].steps[0].on.email_reply: unknown event; a step branches on: email_open, email_click",
        "n.yaml:11: sequences[0].steps[1].subject: not a valid template: Expected an expression, got 'end of "
        "statement block'",
        "n.yaml:13: sequences[0].steps[1].on.email_click: expected a whole number of at least 1, got 'many'",
        "n.yaml:16: sequences[1].steps: at least one step is required",
        "n.yaml:19: sequences[2].steps: expected a list",
        "n.yaml:20: sequences[3]: expected a mapping of keys to values",
    ]


def test_a_body_template_error_is_placed_on_its_own_line_in_a_block() -> None:
    text = (
        "nurture: n\nsequences:\n  - name: a\n    entry: list\n    steps:\n"
        "      - subject: s\n        body: |\n          one\n          {{ first_name\n"
    )
    assert problems(text, None)[0].startswith("n.yaml:9: sequences[0].steps[0].body: not a valid template:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "n.yaml:1: the file is empty"),
        ("nurture: [unclosed", "n.yaml:1: not valid YAML: "),
        ("- a list", "n.yaml:1: (top): expected a mapping with the keys nurture and sequences"),
        ("nurture: n\nsequences: []", "n.yaml:2: sequences: at least one sequence is required"),
        ("sequences: []", "n.yaml:1: nurture: required key is missing"),
        (
            "nurture: n\nsequences:\n  - {name: a, entry: list, steps: [{subject: s, body: b}]}\n"
            "  - {name: a, entry: list, steps: [{subject: s, body: b}]}",
            "n.yaml:4: sequences[1].name: sequence 'a' appears twice",
        ),
        (
            "nurture: n\nsequences:\n  - {name: a, entry: list, steps: [{subject: s, body: b, on: [x]}]}",
            "n.yaml:3: sequences[0].steps[0].on: expected a mapping of names to values",
        ),
        (
            "nurture: n\nsequences:\n  - {name: a, entry: list, steps: [{subject: s}]}",
            "n.yaml:3: sequences[0].steps[0].body: required key is missing",
        ),
        (
            "nurture: n\nsequences:\n  - {name: a, entry: list, steps: [text, {subject: s, body: b}]}",
            "n.yaml:3: sequences[0].steps[0]: expected a mapping of keys to values",
        ),
        (
            "nurture: n\nsequences:\n  - {name: a, entry: list, steps: [{subject: '', body: b}]}",
            "n.yaml:3: sequences[0].steps[0].subject: expected text",
        ),
    ],
)
def test_a_file_that_is_not_a_sequence_file_is_refused_with_the_reason(text: str, expected: str) -> None:
    found = problems(text)
    assert found[0].startswith(expected), found


def test_any_entry_name_is_taken_when_no_agreement_is_given_to_check_it_against() -> None:
    text = "nurture: n\nsequences:\n  - {name: a, entry: whatever, steps: [{subject: s, body: b}]}"
    assert parse_nurture(text).sequences["a"].entry == "whatever"


STEPS = (
    Step(
        1,
        0,
        "Hi {{ first_name }} at {{ company }}",
        "See https://a.example/x and https://a.example/x/y.",
        {"email_click": 3},
    ),
    Step(2, 2, "Again", "https://a.example/x, {{ fields.segment }}|{{ fields.missing }}|"),
    Step(3, 1, "Last", "Bye {{ title }}"),
)


def test_a_step_is_written_with_the_leads_fields_and_its_links_made_tracked_redirects() -> None:
    mail = render(STEPS[0], {"first_name": "Ann", "company": None}, {}, lambda url: f"<{url}>")
    assert mail.subject == "Hi Ann at"
    assert mail.body == "See <https://a.example/x> and <https://a.example/x/y>."
    other = render(STEPS[1], {}, {"segment": "smb"}, lambda url: "L")
    assert other.body == "L, smb||"


def test_a_template_that_reaches_for_what_it_may_not_is_refused_when_written() -> None:
    with pytest.raises(InvalidInput, match="step 3 cannot be written"):
        render(Step(3, 0, "{{ title.__class__.__mro__ }}", "b"), {"title": "VP"}, {}, str)
    with pytest.raises(InvalidInput, match="step 3 cannot be written"):
        render(Step(3, 0, "{{ title.format.__self__.__class__() }}", "b"), {"title": "VP"}, {}, str)


def test_the_next_step_follows_a_branch_on_the_event_else_the_order_and_ends_after_the_last() -> None:
    seq = Sequence("s", "list", STEPS)
    assert seq.next_step(1) == 2
    assert seq.next_step(1, "email_click") == 3
    assert seq.next_step(1, "email_open") == 2
    assert seq.next_step(3) is None
    assert seq.step(0) is None
    assert seq.step(4) is None
    assert seq.step(2) is STEPS[1]


def test_links_are_found_once_each_without_trailing_punctuation() -> None:
    assert links_in("a http://x.example/a, then (https://x.example/b). http://x.example/a!") == (
        "http://x.example/a",
        "https://x.example/b",
    )


@pytest.mark.parametrize(
    ("stage", "assigned", "suppressed", "reason"),
    [
        ("inquiry", False, None, None),
        ("recycled", False, None, None),
        ("recycled", True, None, "assigned"),
        ("inquiry", False, "unsubscribed", "unsubscribed"),
        ("mql", True, None, "qualified"),
        ("customer", False, None, "qualified"),
        ("disqualified", False, None, "disqualified"),
        ("screening", False, None, "screening"),
    ],
)
def test_a_lead_leaves_its_sequence_when_it_qualifies_is_assigned_leaves_the_open_stages_or_is_suppressed(
    stage: str, assigned: bool, suppressed: str | None, reason: str | None
) -> None:
    assert exit_reason(stage, assigned, suppressed) == reason
