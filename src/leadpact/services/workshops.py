"""The calibration workshop: marketing and sales grade the same sample of leads, blind to the score, and see where
they disagree with each other and with the agreement.

A workshop draws its sample once, stratified by score: the leads (erased ones left out) are sorted by their score
when it starts into five bands of equal size, and each band gives its share of the sample at random, so every part
of the score range is in it. The sample is kept in a shuffled order that says nothing of the score, with each
lead's score and the agreement's grade at the draw and the agreement version in force; the same seed on the same
store draws the same sample.

Each side grades each lead with one of the agreement's grades: a marketing person and a marketing-side manager
for marketing, a rep and a sales-side manager for sales. A side grading a lead again replaces its grade, and both
sides grading one lead at once both land. A whole file of grades (email, side, grade) is checked before any of it
is stored.

The report compares the sides (quadratic-weighted kappa over the grades, best first, on the leads both graded),
the agreement's grade at the draw with each side, lists the leads the sides disagree on most, and refits the
agreement's fit points to the grades given (``learning.refit``) as a candidate agreement file: the agreement in
force with only its fit points changed, to backtest before anyone signs it.
"""

from __future__ import annotations

import csv
import io
import random
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from leadpact.domain.agreement import Agreement
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import Conflict, ImportRejected, InvalidInput, NotFound, NotPermitted
from leadpact.domain.permissions import SIDES, Action, Principal, Role
from leadpact.domain.scoring import engagement_at, fit_points, from_seconds, to_seconds
from leadpact.learning.kappa import Comparison, compare
from leadpact.learning.refit import Refit, refit
from leadpact.services import agreements, audit
from leadpact.services.clock import Clock
from leadpact.services.facts import facts_of_many
from leadpact.store.tables import (
    Account,
    Campaign,
    Erasure,
    Event,
    Lead,
    LeadField,
    Workshop,
    WorkshopGrade,
    WorkshopLead,
)
from leadpact.store.unit_of_work import UnitOfWork

SAMPLE = 40
"""Leads drawn when the size is not given: enough for kappa to mean something, few enough for one sitting."""
MOST_SAMPLE = 500
STRATA = 5
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SEEDS = 2**31
"""Seeds are whole numbers from 0 up to this (not included): what the store's integer column holds."""
EVENTS_SHOWN = 100
COLUMNS = ("email", "side", "grade")
CHUNK = 500


# --- starting one -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    workshop: Workshop
    emails: list[str]  # in the order they are graded


def start(uow: UnitOfWork, clock: Clock, name: str, sample: int = SAMPLE, seed: int | None = None) -> Started:
    """Draw the sample of a new workshop named ``name`` under the agreement in force."""
    name = name.strip()
    if not NAME.match(name):
        raise InvalidInput(
            f"'{name}' is not a workshop name: up to 100 letters, digits, '.', '_' and '-', starting with a letter "
            "or digit (e.g. q3-2026)",
            "name",
        )
    if not 1 <= sample <= MOST_SAMPLE:
        raise InvalidInput(f"draw between 1 and {MOST_SAMPLE} leads, not {sample}", "sample")
    if seed is not None and not 0 <= seed < SEEDS:
        raise InvalidInput(f"a seed is a whole number from 0 to {SEEDS - 1}, not {seed}", "seed")
    uow.serialize_on(f"workshop {name}")  # two starts of one name: the second finds the first's
    inforce = agreements.in_force(uow)
    if uow.session.scalar(select(Workshop.id).where(Workshop.name == name)) is not None:
        raise Conflict(f"there is already a workshop named {name}; choose another name")
    now = clock.now()
    erased = select(Erasure.lead_id)
    rows = uow.session.execute(
        select(Lead.id, Lead.email, Lead.fit, Lead.engagement, Lead.engagement_at, Lead.grade)
        .where(Lead.id.not_in(erased))
        .order_by(Lead.id)
    ).all()
    if not rows:
        raise InvalidInput("there are no leads to draw a sample from yet")
    at = to_seconds(now)
    half_life = inforce.agreement.half_life_days
    scored = sorted(
        ((r.fit + engagement_at(r.engagement, r.engagement_at, at, half_life), r) for r in rows),
        key=lambda pair: (pair[0], pair[1].id),
    )
    seed = secrets.randbelow(SEEDS) if seed is None else seed
    picked = draw(len(scored), sample, random.Random(seed))
    workshop = Workshop(name=name, seed=seed, version=inforce.version, created_at=now, created_by=audit.actor_name(uow))
    uow.session.add(workshop)
    uow.session.flush()
    drawn = [scored[i] for i in picked]
    uow.session.add_all(
        WorkshopLead(
            workshop_id=workshop.id,
            lead_id=row.id,
            position=position,
            score=score,
            grade=row.grade or inforce.agreement.grade_for(row.fit),
        )
        for position, (score, row) in enumerate(drawn, start=1)
    )
    audit.record(uow, now, "workshop.start", f"workshop {name}", sample=len(drawn), seed=seed)
    return Started(workshop, [row.email for _, row in drawn])


