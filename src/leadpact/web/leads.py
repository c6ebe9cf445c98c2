"""The leads list and the CSV import.

The list finds leads by text (email, name or company) and filters them by stage, grade, priority, source, owner
and campaign, sorted by any of its columns, a page at a time, through ``services.browse``; each row links to the
lead's own page. Everything it shows is in its query string, so a link, the browser's back button and a saved
filter (``services.saved_filters``, the query string under a name of the person's choosing) all show the same
list. The CSV export writes every lead of the filtered list in its order, not only the page. The leads ticked on
a page can be disqualified, enrolled in a nurture sequence or given to another rep at once
(``services.bulk_actions``), after the browser asks to confirm; the list then says what happened to each.

An import takes two steps. The upload keeps the file in a temporary file named by a random token, which the
next step carries in a hidden field (never a path: the client names no file on the server), and shows each
column with the field it will fill, as the CLI recognizes headers; the person may change any of them, keep
an unknown lead column as a custom field or leave it out. The step also shows how the file's dates will read:
the order of day and month its values settle (``5/3/2026`` is 5 March or May 3), which the person confirms or
changes, as ``--date-format`` does on the command line, and the time zone of a time written without one; and
the codes the countries written as names read as. The import then runs the service the CLI runs with that
mapping: a file with bad rows is refused whole, with every problem by row and field, and the person fixes the
mapping or uploads the file again.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from leadpact.domain import written_dates
from leadpact.domain.errors import ImportRejected, InvalidInput, NotFound, NotPermitted
from leadpact.domain.lifecycle import Stage
from leadpact.domain.permissions import Action, Role
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.http.errors import status_of
from leadpact.services import audit, browse, bulk_actions, imports, nurture, saved_filters, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.imports import IGNORE
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.dates import today
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewer, Viewing

router = APIRouter()

PAGE_SIZE = 50
UPLOADS = Path(tempfile.gettempdir()) / "leadpact-imports"
KEEP_SECONDS = 24 * 3600
"""An upload never imported is deleted after a day."""
PROBLEMS_SHOWN = 500
"""A file refused for more problems than this lists the first ones and says how many more there are."""
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
KIND_NAMES = {
    "leads": "Leads",
    "events": "Events (what leads did)",
    "campaigns": "Campaigns",
    "costs": "Campaign costs (one per campaign and day)",
}


# --- the leads list ---------------------------------------------------------------------------------------

FILTERS = ("q", "stage", "grade", "priority", "source", "owner", "campaign")
"""The list's filters as its query string names them (``q``: text in the email, the name or the company)."""
COLUMNS = (
    ("email", "lead"),
    ("company", "company"),
    ("title", "title"),
    ("source", "source"),
    ("stage", "stage"),
    ("grade", "grade"),
    ("priority", "priority"),
    ("score", "score"),
    ("owner", "owner"),
)
"""The list's columns, each sortable: (what ``sort`` names, its heading)."""
EXPORTED = ("id", "email", "company", "title", "source", "stage", "grade", "priority", "score", "owner", "account")
"""The columns of the CSV export: the list's, with each lead's id and its account's domain."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula (OWASP's list): a text cell starting so gets a quote."""
EXPORT_CHUNK = 500
"""Rows written to the client at a time."""


@dataclass(frozen=True)
class Listing:
    """What the list's query string asks for: the filters (each "" when not set), the order, the page."""

    filters: dict[str, str]
    order: browse.Order
    page: int = 1

    @property
    def where(self) -> browse.LeadFilter:
        f = self.filters
        return browse.LeadFilter(
            stage=f["stage"] or None,
            grade=f["grade"] or None,
            source=f["source"] or None,
            owner=f["owner"] or None,
            search=f["q"].strip() or None,
            priority=f["priority"] or None,
            campaign=f["campaign"] or None,
        )

    @property
    def filtered(self) -> bool:
        return any(self.filters.values())

    def query(self, page: int = 1, order: browse.Order | None = None) -> str:
        """The query string of this listing (of the page and order given): what a saved filter keeps, with no
        page, and what every link of the list carries."""
        order = order or self.order
        pairs = [(key, value) for key, value in self.filters.items() if value]
        if order != browse.Order():
            pairs += [("sort", order.column), ("dir", "desc" if order.descending else "asc")]
        if page > 1:
            pairs.append(("page", str(page)))
        return urlencode(pairs)

    def link(self, page: int = 1, order: browse.Order | None = None) -> str:
        query = self.query(page, order)
        return f"/leads?{query}" if query else "/leads"

    def sorted_by(self, column: str) -> str | None:
        """How the list is sorted by the column, as ``aria-sort`` says it; None when it is sorted by another."""
        if self.order.column != column:
            return None
        return "descending" if self.order.descending else "ascending"

    def sort_link(self, column: str) -> str:
        """The list sorted by the column: the other way round when it already is, else the column's own way
        (the highest score first, anything else from A)."""
        descending = not self.order.descending if self.order.column == column else column == "score"
        return self.link(order=browse.Order(column, descending))


