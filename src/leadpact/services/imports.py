"""Importing CSV files: leads, events, campaigns and campaign costs.

Headers are matched to fields by name, including the headers of the exports of the usual CRMs and
marketing-automation tools (Salesforce, HubSpot, Marketo, Pipedrive, Zoho, Dynamics, Mailchimp: "Job Title",
"Company Name", "No. of Employees", "Lead Source", "Person - Email", "Created Time", ...); ``--map
"Header=field"`` covers the rest, and ``--map "Header=-"`` leaves a column out. A field two headers name is
filled by the header that is its own name, else by the left-most; other lead columns are kept as custom fields,
which fit rules can use. Countries are read by name or code (``domain.countries``), dates and times as exports
write them (``domain.written_dates``): the order of day and month is the file's, settled by its values or given
(``--date-format``), and a time without a zone is in the agreement's time zone. Every row is checked before
anything is stored: when any row is bad, the import stops with every problem listed by row and field and
nothing is written. Importing the same file again adds nothing twice: leads are matched by email, events by
event id, campaigns by name, costs by campaign and date.
"""

from __future__ import annotations

import codecs
import csv
import gc
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from pyarrow import csv as arrow_csv
from sqlalchemy import select

from leadpact.domain import written_dates
from leadpact.domain.countries import country_code
from leadpact.domain.errors import ImportRejected, InvalidInput, NoAgreement
from leadpact.domain.fields import LEAD_FIELDS
from leadpact.domain.written_dates import AS_WRITTEN, DateFormat, Order, Settled
from leadpact.services import agreements, audit, campaigns, engagement, intake
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.engagement import EventColumns
from leadpact.store.bulk import lookup
from leadpact.store.database import load_in_bulk
from leadpact.store.tables import Campaign, Lead
from leadpact.store.unit_of_work import UnitOfWork

T = TypeVar("T")
Progress = Callable[[int], None]
"""Called with the number of rows just handled, so a progress bar can advance."""

