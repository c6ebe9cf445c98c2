"""Screening in the agreement: the section read strictly, which inquiries it takes, and which answers are ready."""

from __future__ import annotations

import pytest

from leadpact.domain.agreement import Duration, ScreeningWhen
from leadpact.domain.agreement_diff import diff_agreements
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import IllegalTransition, InvalidAgreement, NotReady, UnknownReason
from leadpact.domain.lifecycle import Move, Stage, next_stage, withdrawn_stage
from leadpact.domain.scoring import Cycle, EventFact, entry_moment, entry_now, qualification_moment
from leadpact.domain.screening import describe, disqualify_reasons, require_ready, require_reason, screens_now
from leadpact.domain.wording import parts
from tests.conftest import EXAMPLE
from tests.screening import SECTION, with_screening

PLAIN = parse_agreement(EXAMPLE.read_text())
SCREENED = parse_agreement(with_screening())
T0 = 1_772_000_000


def problems(section: str) -> list[str]:
    with pytest.raises(InvalidAgreement) as caught:
        parse_agreement(with_screening(section), "agreement.yaml")
    return caught.value.problems


def line_of(section: str, marker: str) -> int:
    text = with_screening(section)
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


def test_the_screening_section_is_read_with_its_defaults() -> None:
    s = SCREENED.screening
    assert s is not None
    assert s.when == ScreeningWhen(25, ("A", "B", "C"), ("webinar", "Tradeshow"))
    assert (s.team, s.first_call_within, s.not_yet_days, s.gate_sql) == ("sdr", Duration(4, "h"), 30, True)
    assert s.ready == {"budget": ("yes",), "authority": ("decision_maker", "influencer")}
    assert disqualify_reasons(SCREENED) == ("bad_data", "competitor")
    assert PLAIN.screening is None


def test_a_ready_answer_that_is_not_the_questions_own_is_refused_naming_its_line() -> None:
    section = SECTION.replace("authority: [decision_maker, influencer]", "authority: [decision_maker, boss]")
    section = section.replace("budget: [yes]", "pets: [cat]")
    line = line_of(section, "authority: [decision_maker, boss]")
    assert problems(section) == [
        f"agreement.yaml:{line - 1}: screening.ready.pets: 'pets' is not one of the agreement's questions "
        "(budget, authority, timing)",
        f"agreement.yaml:{line}: screening.ready.authority: 'boss' is not an answer to authority; "
        "use: decision_maker, influencer, user, unknown",
    ]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("team: sdr", "team: SDR Team", "screening.team: 'SDR Team' is not a name"),
        ("first_call_within: 4h", "first_call_within: soon", "screening.first_call_within: expected working hours"),
        ("not_yet_days: 30", "not_yet_days: -1", "screening.not_yet_days: must be 0 or more"),
        ("not_yet_days: 30", "not_yet_days: 30\n  gate_sql: maybe", "screening.gate_sql: expected true or false"),
        ("grades: [A, B, C]", "grades: [A, Z]", "screening.when.grades: grade 'Z' is not one of fit.grades"),
        ("grades: [A, B, C]", "grades: []", "screening.when.grades: list at least one"),
        ("score_at_least: 25", "score_at_least: lots", "screening.when.score_at_least: expected a number"),
        ("  team: sdr\n", "", "screening.team: required key is missing"),
        ("budget: [yes]", "budget: []", "screening.ready.budget: list at least one answer"),
        ("not_yet_days: 30", "not_yet_days: 30\n  disqualify: []", "screening.disqualify: list at least one reason"),
        ("not_yet_days: 30", "not_yet_days: 30\n  disqualify: [not_ready]", "'not_ready' is a reject reason that"),
        ("not_yet_days: 30", "not_yet_days: 30\n  disqualify: [spam, spam]", "reason 'spam' appears twice"),
        ("not_yet_days: 30", "not_yet_days: 30\n  colour: red", "screening.colour: unknown key"),
        ("  when: {", "  when: [1]\n  old: {", "screening.when: expected a mapping"),
    ],
)
def test_a_mistake_in_the_screening_section_is_named_by_its_key(old: str, new: str, problem: str) -> None:
    section = SECTION.replace(old, new)
    assert any(problem in p for p in problems(section)), problems(section)