def draw(total: int, sample: int, rng: random.Random) -> list[int]:
    """Indexes into ``total`` leads sorted by score (lowest first) for a sample stratified by score, shuffled.

    The leads are cut into bands of equal size; each band gives its share of the sample (the remainders go to the
    bands with the largest fractions, ties at random), drawn at random within it.
    """
    if sample >= total:
        chosen = list(range(total))
    else:
        bands = min(STRATA, sample)
        edges = [round(total * b / bands) for b in range(bands + 1)]
        shares = [sample * (edges[b + 1] - edges[b]) / total for b in range(bands)]
        counts = [int(share) for share in shares]
        order = sorted(range(bands), key=lambda b: (counts[b] - shares[b], rng.random()))
        for b in order[: sample - sum(counts)]:
            counts[b] += 1
        chosen = [i for b in range(bands) for i in rng.sample(range(edges[b], edges[b + 1]), counts[b])]
    rng.shuffle(chosen)
    return chosen


# --- finding them -----------------------------------------------------------------------------------------------


def named(uow: UnitOfWork, name: str) -> Workshop:
    found = uow.session.scalars(select(Workshop).where(Workshop.name == name.strip())).first()
    if found is None:
        raise NotFound(f"there is no workshop named {name}; start one with 'leadpact workshop start NAME'")
    return found


def scale(uow: UnitOfWork, workshop: Workshop) -> tuple[str, ...]:
    """The grades of the workshop's agreement version, best first: what its leads are graded with."""
    _, agreement = agreements.load_version(uow, workshop.version)
    return tuple(g.grade for g in agreement.grades)


@dataclass(frozen=True)
class Overview:
    name: str
    version: int
    created_at: datetime
    created_by: str
    leads: int
    graded: dict[str, int]  # by side
    both: int  # leads both sides graded


def overview(uow: UnitOfWork) -> list[Overview]:
    """Every workshop, the newest first, with how far each side got."""
    workshops = list(uow.session.scalars(select(Workshop).order_by(Workshop.id.desc())))
    sizes = dict(
        uow.session.execute(select(WorkshopLead.workshop_id, func.count()).group_by(WorkshopLead.workshop_id)).all()
    )
    sides: dict[int, dict[str, int]] = {}
    for workshop_id, side, count in uow.session.execute(
        select(WorkshopGrade.workshop_id, WorkshopGrade.side, func.count()).group_by(
            WorkshopGrade.workshop_id, WorkshopGrade.side
        )
    ):
        sides.setdefault(workshop_id, {})[side] = count
    twice = (
        select(WorkshopGrade.workshop_id, WorkshopGrade.lead_id)
        .group_by(WorkshopGrade.workshop_id, WorkshopGrade.lead_id)
        .having(func.count() == len(SIDES))
        .subquery()
    )
    both: dict[int, int] = dict(
        uow.session.execute(select(twice.c.workshop_id, func.count()).group_by(twice.c.workshop_id)).all()
    )
    return [
        Overview(
            name=w.name,
            version=w.version,
            created_at=w.created_at,
            created_by=w.created_by,
            leads=sizes.get(w.id, 0),
            graded={side: sides.get(w.id, {}).get(side, 0) for side in SIDES},
            both=both.get(w.id, 0),
        )
        for w in workshops
    ]