LEAD_BATCH = 1_000
KINDS = ("leads", "events", "campaigns", "costs")
FIELDS: dict[str, tuple[str, ...]] = {
    "leads": (*LEAD_FIELDS, "created_at"),
    "events": ("event_id", "email", "type", "occurred_at", "campaign"),
    "campaigns": ("name", "channel", "started_on", "ended_on"),
    "costs": ("campaign", "date", "amount"),
}
DATE_FIELDS: dict[str, tuple[str, ...]] = {
    "leads": ("created_at",),
    "events": ("occurred_at",),
    "campaigns": ("started_on", "ended_on"),
    "costs": ("date",),
}
MOMENT_KINDS = ("leads", "events")
"""The kinds whose dates are moments (``created_at``, ``occurred_at``); the others' dates are calendar days."""
REQUIRED: dict[str, tuple[str, ...]] = {
    "leads": ("email",),
    "events": ("event_id", "email", "type", "occurred_at"),
    "campaigns": ("name",),
    "costs": ("campaign", "date", "amount"),
}
ALIASES: dict[str, str] = {
    # CRM and marketing-automation export headers, normalized (lower case, words joined by "_"): report and
    # list exports ("Email Address"), data-loader API names ("FirstName"), Pipedrive's "Person - Email"
    "email_address": "email",
    "emailaddress": "email",
    "e_mail": "email",
    "work_email": "email",
    "primary_email": "email",
    "person_email": "email",
    "firstname": "first_name",
    "fname": "first_name",
    "given_name": "first_name",
    "person_first_name": "first_name",
    "lastname": "last_name",
    "lname": "last_name",
    "surname": "last_name",
    "family_name": "last_name",
    "person_last_name": "last_name",
    "job_title": "title",
    "jobtitle": "title",
    "position": "title",
    "designation": "title",
    "person_job_title": "title",
    "company_name": "company",
    "companyname": "company",
    "company_account": "company",
    "account_name": "company",
    "accountname": "company",
    "associated_company": "company",
    "organization": "company",
    "organisation": "company",
    "organization_name": "company",
    "person_organization": "company",
    "company_domain_name": "domain",
    "website": "domain",
    "website_url": "domain",
    "company_website": "domain",
    "company_domain": "domain",
    "organization_industry": "industry",
    "company_industry": "industry",
    "no_of_employees": "employees",
    "number_of_employees": "employees",
    "numberofemployees": "employees",
    "num_employees": "employees",
    "employee_count": "employees",
    "company_size": "employees",
    "country_region": "country",
    "country_code": "country",
    "country_name": "country",
    "mailing_country": "country",
    "mailingcountry": "country",
    "billing_country": "country",
    "billingcountry": "country",
    "address_1_country_region": "country",
    "address_1_country": "country",
    "lead_source": "source",
    "leadsource": "source",
    "original_source": "source",
    "person_source": "source",
    "campaign_name": "campaign",
    "primary_campaign": "campaign",
    "primary_campaign_source": "campaign",
    "first_touch_campaign": "campaign",
    "acquisition_program": "campaign",
    "created_date": "created_at",
    "create_date": "created_at",
    "createddate": "created_at",
    "created": "created_at",
    "date_created": "created_at",
    "date_added": "created_at",
    "created_on": "created_at",
    "createdon": "created_at",
    "created_time": "created_at",
    "createdtime": "created_at",
    "add_time": "created_at",
    "person_add_time": "created_at",
    "optin_time": "created_at",
    "id": "event_id",
    "activity_id": "event_id",
    "eventid": "event_id",
    "activity_type": "type",
    "event_type": "type",
    "activity_date": "occurred_at",
    "timestamp": "occurred_at",
    "occurred": "occurred_at",
    "time": "occurred_at",
    "campaign_channel": "channel",
    "start_date": "started_on",
    "end_date": "ended_on",
    "cost": "amount",
    "spend": "amount",
    "amount_spent": "amount",
    "day": "date",
    "cost_date": "date",
}
KIND_ALIASES: dict[str, dict[str, str]] = {
    "campaigns": {"campaign_name": "name", "campaign": "name", "type": "channel", "campaign_type": "channel"},
}
"""Headers that name another field in a file of one kind: a campaign export's "Campaign Name" is its name."""
IGNORE = "-"
"""The field of a column left out of the import."""
_HEADER = re.compile(r"[^a-z0-9]+")
_CUSTOM = re.compile(r"^[a-z][a-z0-9_]*$")
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?([^/\s:]+)")
CHUNK = 20_000
"""Events ingested per batch."""
_ISO_WITH_OFFSET = (
    r"^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
"""A time Arrow reads to the second as ``datetime.fromisoformat`` does: an ISO 8601 time with its zone offset."""


class _ByRows(Exception):
    """The file is read again a row at a time: a row has a problem to report by its line, or the file is one that
    Arrow's reader might read otherwise than the ``csv`` module."""


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    counted: int = 0
    qualified: int = 0
    campaigns_created: list[str] = field(default_factory=list)
    custom_fields: list[str] = field(default_factory=list)


def normalize_header(header: str) -> str:
    return _HEADER.sub("_", header.strip().lower()).strip("_")


def checked_kind(kind: str) -> str:
    """``kind`` when it is something to import (one of ``KINDS``); refused otherwise."""
    if kind not in KINDS:
        raise InvalidInput(f"'{kind}' is not something to import; use one of: {', '.join(KINDS)}", "kind")
    return kind


def map_pairs(items: Sequence[str]) -> dict[str, str]:
    """``HEADER=FIELD`` items, as the command line's ``--map`` repeats them, as {header: field}; each is checked
    for its form only."""
    pairs: dict[str, str] = {}
    for item in items:
        header, sep, target = item.partition("=")
        if not sep or not header.strip() or not target.strip():
            raise InvalidInput(f"'{item}' is not HEADER=FIELD", "map")
        pairs[header] = target.strip()
    return pairs


def parse_map(items: Sequence[str], kind: str) -> dict[str, str]:
    """``--map "Job Title=title"`` items for a file of ``kind`` as {normalized header: field}."""
    fields = FIELDS[checked_kind(kind)]
    mapping: dict[str, str] = {}
    for header, target in map_pairs(items).items():
        if target != IGNORE and target not in fields and not (kind == "leads" and _CUSTOM.match(target)):
            raise InvalidInput(f"'{target}' is not a field of {kind}; fields: {', '.join(fields)}", "map")
        mapping[normalize_header(header)] = target
    return mapping


def recognized(header: str, kind: str) -> str | None:
    """The field a header names by itself, as the field's own name or a usual export header; None if neither."""
    key = normalize_header(header)
    target = key if key in FIELDS[kind] else KIND_ALIASES.get(kind, {}).get(key) or ALIASES.get(key)
    return target if target in FIELDS[kind] else None


def recognized_columns(headers: Sequence[str], kind: str) -> dict[str, str]:
    """{header: field} for the headers that name a field by themselves, each field once: a header that is the
    field's own name takes it, else the left-most header that names it (of a Marketo export's "Person Source"
    and "Lead Source", the one further left)."""
    found: dict[str, str] = {}
    for own_name in (True, False):
        for header in headers:
            target = recognized(header, kind)
            if target and target not in found.values() and (normalize_header(header) == target) == own_name:
                found[header] = target
    return found


def default_fields(headers: Sequence[str], kind: str) -> list[str]:
    """The field each column fills unless a mapping says otherwise: the one its header names, else, for leads, a
    custom field of the header's name, else none (``IGNORE``)."""
    found = recognized_columns(headers, kind)
    custom = [custom_name(h) if kind == "leads" else None for h in headers]
    return [found.get(h) or c or IGNORE for h, c in zip(headers, custom, strict=True)]


def custom_name(header: str) -> str | None:
    """The custom field an unrecognized lead column is kept as; None when its header cannot name one."""
    key = normalize_header(header)
    return key if _CUSTOM.match(key) else None


def columns_for(headers: Sequence[str], kind: str, mapping: Mapping[str, str], source: str) -> dict[str, str]:
    """{file header: field} for every header; unknown lead headers become custom fields; ``IGNORE``: left out."""
    out: dict[str, str] = {}
    found = recognized_columns(headers, kind)
    for header in headers:
        key = normalize_header(header)
        target = mapping.get(key) or found.get(header)
        if target == IGNORE:
            out[header] = IGNORE
            continue
        if target is None or target not in FIELDS[kind]:
            if kind != "leads":
                raise InvalidInput(
                    f"{source}: column '{header}' is not a field of {kind} ({', '.join(FIELDS[kind])}); "
                    "rename it, map it to one of them, or leave it out"
                )
            target = mapping.get(key) or key  # kept as a custom field of the lead
            if not _CUSTOM.match(target):
                raise InvalidInput(f"{source}: column '{header}' cannot be a custom field name; map it to a field")
        if target in out.values():
            raise InvalidInput(f"{source}: two columns map to '{target}'; map each to a field of its own")
        out[header] = target
    missing = [f for f in REQUIRED[kind] if f not in out.values()]
    if missing:
        raise InvalidInput(
            f"{source}: no column for {', '.join(missing)}; columns are: {', '.join(headers)} "
            f"(rename one or map it to {missing[0]})"
        )
    return out


@dataclass(frozen=True)
class Preview:
    """A file before it is mapped: its headers, its first rows (a cell per header) and how many rows it has."""

    headers: list[str]
    samples: list[list[str]]
    rows: int


def preview(path: Path, source: str, samples: int = 3) -> Preview:
    """The headers and first ``samples`` non-blank rows of the CSV file at ``path``, which ``source`` names."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            records = _records(csv.reader(handle), source)
            headers = next(records, (1, []))[1]
            if not headers or not any(h.strip() for h in headers):
                raise InvalidInput(f"{source}: the file is empty; the first line must name the columns")
            first: list[list[str]] = []
            rows = 0
            for _, values in records:
                rows += 1
                if len(first) < samples:
                    first.append([*values, *[""] * len(headers)][: len(headers)])
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read it ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{source}: the file is not UTF-8 text; save it as 'CSV UTF-8' and try again") from exc
    return Preview(headers, first, rows)


COUNTRIES_SHOWN = 12
"""How many distinct countries written as names the mapping step lists."""


@dataclass(frozen=True)
class CountryRead:
    """A country as the file writes it, the code it reads as (None: no country) and the first row it is on."""

    written: str
    code: str | None
    row: int


@dataclass(frozen=True)
class Findings:
    """How a file's values will be read, for the person to check before importing it: its date columns (headers),
    the first date written, what the dates say about the order of day and month (and in which column), and the
    countries written otherwise than as the code kept (at most ``COUNTRIES_SHOWN``, those that are no country
    first)."""

    date_columns: list[str]
    first_date: str | None
    settled: Settled
    settled_in: str | None
    countries: list[CountryRead]


def findings(path: Path, kind: str, mapping: Mapping[str, str]) -> Findings:
    """What the mapping step shows of the values of the file at ``path`` mapped as ``mapping`` says."""
    with open_csv(path, kind, mapping) as (headers, names, rows):
        dated = [(h, i) for i, (h, n) in enumerate(zip(headers, names, strict=True)) if n in DATE_FIELDS[kind]]
        country = names.index("country") if "country" in names else None
        values: dict[str, list[tuple[int, str]]] = {h: [] for h, _ in dated}
        written: dict[str, int] = {}
        for line, cells in rows:
            for header, i in dated:
                if i < len(cells) and cells[i].strip():
                    values[header].append((line, cells[i].strip()))
            if country is not None and country < len(cells) and cells[country].strip():
                written.setdefault(cells[country].strip(), line)
    settled, column = settle_order(values)
    first = next((cells[0][1] for cells in values.values() if cells), None)
    reads = [CountryRead(text, country_code(text), line) for text, line in written.items()]
    reads = [r for r in reads if r.code != r.written.upper()]  # a code, in any case, needs no word
    reads.sort(key=lambda r: (r.code is not None, r.row))
    return Findings([h for h, _ in dated], first, settled, column, reads[:COUNTRIES_SHOWN])


def _records(reader: Any, source: str) -> Iterator[tuple[int, list[str]]]:
    """The non-blank records of a CSV reader with the line each ends on; a record the parser cannot read is
    refused with its row, as one line."""
    try:
        for values in reader:
            if any(values):
                yield reader.line_num, values
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            why = f"a field is longer than the {csv.field_size_limit():,} characters a CSV field may hold"
        else:
            why = f"not readable as CSV ({exc})"
        raise InvalidInput(f"{source}: row {reader.line_num}: {why}; nothing was imported") from exc


@dataclass
class Row:
    line: int
    values: dict[str, str]


def _check_text(path: Path) -> None:
    """Read the whole file once before importing any of it: a file that is not UTF-8 is refused up front, with
    the line at fault, never after part of it was stored."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as raw:
            while block := raw.read(1 << 22):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        return  # the usual case, read a block at a time; a file that is not UTF-8 is read again for its line
    except UnicodeDecodeError:
        pass
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    f"{path}: line {number} is not UTF-8 text ({exc.reason}); save the file as CSV UTF-8 and "
                    "import it again"
                ) from exc


