"""The full rescore: every lead's fit, engagement, score and grade recomputed from its fields and raw events.

The rules are the online path's, stated once more as Ibis expressions so that one definition runs on the
application database (SQLite, PostgreSQL) and on DuckDB:

- A fit rule holds on the lead's current value of its field: a lead column, ``campaign``, an account column
  (``account.industry``), or a custom field or answer kept in ``lead_fields`` (which, as in
  ``services.facts``, takes precedence over a column of the same name). Each rule is judged by
  ``conditions.holds`` itself on the distinct values its field takes, and the values on which it holds are joined
  back as a table: text compares as ``holds`` compares it and regular expressions keep Python's syntax,
  which no database dialect shares. Fit is the sum of the points of the rules that hold.
- An event counts when its type is in the agreement, it is not a repeat of a ``once`` type, and it is within
  ``max_per_day`` for its type on the lead's local calendar day, deciding in occurrence order (time, then
  event id compared by code point, as Python compares strings). The local day is the UTC second shifted by
  the zone's offset at that second, the offsets being the zone's transitions over the span of the events.
  Caps count per record: events a merge moved to the lead keep the caps of the record they were recorded for.
- Engagement at a moment is the sum over the events counted up to it of their points, halving every
  half-life. Event times are whole seconds; the decay is computed in floating point with ``exp``, which every
  engine has (Ibis registers it as a Python function on a SQLite built without math functions).
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from leadpact.analytics.backend import Backend
from leadpact.domain.agreement import Agreement, FitRule, Op
from leadpact.domain.conditions import holds
from leadpact.domain.fields import ACCOUNT_FIELDS, FREE_MAIL_DOMAINS, LEAD_FIELDS, PREDICTED
from leadpact.domain.scoring import DAY_SECONDS, LN2

Table = Any
"""An Ibis table expression (Ibis ships no type information)."""
Column = Any
"""An Ibis column or scalar expression."""

TOLERANCE = 1e-9
"""Points closer than this (absolute, or relative to the larger value) are the same points."""

OFFSET_PROBE_SECONDS = DAY_SECONDS
"""Time zones are probed once a day for offset changes; none changes its offset twice within a day."""


def _utf8_bytes(text: str, encoding: str) -> bytes:
    """PostgreSQL's ``convert_to``; as a builtin Ibis calls the database function, not this body."""
    return text.encode(encoding)


_convert_to = ibis.udf.scalar.builtin(_utf8_bytes, name="convert_to")


@lru_cache(maxsize=64)
def utc_offsets(zone_name: str, lo: int, hi: int) -> tuple[tuple[int, int], ...]:
    """The zone's UTC offsets over [lo, hi]: (from second, offset seconds), the first from ``lo`` (or before)."""
    zone = ZoneInfo(zone_name)

    def offset(at: int) -> int:
        delta = datetime.fromtimestamp(at, zone).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    out = [(lo, offset(lo))]
    start = lo
    while start < hi:
        probe = min(start + OFFSET_PROBE_SECONDS, hi)
        if offset(probe) == out[-1][1]:
            start = probe
            continue
        same, changed = start, probe  # offset(same) is the current one, offset(changed) is not
        while changed - same > 1:
            middle = (same + changed) // 2
            if offset(middle) == out[-1][1]:
                same = middle
            else:
                changed = middle
        out.append((changed, offset(changed)))
        start = changed
    return tuple(out)


def local_day(occurred_at: Column, offsets: Sequence[tuple[int, int]]) -> Column:
    """The local calendar day number (days since 1970-01-01) of a UTC second, given the zone's offsets."""
    if len(offsets) == 1:
        shift: Column = ibis.literal(offsets[0][1], type="int64")
    else:
        branches = [(occurred_at < start, offsets[i][1]) for i, (start, _) in enumerate(offsets[1:])]
        shift = ibis.cases(*branches, else_=offsets[-1][1])
    return ((occurred_at + shift) / DAY_SECONDS).floor()


def real(con: Backend, value: float) -> Column:
    """A float literal: PostgreSQL takes a bare ``50.0`` for a numeric, which Ibis would hand back as Decimal."""
    if con.name == "postgres":
        return ibis.literal(repr(float(value))).cast("float64")
    return ibis.literal(float(value), type="float64")


