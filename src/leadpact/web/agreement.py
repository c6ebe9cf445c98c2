"""The agreement pages: the version in force in plain words, its history and diffs, and changing it.

Everyone reads the agreement. A manager (or an admin) uploads a candidate, sees what it changes and what it
would have done with the recorded history (the backtest), and the marketing-side and sales-side managers
each sign it with their own account; the second signature puts it in force. The words are the ones
``leadpact agreement show`` and ``diff`` print, from ``domain.agreement_diff``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from leadpact.domain.agreement import Agreement
from leadpact.domain.agreement_diff import diff_agreements
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import Conflict, InvalidAgreement, InvalidInput, NoAgreement
from leadpact.domain.permissions import Action
from leadpact.domain.report import Backtest, Column, Report, Row
from leadpact.domain.wording import parts
from leadpact.http.deps import Now, Uow
from leadpact.http.errors import status_of
from leadpact.services import agreements, reports, signoff, team
from leadpact.store.tables import AgreementCandidate, AgreementVersion
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.render import cell, render
from leadpact.web.session import Posting, Viewing

router = APIRouter()
PASTED = "pasted.yaml"
"""The name a pasted candidate goes by: problems are reported as ``pasted.yaml:LINE: key: message``."""
CHANGED_SHOWN = 20
"""Leads whose qualification the candidate changes, listed on the page (as many as the CLI prints)."""


# --- reading --------------------------------------------------------------------------------------------


def _candidates_of(viewer: Viewing, uow: UnitOfWork) -> dict[str, Any]:
    """The candidates list, for those who may propose one."""
    may_propose = viewer.may(Action.PROPOSE_AGREEMENT)
    candidates = signoff.candidates(uow) if may_propose else []
    names = team.names_of(uow, (c.uploaded_by for c in candidates))
    return {"may_propose": may_propose, "candidates": candidates, "names": names}


@router.get("/agreement")
def agreement_page(request: Request, viewer: Viewing, uow: Uow) -> Response:
    """The version in force; before there is one, how to get one (a candidate both sides sign)."""
    viewer.principal.require(Action.READ_AGREEMENT)
    try:
        row, agreement = agreements.load_version(uow)
    except NoAgreement:
        return render(request, "agreement/none.html", in_force=None, **_candidates_of(viewer, uow))
    return render(
        request,
        "agreement/show.html",
        row=row,
        agreement=agreement,
        parts=parts(agreement),
        in_force=row.version,
        history=agreements.versions(uow),
        **_candidates_of(viewer, uow),
    )


@router.get("/agreement/versions/{version}")
def version_page(request: Request, viewer: Viewing, uow: Uow, version: int) -> Response:
    viewer.principal.require(Action.READ_AGREEMENT)
    row, agreement = agreements.load_version(uow, version)
    return render(
        request,
        "agreement/show.html",
        row=row,
        agreement=agreement,
        parts=parts(agreement),
        in_force=agreements.in_force(uow).version,
        history=agreements.versions(uow),
        **_candidates_of(viewer, uow),
    )


@router.get("/agreement/diff")
def diff_page(request: Request, viewer: Viewing, uow: Uow, a: int | None = None, b: int | None = None) -> Response:
    """What changed from version ``a`` to version ``b`` (by default: from the one before the version in force)."""
    viewer.principal.require(Action.READ_AGREEMENT)
    latest = agreements.in_force(uow).version
    b = latest if b is None else b
    a = max(b - 1, 1) if a is None else a
    _, old = agreements.load_version(uow, a)
    _, new = agreements.load_version(uow, b)
    return render(
        request,
        "agreement/diff.html",
        a=a,
        b=b,
        lines=diff_agreements(old, new),
        history=agreements.versions(uow),
    )


# --- candidates -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """A refused file as the page shows it: each line with its number and the problems found on it."""

    lines: tuple[tuple[int, str, tuple[str, ...]], ...]
    problems: tuple[tuple[int | None, str], ...]  # every problem as reported, with the line it is shown under


def listing(text: str, source: str, problems: list[str]) -> Listing:
    """Place each problem (``SOURCE:LINE: key: message``) under its line of ``text``."""
    lines = text.split("\n")  # a YAML error at the end of the text names the empty line after the last newline
    placed: dict[int, list[str]] = {}
    located: list[tuple[int | None, str]] = []
    for problem in problems:
        found = re.match(r"(\d+): (.*)", problem.removeprefix(f"{source}:"), re.DOTALL)
        line = int(found[1]) if found and 1 <= int(found[1]) <= len(lines) else None
        if found and line is not None:
            placed.setdefault(line, []).append(found[2])
        located.append((line, problem))
    if len(lines) > 1 and lines[-1] == "" and len(lines) not in placed:
        lines.pop()
    numbered = tuple((i, line, tuple(placed.get(i, ()))) for i, line in enumerate(lines, start=1))
    return Listing(numbered, tuple(located))


@router.get("/agreement/candidates/new")
def new_candidate_page(request: Request, viewer: Viewing) -> Response:
    viewer.principal.require(Action.PROPOSE_AGREEMENT)
    return render(request, "agreement/new.html", text="", listing=None, refusal=None)


async def _submitted(text: str, file: UploadFile | None) -> tuple[str, str]:
    """The candidate's text and the name it goes by: a chosen file wins over pasted text."""
    if file is not None and file.filename:
        try:
            content = (await file.read()).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"file: {file.filename} is not UTF-8 text; save it as UTF-8 and try again") from exc
        return content.replace("\r\n", "\n"), file.filename
    if not text.strip():
        raise InvalidInput("text: paste the agreement's YAML, or choose a file")
    # browsers send a textarea's lines ending in CR LF; the file as written ends them in LF
    return text.replace("\r\n", "\n"), PASTED


