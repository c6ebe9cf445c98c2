"""Finding duplicate people and accounts, and merging two records into one history.

People are matched with splink (Fellegi-Sunter on DuckDB): its model is estimated from the leads themselves,
u by random sampling and m by expectation maximisation on blocked pairs (the workplace's m is set), so no labelled
pairs are needed; colleagues with alike names stay two people. Accounts are few and their names short: the domain,
then the normalised name, then a fuzzy match with rapidfuzz.
Why these and what was measured: docs/decisions/0022-splink-for-people-rapidfuzz-for-accounts.md.

A merge keeps the survivor and makes the other record point to it. What the other person did comes along: its
events and their ledger rows move to the survivor, whose engagement becomes the sum of both: each event keeps
the record it was recorded for, and a cap such as ``max_per_day`` or ``once`` counts each record's events apart,
online and in the batch alike, so a merge takes back no point the ledger holds. Fit stays a property of one
record's fields: the survivor takes the fields it lacks, its answers too, and is refit; the other record keeps
its own fit rows. The survivor keeps the stage furthest along (``domain.dedupe``); when that is the other's, the
survivor takes over its place with sales (owner, assignment, screening) with a stage change reason ``merge``.
Opportunities, their feedback and consents move, and the other record leaves its nurture sequences (``merged``).
The other record keeps its own stage changes, ended assignments and decided screenings, shown in the survivor's
history under its email (``services.explain``); it points to the survivor, is listed, assigned, reported and
emailed no more, and events sent to its email score the survivor.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Update, delete, func, select, update

from leadpact.domain.dedupe import company_key, domain_key, email_key, name_key, surviving_stage
from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.lifecycle import Stage
from leadpact.domain.scoring import advance
from leadpact.services import audit, engagement, handoff, intake, lifecycle, nurture
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.tables import (
    Account,
    Assignment,
    Consent,
    Erasure,
    Event,
    Feedback,
    KeptReplay,
    Lead,
    LeadField,
    LedgerEntry,
    Opportunity,
    ScreeningEntry,
)
from leadpact.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from splink.internals.comparison_creator import ComparisonCreator
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

DEFAULT_THRESHOLD = 0.95
"""Pairs at or above this match probability are shown: on the generated and FEBRL sets it keeps precision at 1
(generated: 0.98) and recall near 0.9 or more; on the demo world it shows its duplicates and nothing else (see the
decision)."""
WORKPLACE_M = (0.85, 0.12, 0.03)
"""How often one person's two records name the same company; another or no company at the same email domain (free
mail, a company no account joins); another company at another domain (a new job). Set, not learned: see
``match_people``."""
BRAND_LIKENESS = 0.95
"""How alike the first words of two account names must be for a fuzzy match: one typo in 20 letters."""
MIN_TRAINING_PAIRS = 3
"""The fewest pairs a training rule needs for expectation maximisation to run on them."""
SEED = 13  # the u estimate samples pairs at random: the same data gives the same pairs
LEAD_FIELDS = (*intake.TEXT_FIELDS, "employees", "campaign_id", "account_id")


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str
    company: str | None
    stage: str


@dataclass(frozen=True)
class PersonPair:
    """Two leads that are likely one person; ``keep`` is the one a merge should keep (furthest along, or older)."""

    keep: Person
    other: Person
    probability: float


@dataclass(frozen=True)
class Company:
    id: int
    domain: str | None
    name: str | None
    people: int


@dataclass(frozen=True)
class AccountPair:
    """Two accounts that are likely one company; ``basis`` says why: ``domain``, ``name`` or ``fuzzy``."""

    keep: Company
    other: Company
    probability: float
    basis: str


def check_threshold(threshold: float) -> float:
    if not 0.0 < threshold <= 1.0:
        raise InvalidInput(f"{threshold} is not a probability above 0 and at most 1", "threshold")
    return threshold


def _active_leads(uow: UnitOfWork) -> list[Lead]:
    erased = select(Erasure.lead_id)
    query = select(Lead).where(Lead.merged_into.is_(None), Lead.id.not_in(erased)).order_by(Lead.id)
    return list(uow.session.scalars(query))


def people_pairs(uow: UnitOfWork, threshold: float = DEFAULT_THRESHOLD) -> list[PersonPair]:
    """Pairs of leads that are likely one person, most likely first."""
    check_threshold(threshold)
    leads = _active_leads(uow)
    records = []
    for lead in leads:
        local, domain = email_key(lead.email)
        company = f"account {lead.account_id}" if lead.account_id is not None else company_key(lead.company)
        first, last = name_key(lead.first_name), name_key(lead.last_name)
        records.append(
            {
                "unique_id": lead.id,
                "email_local": local,
                "email_domain": domain,
                "first_name": first,
                "last_name": last,
                "company": company,
            }
        )
    found = match_people(records, threshold)
    by_id = {lead.id: lead for lead in leads}
    pairs = [_person_pair(by_id[a], by_id[b], p) for a, b, p in found]
    return sorted(pairs, key=lambda pair: (-pair.probability, pair.keep.id, pair.other.id))


def match_people(records: list[dict[str, object]], threshold: float) -> list[tuple[int, int, float]]:
    """Splink's pairs of ``records`` at or above ``threshold``: (id, id, match probability).

    Each record has ``unique_id``, ``email_local``, ``email_domain``, ``first_name``, ``last_name`` and ``company``
    (any of them may be None). Too few records to learn from give no pairs.
    """
    if len(records) < 4:  # a model is learned from the records themselves: too few pairs to learn anything
        return []
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=[
            block_on("email_local"),
            block_on("company", "substr(last_name, 1, 1)"),
            block_on("first_name", "last_name"),
        ],
        retain_matching_columns=False,
        probability_two_random_records_match=_prior(records),
    )
    quiet = logging.getLogger("splink")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        linker = Linker(DuckDBAPI().register(records), settings, log_level=logging.ERROR)
        training = linker.training
        training.estimate_u_using_random_sampling(max_pairs=2e6, seed=SEED)
        # m is learned where duplicates are most of the pairs, so EM finds them rather than any other likeness
        # (colleagues with one last name, namesakes at other companies): the same address without its +tag, and
        # the same name at the same account; a rule with too few pairs to learn from leaves splink's defaults.
        # Both rules hold the workplace (company or domain) fixed, so its m is set (WORKPLACE_M), not learned
        for columns in (("email_local", "email_domain"), ("first_name", "last_name", "company")):
            if _pairs_under(records, columns) >= MIN_TRAINING_PAIRS:
                training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
        predicted = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
        rows = predicted.as_record_list()
    finally:
        quiet.setLevel(level)
    return [
        (int(row["unique_id_l"]), int(row["unique_id_r"]), float(row["match_probability"]))
        for row in rows
        if row["match_probability"] >= threshold
    ]


def _comparisons() -> list[ComparisonCreator | dict[str, Any]]:
    """The model's four comparisons, made so that colleagues do not look like one person. Two people at one company
    share its account and email domain, and often the start of their names and addresses: Sem Jones and Sem Johnson
    at one company, sem.jones@ and sem.johnson@, are 0.92 alike by Jaro-Winkler. So the account and the domain are
    one comparison, counted once, and the local part and the last name count as alike only one typo apart
    ("jones" and "johnson" are four). What else one person's records differ in has its level: the same local part
    at another domain (a personal and a work address), a first name's initial or short form, the two names swapped.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    same = cll.ExactMatchLevel
    email = [
        cll.NullLevel("email_local"),
        cll.And(same("email_local"), same("email_domain")).configure(label_for_charts="the same address"),
        same("email_local").configure(label_for_charts="the same local part at another domain"),
        cll.And(same("email_domain"), _one_typo("email_local")),
        cll.ElseLevel(),
    ]
    company, domain, elsewhere = WORKPLACE_M
    workplace = [
        cll.And(cll.NullLevel("company"), cll.NullLevel("email_domain")),
        same("company").configure(m_probability=company, fix_m_probability=True),
        same("email_domain").configure(m_probability=domain, fix_m_probability=True),
        cll.NullLevel("company"),  # another domain and a company on one side only: nothing to tell
        cll.ElseLevel().configure(m_probability=elsewhere, fix_m_probability=True),
    ]
    first_name = [
        cll.NullLevel("first_name"),
        same("first_name"),
        cll.JaroWinklerLevel("first_name", 0.92),
        cll.CustomLevel(
            'starts_with("first_name_l", "first_name_r") OR starts_with("first_name_r", "first_name_l")',
            "an initial or a short form",
        ),
        cll.JaroWinklerLevel("first_name", 0.8),
        cll.ElseLevel(),
    ]
    swapped = cll.Or(
        cll.ColumnsReversedLevel("first_name", "last_name"), cll.ColumnsReversedLevel("last_name", "first_name")
    )
    last_name = [
        cll.NullLevel("last_name"),
        same("last_name"),
        swapped.configure(label_for_charts="a name in the other one's field"),
        _one_typo("last_name"),
        cll.ElseLevel(),
    ]
    named = {"email": email, "workplace": workplace, "first_name": first_name, "last_name": last_name}
    return [cl.CustomComparison([*levels], output_column_name=name) for name, levels in named.items()]