@contextmanager
def open_csv(
    path: Path, kind: str, mapping: Mapping[str, str]
) -> Iterator[tuple[list[str], list[str], Iterator[tuple[int, list[str]]]]]:
    """The header and the field of each column, and the non-blank rows with their line numbers."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read it ({exc.strerror})") from exc
    with handle:
        _check_text(path)
        records = _records(csv.reader(handle), str(path))
        headers = next(records, (1, []))[1]
        if not headers:
            raise InvalidInput(f"{path}: the file is empty; the first line must name the columns")
        columns = columns_for(headers, kind, mapping, str(path))
        yield headers, [columns[h] for h in headers], records


def read_rows(path: Path, kind: str, mapping: Mapping[str, str]) -> tuple[list[Row], dict[str, str]]:
    """The rows with a value, each as {field: value}, and the header of each field filled."""
    with open_csv(path, kind, mapping) as (headers, names, rows):
        out = []
        for line, values in rows:
            cells = {n: v.strip() for n, v in zip(names, values, strict=False) if v.strip() and n != IGNORE}
            if cells:
                out.append(Row(line, cells))
        return out, {n: h for h, n in zip(headers, names, strict=True) if n != IGNORE}


class Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: list[str] = []

    def add(self, line: int, name: str, problem: str) -> None:
        self.lines.append(f"row {line}: {name}: {problem}")

    def raise_if_any(self) -> None:
        """Refuse the file with every problem, by row; a row's own problems in the order they were found."""
        self.lines.sort(key=lambda text: int(text.split(":")[0].removeprefix("row ")))
        if self.lines:
            raise ImportRejected(self.source, self.lines)