def side_of(by: Principal) -> str:
    """The side a person grades for: marketing people for marketing, reps for sales, a manager for their side."""
    by.require(Action.GRADE_LEADS)
    if by.role is Role.MARKETING:
        return "marketing"
    if by.role is Role.REP:
        return "sales"
    if by.side not in SIDES:
        raise NotPermitted(f"{by.name} manages for neither side of the agreement, so grades for neither")
    return str(by.side)


# --- grading ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Happened:
    type: str
    at: datetime
    campaign: str | None


@dataclass(frozen=True)
class LeadCard:
    """A lead as a grader sees it: who it is and what it did, nothing of its score, grade or stage."""

    id: int
    email: str
    name: str
    fields: list[tuple[str, str]]
    events: list[Happened]
    more_events: int


@dataclass(frozen=True)
class Sheet:
    """Where a side stands in a workshop, and the lead it grades now (None once it graded them all)."""

    workshop: str
    side: str
    scale: tuple[str, ...]
    total: int
    graded: int
    position: int | None
    lead: LeadCard | None
    given: str | None  # the side's grade of this lead so far
    mine: list[tuple[int, int, str, str]] = field(default_factory=list)  # position, lead id, email, grade


def sheet(uow: UnitOfWork, name: str, side: str, lead_id: int | None = None) -> Sheet:
    """The next lead ``side`` has not graded (or the lead asked for, to grade again), with the side's progress."""
    workshop = named(uow, name)
    drawn = uow.session.execute(
        select(WorkshopLead.position, WorkshopLead.lead_id, Lead.email)
        .join(Lead, Lead.id == WorkshopLead.lead_id)
        .where(WorkshopLead.workshop_id == workshop.id)
        .order_by(WorkshopLead.position)
    ).all()
    given = dict(
        uow.session.execute(
            select(WorkshopGrade.lead_id, WorkshopGrade.grade).where(
                WorkshopGrade.workshop_id == workshop.id, WorkshopGrade.side == side
            )
        ).all()
    )
    if lead_id is None:
        current = next((row for row in drawn if row.lead_id not in given), None)
    else:
        current = next((row for row in drawn if row.lead_id == lead_id), None)
        if current is None:
            raise NotFound(f"lead {lead_id} is not in workshop {workshop.name}")
    return Sheet(
        workshop=workshop.name,
        side=side,
        scale=scale(uow, workshop),
        total=len(drawn),
        graded=len(given),
        position=current.position if current else None,
        lead=card(uow, current.lead_id) if current else None,
        given=given.get(current.lead_id) if current else None,
        mine=[(row.position, row.lead_id, row.email, given[row.lead_id]) for row in drawn if row.lead_id in given],
    )


FIELD_NAMES = (
    ("title", "Title"),
    ("company", "Company"),
    ("email", "Email"),
    ("domain", "Web domain"),
    ("industry", "Industry"),
    ("employees", "Employees"),
    ("country", "Country"),
    ("source", "Source"),
)
ACCOUNT_NAMES = (
    ("name", "Account"),
    ("domain", "Account domain"),
    ("industry", "Account industry"),
    ("employees", "Account employees"),
    ("country", "Account country"),
)


