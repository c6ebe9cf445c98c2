"""A rule on the lead model's chance is valid only in an agreement that names the model version both sides sign,
compares the chance as a number from 0 to 1, and names the one prediction there is; each problem names its key."""

from __future__ import annotations

import pytest

from leadpact.domain.agreement_diff import diff_agreements
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidAgreement
from leadpact.domain.wording import parts
from tests.factories import agreement_text, parsed

FREE_MAIL = "    - {id: free-mail, field: email, free_mail: true, points: -20}"


def text(condition: str, model: str | None = "1") -> str:
    rule = f"    - {{id: likely, {condition}, points: 25}}"
    changes = [(FREE_MAIL, f"{FREE_MAIL}\n{rule}")]
    if model is not None:
        changes.append(("\nqualified:", f"\nmodel: {model}\nqualified:"))
    return agreement_text(*changes)


def test_a_rule_on_the_chance_reads_with_the_model_version_and_in_words() -> None:
    agreement = parse_agreement(text("field: predicted.probability, between: [0.4, 1]"), "a.yaml")
    assert agreement.model == 1
    rule = next(r for r in agreement.fit_rules if r.id == "likely")
    assert (rule.condition.field, rule.condition.value) == ("predicted.probability", (0.4, 1))
    model_part = next(p for p in parts(agreement) if p.title == "Lead model")
    assert "Version 1 of the lead model" in model_part.summary
    assert diff_agreements(parsed(), agreement)[-1] == "lead model: none -> version 1"


@pytest.mark.parametrize(
    ("condition", "model", "problem"),
    [
        ("field: predicted.probability, at_least: 0.5", None, "fit.rules[6].field: predicted.probability needs 'model"),
        ("field: predicted.probability, equals: 0.5", "1", "fit.rules[6].equals: compare predicted.probability with"),
        ("field: predicted.probability, at_least: 50", "1", "fit.rules[6].at_least: a probability is from 0 to 1"),
        ("field: predicted.probability, between: [0, 2]", "1", "fit.rules[6].between: a probability is from 0 to 1"),
        ("field: predicted.score, at_least: 0.5", "1", "fit.rules[6].field: 'predicted.score' is not a prediction"),
        ("field: title, missing: true", "0", "model: expected a whole number of at least 1"),
    ],
)
def test_a_rule_on_the_chance_that_cannot_hold_is_refused_naming_its_key(
    condition: str, model: str | None, problem: str
) -> None:
    with pytest.raises(InvalidAgreement) as refused:
        parse_agreement(text(condition, model), "a.yaml")
    assert any(problem in p for p in refused.value.problems), refused.value.problems