def test_the_section_must_be_a_mapping_with_ready_answers_and_a_way_to_disqualify() -> None:
    assert problems("\nscreening: [sdr]\n")[0].endswith("screening: expected a mapping of keys to values")
    assert any(
        "screening.ready: name at least one question" in p
        for p in problems(
            SECTION.replace(
                "  ready:\n    budget: [yes]\n    authority: [decision_maker, influencer]\n", "  ready: {}\n"
            )
        )
    )
    assert any(
        "screening.ready: expected a mapping" in p
        for p in problems(
            SECTION.replace(
                "  ready:\n    budget: [yes]\n    authority: [decision_maker, influencer]\n", "  ready: [budget]\n"
            )
        )
    )
    text = with_screening().replace("bad_data:      {disqualify: true}", "bad_data:      {recycle_after_days: 1}")
    text = text.replace("competitor:    {disqualify: true}", "competitor:    {recycle_after_days: 1}")
    with pytest.raises(InvalidAgreement, match="no reject reason disqualifies"):
        parse_agreement(text)
    own = parse_agreement(text.replace("not_yet_days: 30", "not_yet_days: 30\n  disqualify: [student, spam]"))
    assert disqualify_reasons(own) == ("student", "spam")


def test_an_inquiry_is_screened_when_every_key_given_holds() -> None:
    assert screens_now(SCREENED, 25, "C", " WEBINAR ")
    assert screens_now(SCREENED, 40, "A", "tradeshow")
    assert not screens_now(SCREENED, 24.9, "A", "webinar")
    assert not screens_now(SCREENED, 90, "D", "webinar")
    assert not screens_now(SCREENED, 90, "A", "website")
    assert not screens_now(SCREENED, 90, "A", None)
    assert not screens_now(PLAIN, 90, "A", "webinar")
    anyone = parse_agreement(
        with_screening(
            SECTION.replace("  when: {score_at_least: 25, grades: [A, B, C], sources: [webinar, Tradeshow]}\n", "")
        )
    )
    assert screens_now(anyone, -10, "D", None)


def test_screening_is_asked_before_the_qualification_rule() -> None:
    assert entry_now(SCREENED, 50, 80, False, "webinar") is Stage.SCREENING
    assert entry_now(SCREENED, 50, 80, False, "website") is Stage.MQL
    assert entry_now(SCREENED, 50, 20, False, "website") is None
    assert entry_now(PLAIN, 50, 80, False, "webinar") is Stage.MQL


def test_the_entry_moment_is_the_first_moment_either_rule_holds() -> None:
    fit = [(T0, 15.0)]  # grade C
    events = [EventFact(T0 + 60, "w", "webinar_attended"), EventFact(T0 + 120, "d", "demo_request")]
    assert entry_moment(SCREENED, fit, events, Cycle(), "webinar") == (T0 + 60, Stage.SCREENING)  # 30
    assert entry_moment(SCREENED, fit, events, Cycle(), "website") == (T0 + 120, Stage.MQL)  # immediate, C
    assert qualification_moment(SCREENED, fit, events, Cycle(), "webinar") == T0 + 60
    assert qualification_moment(SCREENED, fit, events[:1], Cycle(), "website") is None


