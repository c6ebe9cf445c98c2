"""The web UI: Jinja2 pages with HTMX, one module of routes per area."""

from __future__ import annotations

from pathlib import Path

from leadpact.web import admin, agreement, dashboard, leads, login, queue, team

STATIC = Path(__file__).parent / "static"
PAGES = [login.router, queue.router, leads.router, dashboard.router, agreement.router, team.router, admin.router]
