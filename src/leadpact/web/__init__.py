"""The web UI: Jinja2 pages with HTMX, one module of routes per area."""

from __future__ import annotations

from pathlib import Path

from leadpact.web import admin, agreement, campaigns, dashboard, leads, login, queue, reports, team

STATIC = Path(__file__).parent / "static"
PAGES = [
    login.router,
    queue.router,
    leads.router,
    dashboard.router,
    reports.router,
    campaigns.router,
    agreement.router,
    team.router,
    admin.router,
]