def decay_factor(elapsed: Column, half_life_days: float | None) -> Column:
    """2^(-elapsed / half-life) for elapsed whole seconds, as ``scoring.decay`` computes it."""
    if half_life_days is None:
        return ibis.literal(1.0)
    return (elapsed.cast("float64") * -LN2 / (half_life_days * DAY_SECONDS)).exp()


def grade_of(fit: Column, agreement: Agreement) -> Column:
    """``Agreement.grade_for`` as an expression: the first grade whose bound the fit reaches."""
    branches = []
    for grade in agreement.grades:
        if grade.fit_at_least is None:
            break
        branches.append((fit >= grade.fit_at_least, grade.grade))
    fallback = next((g.grade for g in agreement.grades if g.fit_at_least is None), agreement.grades[-1].grade)
    if not branches:
        return ibis.literal(fallback)
    return ibis.cases(*branches, else_=fallback)


LEDGER_ROW = {"lead_id": "int64", "kind": "string", "item": "string", "at": "int64", "points": "float64"}


def _conform(table: Table, schema: dict[str, str]) -> Table:
    """The table's columns in the schema's order and types, so that tables of one shape can be unioned."""
    return table.select(**{name: table[name].cast(dtype) for name, dtype in schema.items()})


def _union(parts: Sequence[Table], schema: dict[str, str]) -> Table:
    conformed = [_conform(p, schema) for p in parts]
    return conformed[0].union(*conformed[1:], distinct=False)


def _differs(a: Column, b: Column) -> Column:
    scale = ibis.greatest(a.abs(), b.abs(), ibis.literal(1.0))
    return (a - b).abs() > scale * TOLERANCE


def _overridden(con: Backend, names: Iterable[str]) -> frozenset[str]:
    """The column fields some lead also has a custom field for."""
    native = sorted(n for n in names if n in LEAD_FIELDS or n.startswith("account."))
    if not native:
        return frozenset()
    fields = con.table("lead_fields")
    found = fields.filter(fields.name.isin(native)).select("name").distinct().to_pyarrow()
    return frozenset(str(n) for n in found.column("name").to_pylist())


@dataclass(frozen=True)
class Judged:
    """Every lead joined to what the fit rules need (``chain``, leads first), and each rule's points as a column.

    A rule's column holds its points where it holds on the lead and is null elsewhere. The whole thing is one
    flat query of left joins: no unions, which Ibis would nest deeper than SQLite's parser allows.
    """

    leads: Table
    chain: Table
    points: tuple[Column, ...]  # in the order of ``agreement.fit_rules``


def _judgements(rules: Sequence[FitRule], values: pa.ChunkedArray, key: str) -> pa.Table:
    """For each distinct non-empty value on which some rule holds: the value, and whether each rule holds."""
    present = pc.drop_null(values).combine_chunks()
    if all(rule.condition.op is Op.FREE_MAIL for rule in rules) and pa.types.is_string(present.type):
        held = _by_mail_domain(rules, present)
    else:
        each = present.to_pylist()
        held = [pa.array([holds(rule.condition, value) for value in each], pa.bool_()) for rule in rules]
    anywhere = functools.reduce(pc.or_, held)  # a field is judged for the rules on it: never none
    columns = {key: present, **{f"{key}_{i}": column for i, column in enumerate(held)}}
    return pa.table({name: pc.filter(column, anywhere) for name, column in columns.items()})


PLAIN_DOMAIN = r"@[A-Za-z0-9.-]*$"
"""An email whose text after its last '@' is ASCII letters, digits, dots and hyphens: trimming leaves that text as it
is, and lower-casing it is ASCII's."""
FREE_DOMAIN = "@(" + "|".join(re.escape(domain) for domain in sorted(FREE_MAIL_DOMAINS)) + ")$"
"""An email whose text after its last '@' is a free-mail domain (matched ignoring case)."""


