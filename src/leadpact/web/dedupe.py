"""The duplicates page: likely duplicate people and accounts with their match probability, each pair with a merge
button that asks for confirmation first. Marketing and admins only.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadpact.domain.permissions import Action
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import dedupe
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewing

router = APIRouter()


@router.get("/dedupe")
def review(
    request: Request,
    viewer: Viewing,
    uow: Uow,
    threshold: float = dedupe.DEFAULT_THRESHOLD,
    merged: str = "",
    into: str = "",
) -> Response:
    viewer.principal.require(Action.DEDUPE)
    people = dedupe.people_pairs(uow, threshold)
    accounts = dedupe.account_pairs(uow, threshold)
    return render(
        request, "dedupe/index.html", people=people, accounts=accounts, threshold=threshold, merged=merged, into=into
    )


def _back(threshold: float, merged: str, into: str) -> RedirectResponse:
    query = urlencode({"threshold": f"{threshold:g}", "merged": merged, "into": into})
    return RedirectResponse(f"/dedupe?{query}", status_code=303)


@router.post("/dedupe/merge")
def merge(
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    keep: Annotated[str, Form()],
    other: Annotated[str, Form()],
    threshold: Annotated[float, Form()] = dedupe.DEFAULT_THRESHOLD,
) -> Response:
    viewer.principal.require(Action.DEDUPE)
    done = dedupe.merge_leads(uow, clock, inforce, keep, other, viewer.principal.user_id)
    return _back(threshold, f"lead {done.merged}", f"lead {done.survivor}")


@router.post("/dedupe/merge-accounts")
def merge_accounts(
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    keep: Annotated[str, Form()],
    other: Annotated[str, Form()],
    threshold: Annotated[float, Form()] = dedupe.DEFAULT_THRESHOLD,
) -> Response:
    viewer.principal.require(Action.DEDUPE)
    done = dedupe.merge_accounts(uow, clock, inforce, keep, other)
    return _back(threshold, done.merged, done.survivor)