@dataclass(frozen=True)
class Dates:
    """How the dates of one file are read: as written (the order of day and month settled), and a time written
    without a zone in ``zone``."""

    written_as: DateFormat = AS_WRITTEN
    zone: tzinfo = UTC

    def moment(self, line: int, name: str, text: str, problems: Problems) -> datetime | None:
        moment = written_dates.read_moment(text, self.written_as, self.zone)
        if moment is None:
            problems.add(line, name, written_dates.unreadable(text, self.written_as, with_time=True))
        return moment

    def day(self, row: Row, name: str, problems: Problems) -> date | None:
        text = row.values.get(name)
        if text is None:
            return None
        day = written_dates.read_day(text, self.written_as)
        if day is None:
            problems.add(row.line, name, written_dates.unreadable(text, self.written_as, with_time=False))
        return day


def file_dates(
    values: Mapping[str, Iterable[tuple[int, str]]], written_as: DateFormat, zone: tzinfo, source: str
) -> Dates:
    """How a file's dates are read, from their values ({column: (row, value)}, every date column of the file):
    as ``written_as`` says when it gives an order or a pattern, else in the order of day and month the values
    settle. A file whose values leave the order open is refused, naming the column and a value, rather than read
    one way or the other."""
    if written_as.order or written_as.pattern:
        return Dates(written_as, zone)
    settled, column = settle_order(values)
    if settled.example and not settled.order:
        row, text = settled.example
        raise InvalidInput(
            f"{source}: column '{column}' has dates like '{text}' (row {row}), "
            f"{written_dates.reading(text, Order.DMY)} day first or {written_dates.reading(text, Order.MDY)} "
            "month first, and no date in the file tells which; give the order: DMY (day first) or MDY (month first)",
            "date_format",
        )
    return Dates(DateFormat(order=settled.order), zone)


