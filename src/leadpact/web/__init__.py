"""The web UI: Jinja2 pages with HTMX, one module of routes per area."""

from __future__ import annotations

from pathlib import Path

from leadpact.web import (
    admin,
    agreement,
    campaigns,
    dashboard,
    leads,
    login,
    profiles,
    queue,
    reports,
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
    workshops.router,
    campaigns.router,
    agreement.router,
    team.router,
    admin.router,
]
