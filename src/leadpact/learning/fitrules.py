"""Fit rules drawn from a profile: its traits on lead fields, as points the agreement can state.

A trait on a column that is a lead field (``title``, ``industry``, ``employees``, ``country``, ``source``, an
account's field, or a custom field kept from an import) becomes a fit rule: a category's levels become ``in``,
a number's range ``between``, ``at_least`` or ``at_most``, a missing value ``missing: true``, and the email's
free-mail trait (learned from the store) ``free_mail``. Its points are ten times the natural log of its lift,
rounded (a lift of 2.7 is worth 10 points, 0.5 is worth -7), within ±30, the lift taken with one buyer added to
the group's and to its expected count so that a group without buyers is not worth minus infinity; levels of one
field worth the same points share a rule. The learning table's fit under these rules, row by row, gives how
many rows (and buyers) reach each fit, from which the grades' bounds are set.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from leadpact.domain.fields import ACCOUNT_FIELDS, FREE_MAIL_DOMAINS, email_domain, field_problem
from leadpact.learning.tabular import Column, Encoder, Kind
from leadpact.learning.traits import TIMES, Trait

POINTS_PER_LOG_LIFT = 10.0
MAX_POINTS = 30
MIN_POINTS = 2
MAX_RULES = 15
FREE_MAIL = "free mail"
COMPANY_MAIL = "company mail"
"""The levels of the ``email`` column of a profile learned from the store."""


def mail_kind(email: str) -> str:
    """An email address as a profile learned from the store sees it: free mail or a company's domain."""
    return FREE_MAIL if email_domain(email) in FREE_MAIL_DOMAINS else COMPANY_MAIL


ALIASES = {
    "job_title": "title",
    "jobtitle": "title",
    "position": "title",
    "sector": "industry",
    "vertical": "industry",
    "company_size": "employees",
    "employee_count": "employees",
    "number_of_employees": "employees",
    "no_of_employees": "employees",
    "headcount": "employees",
    "lead_source": "source",
    "channel": "source",
}
"""Common headers of customer tables, as the lead field they are."""
IDENTIFYING = frozenset({"email", "first_name", "last_name", "company", "domain", "account.name", "account.domain"})
_SLUG = re.compile(r"[^a-z0-9_]+")


@dataclass(frozen=True)
class Rule:
    """A fit rule as the agreement file writes it, with the traits it stands for."""

    id: str
    field: str
    op: str
    value: object
    points: int
    because: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def lead_field(column: str) -> str | None:
    """The lead field a column of a customer table is, or None when it is none the agreement can name."""
    if column.startswith("account."):
        name = column.removeprefix("account.")
        return column if name in ACCOUNT_FIELDS and column not in IDENTIFYING else None
    key = _SLUG.sub("_", column.strip().lower()).strip("_")
    key = ALIASES.get(key, key)
    if key in IDENTIFYING or field_problem(key, ()) is not None:
        return None
    return key


def rules(more: Sequence[Trait], less: Sequence[Trait]) -> list[Rule]:
    """The traits on lead fields as fit rules, the ones worth most points first."""
    grouped: dict[tuple[str, str, int], list[Trait]] = {}
    singles: list[tuple[Trait, str, int]] = []
    for trait in [*more, *less]:
        mail = _is_mail(trait)
        field = "email" if mail else lead_field(trait.column)
        points = round(POINTS_PER_LOG_LIFT * math.log((trait.buyers + 1) / (trait.expected + 1)))
        points = max(-MAX_POINTS, min(MAX_POINTS, points))
        if field is None or abs(points) < MIN_POINTS or trait.kind == Kind.DATE.value:
            continue
        if trait.level is not None and not mail:
            grouped.setdefault((trait.column, field, points), []).append(trait)
        else:
            singles.append((trait, field, points))
    found: list[tuple[Rule, int]] = []
    for (_, field, points), traits in grouped.items():
        levels = [t.level for t in traits if t.level is not None]
        op, value = ("equals", levels[0]) if len(levels) == 1 else ("in", levels)
        rows = sum(t.rows for t in traits)
        found.append((Rule("", field, op, value, points, tuple(t.sentence for t in traits)), rows))
    for trait, field, points in singles:
        condition, stated = _condition(trait)
        found.append((Rule("", field, condition, stated, points, (trait.sentence,)), trait.rows))
    found.sort(key=lambda pair: (-abs(pair[0].points), -pair[1], pair[0].field))
    kept: list[Rule] = []
    ids: set[str] = set()
    for rule, _ in found[:MAX_RULES]:
        rule_id = _unique_id(rule, ids)
        ids.add(rule_id)
        kept.append(Rule(rule_id, rule.field, rule.op, rule.value, rule.points, rule.because))
    return kept


def _is_mail(trait: Trait) -> bool:
    return trait.column == "email" and trait.level in (FREE_MAIL, COMPANY_MAIL)


def _condition(trait: Trait) -> tuple[str, object]:
    if trait.missing:
        return "missing", True
    if _is_mail(trait):
        return "free_mail", trait.level == FREE_MAIL
    low, high = _plain(trait.low), _plain(trait.high)
    if low is not None and low == high:
        return "equals", low
    if low is None:
        return "at_most", high
    if high is None:
        return "at_least", low
    return "between", [low, high]


