"""The ideal customer profile: learned from a customer table or from the store, kept versioned, shown, and used to
score lists before they are bought, to compare them, and to suggest the agreement's fit rules.

A profile is learned under a name (``default`` unless told otherwise); learning again under the same name adds
the next version, and every use reads the newest version unless a version is named. The fitted model is kept as
scikit-learn's pickle in ``profiles.model`` and read back only by the scikit-learn version that wrote it; the
rest (the outcome, the columns, the quality, the traits, the leak warnings, the fit rules the traits make) is
JSON in ``profiles.summary``. Scoring and comparing lists store nothing.

From the store, a row is a lead as the agreement's rules see it: its title, source and campaign, its email as
free mail or a company domain, its account's industry, employees and country (``account.industry``, ...; the
lead's own where it has no account) and its custom fields; not the qualification answers, which sales records
while qualifying, after the fact. The outcome is ``customer`` (the lead won a deal) or ``opportunity`` (it
reached one), against every other lead.
"""

from __future__ import annotations

import json
import pickle
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd  # type: ignore[import-untyped]
from sqlalchemy import func, select

from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidAgreement, InvalidInput, NotFound
from leadpact.domain.lifecycle import Stage
from leadpact.learning import fitrules
from leadpact.learning.fitrules import Rule
from leadpact.learning.tabular import read_table
from leadpact.learning.traits import TIMES as TIMES  # the edges write lifts and shares as the traits do
from leadpact.learning.traits import percent as percent
from leadpact.services import agreements, audit
from leadpact.services.clock import Clock
from leadpact.services.facts import facts_of_many
from leadpact.store.tables import AgreementVersion, Lead, Opportunity, Profile
from leadpact.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:  # the learner (scikit-learn) is loaded by the functions that learn or score, not by every command
    from leadpact.learning import profile
    from leadpact.learning.profile import Fitted, Progress, Scored

DEFAULT_NAME = "default"
STORE = "store"
STORE_OUTCOMES = {"customer": "won a deal", "opportunity": "reached an opportunity"}
STORE_LEFT_OUT = ("first_name", "last_name", "company", "domain", "account.name", "account.domain")
"""Fields that name a lead or its company rather than describe it."""
FIRMOGRAPHICS = ("industry", "employees", "country")
"""Lead fields that are the account's fields when the lead has an account."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class ProfileInfo:
    """One stored version of a profile, its summary read."""

    name: str
    version: int
    source: str
    outcome: str
    rows: int
    buyers: int
    learned_at: datetime
    learned_by: str
    summary: dict[str, Any]

    @property
    def base_rate(self) -> float:
        return float(self.summary["base_rate"])

    @property
    def quality(self) -> dict[str, float]:
        found: dict[str, float] = self.summary["quality"]
        return found


def checked_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise InvalidInput(
            f"{name!r} is not a profile name (letters, digits, '_', '.' and '-', at most 100, a letter or digit first)",
            "name",
        )
    return name


def learn_file(
    uow: UnitOfWork,
    clock: Clock,
    source: Path | bytes,
    file_name: str,
    outcome: str | None,
    positive: str | None = None,
    exclude: Sequence[str] = (),
    id_column: str | None = None,
    name: str = DEFAULT_NAME,
    progress: Progress | None = None,
) -> ProfileInfo:
    """Learn the profile of the buyers in a customer table and keep it as the name's next version."""
    from leadpact.learning import profile

    name = checked_name(name)
    if not outcome:
        raise InvalidInput("name the column that says who bought (e.g. --outcome bought)", "outcome")
    frame = read_table(source, file_name)
    learned = profile.learn(frame, outcome, positive, exclude, id_column, progress)
    return _keep(uow, clock, name, Path(file_name).name, outcome, learned)


def learn_store(
    uow: UnitOfWork,
    clock: Clock,
    outcome: str | None = None,
    exclude: Sequence[str] = (),
    name: str = DEFAULT_NAME,
    progress: Progress | None = None,
) -> ProfileInfo:
    """Learn the profile of the store's leads that became customers (or reached an opportunity)."""
    from leadpact.learning import profile

    name = checked_name(name)
    outcome = outcome or "customer"
    if outcome not in STORE_OUTCOMES:
        raise InvalidInput(
            f"from the store the outcome is one of: {', '.join(STORE_OUTCOMES)} (got {outcome!r})", "outcome"
        )
    frame = store_table(uow, outcome)
    if frame.empty:
        raise InvalidInput("the store has no lead to learn from; import leads or give a customer table", "outcome")
    learned = profile.learn(frame, outcome, "yes", exclude, None, progress, mail=True)
    learned.summary["outcome"]["decided"] = f"the lead {STORE_OUTCOMES[outcome]}"
    return _keep(uow, clock, name, STORE, outcome, learned)