def card(uow: UnitOfWork, lead_id: int) -> LeadCard:
    session = uow.session
    lead = session.get_one(Lead, lead_id)
    shown = [(label, str(getattr(lead, key))) for key, label in FIELD_NAMES if getattr(lead, key) not in (None, "")]
    if lead.campaign_id is not None:
        shown.append(("Campaign", session.get_one(Campaign, lead.campaign_id).name))
    account = session.get(Account, lead.account_id) if lead.account_id is not None else None
    if account is not None:
        shown += [(label, str(getattr(account, key))) for key, label in ACCOUNT_NAMES if getattr(account, key)]
    custom = session.execute(select(LeadField.name, LeadField.value).where(LeadField.lead_id == lead_id))
    shown += sorted((name.replace("answers.", "Answer: ", 1), value) for name, value in custom)
    total = session.scalar(select(func.count()).where(Event.lead_id == lead_id)) or 0
    events = session.execute(
        select(Event.type, Event.occurred_at, Campaign.name)
        .outerjoin(Campaign, Campaign.id == Event.campaign_id)
        .where(Event.lead_id == lead_id)
        .order_by(Event.occurred_at.desc(), Event.event_id.desc())
        .limit(EVENTS_SHOWN)
    ).all()
    person = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return LeadCard(
        id=lead.id,
        email=lead.email,
        name=person or lead.email,
        fields=shown,
        events=[Happened(type_, from_seconds(at), campaign) for type_, at, campaign in events],
        more_events=max(total - EVENTS_SHOWN, 0),
    )


def grade(uow: UnitOfWork, clock: Clock, name: str, lead_id: int, side: str, given: str) -> None:
    """Record ``side``'s grade of a lead of the workshop; a grade it gave before is replaced."""
    workshop = named(uow, name)
    grades = scale(uow, workshop)
    if given not in grades:
        raise InvalidInput(f"'{given}' is not a grade of the agreement ({', '.join(grades)})", "grade")
    if side not in SIDES:
        raise InvalidInput(f"'{side}' is not a side: {' or '.join(SIDES)}", "side")
    drawn = uow.session.scalar(
        select(WorkshopLead.lead_id).where(WorkshopLead.workshop_id == workshop.id, WorkshopLead.lead_id == lead_id)
    )
    if drawn is None:
        raise NotFound(f"lead {lead_id} is not in workshop {workshop.name}")
    _store(uow, clock, workshop, [(lead_id, side, given)])
    audit.record(uow, clock.now(), "workshop.grade", f"lead {lead_id}", workshop=workshop.name, side=side, grade=given)


def _store(uow: UnitOfWork, clock: Clock, workshop: Workshop, grades: Sequence[tuple[int, str, str]]) -> None:
    """Insert each (lead, side, grade), or replace the side's grade of the lead: one statement a chunk, so two
    sides grading one lead at once, or one side twice, never collide on the unique row."""
    uow.serialize_writes()
    table = WorkshopGrade.__table__
    dialect = postgresql if uow.dialect == "postgresql" else sqlite
    values = {"graded_by": audit.actor_name(uow), "graded_at": clock.now(), "workshop_id": workshop.id}
    for begin in range(0, len(grades), CHUNK):
        rows = [
            {"lead_id": lead, "side": side, "grade": g, **values} for lead, side, g in grades[begin : begin + CHUNK]
        ]
        statement = dialect.insert(table).values(rows)
        excluded = statement.excluded
        uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=["workshop_id", "lead_id", "side"],
                set_={"grade": excluded.grade, "graded_by": excluded.graded_by, "graded_at": excluded.graded_at},
            )
        )


@dataclass(frozen=True)
class Labelled:
    rows: int
    by_side: dict[str, int]
    replaced: int  # grades given before that the file changed or repeated