def _plain(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == round(value) and abs(value) < 1e15 else round(value, 6)


def _unique_id(rule: Rule, taken: set[str]) -> str:
    what = rule.value if not isinstance(rule.value, list) else rule.value[0]
    base = f"profile-{_SLUG.sub('-', rule.field.lower())}-{_SLUG.sub('-', str(what).lower())}".strip("-")[:60]
    base = re.sub(r"-+", "-", base).rstrip("-")
    rule_id, n = base, 2
    while rule_id in taken:
        rule_id, n = f"{base}-{n}", n + 1
    return rule_id


def distribution(
    found: Sequence[Rule], traits: Sequence[Trait], encoder: Encoder, x: np.ndarray, y: np.ndarray
) -> list[tuple[float, int, int]]:
    """``(fit, rows, buyers)`` for each fit the learning table's rows reach under ``found``, highest first."""
    by_sentence = {t.sentence: t for t in traits}
    index = {c.name: i for i, c in enumerate(encoder.used)}
    fit = np.zeros(len(y))
    for rule in found:
        holds = np.zeros(len(y), dtype=bool)
        for sentence in rule.because:
            trait = by_sentence[sentence]
            i = index[trait.column]
            holds |= _members(trait, encoder.used[i], x[:, i])
        fit += rule.points * holds
    values = sorted(set(fit.tolist()), reverse=True)
    return [(v, int((fit == v).sum()), int(y[fit == v].sum())) for v in values]


def _members(trait: Trait, column: Column, values: np.ndarray) -> np.ndarray:
    if trait.missing:
        return np.asarray(np.isnan(values), dtype=bool)
    if trait.level is not None:
        return np.asarray(values == float(column.levels.index(trait.level)), dtype=bool)
    inside = ~np.isnan(values)
    if trait.low is not None:
        inside &= values >= trait.low
    if trait.high is not None:
        inside &= values <= trait.high
    return np.asarray(inside, dtype=bool)


def grade_bounds(grades: int, spread: Sequence[tuple[float, int, int]]) -> list[float]:
    """The ``fit_at_least`` of each grade but the last, strictly descending: the best grade takes the rows whose fit
    reaches the bound that comes closest to the top tenth of the table, the next ones step down to the top 60 %."""
    total = sum(rows for _, rows, _ in spread)
    reached, above = [], 0
    for fit, rows, _ in spread:
        above += rows
        reached.append((fit, above / total))
    shares = [0.3] if grades == 2 else [float(s) for s in np.linspace(0.1, 0.6, grades - 1)]
    bounds: list[float] = []
    for share in shares:
        open_ = [(fit, part) for fit, part in reached if not bounds or fit < bounds[-1]]
        bound = min(open_, key=lambda pair: abs(pair[1] - share))[0] if open_ else bounds[-1] - 1
        bounds.append(float(bound))
    return bounds


def fit_section(
    found: Sequence[Rule], grade_names: Sequence[str], spread: Sequence[tuple[float, int, int]], heading: str
) -> str:
    """The agreement file's ``fit:`` section stating ``found`` and grades bounded from the learning table's fit."""
    bounds = grade_bounds(len(grade_names), spread) if len(grade_names) > 1 else []
    total = sum(rows for _, rows, _ in spread)
    buyers = sum(hits for _, _, hits in spread)
    lines = ["fit:", *(f"  # {line}" for line in heading.splitlines()), "  rules:"]
    for rule in found:
        value = json.dumps(rule.value, ensure_ascii=False)
        lines.append(f"    - {{id: {rule.id}, field: {rule.field}, {rule.op}: {value}, points: {rule.points}}}")
        lines.extend(f"      # {because}" for because in rule.because)
    lines.append("  grades:")
    upper = math.inf
    for i, grade in enumerate(grade_names):
        bound = bounds[i] if i < len(bounds) else None
        lower = bound if bound is not None else -math.inf
        rows = sum(r for fit, r, _ in spread if lower <= fit < upper)
        hits = sum(h for fit, _, h in spread if lower <= fit < upper)
        entry = f"{{grade: {json.dumps(grade)}" + (f", fit_at_least: {_plain(bound)}}}" if bound is not None else "}")
        evidence = (
            f"{rows / total:.0%} of the learning table, {(hits / rows) / (buyers / total):.1f}{TIMES} as likely to buy"
            if rows and buyers
            else "no row of the learning table"
        )
        lines.append(f"    - {entry}  # {evidence}")
        upper = lower
    return "\n".join(lines) + "\n"


_TOP_KEY = re.compile(r"^[^\s#]")


def with_fit(agreement: str, section: str) -> str:
    """The agreement file's text with its ``fit:`` section replaced by ``section``; everything else as it was."""
    lines = agreement.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"^fit\s*:", line)), None)
    if start is None:
        raise ValueError("the agreement has no top-level fit section")
    end = next((i for i in range(start + 1, len(lines)) if _TOP_KEY.match(lines[i])), len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # blank lines and comments before the next section belong to it
    return "".join(lines[:start]) + section + "".join(lines[end:])
