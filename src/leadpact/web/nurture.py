"""The nurture page: each sequence's funnel (emails sent, opened, clicked, and the leads that qualified) and its
steps. The file of sequences is adopted from the command line or the API (``leadpact nurture adopt``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leadpact.domain.permissions import Action
from leadpact.http.deps import Uow
from leadpact.services import nurture
from leadpact.web.render import render
from leadpact.web.session import Viewing

router = APIRouter()


@router.get("/nurture")
def nurture_page(request: Request, viewer: Viewing, uow: Uow) -> Response:
    viewer.principal.require(Action.READ_REPORTS)
    found = nurture.in_force(uow)
    if found is None:
        return render(request, "nurture/index.html", version=None, sequences=[], stats={})
    version, file = found
    stats = {s.name: s for s in nurture.stats(uow)}
    smtp = request.app.state.settings.smtp_url is not None
    return render(
        request, "nurture/index.html", version=version, sequences=list(file.sequences.values()), stats=stats, smtp=smtp
    )