def _by_mail_domain(rules: Sequence[FitRule], emails: pa.Array) -> list[pa.Array]:
    """Free-mail rules judged column by column: each rule's verdict per email, as ``conditions.holds`` gives it.

    A free-mail rule reads the text after the email's last '@', trimmed and lower-cased (``fields.email_domain``).
    Where that text is a plain domain, the verdict is whether it is a free-mail domain in ASCII's lower case; the
    other emails (none or an empty domain, whitespace or other letters in it) are judged one by one.
    """
    odd = pc.invert(pc.match_substring_regex(emails, PLAIN_DOMAIN))
    free = pc.match_substring_regex(emails, FREE_DOMAIN, ignore_case=True)  # on a plain domain, ASCII's case
    others = pc.filter(emails, odd).to_pylist()
    verdicts = []
    for rule in rules:
        plain = free if rule.condition.value else pc.invert(free)
        judged = pa.array([holds(rule.condition, email) for email in others], pa.bool_())
        verdicts.append(pc.replace_with_mask(plain, odd, judged) if others else plain)
    return verdicts


class _Fields:
    """The lead's fields as expressions over one join chain, each table joined once, as ``facts_of`` reads them."""

    def __init__(self, con: Backend, overridden: frozenset[str], model: int | None) -> None:
        self.con = con
        self.model = model  # the lead model version whose predictions ``predicted.probability`` reads
        self.leads = con.table("leads")
        self.chain = self.leads
        self.overridden = overridden
        self.joined: dict[str, Table] = {}

    def _join(self, key: str, table: Table, on: Callable[[Table], Column]) -> Table:
        if key not in self.joined:
            self.joined[key] = table
            self.chain = self.chain.left_join(table, on(table))
        return self.joined[key]

    def _native(self, name: str) -> tuple[Column, Table] | None:
        """A column of leads, accounts, campaigns or predictions, and its distinct values; None for custom fields."""
        leads = self.leads
        if name == PREDICTED:
            stored = self.con.table("predictions")
            own = stored.filter(stored.model_version == (self.model or 0)).select(
                predicted_lead=stored.lead_id, predicted=stored.probability
            )
            table = self._join("predicted", own, lambda t: leads.id == t.predicted_lead)
            return table.predicted, own.select(value=own.predicted).distinct()
        if name in LEAD_FIELDS and name != "campaign":
            return leads[name], leads.select(value=leads[name]).distinct()
        if name == "campaign":
            table = self._join("campaign", self.con.table("campaigns"), lambda t: leads.campaign_id == t.id)
            return table.name, table.select(value=table.name).distinct()
        column = name.removeprefix("account.")
        if name.startswith("account.") and column in ACCOUNT_FIELDS:
            table = self._join("account", self.con.table("accounts"), lambda t: leads.account_id == t.id)
            return table[column], table.select(value=table[column]).distinct()
        return None

    def value(self, name: str, key: str) -> tuple[Column, Table]:
        """The field's value per lead in the chain, and its distinct values."""
        native = self._native(name)
        if native is not None and name not in self.overridden:
            return native
        fields = self.con.table("lead_fields")
        own = fields.filter(fields.name == name).select(**{f"{key}_lead": fields.lead_id, f"{key}_text": fields.value})
        table = self._join(key, own, lambda t: self.leads.id == t[f"{key}_lead"])
        text_ = table[f"{key}_text"]
        distinct = own.select(value=own[f"{key}_text"]).distinct()
        if native is None:
            return text_, distinct
        # A custom field of a column's name wins; a number and the same number written as text satisfy
        # exactly the same conditions (``conditions.holds``), so both can be compared as text.
        column, values = native
        as_text = values.select(value=values.value.cast("string"))
        return ibis.coalesce(text_, column.cast("string")), _union([distinct, as_text], {"value": "string"})


ANSWERS = "answers."
"""The prefix of the qualification answers a rep records after the hand-off."""