def settle_order(values: Mapping[str, Iterable[tuple[int, str]]]) -> tuple[Settled, str | None]:
    """What the values of a file's date columns say about the order of day and month, and the column of the value
    that says it (or of the first value that needs it, when none says it)."""
    example: tuple[Settled, str] | None = None
    for column, cells in values.items():
        settled = written_dates.settle(cells)
        if settled.order:
            return settled, column
        if settled.example and example is None:
            example = settled, column
    return example or (Settled(None, None, None), None)


def naive_zone(uow: UnitOfWork, kind: str) -> str | None:
    """The time zone a time written without one is read in, in a file of ``kind``: the agreement's for leads and
    events (None before one is adopted); None for campaigns and costs, whose dates are days."""
    if kind not in MOMENT_KINDS:
        return None
    try:
        return agreements.in_force(uow).agreement.timezone
    except NoAgreement:
        return None


def _date_values(rows: Sequence[Row], headers: Mapping[str, str], kind: str) -> dict[str, list[tuple[int, str]]]:
    """{header: (row, value)} of the file's date columns."""
    return {
        headers[name]: [(row.line, row.values[name]) for row in rows if name in row.values]
        for name in DATE_FIELDS[kind]
        if name in headers
    }


def _required(row: Row, kind: str, problems: Problems) -> bool:
    missing = [f for f in REQUIRED[kind] if f not in row.values]
    for name in missing:
        problems.add(row.line, name, "is empty")
    return not missing


def lead_input(row: Row, problems: Problems, dates: Dates = Dates()) -> intake.LeadInput | None:
    if not _required(row, "leads", problems):
        return None
    v = row.values
    ok = True
    if not intake.EMAIL.match(v["email"].lower()):
        problems.add(row.line, "email", f"'{v['email']}' is not an email address")
        ok = False
    employees = None
    if "employees" in v:
        text = v["employees"].replace(",", "")
        if not text.isdigit():
            problems.add(row.line, "employees", f"'{v['employees']}' is not a whole number")
            ok = False
        else:
            employees = int(text)
    country = None
    if "country" in v:
        country = country_code(v["country"])
        if country is None:
            problems.add(
                row.line, "country", f"'{v['country']}' is not a country (a name like Germany or a code like DE)"
            )
            ok = False
    domain = v.get("domain")
    if domain is not None:
        match = _DOMAIN.match(domain.lower())
        domain = match.group(1) if match else domain
    created_at = None
    if "created_at" in v:
        moment = dates.moment(row.line, "created_at", v["created_at"], problems)
        ok = ok and moment is not None
        created_at = datetime.fromtimestamp(int(moment.timestamp()), UTC) if moment is not None else None
    if not ok:
        return None
    custom = {k: val for k, val in v.items() if k not in FIELDS["leads"]}
    return intake.LeadInput(
        email=v["email"],
        first_name=v.get("first_name"),
        last_name=v.get("last_name"),
        title=v.get("title"),
        company=v.get("company"),
        domain=domain,
        industry=v.get("industry"),
        employees=employees,
        country=country,
        source=v.get("source"),
        campaign=v.get("campaign"),
        created_at=created_at,
        custom=custom,
    )


def run(
    uow: UnitOfWork,
    clock: Clock,
    kind: str,
    path: Path,
    mapping: Mapping[str, str],
    progress: Progress | None = None,
    name: str | None = None,
    written_as: DateFormat = AS_WRITTEN,
) -> ImportReport:
    """Import a file of ``kind`` (``name`` is what the person calls it, by default its file name) whose dates are
    written as ``written_as`` says (by default, as its values show), and keep the import in the audit trail."""
    if checked_kind(kind) == "campaigns":
        report = import_campaigns(uow, clock, path, mapping, progress, written_as)
    elif kind == "costs":
        report = import_costs(uow, clock, path, mapping, progress, written_as)
    else:
        work = import_leads if kind == "leads" else import_events
        report = work(uow, clock, agreements.in_force(uow), path, mapping, progress, written_as)
    audit.record(
        uow,
        clock.now(),
        "import",
        f"{kind} from {name or path.name}"[:200],
        rows=report.rows,
        created=report.created,
        updated=report.updated,
    )
    return report


