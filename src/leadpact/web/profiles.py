"""The profiles pages: the ideal customer profiles learned, what sets their buyers apart, and lists compared.

Marketing uploads one or more lists (a broker's file, a trade show's attendees, a publication's readers), each
with its cost if known, and sees which matches the profile best: expected buyers, per 1,000 names against the
base rate, and cost per expected buyer, in a table and a bar chart. Nothing uploaded is kept. Profiles are
learned from the command line (``leadpact profile learn``), which shows its progress on a long table.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.permissions import Action
from leadpact.http.deps import Uow
from leadpact.http.errors import status_of
from leadpact.http.middleware import MIB, limit_for
from leadpact.services import profiles
from leadpact.services.profiles import Comparison, ProfileInfo
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.panels import axis, dataset
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewer, Viewing

router = APIRouter()
COMPARE = "/profiles/compare"
MOST_LISTS = 12
TRAITS_SHOWN = 12


def _page(
    request: Request,
    viewer: Viewer,
    uow: UnitOfWork,
    name: str | None,
    status: int = 200,
    comparison: Comparison | None = None,
    refusal: str | None = None,
    field: str | None = None,
    costs: str = "",
) -> Response:
    viewer.principal.require(Action.LEARN)
    learned = profiles.newest(uow)
    chosen: ProfileInfo | None = None
    if learned:
        chosen = (
            profiles.get(uow, name)
            if name
            else next((p for p in learned if p.name == profiles.DEFAULT_NAME), learned[0])
        )
    return render(
        request,
        "profiles/index.html",
        status=status,
        learned=learned,
        profile=chosen,
        traits_shown=TRAITS_SHOWN,
        comparison=comparison,
        chart_config=_chart(comparison) if comparison else None,
        refusal=refusal,
        field=field,
        costs=costs,
        limit_mib=limit_for(COMPARE) // MIB,
        most_lists=MOST_LISTS,
    )


@router.get("/profiles")
def profiles_page(request: Request, viewer: Viewing, uow: Uow, name: str = "") -> Response:
    """The profiles learned, one of them in detail (``?name=``), and the form to compare lists against it."""
    return _page(request, viewer, uow, name.strip() or None)


@router.post(COMPARE)
async def compare_lists(
    request: Request,
    viewer: Posting,
    uow: Uow,
    name: Annotated[str, Form()] = "",
    costs: Annotated[str, Form()] = "",
    lists: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Score each list uploaded against the profile and compare them; a refusal comes back next to the form."""
    viewer.principal.require(Action.LEARN)
    chosen = name.strip() or None
    try:
        uploads = [(f.filename or f"list {i}", await f.read()) for i, f in enumerate(lists or [], 1) if f.filename]
        if not uploads:
            raise InvalidInput("choose one or more CSV files to compare", "lists")
        if len(uploads) > MOST_LISTS:
            raise InvalidInput(f"compare at most {MOST_LISTS} lists at a time", "lists")
        labels = [label for label, _ in uploads]
        if len(set(labels)) < len(labels):
            raise InvalidInput("two of the files have the same name; rename one", "lists")
        pairs = [line.strip() for line in costs.splitlines() if line.strip()]
        found = profiles.compare(uow, uploads, profiles.parse_costs(pairs, labels), chosen)
    except (InvalidInput, NotFound) as error:
        field = error.field if isinstance(error, InvalidInput) else "name"
        problem = error.problem if isinstance(error, InvalidInput) else error.detail
        return _page(request, viewer, uow, chosen, status_of(error), refusal=problem, field=field, costs=costs)
    return _page(request, viewer, uow, found.profile.name, comparison=found, costs=costs)


def _chart(found: Comparison) -> dict[str, Any]:
    """Expected buyers per 1,000 names of each list, beside the profile's base rate."""
    labels = [f.label for f in found.lists]
    per_thousand = [round(f.per_thousand, 1) for f in found.lists]
    base = [round(found.base_per_thousand, 1)] * len(labels)
    return {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                dataset("expected buyers per 1,000 names", per_thousand, 0),
                dataset("at the profile's base rate", base, 6),
            ],
        },
        "options": {"scales": {"y": axis("buyers per 1,000 names")}},
    }
