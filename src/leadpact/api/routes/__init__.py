"""The API's routes, one module per area; ``routers()`` is what the app mounts."""

from __future__ import annotations

from fastapi import APIRouter

from leadpact.api.routes import (
    accounts,
    actions,
    admin,
    agreement,
    campaigns,
    dedupe,
    events,
    forms,
    leads,
    nurture,
    reports,
    screening,
    tokens,
)


def routers() -> list[APIRouter]:
    """Every area's routes; the reports' are made from the report catalog as it stands when the app is made."""
    return [
        leads.router,
        leads.queue_router,
        actions.router,
        events.router,
        campaigns.router,
        reports.router(),
        agreement.router,
        forms.router,
        forms.capture_router,
        tokens.router,
        admin.router,
        accounts.router,
        dedupe.router,
        nurture.router,
        nurture.public_router,
        screening.router,
    ]
