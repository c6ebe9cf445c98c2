"""The agreement in plain words, written once: the CLI's ``agreement show``, the agreement page and the diff of
two versions all say a rule the same way, and name a fit rule by its title, not the id the file keys it by. (A fit
condition's words are with the condition, in ``conditions``; a health bound's with the bound, in ``health``.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leadpact.domain import feedback, screening
from leadpact.domain.agreement import AccountRule, Agreement, Band, EventRule, FitRule, Grade, RejectReason, SalesStage
from leadpact.domain.conditions import describe_condition
from leadpact.domain.health import describe_bound

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BREACH = {
    "reassign": "reassign the lead to the next rep of the team",
    "escalate": "notify the team's manager",
}
"""What happens on an SLA breach, by the agreement's ``on_breach``."""
ACCOUNT_OWNER = {
    "when_available": "An account's owner gets its leads while available and below their cap.",
    "always": "An account's owner always gets its leads.",
}
"""When an account's owner takes its leads, by the agreement's ``handoff.account_owner`` (``never``: routing alone)."""


def describe_account_rule(rule: AccountRule | None) -> str:
    if rule is None:
        return "none"
    return (
        f"engagement of its people together at least {rule.engagement_at_least:g} "
        f"with at least {rule.people_engaged_at_least} of them engaged"
    )