def label(uow: UnitOfWork, clock: Clock, name: str, text: str, source: str) -> Labelled:
    """Store the grades of a CSV text with the columns email, side and grade; a file with any bad row is refused
    whole, every problem named by its row and column."""
    workshop = named(uow, name)
    grades = scale(uow, workshop)
    drawn = dict(
        uow.session.execute(
            select(Lead.email, Lead.id)
            .join(WorkshopLead, WorkshopLead.lead_id == Lead.id)
            .where(WorkshopLead.workshop_id == workshop.id)
        ).all()
    )
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    wanted: list[tuple[int, str, str]] = []
    for line, row in _rows(text, source):
        email, side, given = row["email"].lower(), row["side"].lower(), row["grade"]
        found = drawn.get(email)
        row_problems = []
        if not email:
            row_problems.append(("email", "the lead's email is missing"))
        elif found is None:
            row_problems.append(("email", f"{email} is not one of the leads drawn for workshop {workshop.name}"))
        if side not in SIDES:
            row_problems.append(("side", f"'{row['side']}' is not a side: {' or '.join(SIDES)}"))
        match = next((g for g in grades if g.casefold() == given.casefold()), None)
        if match is None:
            row_problems.append(("grade", f"'{given}' is not a grade of the agreement ({', '.join(grades)})"))
        if found is not None and side in SIDES:
            first = seen.setdefault((email, side), line)
            if first != line:
                row_problems.append(("side", f"{email} is graded for {side} already on row {first}"))
        if row_problems or found is None or match is None:
            problems += [(line, f"row {line}: {column}: {problem}") for column, problem in row_problems]
            continue
        wanted.append((found, side, match))
    if problems:
        raise ImportRejected(source, [problem for _, problem in sorted(problems, key=lambda p: p[0])])
    before = {
        (lead_id, side)
        for lead_id, side in uow.session.execute(
            select(WorkshopGrade.lead_id, WorkshopGrade.side).where(WorkshopGrade.workshop_id == workshop.id)
        )
    }
    _store(uow, clock, workshop, wanted)
    labelled = Labelled(
        rows=len(wanted),
        by_side={side: sum(s == side for _, s, _ in wanted) for side in SIDES},
        replaced=sum((lead, side) in before for lead, side, _ in wanted),
    )
    audit.record(uow, clock.now(), "workshop.label", f"workshop {workshop.name}", source=source, rows=labelled.rows)
    return labelled