def listing_of(params: Mapping[str, str]) -> Listing:
    """The listing a query string asks for; an unknown column to sort by is refused, a page that is no number is
    the first."""
    page = params.get("page", "")
    return Listing(
        {key: params.get(key, "") for key in FILTERS},
        browse.order_of(params.get("sort", ""), params.get("dir", "")),
        max(int(page), 1) if page.isascii() and page.isdigit() else 1,
    )


@dataclass(frozen=True)
class Choices:
    """What each filter of the leads list can be set to."""

    stages: list[str]
    grades: list[str]
    priorities: list[str]
    sources: list[str]
    owners: list[str]
    campaigns: list[str]


def choices(uow: UnitOfWork, inforce: InForce) -> Choices:
    agreement = inforce.agreement
    return Choices(
        stages=[s.value for s in Stage],
        grades=[g.grade for g in agreement.grades],
        priorities=[b.band for b in agreement.priority],
        sources=browse.lead_sources(uow),
        owners=[user.name for user, _ in team.reps(uow) if user.role == Role.REP],
        campaigns=[c.name for c in browse.campaigns(uow)],
    )


@dataclass(frozen=True)
class BulkChoice:
    value: str  # what the form sends: "disqualify:spam", "enroll:not-ready", "reassign:alice"
    label: str


def bulk_choices(uow: UnitOfWork, inforce: InForce, viewer: Viewer) -> list[tuple[str, list[BulkChoice]]]:
    """What the viewer may do to the leads chosen, in groups: only what their role allows (the service checks
    again)."""
    groups: list[tuple[str, list[BulkChoice]]] = []
    if viewer.may(Action.CAPTURE):
        reasons = [name for name, r in inforce.agreement.reject_reasons.items() if r.disqualify]
        groups.append(("Disqualify as", [BulkChoice(f"disqualify:{r}", r.replace("_", " ")) for r in reasons]))
    found = nurture.in_force(uow)
    if viewer.may(Action.MANAGE_CAMPAIGNS) and found is not None:
        names = list(found[1].sequences)
        groups.append(("Enrol in the nurture sequence", [BulkChoice(f"enroll:{n}", n) for n in names]))
    if viewer.may(Action.MANAGE_TEAM):
        reps = [
            BulkChoice(f"reassign:{user.name}", f"{user.name} ({group.name})")
            for user, group in team.reps(uow)
            if user.role == Role.REP and user.disabled_at is None and group is not None
        ]
        groups.append(("Reassign to", reps))
    return [(label, options) for label, options in groups if options]