def judge_fit(con: Backend, agreement: Agreement, *, answers: bool = True) -> Judged:
    """Judge each fit rule on the distinct values of its field, in Python, and join the verdicts back.

    Without ``answers`` the qualification answers are taken as not given: the fit a lead had before sales.
    """
    by_field: dict[str, list[int]] = {}
    for i, rule in enumerate(agreement.fit_rules):
        by_field.setdefault(rule.condition.field, []).append(i)
    fields = _Fields(con, _overridden(con, by_field), agreement.model)
    points: dict[int, Column] = {}
    for f, (name, indices) in enumerate(by_field.items()):
        rules = [agreement.fit_rules[i] for i in indices]
        if not answers and name.startswith(ANSWERS):
            value, distinct = ibis.null("string"), None
        else:
            value, distinct = fields.value(name, f"f{f}")
        kind = value.type().copy(nullable=True)
        values = distinct.to_pyarrow().column("value") if distinct is not None else pa.chunked_array([], pa.null())
        judged = _judgements(rules, values.cast(kind.to_pyarrow()), f"v{f}")
        table = None
        if judged.num_rows:
            schema = {f"v{f}": kind, **{f"v{f}_{j}": "boolean" for j in range(len(rules))}}
            table = ibis.memtable(judged, schema=schema)
            fields.chain = fields.chain.left_join(table, value == table[f"v{f}"])
        for j, (i, rule) in enumerate(zip(indices, rules, strict=True)):
            worth = real(con, rule.points)
            on_empty = worth if holds(rule.condition, None) else ibis.literal(None, type="float64")
            held = table[f"v{f}_{j}"] if table is not None else ibis.literal(False)
            points[i] = ibis.cases((value.isnull(), on_empty), (held, worth), else_=ibis.literal(None, type="float64"))
    return Judged(fields.leads, fields.chain, tuple(points[i] for i in range(len(agreement.fit_rules))))


def _event_order_key(con: Backend, event_id: Column) -> Column:
    """Event ids compared by code point: PostgreSQL would otherwise follow the database's collation."""
    if con.name == "postgres":
        return _convert_to(event_id, "UTF8")
    return event_id


def _event_span(con: Backend, types: Sequence[str]) -> tuple[int, int] | None:
    events = con.table("events")
    at = events.occurred_at.cast("int64")  # nullable: the span of no events is null
    span = events.filter(events.type.isin(types)).aggregate(lo=at.min(), hi=at.max())
    lo, hi = span.to_pyarrow().to_pylist()[0].values()
    return None if lo is None else (int(lo), int(hi))


@dataclass(frozen=True)
class Counting:
    """How events count under the agreement: its event rules as a table, and the zone's offsets over the events."""

    con: Backend
    rules: Table  # rule_type, rule_points, rule_cap (null: uncapped), rule_daily
    offsets: tuple[tuple[int, int], ...] | None  # None: no event has a daily cap
    capped: bool

    def verdicts(self, events: Table, *, known_only: bool) -> Table:
        """The events with their verdict: event_id, lead_id, occurred_at, points, counted.

        With ``known_only`` each event also carries its type and the events of types the agreement does not
        know are left out; otherwise they are
        kept (their points null) and each event also carries its ``id`` and the verdict ``stored`` for it.
        """
        r = self.rules
        on = events.type == r.rule_type
        both = (
            events.event_id,
            events.lead_id,
            events.type,
            events.occurred_at,
            r.rule_points,
            r.rule_cap,
            r.rule_daily,
        )
        record = events.recorded_for.fill_null(events.lead_id).name("record")
        if known_only:  # only what counting needs: the window below sorts every column it is given
            e = events.join(r, on).select(*both, record)
        else:
            e = events.left_join(r, on).select(
                *both, record, events.id, stored=events.counted, known=r.rule_type.notnull()
            )
        conditions = [] if known_only else [e.known]
        if self.capped:
            # A ``once`` type keeps only its first event ever (a first event is within any daily cap);
            # a ``max_per_day`` type keeps the first N of each local day. Caps count per record: the events a
            # merge brought to the lead keep the caps of the record they were recorded for.
            day_key: Column = ibis.literal(0, type="int64")
            if self.offsets is not None:
                day_key = ibis.cases((e.rule_daily, local_day(e.occurred_at, self.offsets)), else_=0)
            rank = ibis.row_number().over(
                group_by=[e.record, e.type, day_key],
                order_by=[e.occurred_at, _event_order_key(self.con, e.event_id)],
            )
            conditions.append(e.rule_cap.isnull() | (rank < e.rule_cap))
        counted = functools.reduce(operator.and_, conditions) if conditions else ibis.literal(True)
        kept = (
            ("event_id", "lead_id", "type", "occurred_at")
            if known_only
            else ("id", "event_id", "lead_id", "occurred_at", "stored")
        )
        return e.select(*kept, points=e.rule_points, counted=counted)