def _rows(text: str, source: str) -> list[tuple[int, dict[str, str]]]:
    """The non-blank rows of the CSV text with their line numbers, each as the three columns' trimmed values."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        records = [(reader.line_num, values) for values in reader if any(v.strip() for v in values)]
    except csv.Error as exc:
        raise InvalidInput(f"{source}: row {reader.line_num}: not readable as CSV ({exc}); nothing was stored") from exc
    if not records:
        raise InvalidInput(f"{source}: the file is empty; the first line names the columns {', '.join(COLUMNS)}")
    headers = [h.strip().lower() for h in records[0][1]]
    missing = [c for c in COLUMNS if c not in headers]
    if missing:
        raise InvalidInput(
            f"{source}: no column {', '.join(missing)}; the columns are {', '.join(COLUMNS)} "
            f"(the file has: {', '.join(h for h in headers if h) or 'none'}); nothing was stored"
        )
    where = {c: headers.index(c) for c in COLUMNS}
    return [
        (line, {c: (values[i].strip() if i < len(values) else "") for c, i in where.items()})
        for line, values in records[1:]
    ]


# --- the report -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    email: str
    marketing: str
    sales: str
    agreement: str  # the agreement's grade at the draw
    gap: int  # grades apart


@dataclass(frozen=True)
class WorkshopReport:
    """What a workshop found. ``sides`` compares marketing's grades (first) with sales' on the leads both graded;
    ``agreement`` the agreement's grade at the draw (first) with each side's; ``suggested`` is the candidate
    agreement file with the refitted points (None, with ``refit.reason``, when there is none)."""

    workshop: str
    version: int
    drawn_at: datetime
    leads: int
    scale: tuple[str, ...]
    graded: dict[str, int]
    sides: Comparison
    note: str | None  # why there is no kappa between the sides
    agreement: dict[str, Comparison]
    disagreements: list[Disagreement]
    refitted_version: int
    refit: Refit
    suggested: str | None

    @property
    def kappa(self) -> float | None:
        return self.sides.kappa

    def as_dict(self) -> dict[str, Any]:
        return {
            "workshop": self.workshop,
            "version": self.version,
            "drawn_at": self.drawn_at.isoformat(),
            "leads": self.leads,
            "grades": list(self.scale),
            "graded": {**self.graded, "both": self.sides.leads},
            "kappa": self.sides.kappa,
            "kappa_reading": self.sides.reading,
            "kappa_note": self.note,
            "sides": {
                "leads": self.sides.leads,
                "same": self.sides.same,
                "within_one": self.sides.within_one,
                "marketing_higher": self.sides.first_higher,
                "sales_higher": self.sides.first_lower,
            },
            "agreement": {
                side: {
                    "leads": c.leads,
                    "kappa": c.kappa,
                    "kappa_reading": c.reading,
                    "same": c.same,
                    "within_one": c.within_one,
                    "agreement_higher": c.first_higher,
                    "agreement_lower": c.first_lower,
                }
                for side, c in self.agreement.items()
            },
            "disagreements": [vars(d) for d in self.disagreements],
            "suggested": self.suggested,
            "refit": {
                "version": self.refitted_version,
                "leads": self.refit.leads,
                "grades": self.refit.grades,
                "reason": self.refit.reason,
                "kappa_in_force": self.refit.kappa_in_force,
                "kappa_refitted": self.refit.kappa_refitted,
                "rules": [vars(r) for r in self.refit.rules],
            },
        }


def report(uow: UnitOfWork, name: str) -> WorkshopReport:
    workshop = named(uow, name)
    grades = scale(uow, workshop)
    rank = {g: i for i, g in enumerate(grades)}
    drawn = uow.session.execute(
        select(WorkshopLead.lead_id, WorkshopLead.grade, Lead.email)
        .join(Lead, Lead.id == WorkshopLead.lead_id)
        .where(WorkshopLead.workshop_id == workshop.id)
        .order_by(WorkshopLead.position)
    ).all()
    given: dict[str, dict[int, str]] = {side: {} for side in SIDES}
    for lead_id, side, g in uow.session.execute(
        select(WorkshopGrade.lead_id, WorkshopGrade.side, WorkshopGrade.grade).where(
            WorkshopGrade.workshop_id == workshop.id
        )
    ):
        given[side][lead_id] = g
    marketing, sales = given["marketing"], given["sales"]
    both = [row for row in drawn if row.lead_id in marketing and row.lead_id in sales]
    sides = compare([marketing[r.lead_id] for r in both], [sales[r.lead_id] for r in both], grades)
    against = {
        side: compare(
            [r.grade for r in drawn if r.lead_id in given[side]],
            [given[side][r.lead_id] for r in drawn if r.lead_id in given[side]],
            grades,
        )
        for side in SIDES
    }
    apart = [
        Disagreement(
            r.email,
            marketing[r.lead_id],
            sales[r.lead_id],
            r.grade,
            abs(rank[marketing[r.lead_id]] - rank[sales[r.lead_id]]),
        )
        for r in both
        if marketing[r.lead_id] != sales[r.lead_id]
    ]
    apart.sort(key=lambda d: -d.gap)
    inforce = agreements.in_force(uow)
    refitted = _refit(uow, inforce.agreement, grades, given)
    text = agreements.load_version(uow, inforce.version)[0].text
    suggested = None
    if refitted.reason is None:
        points = {r.rule: r.suggested for r in refitted.rules if r.suggested is not None}
        header = (
            f"# A candidate from calibration workshop {workshop.name}: version {inforce.version} with its fit points\n"
            f"# refitted to {refitted.grades} grades of {refitted.leads} leads. Backtest it before anyone signs it:\n"
            "#   leadpact agreement backtest FILE\n"
        )
        suggested = header + with_points(text, points)
    return WorkshopReport(
        workshop=workshop.name,
        version=workshop.version,
        drawn_at=workshop.created_at,
        leads=len(drawn),
        scale=grades,
        graded={side: len(given[side]) for side in SIDES},
        sides=sides,
        note=_why_no_kappa(sides, [marketing[r.lead_id] for r in both]),
        agreement=against,
        disagreements=apart,
        refitted_version=inforce.version,
        refit=refitted,
        suggested=suggested,
    )


def _why_no_kappa(sides: Comparison, grades: Sequence[str]) -> str | None:
    if sides.kappa is not None:
        return None
    if not sides.leads:
        return "no lead has been graded by both sides yet"
    if len(set(grades)) == 1 and sides.same == sides.leads:
        return (
            f"both sides gave every lead they both graded the same grade, {grades[0]}: chance alone would agree as "
            "much, so kappa is undefined"
        )
    return "the agreement has a single grade: kappa needs at least two"


def _refit(
    uow: UnitOfWork, agreement: Agreement, grades: tuple[str, ...], given: Mapping[str, Mapping[int, str]]
) -> Refit:
    """The in-force agreement's fit points refitted to every grade given, each side's grade of a lead one row."""
    in_force = tuple(g.grade for g in agreement.grades)
    rules = [rule.id for rule in agreement.fit_rules]
    points = [rule.points for rule in agreement.fit_rules]
    bounds = [g.fit_at_least for g in agreement.grades if g.fit_at_least is not None]
    rows = [(lead_id, g) for side in SIDES for lead_id, g in sorted(given[side].items())]
    if in_force != grades:
        return Refit(
            leads=len({lead_id for lead_id, _ in rows}),
            grades=len(rows),
            rules=(),
            reason=(
                f"the agreement in force grades {', '.join(in_force)}, but the workshop graded {', '.join(grades)}: "
                "its points cannot be refitted to these grades"
            ),
            kappa_in_force=None,
            kappa_refitted=None,
            pull=None,
        )
    leads = uow.session.scalars(select(Lead).where(Lead.id.in_({lead_id for lead_id, _ in rows}))).all()
    facts = facts_of_many(uow, leads, {rule.condition.field for rule in agreement.fit_rules}, agreement.model)
    holding = {lead_id: fit_points(agreement, f) for lead_id, f in facts.items()}
    holds = [[rule in holding[lead_id] for rule in rules] for lead_id, _ in rows]
    return refit(grades, bounds, rules, points, holds, [g for _, g in rows], [lead_id for lead_id, _ in rows])


def with_points(text: str, points: Mapping[str, float]) -> str:
    """The agreement file ``text`` with the points of the fit rules named in ``points`` replaced, and nothing else
    changed: its comments, order and layout stay as written."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert root is not None, "a stored version is never empty"
    edits: list[tuple[int, int, str]] = []
    for rule in _children(_child(_child(root, "fit"), "rules")):
        keys = dict(_pairs(rule))
        rule_id = keys["id"].value
        if rule_id in points:
            node = keys["points"]
            edits.append((node.start_mark.index, node.end_mark.index, f"{points[rule_id]:g}"))
    for begin, end, value in sorted(edits, reverse=True):
        text = text[:begin] + value + text[end:]
    candidate = parse_agreement(text, "the candidate")
    assert {r.id: r.points for r in candidate.fit_rules if r.id in points} == dict(points)
    return text


def _pairs(node: yaml.Node) -> list[tuple[str, yaml.Node]]:
    assert isinstance(node, yaml.MappingNode)
    return [(str(key.value), value) for key, value in node.value]


def _child(node: yaml.Node, key: str) -> yaml.Node:
    return dict(_pairs(node))[key]


def _children(node: yaml.Node) -> list[yaml.Node]:
    assert isinstance(node, yaml.SequenceNode)
    return list(node.value)