def store_table(uow: UnitOfWork, outcome: str) -> pd.DataFrame:
    """One row per lead: its fields as the rules see them, and ``outcome`` (yes or no)."""
    session = uow.session
    leads = list(session.scalars(select(Lead).order_by(Lead.id)))
    query = select(Opportunity.lead_id).distinct()
    if outcome == "customer":
        query = query.where(Opportunity.won.is_(True))
    reached = set(session.scalars(query))
    stages = {Stage.CUSTOMER.value} if outcome == "customer" else {Stage.OPPORTUNITY.value, Stage.CUSTOMER.value}
    facts = facts_of_many(uow, leads)
    rows = []
    for lead in leads:
        known = facts[lead.id]
        row: dict[str, str] = {}
        for field, value in known.items():
            if field in STORE_LEFT_OUT or field.startswith("answers.") or value is None:
                continue
            if field == "email":
                value = fitrules.mail_kind(str(value))
            if field in FIRMOGRAPHICS:  # the account's value, else the lead's own
                account = known.get(f"account.{field}")
                field, value = f"account.{field}", value if account is None else account
            row.setdefault(field, str(value))
        row[outcome] = "yes" if lead.id in reached or lead.stage in stages else "no"
        rows.append(row)
    frame = pd.DataFrame(rows, dtype=object).fillna("")
    if not frame.empty:  # the outcome last, the fields in a stable order
        frame = frame[[*sorted(c for c in frame.columns if c != outcome), outcome]]
    return frame


def _keep(uow: UnitOfWork, clock: Clock, name: str, source: str, outcome: str, learned: profile.Learned) -> ProfileInfo:
    session = uow.session
    uow.serialize_writes()  # two learnings under one name take turns for the next version
    newest = session.scalar(select(func.max(Profile.version)).where(Profile.name == name))
    summary = learned.summary
    row = Profile(
        name=name,
        version=(newest or 0) + 1,
        source=source[:255],
        outcome=outcome[:100],
        rows=int(summary["rows"]),
        positives=int(summary["buyers"]),
        learned_at=clock.now(),
        learned_by=audit.actor_name(uow),
        model=pickle.dumps(learned.fitted, protocol=pickle.HIGHEST_PROTOCOL),
        summary=json.dumps(summary, ensure_ascii=False),
    )
    session.add(row)
    session.flush()
    audit.record(
        uow, row.learned_at, "profile.learn", f"profile {name} v{row.version}", source=row.source, rows=row.rows
    )
    return _info(row)


def _info(row: Profile) -> ProfileInfo:
    summary: dict[str, Any] = json.loads(row.summary)
    return ProfileInfo(
        row.name,
        row.version,
        row.source,
        row.outcome,
        row.rows,
        row.positives,
        row.learned_at,
        row.learned_by,
        summary,
    )


def _row(uow: UnitOfWork, name: str | None, version: int | None) -> Profile:
    name = name or DEFAULT_NAME
    query = select(Profile).where(Profile.name == name)
    query = query.where(Profile.version == version) if version is not None else query.order_by(Profile.version.desc())
    row = uow.session.scalars(query.limit(1)).first()
    if row is not None:
        return row
    if version is not None and uow.session.scalar(select(func.count()).where(Profile.name == name)):
        raise NotFound(f"the profile {name!r} has no version {version}; see 'leadpact profile show {name}'")
    names = sorted(set(uow.session.scalars(select(Profile.name))))
    known = f"; profiles: {', '.join(names)}" if names else "; learn one with 'leadpact profile learn'"
    raise NotFound(f"there is no profile named {name!r}{known}")


def get(uow: UnitOfWork, name: str | None = None, version: int | None = None) -> ProfileInfo:
    """A stored profile: the name's newest version unless ``version`` is given."""
    return _info(_row(uow, name, version))


def newest(uow: UnitOfWork) -> list[ProfileInfo]:
    """The newest version of every profile, by name."""
    latest = select(Profile.name, func.max(Profile.version).label("version")).group_by(Profile.name).subquery()
    query = select(Profile).join(latest, (Profile.name == latest.c.name) & (Profile.version == latest.c.version))
    return [_info(row) for row in uow.session.scalars(query.order_by(Profile.name))]


def _fitted(row: Profile) -> Fitted:
    import sklearn  # type: ignore[import-untyped]
    from sklearn.exceptions import InconsistentVersionWarning  # type: ignore[import-untyped]

    from leadpact.learning import profile

    summary = json.loads(row.summary)
    learned_with = summary.get("scikit_learn")
    again = f"learn it again with 'leadpact profile learn ... --name {row.name}'"
    if summary.get("format") != profile.FORMAT or learned_with != sklearn.__version__:
        raise InvalidInput(
            f"the profile {row.name!r} version {row.version} was learned with scikit-learn {learned_with}, "
            f"this installation has {sklearn.__version__}: {again}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", InconsistentVersionWarning)
            fitted = pickle.loads(row.model)
    except Exception as exc:  # a model this installation cannot read is refused, never used half-read
        raise InvalidInput(f"the profile {row.name!r} version {row.version} cannot be read here: {again}") from exc
    if not isinstance(fitted, profile.Fitted):
        raise InvalidInput(f"the profile {row.name!r} version {row.version} holds no model: {again}")
    return fitted


