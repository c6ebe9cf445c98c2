"""What changed between two agreements, in words a VP of sales reads without opening the YAML."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from leadpact.domain import feedback, screening
from leadpact.domain.agreement import Agreement, FitRule
from leadpact.domain.conditions import describe_condition
from leadpact.domain.health import describe_bound
from leadpact.domain.wording import (
    describe_account_rule,
    describe_band,
    describe_decay,
    describe_event,
    describe_fit_rule,
    describe_grade,
    describe_hours,
    describe_model,
    describe_reason,
    number,
    rule_title,
)

T = TypeVar("T")


def _keyed(lines: list[str], what: str, old: Mapping[str, T], new: Mapping[str, T], show: Callable[[T], str]) -> None:
    for key in old.keys() - new.keys():
        lines.append(f"{what} '{key}' removed (was {show(old[key])})")
    for key in new.keys() - old.keys():
        lines.append(f"{what} '{key}' added: {show(new[key])}")
    for key in sorted(old.keys() & new.keys()):
        if old[key] != new[key]:
            lines.append(f"{what} '{key}': {show(old[key])} -> {show(new[key])}")


def _changed(lines: list[str], what: str, old: object, new: object) -> None:
    if old != new:
        lines.append(f"{what}: {old} -> {new}")


def diff_agreements(old: Agreement, new: Agreement) -> list[str]:
    """One plain sentence per change; an empty list when the two agree."""
    lines: list[str] = []
    _changed(lines, "name", old.name, new.name)
    _changed(lines, "time zone", old.timezone, new.timezone)
    _changed(lines, "working hours", describe_hours(old), describe_hours(new))
    _changed(lines, "holidays", ", ".join(map(str, old.holidays)), ", ".join(map(str, new.holidays)))
    _keyed(
        lines,
        "fit rule",
        {r.id: r for r in old.fit_rules},
        {r.id: r for r in new.fit_rules},
        _fit_rule,
    )
    _changed(lines, "grades", _grades(old), _grades(new))
    _changed(lines, "decay", describe_decay(old.half_life_days), describe_decay(new.half_life_days))
    _keyed(lines, "event", old.events, new.events, describe_event)
    q_old, q_new = old.qualified, new.qualified
    _changed(lines, "qualification threshold", number(q_old.score_at_least), number(q_new.score_at_least))
    _changed(lines, "grades that qualify", ", ".join(q_old.grades), ", ".join(q_new.grades))
    _changed(
        lines,
        "grades an immediate event hands off",
        ", ".join(q_old.immediate_grades),
        ", ".join(q_new.immediate_grades),
    )
    _changed(lines, "priority bands", _bands(old), _bands(new))
    _keyed(lines, "question", old.questions, new.questions, lambda answers: ", ".join(answers))
    h_old, h_new = old.handoff, new.handoff
    _changed(lines, "SLA to accept", f"{h_old.accept_within} working", f"{h_new.accept_within} working")
    _changed(
        lines,
        "SLA to first contact",
        f"{h_old.first_contact_within} working",
        f"{h_new.first_contact_within} working",
    )
    _changed(lines, "on SLA breach", h_old.on_breach, h_new.on_breach)
    _changed(lines, "routing", _routing(old), _routing(new))
    _changed(lines, "account owner takes the account's leads", h_old.account_owner, h_new.account_owner)
    _changed(lines, "account rule", describe_account_rule(old.accounts), describe_account_rule(new.accounts))
    _keyed(lines, "reject reason", old.reject_reasons, new.reject_reasons, describe_reason)
    _keyed(lines, "lost reasons at stage", old.lost_reasons, new.lost_reasons, lambda r: ", ".join(r))
    _changed(lines, "sales stages", _stages(old), _stages(new))
    _changed(lines, "lead sources that are sales' own", _sources(old), _sources(new))
    _changed(lines, "lead model", describe_model(old.model), describe_model(new.model))
    _changed(lines, "screening", screening.describe(old.screening), screening.describe(new.screening))
    for key, words in feedback.LISTS:
        _changed(lines, f"feedback {words}", feedback.describe(old.feedback, key), feedback.describe(new.feedback, key))
    _keyed(
        lines,
        "health bound",
        {b.indicator.value: b for b in old.health},
        {b.indicator.value: b for b in new.health},
        describe_bound,
    )
    return lines


def _fit_rule(rule: FitRule) -> str:
    """A fit rule with its title, so a rule retitled alone reads as changed."""
    return f"'{rule_title(rule)}', {describe_fit_rule(rule)}"


def _grades(a: Agreement) -> str:
    return ", ".join(f"{g.grade}: {describe_grade(g)}" for g in a.grades)


def _bands(a: Agreement) -> str:
    return ", ".join(f"{b.band}: {describe_band(b)}" for b in a.priority)


def _routing(a: Agreement) -> str:
    return "; ".join(
        f"{describe_condition(r.when)} -> {r.team}" if r.when else f"otherwise -> {r.team}" for r in a.handoff.routing
    )


def _sources(a: Agreement) -> str:
    return ", ".join(a.sales_sources) or "none"


def _stages(a: Agreement) -> str:
    return ", ".join(f"{s.name} ({s.probability:.0%})" for s in a.sales_stages)