@router.post("/agreement/candidates")
async def upload_candidate(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    text: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Store a candidate that parses; a refused one comes back with each problem under its line."""
    viewer.principal.require(Action.PROPOSE_AGREEMENT)
    content, source = await _submitted(text, file)
    try:
        found = signoff.upload(uow, clock, viewer.principal, content, source)
    except InvalidAgreement as error:
        return render(
            request,
            "agreement/new.html",
            status=status_of(error),
            text=content,
            listing=listing(content, source, error.problems),
            refusal=None,
        )
    except Conflict as error:
        return render(
            request,
            "agreement/new.html",
            status=status_of(error),
            text=content,
            listing=None,
            refusal=error.detail,
        )
    return RedirectResponse(f"/agreement/candidates/{found.id}", status_code=303)


def _base(uow: UnitOfWork, found: AgreementCandidate) -> tuple[AgreementVersion, Agreement] | None:
    """The version a candidate is compared with: the one in force, or the one it replaced once adopted."""
    if found.adopted_version is not None:
        if found.adopted_version == 1:
            return None
        return agreements.load_version(uow, found.adopted_version - 1)
    try:
        return agreements.load_version(uow)
    except NoAgreement:
        return None


@router.get("/agreement/candidates/{candidate_id}")
def candidate_page(request: Request, viewer: Viewing, uow: Uow, candidate_id: int) -> Response:
    viewer.principal.require(Action.PROPOSE_AGREEMENT)
    found = signoff.candidate(uow, candidate_id)
    proposed = parse_agreement(found.text, found.source)
    base = _base(uow, found)
    lines = diff_agreements(base[1], proposed) if base else []
    signed_side = {"marketing": found.marketing_signed_by, "sales": found.sales_signed_by}
    # signing one written against an older version would undo the newer one: the service refuses it
    outdated = found.adopted_version is None and found.against_version != (base[0].version if base else None)
    may_sign = (
        viewer.may(Action.SIGN_AGREEMENT)
        and found.adopted_version is None
        and not outdated
        and viewer.principal.side in signed_side
        and signed_side[viewer.principal.side] is None
    )
    return render(
        request,
        "agreement/candidate.html",
        candidate=found,
        agreement=proposed,
        base=base[0] if base else None,
        lines=lines,
        outdated=outdated,
        names=team.names_of(uow, (found.uploaded_by, found.marketing_signed_by, found.sales_signed_by)),
        may_sign=may_sign,
    )


@router.post("/agreement/candidates/{candidate_id}/sign")
def sign_candidate(viewer: Posting, uow: Uow, clock: Now, candidate_id: int) -> Response:
    signoff.sign(uow, clock, viewer.principal, candidate_id)
    return RedirectResponse(f"/agreement/candidates/{candidate_id}", status_code=303)


# --- the backtest ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A report drawn as a table: column titles and kinds, rows of shown values."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...]


def table(report: Report) -> Table:
    rows = tuple(tuple(cell(c.kind, row.get(c.key)) for c in report.columns) for row in report.rows)
    return Table(report.title, report.columns, rows, report.notes)


def mql_chart(result: Backtest) -> dict[str, Any]:
    """MQLs per month under both agreements, side by side (the total row left out)."""
    months = [row for row in result.months.rows if row["month"] != "all"]
    return {
        "type": "bar",
        "data": {
            "labels": [row["month"] for row in months],
            "datasets": [
                {
                    "label": f"MQLs, {result.current}",
                    "data": [row["cur_mql"] for row in months],
                    "backgroundColor": "#8a96a8",
                },
                {
                    "label": f"MQLs, {result.candidate}",
                    "data": [row["cand_mql"] for row in months],
                    "backgroundColor": "#2456c7",
                },
            ],
        },
        "options": {"scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}}},
    }


def _fate(change: Row) -> str:
    recorded = change["recorded"]
    return "won" if recorded["won"] else "had an opportunity" if recorded["opportunity"] else "no opportunity"


def _mql_words(outcome: dict[str, Any]) -> str:
    day = outcome["qualified_on"]
    if outcome["screened"]:
        return f"to screening on {day}" + (", passed by the qualifiers" if outcome["mql"] else "")
    if outcome["mql"]:
        return f"MQL on {day}"
    return "no MQL in the period" + (f" (MQL on {day})" if day else "")


@router.get("/agreement/candidates/{candidate_id}/backtest")
def candidate_backtest(request: Request, viewer: Viewing, uow: Uow, clock: Now, candidate_id: int) -> Response:
    """The candidate replayed over the recorded history next to the version it is compared with."""
    viewer.principal.require(Action.PROPOSE_AGREEMENT)
    found = signoff.candidate(uow, candidate_id)
    base = _base(uow, found)
    if base is None:
        raise NoAgreement(f"candidate {candidate_id} has no earlier version to be compared with")
    inforce = agreements.in_force(uow)
    result = reports.backtest(uow, clock, inforce, found.text, f"candidate {found.id}", base[0].version)
    total = result.months.rows[-1]
    changed = [
        {
            "email": c["email"],
            "id": c["id"],
            "current": _mql_words(c["current"]),
            "candidate": _mql_words(c["candidate"]),
            "fate": _fate(c),
        }
        for c in result.changed[:CHANGED_SHOWN]
    ]
    return render(
        request,
        "agreement/backtest.html",
        result=result,
        total=total,
        months=table(result.months),
        load=table(result.load),
        chart_config=mql_chart(result),
        changed=changed,
        more=max(len(result.changed) - CHANGED_SHOWN, 0),
        changed_count=len(result.changed),
    )
