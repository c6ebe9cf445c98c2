"""The web UI: Jinja2 pages with HTMX, one module of routes per area."""

from __future__ import annotations

from pathlib import Path

from leadpact.web import (
    accounts,
    admin,
    agreement,
    campaigns,
    dashboard,
    dedupe,
    leads,
    login,
    nurture,
    profiles,
    queue,
    reports,
    screening,
    team,
    workshops,
)

STATIC = Path(__file__).parent / "static"
PAGES = [
    login.router,
    queue.router,
    leads.router,
    dashboard.router,
    reports.router,
    profiles.router,
    nurture.router,
    workshops.router,
    campaigns.router,
    agreement.router,
    team.router,
    admin.router,
    accounts.router,
    dedupe.router,
    screening.router,
]
