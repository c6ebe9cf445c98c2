"""The API's routes, one module per area; ``ROUTERS`` is what the app mounts."""

from __future__ import annotations

from fastapi import APIRouter

from leadpact.api.routes import actions, admin, agreement, campaigns, events, forms, leads, reports, tokens

ROUTERS: list[APIRouter] = [
    leads.router,
    leads.queue_router,
    actions.router,
    events.router,
    campaigns.router,
    reports.router,
    agreement.router,
    forms.router,
    forms.capture_router,
    tokens.router,
    admin.router,
]
