"""The calibration workshop pages: the workshops and starting one, grading their leads, and the report.

Marketing and sales grade the same sample of leads one at a time, each person for their own side (a marketing
person and a marketing-side manager for marketing, a rep and a sales-side manager for sales), seeing the lead's
fields and what it did but never its score or the agreement's grade. A grade is a plain form post with a button per
grade, each reachable from the keyboard (Tab, or its access key); with the page's script, a grade's key alone gives
it. The report shows how far the sides agree (kappa in Landis and Koch's words), the agreement's grade against each
side, the leads the sides disagree on most, and the fit points the grades suggest, as a file to download or, for a
manager, to propose as a candidate agreement.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from leadpact.domain.errors import Conflict, InvalidInput, NotFound
from leadpact.domain.permissions import Action
from leadpact.http.deps import Now, Uow
from leadpact.http.errors import status_of
from leadpact.services import workshops
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewer, Viewing

router = APIRouter()
DISAGREEMENTS_SHOWN = 20


def _index(
    request: Request,
    viewer: Viewer,
    uow: UnitOfWork,
    status: int = 200,
    started: str | None = None,
    refusal: str | None = None,
    field: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The workshops, and the form to start one (with a refusal next to the field at fault)."""
    return render(
        request,
        "workshops/index.html",
        status=status,
        workshops=workshops.overview(uow),
        may_run=viewer.may(Action.RUN_WORKSHOP),
        may_grade=viewer.may(Action.GRADE_LEADS),
        sample=workshops.SAMPLE,
        most=workshops.MOST_SAMPLE,
        started=started,
        refusal=refusal,
        field=field,
        values=values or {},
    )


@router.get("/workshops")
def workshops_page(request: Request, viewer: Viewing, uow: Uow, started: str = "") -> Response:
    """Every role may come here: admins and marketing run workshops, reps grade, managers do both."""
    return _index(request, viewer, uow, started=started or None)


@router.post("/workshops")
def start_workshop(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    name: Annotated[str, Form()] = "",
    sample: Annotated[str, Form()] = "",
    seed: Annotated[str, Form()] = "",
) -> Response:
    """Draw a new workshop's sample; a refusal comes back next to the form, with what was typed."""
    viewer.principal.require(Action.RUN_WORKSHOP)
    values = {"name": name, "sample": sample, "seed": seed}
    try:
        size = _whole(sample, "sample")
        started = workshops.start(uow, clock, name, workshops.SAMPLE if size is None else size, _whole(seed, "seed"))
    except (InvalidInput, Conflict) as error:
        field = error.field if isinstance(error, InvalidInput) else "name"
        problem = error.problem if isinstance(error, InvalidInput) else error.detail
        return _index(request, viewer, uow, status_of(error), refusal=problem, field=field, values=values)
    return RedirectResponse(f"/workshops?started={quote(started.workshop.name)}", status_code=303)


def _whole(text: str, field: str) -> int | None:
    """A whole number typed into ``field``; None when it was left empty."""
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"'{text}' is not a whole number", field) from exc


def grade_keys(scale: tuple[str, ...]) -> dict[str, str]:
    """The key that gives each grade (best first) on the grading page, lowercase: the grades' first letters when
    they all differ (``a`` to ``d`` for A to D), else their places (``1`` to ``9``; a tenth grade gets none)."""
    firsts = [grade[:1].lower() for grade in scale]
    if len(set(firsts)) == len(firsts) and all(first.isalnum() for first in firsts):
        return dict(zip(scale, firsts, strict=True))
    return {grade: str(place) for place, grade in enumerate(scale[:9], start=1)}


@router.get("/workshops/{name}")
def grading_page(request: Request, viewer: Viewing, uow: Uow, name: str, lead: int | None = None) -> Response:
    """The next lead the viewer's side has not graded (or the one asked for, to grade again)."""
    workshop = workshops.named(uow, name)
    if not viewer.may(Action.GRADE_LEADS):
        return render(request, "workshops/grade.html", workshop=workshop, sheet=None, graded=None)
    side = workshops.side_of(viewer.principal)
    sheet = workshops.sheet(uow, name, side, lead)
    return render(
        request,
        "workshops/grade.html",
        workshop=workshop,
        sheet=sheet,
        keys=grade_keys(sheet.scale),
        graded=request.query_params.get("graded"),
    )


@router.post("/workshops/{name}/grades")
def grade_lead(
    viewer: Posting,
    uow: Uow,
    clock: Now,
    name: str,
    lead: Annotated[int, Form()],
    grade: Annotated[str, Form()],
) -> Response:
    """The viewer's side grades the lead; on to the next lead it has not graded."""
    side = workshops.side_of(viewer.principal)
    workshops.grade(uow, clock, name, lead, side, grade)
    return RedirectResponse(f"/workshops/{quote(name)}?graded={quote(grade)}", status_code=303)


@router.get("/workshops/{name}/report")
def report_page(request: Request, viewer: Viewing, uow: Uow, name: str) -> Response:
    viewer.principal.require(Action.RUN_WORKSHOP)
    found = workshops.report(uow, name)
    return render(
        request,
        "workshops/report.html",
        report=found,
        disagreements=found.disagreements[:DISAGREEMENTS_SHOWN],
        may_propose=viewer.may(Action.PROPOSE_AGREEMENT) and viewer.principal.user_id is not None,
    )


@router.get("/workshops/{name}/suggested.yaml")
def suggested_file(viewer: Viewing, uow: Uow, name: str) -> Response:
    """The suggested agreement as a file, for 'leadpact agreement backtest' or a candidate upload."""
    viewer.principal.require(Action.RUN_WORKSHOP)
    found = workshops.report(uow, name)
    if found.suggested is None:
        raise NotFound(f"workshop {found.workshop} suggests no agreement: {found.refit.reason}")
    filename = f"{found.workshop}-suggested.yaml"
    return PlainTextResponse(
        found.suggested,
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