def list_page(
    request: Request,
    viewer: Viewer,
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    listing: Listing,
    status: int = 200,
    outcome: bulk_actions.Outcome | None = None,
    error: str | None = None,
) -> Response:
    found = browse.page_of_leads(
        uow, inforce, clock.now(), listing.where, PAGE_SIZE, (listing.page - 1) * PAGE_SIZE, listing.order
    )
    pages = max(1, -(-found.total // PAGE_SIZE))
    page = listing.page
    return render(
        request,
        "marketing/leads.html",
        status=status,
        found=found,
        listing=listing,
        filters=listing.filters,
        columns=COLUMNS,
        choices=choices(uow, inforce),
        bulk=bulk_choices(uow, inforce, viewer),
        saved=saved_filters.saved(uow, viewer.principal.user_id) if viewer.principal.user_id is not None else [],
        page=page,
        pages=pages,
        first=(page - 1) * PAGE_SIZE + 1,
        previous=listing.link(page - 1) if page > 1 else None,
        next=listing.link(page + 1) if page < pages else None,
        filtered=listing.filtered,
        outcome=outcome,
        error=error,
    )


@router.get("/leads")
def lead_list(request: Request, viewer: Viewing, uow: Uow, clock: Now, inforce: Agreement) -> Response:
    viewer.principal.require(Action.READ_LEADS)
    return list_page(request, viewer, uow, clock, inforce, listing_of(request.query_params))


def safe_cell(value: object) -> object:
    """A value as the export writes it: text a spreadsheet would run as a formula (``=HYPERLINK(...)`` in a company
    name from a web form) starts with a quote, which shows it as the text it is. Numbers are the list's own."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(rows: list[browse.LeadRow]) -> Iterator[str]:
    """The export, a header line and then the rows, a chunk of lines at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORTED)
    for i, row in enumerate(rows, 1):
        values = {**asdict(row), "score": round(row.score, 2)}
        writer.writerow([safe_cell(values[key]) for key in EXPORTED])
        if i % EXPORT_CHUNK == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


@router.get("/leads.csv")
def lead_export(request: Request, viewer: Viewing, uow: Uow, clock: Now, inforce: Agreement) -> Response:
    """Every lead of the filtered list (not only a page), in its order, as a CSV file; kept in the audit trail,
    as every export of personal data is."""
    viewer.principal.require(Action.READ_LEADS)
    listing = listing_of(request.query_params)
    rows = browse.matching(uow, inforce, clock.now(), listing.where, listing.order)
    shown = {key: value for key, value in listing.filters.items() if value and key != "q"}  # a search may be a name
    audit.record(
        uow,
        clock.now(),
        "lead.export",
        "leads list",
        rows=len(rows),
        filters=shown,
        searched=bool(listing.filters["q"]),
        order=f"{listing.order.column} {'descending' if listing.order.descending else 'ascending'}",
    )
    name = f"leads-{today(inforce, clock)}.csv"
    return StreamingResponse(
        csv_lines(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def posted_listing(text: str) -> Listing:
    """The listing a form came from, as its hidden field carries the list's query string."""
    return listing_of(dict(parse_qsl(text)))


@router.post("/leads/filters")
def save_filter(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    name: Annotated[str, Form()] = "",
    listing: Annotated[str, Form()] = "",
) -> Response:
    """Keep the list's filters and order under a name, then show the list as saved (the name marked current)."""
    viewer.principal.require(Action.READ_LEADS)
    shown = posted_listing(listing)
    try:
        saved_filters.save(uow, clock, signed_in_user(viewer), name, shown.query())
    except InvalidInput as error:
        return list_page(request, viewer, uow, clock, inforce, shown, status_of(error), error=error.detail)
    return RedirectResponse(shown.link(), status_code=303)


@router.post("/leads/filters/{filter_id:int}/delete")
def forget_filter(viewer: Posting, uow: Uow, filter_id: int, listing: Annotated[str, Form()] = "") -> Response:
    viewer.principal.require(Action.READ_LEADS)
    saved_filters.forget(uow, signed_in_user(viewer), filter_id)
    return RedirectResponse(posted_listing(listing).link(), status_code=303)


def signed_in_user(viewer: Viewer) -> int:
    if viewer.principal.user_id is None:
        raise NotPermitted("saved filters belong to a person signed in")
    return viewer.principal.user_id


BULK = {"disqualify": bulk_actions.disqualify, "enroll": bulk_actions.enroll, "reassign": bulk_actions.reassign}


@router.post("/leads/bulk")
def bulk_action(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    do: Annotated[str, Form()] = "",
    lead: Annotated[list[int] | None, Form()] = None,
    listing: Annotated[str, Form()] = "",
) -> Response:
    """Do one thing to the leads chosen on the list, then show the list again with what happened to each."""
    viewer.principal.require(Action.READ_LEADS)
    shown = posted_listing(listing)
    kind, _, choice = do.partition(":")
    try:
        if kind not in BULK or not choice:
            raise InvalidInput("choose what to do with the leads chosen", "do")
        outcome = BULK[kind](uow, clock, inforce, viewer.principal, lead or [], choice)
    except (InvalidInput, NotFound) as error:  # refused before any lead changed
        return list_page(request, viewer, uow, clock, inforce, shown, status_of(error), error=error.detail)
    return list_page(request, viewer, uow, clock, inforce, shown, outcome=outcome)


# --- the CSV import ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file uploaded for import, kept until it is imported: its token, what it holds, the name it came with."""

    token: str
    kind: str
    filename: str
    user_id: int | None

    @property
    def path(self) -> Path:
        return UPLOADS / f"{self.user_id}-{self.token}.csv"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class MappedColumn:
    """One column of the file on the mapping step: its header, a few of its values, and the field it fills."""

    header: str
    samples: list[str]
    options: list[Choice]
    selected: str


@dataclass(frozen=True)
class Problem:
    row: str
    field: str
    what: str


def upload_of(viewer: Viewer, token: str, kind: str, filename: str) -> Upload:
    """The upload a mapping step names, which must be this person's and still be there."""
    if not TOKEN.fullmatch(token):
        raise InvalidInput("the uploaded file is not known; upload it again")
    upload = Upload(token, imports.checked_kind(kind), filename or "the file", viewer.principal.user_id)
    if not upload.path.is_file():
        raise InvalidInput("the uploaded file is no longer here (files are kept for a day); upload it again")
    return upload


def forget_old_uploads() -> None:
    cutoff = time.time() - KEEP_SECONDS
    for old in UPLOADS.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def keep(viewer: Viewer, kind: str, file: UploadFile) -> Upload:
    """The uploaded file saved under a new random token."""
    if not file.filename:
        raise InvalidInput("file: choose a CSV file to upload")
    UPLOADS.mkdir(mode=0o700, parents=True, exist_ok=True)
    forget_old_uploads()
    upload = Upload(
        secrets.token_urlsafe(24), imports.checked_kind(kind), Path(file.filename).name, viewer.principal.user_id
    )
    with upload.path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    return upload


def options(header: str, kind: str) -> list[Choice]:
    """The fields a column may fill: the kind's fields; for leads, a custom field of its own name; or nothing."""
    out = [Choice(f, f) for f in imports.FIELDS[kind]]
    custom = imports.custom_name(header)
    if kind == "leads" and custom and custom not in imports.FIELDS[kind]:
        out.append(Choice(custom, f"custom field '{custom}'"))
    return [*out, Choice(IGNORE, "(leave this column out)")]


def mapped_columns(preview: imports.Preview, kind: str, fields: list[str]) -> list[MappedColumn]:
    return [
        MappedColumn(header, [row[i] for row in preview.samples if row[i].strip()], options(header, kind), fields[i])
        for i, header in enumerate(preview.headers)
    ]


@dataclass(frozen=True)
class DateQuestion:
    """How the file's dates will read: the date columns, what their values say in words, and, when a date there
    reads two ways, the orders of day and month to choose from and the one chosen (or settled by the values)."""

    columns: list[str]
    note: str
    options: list[Choice]
    selected: str
    zone: str | None


def date_question(found: imports.Findings, chosen: str, zone: str | None) -> DateQuestion | None:
    """The mapping step's word on dates; None when the file has none."""
    if found.first_date is None:
        return None
    settled = found.settled
    if settled.example is None:
        first = found.first_date
        note = f"Dates read one way only: '{first}' is {written_dates.reading(first, written_dates.Order.DMY)}."
        return DateQuestion(found.date_columns, note, [], "", zone)
    text = settled.example[1]
    readings = {order: written_dates.reading(text, order) for order in written_dates.Order}
    options = [
        Choice(order.value, f"{written_dates.ORDER_WORDS[order]}: {text} is {read}")
        for order, read in readings.items()
        if read != "not a date"
    ]
    if settled.order and settled.evidence:
        row, proof = settled.evidence
        words = written_dates.ORDER_WORDS[settled.order]
        note = f"Day and month are {words}: '{proof}' ({found.settled_in}, row {row}) reads no other way."
    else:
        options.insert(0, Choice("", "choose the order"))
        note = (
            f"No date in the file tells whether '{text}' is {readings[written_dates.Order.DMY]} (day first) or "
            f"{readings[written_dates.Order.MDY]} (month first): choose."
        )
    return DateQuestion(found.date_columns, note, options, chosen or (settled.order or ""), zone)


def findings_of(upload: Upload, headers: list[str], fields: list[str]) -> imports.Findings | None:
    """How the file's values read with the columns as chosen; None while the columns do not make an import."""
    mapping = {imports.normalize_header(h): f for h, f in zip(headers, fields, strict=True)}
    try:
        return imports.findings(upload.path, upload.kind, mapping)
    except InvalidInput:
        return None


def mapping_of(headers: list[str], kind: str, chosen: list[str]) -> dict[str, str]:
    """{normalized header: field} from the fields chosen for the columns, each checked; as ``--map`` gives it."""
    if len(chosen) != len(headers):
        raise InvalidInput("the form does not match the file's columns; upload the file again")
    for header, field in zip(headers, chosen, strict=True):
        if field not in {o.value for o in options(header, kind)}:
            raise InvalidInput(f"column '{header}': '{field}' is not a field of {kind}")
    for field in set(chosen) - {IGNORE}:
        same = [h for h, f in zip(headers, chosen, strict=True) if f == field]
        if len(same) > 1:
            raise InvalidInput(
                f"columns {', '.join(repr(h) for h in same)} all fill {field}; choose one field for each"
            )
    missing = [f for f in imports.REQUIRED[kind] if f not in chosen]
    if missing:
        raise InvalidInput(
            f"no column fills {', '.join(missing)}, which every {kind[:-1]} needs; choose the column that does"
        )
    return {imports.normalize_header(h): f for h, f in zip(headers, chosen, strict=True)}


def problems_of(rejected: ImportRejected) -> list[Problem]:
    """The refusal's problems ("row 3: email: ...") as row, field and what is wrong."""
    out = []
    for line in rejected.problems:
        row, _, rest = line.partition(": ")
        field, _, what = rest.partition(": ")
        out.append(Problem(row.removeprefix("row "), field, what))
    return out


@dataclass(frozen=True)
class Chosen:
    """What the person chose on the mapping step: the field of each column (None: as the headers say) and how
    day and month are written ("": as the values settle it)."""

    fields: list[str] | None = None
    date_format: str = ""


def mapping_page(
    request: Request,
    uow: UnitOfWork,
    upload: Upload,
    chosen: Chosen = Chosen(),
    status: int = 200,
    error: InvalidInput | None = None,
    problems: list[Problem] | None = None,
) -> Response:
    preview = imports.preview(upload.path, upload.filename)
    fields = chosen.fields or imports.default_fields(preview.headers, upload.kind)
    found = findings_of(upload, preview.headers, fields)
    zone = imports.naive_zone(uow, upload.kind)
    said = (error.problem if error.field == "date_format" else error.detail) if error else None
    return render(
        request,
        "marketing/import_map.html",
        status=status,
        upload=upload,
        kind_name=KIND_NAMES[upload.kind],
        rows=preview.rows,
        columns=mapped_columns(preview, upload.kind, fields),
        dates=date_question(found, chosen.date_format, zone) if found else None,
        countries=found.countries if found else [],
        error=said.replace(str(upload.path), upload.filename) if said else None,
        problems=(problems or [])[:PROBLEMS_SHOWN],
        more=max(0, len(problems or []) - PROBLEMS_SHOWN),
        kinds=KIND_NAMES,
    )


@router.get("/import")
def import_start(request: Request, viewer: Viewing, kind: str = "leads") -> Response:
    viewer.principal.require(Action.MANAGE_CAMPAIGNS)
    return render(request, "marketing/import.html", kinds=KIND_NAMES, kind=kind, error=None)


def upload_refused(request: Request, kind: str, error: InvalidInput) -> Response:
    return render(request, "marketing/import.html", status=422, kinds=KIND_NAMES, kind=kind, error=error.detail)


@router.post("/import")
def import_upload(
    request: Request, viewer: Posting, uow: Uow, kind: Annotated[str, Form()], file: UploadFile | None = None
) -> Response:
    viewer.principal.require(Action.MANAGE_CAMPAIGNS)
    try:
        if file is None:
            raise InvalidInput("file: choose a CSV file to upload")
        upload = keep(viewer, kind, file)
    except InvalidInput as error:
        return upload_refused(request, kind, error)
    try:
        return mapping_page(request, uow, upload)
    except InvalidInput as error:  # not a CSV file this can read: nothing to keep
        upload.path.unlink(missing_ok=True)
        return upload_refused(request, kind, error)


@router.post("/import/run")
def import_run(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    token: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    filename: Annotated[str, Form()] = "",
    field: Annotated[list[str] | None, Form()] = None,
    date_format: Annotated[str, Form()] = "",
) -> Response:
    viewer.principal.require(Action.MANAGE_CAMPAIGNS)
    upload = upload_of(viewer, token, kind, filename)
    fields = field or []
    headers = imports.preview(upload.path, upload.filename).headers
    chosen = Chosen(fields if len(fields) == len(headers) else None, date_format)
    try:
        mapping = mapping_of(headers, upload.kind, fields)
        written_as = written_dates.date_format(date_format) if date_format else written_dates.AS_WRITTEN
        report = imports.run(uow, clock, upload.kind, upload.path, mapping, name=upload.filename, written_as=written_as)
    except ImportRejected as rejected:
        uow.session.rollback()  # the service stored nothing; nothing of this request may land either
        return mapping_page(request, uow, upload, chosen, 422, problems=problems_of(rejected))
    except InvalidInput as error:  # named by the person's file name in the page, not by ours
        uow.session.rollback()
        return mapping_page(request, uow, upload, chosen, 422, error=error)
    upload.path.unlink(missing_ok=True)
    return render(
        request, "marketing/import_done.html", upload=upload, kind_name=KIND_NAMES[upload.kind], report=report
    )