@dataclass(frozen=True)
class ScoredList:
    """A list scored against a profile: its table as read, and every row's probability, rank and reasons."""

    profile: ProfileInfo
    frame: pd.DataFrame
    scored: Scored

    @property
    def base_per_thousand(self) -> float:
        return 1000 * self.profile.base_rate


def score_list(
    uow: UnitOfWork,
    source: Path | bytes,
    file_name: str,
    name: str | None = None,
    version: int | None = None,
    with_reasons: bool = True,
) -> ScoredList:
    """Score every row of a list; nothing is stored."""
    from leadpact.learning import profile

    row = _row(uow, name, version)
    fitted = _fitted(row)
    frame = read_table(source, file_name)
    return ScoredList(_info(row), frame, profile.score(fitted, frame, with_reasons))


@dataclass(frozen=True)
class ListFigures:
    """One list compared: its expected buyers, per 1,000 names, against the base rate, and what each costs."""

    label: str
    rows: int
    expected_buyers: float
    per_thousand: float
    against_base: float
    cost: float | None
    cost_per_buyer: float | None
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    profile: ProfileInfo
    base_per_thousand: float
    lists: list[ListFigures]
    """The best match first: the most expected buyers per 1,000 names."""


def parse_costs(items: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """``LIST=AMOUNT`` pairs (``shows.csv=12000``) by the list they name (its path as given, or its file name)."""
    costs: dict[str, float] = {}
    for item in items:
        label, sep, amount = item.rpartition("=")
        if not sep or not label.strip():
            raise InvalidInput(f"{item!r} is not LIST=AMOUNT (e.g. shows.csv=12000)", "cost")
        matched = [x for x in labels if label.strip() in (x, Path(x).name)]
        if not matched:
            raise InvalidInput(f"{label.strip()!r} is none of the lists compared ({', '.join(labels)})", "cost")
        try:
            value = float(amount.strip().replace(",", "").replace("_", ""))
        except ValueError:
            raise InvalidInput(f"{amount.strip()!r} is not an amount, in {item!r}", "cost") from None
        if value < 0:
            raise InvalidInput(f"a cost cannot be negative, in {item!r}", "cost")
        costs[matched[0]] = value
    return costs


def compare(
    uow: UnitOfWork,
    lists: Sequence[tuple[str, Path | bytes]],
    costs: Mapping[str, float] | None = None,
    name: str | None = None,
    version: int | None = None,
) -> Comparison:
    """Which list matches the profile best: each scored, none stored."""
    from leadpact.learning import profile

    if not lists:
        raise InvalidInput("give at least one list to compare", "lists")
    row = _row(uow, name, version)
    fitted = _fitted(row)
    info = _info(row)
    base = 1000 * info.base_rate
    figures = []
    for label, source in lists:
        scored = profile.score(fitted, read_table(source, label), with_reasons=False)
        cost = (costs or {}).get(label)
        expected = scored.expected_buyers
        figures.append(
            ListFigures(
                label,
                scored.rows,
                expected,
                scored.per_thousand,
                scored.per_thousand / base if base else 0.0,
                cost,
                cost / expected if cost is not None and expected > 0 else None,
                tuple(scored.missing),
            )
        )
    figures.sort(key=lambda f: -f.per_thousand)
    return Comparison(info, base, figures)


@dataclass(frozen=True)
class Suggestion:
    """A candidate agreement: the one in force with its fit rules and grades drawn from the profile."""

    text: str
    profile: ProfileInfo
    against_version: int
    rules: list[Rule]


def suggest(uow: UnitOfWork, name: str | None = None, version: int | None = None) -> Suggestion:
    """The agreement in force with its fit section replaced by the profile's rules, checked to parse."""
    info = get(uow, name, version)
    inforce = agreements.in_force(uow)
    stored = uow.session.get(AgreementVersion, inforce.version)
    assert stored is not None
    fit = info.summary["fit"]
    rules = [Rule(**{**r, "because": tuple(r["because"])}) for r in fit["rules"]]
    if not rules:
        raise InvalidInput(
            f"the profile {info.name!r} version {info.version} found no trait on a lead field (title, industry, "
            "employees, country, source, an account's field or a custom field): there is no fit rule to suggest",
            "name",
        )
    spread = [(float(f), int(r), int(b)) for f, r, b in fit["spread"]]
    grades = [g.grade for g in inforce.agreement.grades]
    heading = (
        f"Drawn from the profile {info.name!r} version {info.version} (learned from {info.source} on "
        f"{info.learned_at:%Y-%m-%d};\nout-of-fold AUC {info.quality['auc']:.2f}), in place of the fit rules and "
        f"grades of agreement version {inforce.version}.\nEach rule is worth 10 ln(lift) points; the traits behind "
        "it follow it. Try it with 'leadpact agreement backtest'."
    )
    text = fitrules.with_fit(stored.text, fitrules.fit_section(rules, grades, spread, heading))
    try:
        parse_agreement(text, "the suggested agreement")
    except InvalidAgreement as exc:  # a rule the profile made that the agreement cannot state: say which
        raise InvalidInput(f"the suggested agreement does not parse: {exc.detail}", "name") from exc
    return Suggestion(text, info, inforce.version, rules)