def _one_typo(column: str) -> ComparisonLevelCreator:
    """Two values one typo apart: a letter added, dropped or changed, or two neighbours swapped (Damerau-Levenshtein
    1). What that implies is asked first, as it is cheap; DuckDB's Damerau-Levenshtein is not."""
    import splink.comparison_level_library as cll

    left, right = f'"{column}_l"', f'"{column}_r"'
    return cll.CustomLevel(
        f"abs(length({left}) - length({right})) <= 1 AND levenshtein({left}, {right}) <= 2"
        f" AND damerau_levenshtein({left}, {right}) <= 1",
        "one typo apart",
    )


def _pairs_under(records: list[dict[str, object]], columns: tuple[str, ...]) -> int:
    """How many pairs of records agree on every one of ``columns`` (none of them empty)."""
    groups: dict[tuple[object, ...], int] = {}
    for r in records:
        key = tuple(r.get(c) for c in columns)
        if all(v is not None for v in key):
            groups[key] = groups.get(key, 0) + 1
    return sum(n * (n - 1) // 2 for n in groups.values())


def _prior(records: list[dict[str, object]]) -> float:
    """The chance two records picked at random are one person, as splink's deterministic estimate gives it: the
    pairs with the same normalised email, taken to find 80 % of the duplicates; at least one pair, never zero."""
    emails: dict[tuple[object, object], int] = {}
    for r in records:
        if r["email_local"] is not None:
            key = (r["email_local"], r["email_domain"])
            emails[key] = emails.get(key, 0) + 1
    same = sum(n * (n - 1) // 2 for n in emails.values())
    pairs = len(records) * (len(records) - 1) // 2
    return min(max(same, 1) / 0.8 / pairs, 0.5)


def _person(lead: Lead) -> Person:
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return Person(lead.id, lead.email, name, lead.company, lead.stage)


def _person_pair(a: Lead, b: Lead, probability: float) -> PersonPair:
    keep, other = (a, b) if a.id < b.id else (b, a)
    if surviving_stage(Stage(keep.stage), Stage(other.stage)) != keep.stage:
        keep, other = other, keep
    return PersonPair(_person(keep), _person(other), probability)


def account_pairs(uow: UnitOfWork, threshold: float = DEFAULT_THRESHOLD) -> list[AccountPair]:
    """Pairs of accounts that are likely one company: the same domain name under another suffix, the same
    normalised name, or names alike (rapidfuzz) at or above ``threshold``; most alike first."""
    from rapidfuzz import fuzz, process

    check_threshold(threshold)
    accounts = list(uow.session.scalars(select(Account).where(Account.merged_into.is_(None)).order_by(Account.id)))
    people: dict[int, int] = {}
    for (account_id,) in uow.session.execute(select(Lead.account_id).where(Lead.merged_into.is_(None))):
        if account_id is not None:
            people[account_id] = people.get(account_id, 0) + 1
    found: dict[tuple[int, int], tuple[float, str]] = {}
    for basis, keys in (
        ("domain", [domain_key(a.domain) for a in accounts]),
        ("name", [a.name_key or company_key(a.name) for a in accounts]),
    ):
        seen: dict[str, int] = {}
        for index, key in enumerate(keys):
            if key is None:
                continue
            if key in seen:
                found.setdefault((seen[key], index), (1.0, basis))
            else:
                seen[key] = index
    labels = [a.name_key or company_key(a.name) or domain_key(a.domain) or "" for a in accounts]
    if len(labels) > 1:
        scores = process.cdist(labels, labels, scorer=fuzz.token_sort_ratio, score_cutoff=threshold * 100, workers=-1)
        for i, j in zip(*scores.nonzero(), strict=True):
            if i < j and labels[i] and labels[j] and _same_brand(labels[i], labels[j]):
                found.setdefault((int(i), int(j)), (float(scores[i, j]) / 100, "fuzzy"))
    pairs = []
    for (i, j), (probability, basis) in found.items():
        if probability < threshold:
            continue
        a, b = (_company(accounts[i], people), _company(accounts[j], people))
        keep, other = (b, a) if b.people > a.people else (a, b)
        pairs.append(AccountPair(keep, other, probability, basis))
    return sorted(pairs, key=lambda pair: (-pair.probability, pair.keep.id, pair.other.id))


def _same_brand(a: str, b: str) -> bool:
    """Whether two alike names start with the same word, give or take a typo in a long one: "Orpath Stores" and
    "Korpath Stores" are alike but are two companies, as one letter in a short name usually means."""
    from rapidfuzz import fuzz

    return fuzz.ratio(a.split()[0], b.split()[0]) >= BRAND_LIKENESS * 100


def _company(account: Account, people: dict[int, int]) -> Company:
    return Company(account.id, account.domain, account.name, people.get(account.id, 0))


@dataclass(frozen=True)
class LeadMerge:
    survivor: int
    merged: int
    events: int  # events that moved
    ledger_rows: int  # ledger rows that moved
    stage_before: str
    stage_after: str
    fields: list[str]  # fields and answers the survivor took from the other record


def merge_leads(
    uow: UnitOfWork, clock: Clock, inforce: InForce, keep_ref: str, other_ref: str, by_user_id: int | None = None
) -> LeadMerge:
    """Merge the lead ``other_ref`` into ``keep_ref`` (emails or ids): one history, the survivor's."""
    now = clock.now()
    session = uow.session
    keep = intake.lead_for_change(uow, keep_ref)
    other = intake.lead_for_change(uow, other_ref)
    _check_mergeable(keep.id, other.id, keep.merged_into, other.merged_into, "lead", keep.email, other.email)
    taken = _take_fields(uow, keep, other)
    moved_events = _moved(
        uow,
        update(Event)
        .where(Event.lead_id == other.id)
        .values(lead_id=keep.id, recorded_for=func.coalesce(Event.recorded_for, other.id)),
    )
    session.execute(delete(KeptReplay).where(KeptReplay.lead_id.in_((keep.id, other.id))))  # replayed anew
    event_rows = (LedgerEntry.lead_id == other.id) & (LedgerEntry.kind == "event")
    moved_rows = _moved(uow, update(LedgerEntry).where(event_rows).values(lead_id=keep.id))
    half_life = inforce.agreement.half_life_days
    keep.engagement, keep.engagement_at = advance(
        keep.engagement, keep.engagement_at, other.engagement, other.engagement_at, half_life
    )
    keep.latest_at = max(keep.latest_at, other.latest_at)
    other.engagement, other.engagement_at = 0.0, 0
    for table in (Consent, Opportunity, Feedback):
        session.execute(update(table).where(table.lead_id == other.id).values(lead_id=keep.id))
    before = keep.stage
    target = surviving_stage(Stage(keep.stage), Stage(other.stage))
    if target != keep.stage:
        _close_open_state(uow, keep, now)
        session.execute(
            update(Assignment)
            .where(Assignment.lead_id == other.id, Assignment.ended_at.is_(None))
            .values(lead_id=keep.id)
        )
        session.execute(
            update(ScreeningEntry)
            .where(ScreeningEntry.lead_id == other.id, ScreeningEntry.decided_at.is_(None))
            .values(lead_id=keep.id)
        )
        keep.owner_id = other.owner_id
        keep.qualified_at, keep.qualified_from = other.qualified_at, other.qualified_from
        keep.cooldown_until = other.cooldown_until
        lifecycle.record(uow, keep, target, now, by_user_id, inforce.version, "merge")
    else:
        _close_open_state(uow, other, now)
    other.owner_id = None
    other.merged_into = keep.id
    nurture.leave(uow, other.id, now, nurture.MERGED)
    session.execute(update(Lead).where(Lead.merged_into == other.id).values(merged_into=keep.id))
    session.flush()
    intake.refit(uow, clock, keep, inforce, now)
    if keep.stage in (Stage.INQUIRY, Stage.RECYCLED) and handoff.can_requalify(uow, keep):
        handoff.settle(uow, clock, keep, engagement.replayed_entry(uow, inforce, keep), inforce)
    merge = LeadMerge(keep.id, other.id, moved_events, moved_rows, before, keep.stage, taken)
    detail = {"merged": other.id, "events": moved_events, "ledger_rows": moved_rows, "stage": keep.stage}
    audit.record(uow, now, "dedupe.merge", f"lead {keep.id}", **detail)
    return merge


def _moved(uow: UnitOfWork, statement: Update) -> int:
    """Run an update; how many rows it changed."""
    result = uow.session.execute(statement)
    return int(cast(CursorResult[Any], result).rowcount)


def _check_mergeable(
    keep: int, other: int, keep_into: int | None, other_into: int | None, what: str, keep_ref: str, other_ref: str
) -> None:
    if keep == other:
        raise InvalidInput(f"'{keep_ref}' and '{other_ref}' are the same {what}", "B")
    for ref, into in ((keep_ref, keep_into), (other_ref, other_into)):
        if into is not None:
            raise InvalidInput(f"{what} '{ref}' was already merged into {what} {into}; merge with that one")


def _take_fields(uow: UnitOfWork, keep: Lead, other: Lead) -> list[str]:
    """The survivor takes the fields it lacks from the other record, and the answers and custom fields it lacks."""
    taken = []
    for name in LEAD_FIELDS:
        if getattr(keep, name) is None and getattr(other, name) is not None:
            setattr(keep, name, getattr(other, name))
            taken.append(name)
    mine = set(uow.session.scalars(select(LeadField.name).where(LeadField.lead_id == keep.id)))
    theirs = uow.session.scalars(select(LeadField.name).where(LeadField.lead_id == other.id)).all()
    missing = sorted(set(theirs) - mine)
    if missing:
        uow.session.execute(
            update(LeadField).where(LeadField.lead_id == other.id, LeadField.name.in_(missing)).values(lead_id=keep.id)
        )
    return taken + missing


def _close_open_state(uow: UnitOfWork, lead: Lead, now: datetime) -> None:
    """The lead leaves sales' and the qualifiers' hands: its open assignment and screening end as merged."""
    handoff.end_assignment(uow, lead, now, "merged")
    screening = handoff.open_screening(uow, lead)
    if screening is not None:
        screening.decided_at, screening.decision, screening.reason = now, "withdrawn", "merged"
    lead.owner_id = None


@dataclass(frozen=True)
class AccountMerge:
    survivor: str
    merged: str
    people: int  # leads that moved to the survivor


def find_account(uow: UnitOfWork, domain: str) -> Account:
    account = uow.session.scalars(select(Account).where(Account.domain == domain.strip().lower())).first()
    if account is None:
        raise NotFound(f"no account with domain '{domain.strip()}'")
    return account


def merge_accounts(
    uow: UnitOfWork, clock: Clock, inforce: InForce, keep_domain: str, other_domain: str
) -> AccountMerge:
    """Merge the account of ``other_domain`` into that of ``keep_domain``: its people move, it points to the
    survivor, and leads captured later at either domain join the survivor."""
    now = clock.now()
    session = uow.session
    uow.serialize_writes()
    keep, other = find_account(uow, keep_domain), find_account(uow, other_domain)
    _check_mergeable(keep.id, other.id, keep.merged_into, other.merged_into, "account", keep_domain, other_domain)
    for name in ("name", "name_key", "industry", "employees", "country", "owner_id"):
        if getattr(keep, name) is None and getattr(other, name) is not None:
            setattr(keep, name, getattr(other, name))
    moved = _moved(uow, update(Lead).where(Lead.account_id == other.id).values(account_id=keep.id))
    other.merged_into = keep.id
    session.execute(update(Account).where(Account.merged_into == other.id).values(merged_into=keep.id))
    session.flush()
    people = session.scalars(select(Lead).where(Lead.account_id == keep.id).order_by(Lead.id).with_for_update())
    intake.refit_many(uow, clock, inforce, [(lead, now) for lead in people])  # the account's fields are theirs now
    audit.record(uow, now, "dedupe.merge", f"account {keep.id}", merged=other.id, people=moved)
    return AccountMerge(str(keep.domain), str(other.domain), moved)
