"""The admin's pages: webhook subscriptions (with the failing ones and why), and the audit trail.

A new webhook's signing secret is shown once, on the page that follows its creation; a removal asks first.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadpact.domain.audit import ACTIONS
from leadpact.domain.errors import InvalidInput
from leadpact.domain.permissions import Action
from leadpact.http.deps import Now, Uow
from leadpact.services import audit, webhooks
from leadpact.services.clock import Clock
from leadpact.services.outbox import TOPICS
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.dates import parse_day
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewing

router = APIRouter()
SHOWN = 200
"""Audit entries a page shows, newest first."""


def _webhooks_page(
    request: Request,
    uow: UnitOfWork,
    status: int = 200,
    error: str | None = None,
    created: dict[str, object] | None = None,
) -> Response:
    return render(
        request,
        "admin/webhooks.html",
        status=status,
        subscriptions=webhooks.subscriptions(uow),
        topics=TOPICS,
        error=error,
        created=created,
    )


@router.get("/admin/webhooks")
def webhooks_page(request: Request, viewer: Viewing, uow: Uow) -> Response:
    viewer.principal.require(Action.MANAGE_ACCESS)
    return _webhooks_page(request, uow)


@router.post("/admin/webhooks")
def add_webhook(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    url: Annotated[str, Form()],
    topic: Annotated[list[str] | None, Form()] = None,
) -> Response:
    viewer.principal.require(Action.MANAGE_ACCESS)
    try:
        webhook, secret = webhooks.add(uow, clock, url, topic or [])
    except InvalidInput as error:
        return _webhooks_page(request, uow, 422, error=error.detail)
    created = {"id": webhook.id, "url": webhook.url, "secret": secret}
    return _webhooks_page(request, uow, 201, created=created)


@router.post("/admin/webhooks/{webhook_id:int}/remove")
def remove_webhook(viewer: Posting, uow: Uow, clock: Now, webhook_id: int) -> Response:
    viewer.principal.require(Action.MANAGE_ACCESS)
    webhooks.remove(uow, clock, webhook_id)
    return RedirectResponse("/admin/webhooks", status_code=303)


@router.get("/admin/audit")
def audit_page(request: Request, viewer: Viewing, uow: Uow, clock: Now, since: str | None = None) -> Response:
    viewer.principal.require(Action.READ_AUDIT)
    start = _day(since, clock)
    entries = [(e, ACTIONS.get(e.action, e.action), audit.detail_of(e)) for e in audit.entries(uow, start, SHOWN)]
    return render(request, "admin/audit.html", entries=entries, since=start.date(), shown=SHOWN)


def _day(text: str | None, clock: Clock) -> datetime:
    """The start of a UTC day given as YYYY-MM-DD; by default 30 days ago."""
    day = parse_day(text, "since") or clock.now().date() - timedelta(days=30)
    return datetime.combine(day, time(), UTC)