def import_leads(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    path: Path,
    mapping: Mapping[str, str],
    progress: Progress | None = None,
    written_as: DateFormat = AS_WRITTEN,
) -> ImportReport:
    rows, columns = read_rows(path, "leads", mapping)
    zone = ZoneInfo(inforce.agreement.timezone)
    dates = file_dates(_date_values(rows, columns, "leads"), written_as, zone, str(path))
    problems = Problems(str(path))
    inputs = [(row, lead_input(row, problems, dates)) for row in rows]
    seen: dict[str, int] = {}
    for row, data in inputs:
        if data is not None:
            email = data.email.strip().lower()
            if email in seen:
                problems.add(row.line, "email", f"{email} appears again (first on row {seen[email]})")
            seen[email] = row.line
    problems.raise_if_any()
    report = ImportReport("leads", rows=len(rows))
    report.custom_fields = sorted({c for c in columns if c not in FIELDS["leads"]})
    before = _campaign_names(uow)
    ready = [data for _, data in inputs if data is not None]
    for start in range(0, len(ready), LEAD_BATCH):
        batch = ready[start : start + LEAD_BATCH]
        for captured in intake.capture_leads(uow, clock, inforce, batch):
            report.created += captured.created
            report.updated += captured.updated
            report.unchanged += not (captured.created or captured.updated)
        if progress:
            progress(len(batch))
    report.campaigns_created = sorted(_campaign_names(uow) - before)
    return report