def counting(con: Backend, agreement: Agreement) -> Counting:
    rules = agreement.events.values()
    table = ibis.memtable(
        {
            "rule_type": [r.type for r in rules],
            "rule_points": [float(r.points) for r in rules],
            "rule_cap": [1 if r.once else r.max_per_day for r in rules],
            "rule_daily": [not r.once and r.max_per_day is not None for r in rules],
        },
        schema={"rule_type": "string", "rule_points": "float64", "rule_cap": "int64", "rule_daily": "boolean"},
    )
    daily = [r.type for r in rules if not r.once and r.max_per_day is not None]
    span = _event_span(con, daily) if daily else None
    offsets = utc_offsets(agreement.timezone, *span) if span is not None else None
    return Counting(con, table, offsets, any(r.once or r.max_per_day is not None for r in rules))


@dataclass(frozen=True)
class Batch:
    """The batch rescore of the store's leads under one agreement, over one Ibis connection."""

    con: Backend
    agreement: Agreement
    judged: Judged
    counting: Counting
    kept_verdicts: Table | None = None  # every event's verdict, computed once into a temporary table

    @property
    def verdicts(self) -> Table:
        """Every event with its verdict: id, event_id, lead_id, occurred_at, points, counted, stored."""
        if self.kept_verdicts is not None:
            return self.kept_verdicts
        return self.counting.verdicts(self.con.table("events"), known_only=False)

    def counted(self, until: int | None = None) -> Table:
        """The counted events (up to ``until``): lead_id, event_id, occurred_at, points.

        An event's verdict depends only on the events before it in occurrence order, so the events after
        ``until`` are left out before counting rather than after.
        """
        if self.kept_verdicts is not None:
            v = self.kept_verdicts
            v = v.filter(v.counted) if until is None else v.filter(v.counted, v.occurred_at <= until)
        else:
            events = self.con.table("events")
            if until is not None:
                events = events.filter(events.occurred_at <= until)
            v = self.counting.verdicts(events, known_only=True)
            v = v.filter(v.counted)
        return v.select("lead_id", "event_id", "occurred_at", "points")

    def keeping_verdicts(self) -> Batch:
        """This batch with every event's verdict computed once, for several queries over one connection."""
        name = f"leadpact_verdicts_{uuid.uuid4().hex}"
        return dataclasses.replace(self, kept_verdicts=self.con.create_table(name, self.verdicts, temp=True))

    def fits(self, **columns: str) -> Table:
        """Every lead with its fit: lead_id, fit, and lead columns under the names asked for."""
        leads = self.judged.leads
        fit = real(self.con, 0.0)
        for points in self.judged.points:  # summed in rule order, as the online path sums them
            fit = fit + points.fill_null(0.0)
        kept = {name: leads[column] for name, column in columns.items()}
        return self.judged.chain.select(lead_id=leads.id, fit=fit, **kept)

    @property
    def fit_items(self) -> Table:
        """The fit rules holding on each lead: lead_id, rule, points."""
        leads, rules = self.judged.leads, self.agreement.fit_rules
        wide = self.judged.chain.select(lead_id=leads.id, **{f"p{i}": p for i, p in enumerate(self.judged.points)})
        if not rules:
            return wide.select("lead_id", rule=ibis.literal(""), points=ibis.literal(0.0)).filter(ibis.literal(False))
        ids = ibis.memtable(
            {"rule_index": list(range(len(rules))), "rule": [r.id for r in rules]},
            schema={"rule_index": "int64", "rule": "string"},
        )
        long = wide.cross_join(ids)
        points = ibis.cases(*((long.rule_index == i, long[f"p{i}"]) for i in range(len(rules))), else_=None)
        items = long.select("lead_id", "rule", points=points)
        return items.filter(items.points.notnull())

    def scores(self, at: int) -> Table:
        """Every lead's lead_id, fit, engagement, score and grade at ``at`` (whole UTC seconds)."""
        c = self.counted(until=at)
        worth = c.points * decay_factor(ibis.literal(at, type="int64") - c.occurred_at, self.agreement.half_life_days)
        engaged = c.group_by("lead_id").aggregate(total=worth.sum())
        fits = self.fits()
        joined = fits.left_join(engaged, fits.lead_id == engaged.lead_id)
        scored = joined.select(fits.lead_id, fits.fit, engagement=engaged.total.fill_null(0.0))
        return scored.mutate(score=scored.fit + scored.engagement, grade=grade_of(scored.fit, self.agreement))

    def verdict_changes(self) -> Table:
        """Events whose stored verdict differs from the agreement's: id, event_id, counted."""
        v = self.verdicts
        return v.filter(v.counted != v.stored).select("id", "event_id", "counted")

    def targets(self, at: int) -> Table:
        """What the ledger should credit: lead_id, kind, item, at, points (fit at ``at``, events at their time)."""
        f, c = self.fit_items, self.counted()
        fit = f.select(
            "lead_id", kind=ibis.literal("fit"), item=f.rule, at=ibis.literal(at, type="int64"), points="points"
        )
        event = c.select("lead_id", kind=ibis.literal("event"), item=c.event_id, at=c.occurred_at, points="points")
        return _union([fit, event], LEDGER_ROW)

    def adjustments(self, at: int) -> Table:
        """Ledger rows that bring each (lead, kind, item) net to its target: lead_id, kind, item, at, points."""
        ledger = self.con.table("score_ledger")
        moment = ibis.literal(at, type="int64")
        booked = ledger.select(
            "lead_id",
            "kind",
            "item",
            at=ibis.cases((ledger.kind == "fit", moment), else_=ledger.at),
            points=-ledger.points,
        )
        both = _union([self.targets(at), booked], LEDGER_ROW)
        net = both.group_by(["lead_id", "kind", "item"]).aggregate(at=both.at.max(), points=both.points.sum())
        return net.filter(net.points.abs() > TOLERANCE)

    def lead_changes(self) -> Table:
        """Leads whose fit, grade or engagement differ from the batch: lead_id, fit, grade, engagement, engagement_at.

        The engagement is anchored at the lead's latest counted event. Two (value, anchor) pairs are the same
        engagement when they agree at the later anchor; a lead without counted events keeps its anchor.
        """
        c, half_life = self.counted(), self.agreement.half_life_days
        anchor = c.occurred_at.max().over(group_by=c.lead_id)
        worth = c.mutate(worth=c.points * decay_factor(anchor - c.occurred_at, half_life))
        engaged = worth.group_by("lead_id").aggregate(value=worth.worth.sum(), anchor=worth.occurred_at.max())
        fits = self.fits(
            old_fit="fit", old_grade="grade", old_engagement="engagement", old_engagement_at="engagement_at"
        )
        j = fits.left_join(engaged, fits.lead_id == engaged.lead_id)
        state = j.select(
            fits.lead_id,
            fits.fit,
            fits.old_fit,
            fits.old_grade,
            fits.old_engagement,
            fits.old_engagement_at,
            grade=grade_of(fits.fit, self.agreement),
            engagement=engaged.value.fill_null(0.0),
            engagement_at=engaged.anchor.fill_null(fits.old_engagement_at),
        )
        later = ibis.greatest(state.engagement_at, state.old_engagement_at)
        new_value = state.engagement * decay_factor(later - state.engagement_at, half_life)
        old_value = state.old_engagement * decay_factor(later - state.old_engagement_at, half_life)
        changed = (
            _differs(state.fit, state.old_fit)
            | state.old_grade.isnull()
            | (state.grade != state.old_grade)
            | _differs(new_value, old_value)
        )
        return state.filter(changed).select("lead_id", "fit", "grade", "engagement", "engagement_at")


def batch(con: Backend, agreement: Agreement) -> Batch:
    """Prepare the rescore: judge the fit rules on the fields' distinct values, and find the events' time span."""
    return Batch(con, agreement, judge_fit(con, agreement), counting(con, agreement))


def scores(con: Backend, agreement: Agreement, at: int) -> Table:
    """Every lead's lead_id, fit, engagement, score and grade at ``at``, as one expression."""
    return batch(con, agreement).scores(at)