def test_answers_that_are_not_ready_are_refused_naming_the_question_and_the_answers_wanted() -> None:
    ready = {"budget": "yes", "authority": "influencer", "timing": "later"}
    require_ready(SCREENED, ready, at_sql=True)
    require_ready(PLAIN, {"budget": "no"}, at_sql=True)
    with pytest.raises(NotReady) as caught:
        require_ready(SCREENED, {**ready, "authority": "user"}, at_sql=True)
    assert (caught.value.code, caught.value.question) == ("not_ready", "authority")
    assert caught.value.detail == (
        "authority: 'user' is not ready for sales; the agreement wants decision_maker or influencer"
    )
    with pytest.raises(NotReady, match="budget: no answer is not ready for sales"):
        require_ready(SCREENED, {}, at_sql=False)
    ungated = parse_agreement(with_screening(SECTION + "  gate_sql: false\n"))
    require_ready(ungated, {"budget": "no"}, at_sql=True)
    with pytest.raises(NotReady):
        require_ready(ungated, {"budget": "no"}, at_sql=False)


def test_a_qualifier_disqualifies_only_with_a_reason_of_the_agreement() -> None:
    require_reason(SCREENED, "competitor")
    with pytest.raises(UnknownReason, match="'not_ready' is not a reason to disqualify in screening; use one of: "):
        require_reason(SCREENED, "not_ready")


def test_screening_moves_are_in_the_table_and_a_lead_in_screening_may_be_withdrawn() -> None:
    assert next_stage(Stage.INQUIRY, Move.SCREEN) is Stage.SCREENING
    assert next_stage(Stage.SCREENING, Move.PASS) is Stage.MQL
    assert next_stage(Stage.SCREENING, Move.NOT_YET) is Stage.RECYCLED
    assert withdrawn_stage(Stage.SCREENING, Stage.RECYCLED) is Stage.RECYCLED
    with pytest.raises(IllegalTransition, match="a lead in stage screening cannot hand_off"):
        next_stage(Stage.SCREENING, Move.HAND_OFF)


def test_the_diff_and_the_description_say_what_screening_does() -> None:
    ungated = parse_agreement(
        with_screening(
            SECTION.replace("  when: {score_at_least: 25, grades: [A, B, C], sources: [webinar, Tradeshow]}\n", "")
            + "  gate_sql: false\n"
        )
    )
    assert describe(SCREENED.screening) == (
        "inquiries with score at least 25 and grade A, B, C and source webinar, Tradeshow to team sdr, first call "
        "within 4h working; ready: budget in yes; authority in decision_maker, influencer; not yet: 30 days"
    )
    assert describe(ungated.screening).startswith("inquiries with any score to team sdr")
    assert describe(ungated.screening).endswith("; not at sal -> sql; not yet: 30 days")
    assert f"screening: none -> {describe(SCREENED.screening)}" in diff_agreements(PLAIN, SCREENED)


def test_the_agreement_in_plain_words_says_what_screening_does() -> None:
    (plain,) = [p for p in parts(PLAIN) if p.title == "Screening"]
    assert plain.summary == "None: every inquiry that meets the qualification rule goes straight to sales."
    (part,) = [p for p in parts(SCREENED) if p.title == "Screening"]
    assert part.summary.startswith("Qualifiers (team sdr) call the inquiries it names first, within 4h")
    assert dict(part.items) == {
        "which": "inquiries with a score of 25 or more, grade A or B or C, source webinar or Tradeshow",
        "ready": "budget: yes; authority: decision_maker or influencer",
        "not yet": "back to nurture for 30 days",
        "sal -> sql": "the same answers must be ready",
        "disqualify": "with the reject reasons that disqualify",
    }
    bare = parse_agreement(
        with_screening(
            SECTION.replace("  when: {score_at_least: 25, grades: [A, B, C], sources: [webinar, Tradeshow]}\n", "")
            + "  gate_sql: false\n  disqualify: [spam]\n"
        )
    )
    (bare_part,) = [p for p in parts(bare) if p.title == "Screening"]
    assert dict(bare_part.items)["which"] == "inquiries with any score"
    assert (dict(bare_part.items)["sal -> sql"], dict(bare_part.items)["disqualify"]) == (
        "answers are not checked",
        "spam",
    )