def _campaign_names(uow: UnitOfWork) -> set[str]:
    uow.session.flush()
    return set(uow.session.scalars(select(Campaign.name)))


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """A large event file makes millions of small tuples, none in a cycle; collecting them only costs time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_events(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    path: Path,
    mapping: Mapping[str, str],
    progress: Progress | None = None,
    written_as: DateFormat = AS_WRITTEN,
) -> ImportReport:
    load_in_bulk(uow.session.connection())
    with _cycle_collector_paused():
        try:  # the usual file, a block of rows at a time
            return _import_events(uow, clock, inforce, path, mapping, progress, written_as, by_blocks=True)
        except _ByRows:  # nothing was written yet
            return _import_events(uow, clock, inforce, path, mapping, progress, written_as, by_blocks=False)


def _import_events(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    path: Path,
    mapping: Mapping[str, str],
    progress: Progress | None,
    written_as: DateFormat,
    by_blocks: bool,
) -> ImportReport:
    """Import an events file. ``by_blocks``: read by Arrow, a block of rows at a time, without the line of each
    row; ``_ByRows`` is raised, before anything is written, when the file needs them (a problem to report by its
    line) or may be read otherwise than by the ``csv`` module, row by row."""
    problems = Problems(str(path))
    zone = ZoneInfo(inforce.agreement.timezone)
    with open_csv(path, "events", mapping) as (headers, names, rows):
        if by_blocks:
            blocks = _arrow_columns(path, headers, names)
            if blocks is None:
                raise _ByRows
            cells, iso_ats = blocks
        else:
            lines, cells = _columns(rows, len(names))
            iso_ats = None
    column = dict(zip(names, cells, strict=True))
    if by_blocks:
        lines = range(len(column["event_id"]))  # not known, and never reported
    ids = list(map(str.strip, column["event_id"]))
    emails = list(map(str.lower, map(str.strip, column["email"])))
    kinds = list(map(str.strip, column["type"]))
    written = list(map(str.strip, column["occurred_at"]))
    names_of = list(map(str.strip, column["campaign"])) if "campaign" in column else [""] * len(lines)
    if not (all(ids) and all(emails) and all(kinds) and all(written)):
        if by_blocks:
            raise _ByRows
        for line, *required in zip(lines, ids, emails, kinds, written, strict=True):
            for name, cell in zip(REQUIRED["events"], required, strict=True):
                if not cell:
                    problems.add(line, name, "is empty")
        complete = [all(required) for required in zip(ids, emails, kinds, written, strict=True)]
        lines = list(compress(lines, complete))
        ids, emails, kinds, written, names_of = (
            list(compress(column, complete)) for column in (ids, emails, kinds, written, names_of)
        )
    # ISO times never depend on the order of day and month: only the others settle it, and are read by it
    ats: list[int | None]
    if written_as.pattern is not None:
        ats = [None] * len(written)
    elif iso_ats is not None:
        ats = list(iso_ats)
    else:
        ats = _iso_seconds(written, zone)
    pending = [(line, text) for line, text, at in zip(lines, written, ats, strict=True) if at is None]
    if pending:
        if by_blocks:
            raise _ByRows
        header = headers[names.index("occurred_at")]
        dates = file_dates({header: pending}, written_as, zone, str(path))
        by_line = {line: dates.moment(line, "occurred_at", text, problems) for line, text in pending}
        ats = [at if at is not None else _seconds(by_line[line]) for line, at in zip(lines, ats, strict=True)]
    # the write lock first: the leads and campaigns read from here on stay as read until the import commits, so
    # its rows may refer to them without a foreign key check each (``load_in_bulk``)
    uow.serialize_writes()
    # a merged duplicate's events are its survivor's, as when recorded one by one
    known = lookup(uow, Lead.__tablename__, "email", "coalesce(merged_into, id)", sorted(set(emails)))
    if not known.keys() >= set(emails):
        if by_blocks:
            raise _ByRows
        for line, email, at in zip(lines, emails, ats, strict=True):
            if at is not None and email not in known:
                problems.add(line, "email", f"no lead with email {email}; import the leads first")
    problems.raise_if_any()
    campaign_ids: dict[str, int | None] = {
        "": None,
        **dict(uow.session.execute(select(Campaign.name, Campaign.id)).all()),
    }
    new_campaigns = sorted({name for name in names_of if name not in campaign_ids})
    for name in new_campaigns:
        campaign_ids[name] = intake.campaign_id(uow, name)
    events = _ordered(ids, [known[email] for email in emails], kinds, ats, [campaign_ids[n] for n in names_of])
    report = ImportReport("events", rows=len(ids), campaigns_created=new_campaigns)
    report.duplicates = len(ids) - len(events.event_ids)
    taken_as_new = True  # a new file's events: their ids are looked up once one of them is found stored
    for chunk in _by_leads(events, CHUNK):
        result = engagement.ingest_in_order(uow, clock, inforce, chunk, taken_as_new)
        taken_as_new = taken_as_new and not result.duplicates
        report.created += result.recorded
        report.duplicates += result.duplicates
        report.counted += result.counted
        report.qualified += result.qualified
        if progress:
            progress(len(chunk.event_ids))
    return report


def _arrow_columns(
    path: Path, headers: Sequence[str], names: Sequence[str]
) -> tuple[list[Sequence[str]], list[int] | None] | None:
    """The file's columns read by Arrow's CSV reader, a block of rows at a time, and the time of each row when
    every ``occurred_at`` is an ISO time with its offset (None otherwise). None when Arrow might read the file
    otherwise than the ``csv`` module: a row of another width than the header, a NUL character or a line break in
    a value, a field longer than the ``csv`` module takes, a header read otherwise, a blank row (the ``csv`` module
    leaves it out)."""
    width = len(headers)
    try:
        table = arrow_csv.read_csv(
            path,
            read_options=arrow_csv.ReadOptions(autogenerate_column_names=True),
            parse_options=arrow_csv.ParseOptions(newlines_in_values=True),  # a block never ends inside a value
            convert_options=arrow_csv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, OSError):
        return None
    if table.num_columns != width or table.num_rows < 2:
        return None
    header, body = table.slice(0, 1), table.slice(1)
    if [header.column(i)[0].as_py() for i in range(width)] != list(headers):
        return None
    limit = csv.field_size_limit()
    blank = pc.equal(pc.binary_length(body.column(0)), 0)
    columns: list[Sequence[str]] = []
    for i in range(width):
        cells = body.column(i)
        lengths = pc.binary_length(cells)
        if pc.max(lengths).as_py() > limit or pc.any(pc.match_substring_regex(cells, r"[\x00\r\n]")).as_py():
            return None
        blank = pc.and_(blank, pc.equal(lengths, 0))
        columns.append(cells.to_pylist() if names[i] != IGNORE else [])
    if pc.any(blank).as_py():
        return None
    return columns, _arrow_seconds(body.column(names.index("occurred_at")))


def _arrow_seconds(texts: Any) -> list[int] | None:
    """Each time as seconds since the epoch when every one is an ISO time with its offset; None otherwise."""
    if not pc.all(pc.match_substring_regex(texts, _ISO_WITH_OFFSET)).as_py():
        return None
    try:
        moments = pc.cast(texts, pa.timestamp("s", tz="UTC"))
    except pa.ArrowException:
        return None
    seconds: list[int] = pc.cast(moments, pa.int64()).to_pylist()
    return seconds


def _columns(rows: Iterator[tuple[int, list[str]]], width: int) -> tuple[Sequence[int], list[Sequence[str]]]:
    """The line of each row, and the file's ``width`` columns (a short row is filled with empty cells)."""
    records = list(rows)
    if not records:
        return [], [()] * width
    lines, table = zip(*records, strict=True)
    if min(map(len, table)) < width:
        table = tuple(values + [""] * (width - len(values)) for values in table)
    return lines, [list(map(itemgetter(i), table)) for i in range(width)]  # cells past the header's: left out


def _iso_seconds(texts: Sequence[str], zone: tzinfo) -> list[int | None]:
    """Each time as seconds since the epoch when it is ISO 8601 (``written_dates.read_iso``), else None."""
    try:
        moments = list(map(datetime.fromisoformat, texts))  # every row at once, the usual case
    except ValueError:
        return [_seconds(written_dates.read_iso(text, zone)) for text in texts]
    return [int((m if m.tzinfo is not None else m.replace(tzinfo=zone)).timestamp()) for m in moments]


