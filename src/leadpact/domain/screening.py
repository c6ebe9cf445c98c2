"""Screening: qualification specialists call the inquiries the agreement names before sales sees them.

An inquiry goes to screening, instead of straight to sales, at the first moment it meets the screening rule:
its score reaches ``score_at_least``, its grade is one of ``grades`` and its source one of ``sources`` (each
key that is given; sources compare without regard to case). That moment is found as the qualification moment
is, and the screening rule is asked first: a lead that meets both goes to screening. A qualifier then calls,
records the answers and decides: pass (an MQL, routed as any other), not yet (recycled with the screening's
cooldown) or disqualify (with a reason). The answers ready for sales are the agreement's ``ready`` lists:
every question named there must have one of its ready answers. Unless the agreement says otherwise, the same
answers rule when a rep qualifies a lead.
"""

from __future__ import annotations

from collections.abc import Mapping

from leadpact.domain.agreement import Agreement, Screening
from leadpact.domain.errors import NotReady, UnknownReason


def screens_now(agreement: Agreement, score: float, grade: str, source: str | None) -> bool:
    """Whether the screening rule holds at one moment for a lead with this score, grade and source."""
    rule = agreement.screening
    if rule is None:
        return False
    when = rule.when
    if when.score_at_least is not None and score < when.score_at_least:
        return False
    if when.grades is not None and grade not in when.grades:
        return False
    return source_screened(rule, source)


def source_screened(screening: Screening, source: str | None) -> bool:
    """Whether screening takes leads of this source: any source when it names none."""
    sources = screening.when.sources
    if sources is None:
        return True
    return source is not None and source.strip().casefold() in {s.strip().casefold() for s in sources}


def unready(screening: Screening, answers: Mapping[str, str]) -> NotReady | None:
    """The first ready list the answers miss, as the error that explains it; None when the lead is ready."""
    for question, ready in screening.ready.items():
        given = answers.get(question)
        if given not in ready:
            shown = f"'{given}'" if given is not None else "no answer"
            return NotReady(
                f"{question}: {shown} is not ready for sales; the agreement wants {' or '.join(ready)}", question
            )
    return None


def require_ready(agreement: Agreement, answers: Mapping[str, str], *, at_sql: bool) -> None:
    """Refuse answers that fail the agreement's ready lists: at a pass always, at sal -> sql if ``gate_sql``."""
    screening = agreement.screening
    if screening is None or (at_sql and not screening.gate_sql):
        return
    problem = unready(screening, answers)
    if problem is not None:
        raise problem


def disqualify_reasons(agreement: Agreement) -> tuple[str, ...]:
    """A qualifier's reasons: the screening's own list, else the agreement's reject reasons that disqualify."""
    screening = agreement.screening
    if screening is not None and screening.disqualify:
        return screening.disqualify
    return tuple(name for name, reason in agreement.reject_reasons.items() if reason.disqualify)


def require_reason(agreement: Agreement, reason: str) -> None:
    reasons = disqualify_reasons(agreement)
    if reason not in reasons:
        raise UnknownReason(f"'{reason}' is not a reason to disqualify in screening; use one of: {', '.join(reasons)}")


def describe_items(screening: Screening) -> tuple[tuple[str, str], ...]:
    """The screening section line by line, for the agreement in plain words."""
    when = screening.when
    rules = []
    if when.score_at_least is not None:
        rules.append(f"a score of {when.score_at_least:g} or more")
    if when.grades is not None:
        rules.append(f"grade {' or '.join(when.grades)}")
    if when.sources is not None:
        rules.append(f"source {' or '.join(when.sources)}")
    return (
        ("which", "inquiries with " + (", ".join(rules) or "any score")),
        ("ready", "; ".join(f"{q}: {' or '.join(a)}" for q, a in screening.ready.items())),
        ("not yet", f"back to nurture for {screening.not_yet_days:g} days"),
        ("sal -> sql", "the same answers must be ready" if screening.gate_sql else "answers are not checked"),
        ("disqualify", ", ".join(screening.disqualify) or "with the reject reasons that disqualify"),
    )


def describe(screening: Screening | None) -> str:
    """The screening section in one line, for the agreement's diff and pages."""
    if screening is None:
        return "none"
    when = screening.when
    parts = []
    if when.score_at_least is not None:
        parts.append(f"score at least {when.score_at_least:g}")
    if when.grades is not None:
        parts.append(f"grade {', '.join(when.grades)}")
    if when.sources is not None:
        parts.append(f"source {', '.join(when.sources)}")
    ready = "; ".join(f"{q} in {', '.join(a)}" for q, a in screening.ready.items())
    gate = "" if screening.gate_sql else "; not at sal -> sql"
    return (
        f"inquiries with {' and '.join(parts) or 'any score'} to team {screening.team}, first call within "
        f"{screening.first_call_within} working; ready: {ready}{gate}; not yet: {screening.not_yet_days:g} days"
    )