def number(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def describe_event(rule: EventRule) -> str:
    extras = [f"at most {rule.max_per_day} a day"] if rule.max_per_day else []
    extras += ["counted once"] if rule.once else []
    extras += ["hands off at once"] if rule.immediate else []
    return f"{number(rule.points)} points" + (f" ({', '.join(extras)})" if extras else "")


def describe_reason(reason: RejectReason) -> str:
    if reason.disqualify:
        return "disqualifies"
    return f"recycles after {number(reason.recycle_after_days)} days"


def words_of(name: str) -> str:
    """A name the agreement file gives (``senior-title``, ``vp_title``) in words: Senior title, VP title. A part
    with no vowel (vp, hr, b2b) is taken for an abbreviation."""
    parts = [part if re.search("[aeiouy]", part) else part.upper() for part in re.split("[-_]+", name) if part]
    text = " ".join(parts)
    return text[:1].upper() + text[1:]


def rule_title(rule: FitRule) -> str:
    """A fit rule as people read it: the title the agreement gives it, else its id in words."""
    return rule.title or words_of(rule.id)


def title_of(agreement: Agreement | None, rule_id: str) -> str:
    """The title of the agreement's fit rule ``rule_id``; a rule it no longer has (a lead's points from an earlier
    version) by its id in words."""
    rule = next((r for r in agreement.fit_rules if r.id == rule_id), None) if agreement else None
    return rule_title(rule) if rule else words_of(rule_id)


def describe_fit_rule(rule: FitRule) -> str:
    return f"{number(rule.points)} points when {describe_condition(rule.condition)}"


def describe_hours(a: Agreement) -> str:
    days = ", ".join(DAY_NAMES[d] for d in a.working_hours.days)
    return f"{days} {a.working_hours.start:%H:%M}-{a.working_hours.end:%H:%M}"


def describe_grade(grade: Grade) -> str:
    return f"fit of {grade.fit_at_least:g} or more" if grade.fit_at_least is not None else "any lower fit"


def describe_band(band: Band) -> str:
    return f"score of {band.score_at_least:g} or more" if band.score_at_least is not None else "any lower score"


def describe_stage(stage: SalesStage, lost_reasons: tuple[str, ...]) -> str:
    return f"{stage.probability:.0%}; lost for: {', '.join(lost_reasons) or 'none'}"


def describe_model(version: int | None) -> str:
    return f"version {version}" if version is not None else "none"


def describe_decay(half_life_days: float | None) -> str:
    return f"points halve every {half_life_days:g} days" if half_life_days else "points never decay"


@dataclass(frozen=True)
class Part:
    """One part of the agreement in plain words: what it says overall, then one line per item."""

    title: str
    summary: str
    items: tuple[tuple[str, str], ...] = ()
    item_label: str = "item"


def parts(a: Agreement) -> list[Part]:
    """The whole agreement, part by part."""
    q, h = a.qualified, a.handoff
    holidays = ", ".join(d.isoformat() for d in a.holidays) or "none"
    return [
        Part(
            "Calendar",
            f"Time zone {a.timezone}; working {describe_hours(a)}. The SLA counts working time only.",
            (("holidays", holidays),),
            "what",
        ),
        Part(
            "Fit rules",
            "Each rule adds its points at most once, from what is known about the lead and its company.",
            tuple((rule_title(r), describe_fit_rule(r)) for r in a.fit_rules),
            "rule",
        ),
        Part(
            "Grades",
            "A lead's grade is the first whose fit it reaches.",
            tuple((g.grade, describe_grade(g)) for g in a.grades),
            "grade",
        ),
        Part(
            "Engagement events",
            f"Each counted event adds its points to the score; {describe_decay(a.half_life_days)}.",
            tuple((name, describe_event(e)) for name, e in a.events.items()),
            "event",
        ),
        Part(
            "Qualification",
            f"A lead is handed to sales (MQL) when its score reaches {q.score_at_least:g} with grade "
            f"{' or '.join(q.grades)}. An event that hands off at once does so for grade "
            f"{', '.join(q.immediate_grades)}.",
        ),
        Part(
            "Screening",
            f"Qualifiers (team {a.screening.team}) call the inquiries it names first, within "
            f"{a.screening.first_call_within} of working time, and pass to sales only leads whose answers are ready."
            if a.screening
            else "None: every inquiry that meets the qualification rule goes straight to sales.",
            screening.describe_items(a.screening) if a.screening else (),
            "key",
        ),
        Part(
            "Priority",
            "A lead's priority is the first band its score reaches.",
            tuple((b.band, describe_band(b)) for b in a.priority),
            "band",
        ),
        Part(
            "Qualification questions",
            "What a rep asks to make a lead sales-qualified (SQL), and the answers allowed.",
            tuple((key, ", ".join(answers)) for key, answers in a.questions.items()),
            "question",
        ),
        Part(
            "Hand-off SLA",
            f"The rep accepts a lead within {h.accept_within} and first contacts it within "
            f"{h.first_contact_within} of working time. On a breach: {BREACH.get(h.on_breach, h.on_breach)}.",
        ),
        Part(
            "Routing",
            f"{ACCOUNT_OWNER[h.account_owner]} Otherwise each MQL goes to the team of the first rule that matches."
            if h.account_owner in ACCOUNT_OWNER
            else "Each MQL goes to the team of the first rule that matches.",
            tuple((r.team, f"when {describe_condition(r.when)}" if r.when else "otherwise") for r in h.routing),
            "team",
        ),
        Part(
            "Accounts",
            f"An account is a buying group ready for sales at {describe_account_rule(a.accounts)}."
            if a.accounts is not None
            else "No account rule: an account's engagement is shown, and no account is called a buying group.",
        ),
        Part(
            "Reject reasons",
            "Why a rep may send a lead back: it returns to marketing for nurturing, or ends.",
            tuple((name, describe_reason(r)) for name, r in a.reject_reasons.items()),
            "reason",
        ),
        Part(
            "Sales stages",
            "The stages of an opportunity, with the probability the forecast gives it and why it may be lost there.",
            tuple((s.name, describe_stage(s, a.lost_reasons.get(s.name, ()))) for s in a.sales_stages),
            "stage",
        ),
        Part(
            "Sales-sourced leads",
            "Leads from these sources are sales' own; every other lead is marketing-sourced: "
            + (", ".join(a.sales_sources) or "none")
            + ".",
        ),
        Part(
            "Lead model",
            f"Version {a.model} of the lead model, signed with the agreement: a rule on predicted.probability reads "
            "the chance it gives the lead as captured."
            if a.model is not None
            else "None named: no rule reads a predicted probability.",
        ),
        Part(
            "Health bounds",
            "Limits both sides keep the agreement's results within, checked once a day; a bound broken is reported "
            "with the counts behind it."
            if a.health
            else "None agreed: the agreement sets no limits on how well it is kept.",
            tuple((b.indicator.value, describe_bound(b)) for b in a.health),
            "bound",
        ),
        Part(
            "Sales feedback",
            "What reps record on contact, lost and won, for marketing: competitor met, product requests, what opened "
            "the door."
            if a.feedback
            else "No lists agreed: reps record no sales feedback.",
            tuple((words, feedback.describe(a.feedback, key)) for key, words in feedback.LISTS) if a.feedback else (),
            "list",
        ),
    ]