def _seconds(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


def _ordered(
    ids: Sequence[str],
    leads: Sequence[int],
    kinds: Sequence[str],
    ats: Sequence[int | None],
    campaigns: Sequence[int | None],
) -> EventColumns:
    """The events lead by lead in time order (then by event id), each event id once: a retried delivery repeats an
    event id, and the event is the first row that has it, as when recorded one by one."""
    first = sorted(dict(zip(reversed(ids), range(len(ids) - 1, -1, -1), strict=True)).values())
    lead, at = np.array(leads, dtype=np.int64)[first], np.array(ats, dtype=np.int64)[first]
    place = np.lexsort((np.array(_picked(ids, first), dtype=str), at, lead))
    rows = np.array(first, dtype=np.int64)[place].tolist()
    return EventColumns(
        _picked(ids, rows), lead[place].tolist(), _picked(kinds, rows), at[place].tolist(), _picked(campaigns, rows)
    )


def _picked(column: Sequence[T], rows: list[int]) -> Sequence[T]:
    """The column's cells at ``rows``, in that order."""
    return itemgetter(*rows)(column) if len(rows) > 1 else [column[i] for i in rows]  # one row: not a tuple


def _by_leads(events: EventColumns, size: int) -> Iterator[EventColumns]:
    """Batches of about ``size`` events in lead order, each ending with a lead's last event: a lead's events are
    counted and scored together, none of them late for another."""
    leads = events.lead_ids
    start = 0
    while start < len(leads):
        end = min(start + size, len(leads))
        while end < len(leads) and leads[end] == leads[end - 1]:
            end += 1
        yield events.part(start, end)
        start = end


def import_campaigns(
    uow: UnitOfWork,
    clock: Clock,
    path: Path,
    mapping: Mapping[str, str],
    progress: Progress | None = None,
    written_as: DateFormat = AS_WRITTEN,
) -> ImportReport:
    rows, columns = read_rows(path, "campaigns", mapping)
    dates = file_dates(_date_values(rows, columns, "campaigns"), written_as, UTC, str(path))
    problems = Problems(str(path))
    parsed: list[campaigns.CampaignInput] = []
    for row in rows:
        if not _required(row, "campaigns", problems):
            continue
        started, ended = dates.day(row, "started_on", problems), dates.day(row, "ended_on", problems)
        if started and ended and ended < started:
            problems.add(row.line, "ended_on", "the campaign ends before it starts")
        parsed.append(campaigns.CampaignInput(row.values["name"], row.values.get("channel"), started, ended))
    problems.raise_if_any()
    _, recorded = campaigns.record_campaigns(uow, clock, parsed)
    if progress:
        progress(len(rows))
    unchanged = len(rows) - recorded.created - recorded.updated  # a name given twice counts once
    return ImportReport(
        "campaigns", rows=len(rows), created=recorded.created, updated=recorded.updated, unchanged=unchanged
    )


def import_costs(
    uow: UnitOfWork,
    clock: Clock,
    path: Path,
    mapping: Mapping[str, str],
    progress: Progress | None = None,
    written_as: DateFormat = AS_WRITTEN,
) -> ImportReport:
    rows, columns = read_rows(path, "costs", mapping)
    dates = file_dates(_date_values(rows, columns, "costs"), written_as, UTC, str(path))
    problems = Problems(str(path))
    known = dict(uow.session.execute(select(Campaign.name, Campaign.id)).all())
    parsed: dict[tuple[int, date], tuple[Row, float]] = {}
    for row in rows:
        if not _required(row, "costs", problems):
            continue
        campaign = known.get(row.values["campaign"])
        if campaign is None:
            problems.add(row.line, "campaign", f"no campaign named '{row.values['campaign']}'; import campaigns first")
        day = dates.day(row, "date", problems)
        try:
            amount = float(row.values["amount"].replace(",", "").lstrip("$€£"))
        except ValueError:
            problems.add(row.line, "amount", f"'{row.values['amount']}' is not an amount")
            continue
        if amount < 0:
            problems.add(row.line, "amount", "a cost is 0 or more")
        if campaign is not None and day is not None:
            if (campaign, day) in parsed:
                first = parsed[(campaign, day)][0].line
                problems.add(row.line, "date", f"a cost for this campaign and day is already on row {first}")
            parsed[(campaign, day)] = (row, amount)
    problems.raise_if_any()
    recorded = campaigns.record_costs(uow, clock, [(c, day, amount) for (c, day), (_, amount) in parsed.items()])
    if progress:
        progress(len(rows))
    return ImportReport(
        "costs", rows=len(rows), created=recorded.created, updated=recorded.updated, unchanged=recorded.unchanged
    )
