"""The application: the JSON API, public form capture, the web UI and (for ``serve``) the worker, in one app.

The one place that knows every edge: it composes the API's routes and the web's pages on the shared HTTP edge
(``leadpact.http``: its dependencies, error table and middleware), neither of which knows the other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from leadpact.api import docs
from leadpact.api.limits import Window
from leadpact.api.recorder import Recorder
from leadpact.api.routes import routers
from leadpact.api.routes.forms import CAPTURE_LIMIT, CAPTURE_WINDOW
from leadpact.config import Settings
from leadpact.http import errors
from leadpact.http.middleware import BodyLimit, SecurityHeaders
from leadpact.services.clock import Clock, SystemClock
from leadpact.services.report_cache import ReportCache
from leadpact.services.store_clock import StoreTime
from leadpact.store.database import connect
from leadpact.web import PAGES, STATIC
from leadpact.web.render import error_page
from leadpact.worker import Worker

DESCRIPTION = """\
The lead agreement between marketing and sales, enforced on every lead.

Authenticate with an API token (`leadpact token create NAME --role ROLE`) sent as `Authorization: Bearer TOKEN`.
Every error answers `{"code", "detail"}`; the code is stable, the detail names the field or row at fault.
"""
TAGS = [
    {"name": "leads", "description": "Capture leads; list and filter them; one lead with the reasons for its score."},
    {"name": "events", "description": "What leads did, one at a time or in batches; an event id is stored once."},
    {"name": "sales", "description": "A rep's work: the queue, accept, reject, contact, qualify, convert, win, lose."},
    {"name": "campaigns", "description": "Campaigns and what they cost."},
    {"name": "reports", "description": "Funnel, costs and ROI, SLA, reasons, grades, sourcing, attribution, forecast."},
    {"name": "agreement", "description": "Versions, diffs, candidates, their backtest, and the two owners' sign-off."},
    {"name": "forms", "description": "Web forms on the company's own site, and the public capture endpoint."},
    {"name": "tokens", "description": "API tokens (admin): create, list, revoke."},
    {"name": "webhooks", "description": "Webhook subscriptions (admin): signed deliveries of the outbox's messages."},
    {"name": "audit", "description": "The audit trail (admin): every change made by a person or a token."},
    {"name": "nurture", "description": "Nurture sequences, enrolments and figures; the public links of their emails."},
    {"name": "dedupe", "description": "Likely duplicate people and accounts, with their probability; merging them."},
    {"name": "personal data", "description": "A person's data (admin): everything held, and its erasure."},
]


def favicon() -> FileResponse:
    """The icon the pages link, also where browsers look for one unasked."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


def create_app(settings: Settings, clock: Clock | None = None, worker_every: float | None = None) -> FastAPI:
    """The app on ``settings``' database; with ``worker_every`` seconds, the worker runs beside it.

    ``clock`` (real time unless given) is the app's real time: while the database runs on a store clock
    (``services.store_clock``), the app's "now" runs on from that clock's start.
    """
    engine = connect(settings.database_url)
    clock = StoreTime(engine, clock or SystemClock())
    worker = Worker(engine, clock, settings, worker_every) if worker_every else None
    recorder = Recorder(engine, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        recorder.start()
        if worker:
            worker.start()
        try:
            yield
        finally:
            if worker:
                worker.stop()
            recorder.stop()  # answers the events still queued before the engine closes
            engine.dispose()

    app = FastAPI(
        title="leadpact",
        version=version("leadpact"),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by api.docs, from the vendored Swagger UI
        redoc_url=None,
        openapi_tags=TAGS,
    )
    app.state.engine = engine
    app.state.clock = clock
    app.state.settings = settings
    app.state.recorder = recorder
    app.state.report_cache = ReportCache()  # the dashboard's reports, kept while the store does not change
    app.state.capture_limit = Window(CAPTURE_LIMIT, CAPTURE_WINDOW)
    errors.install(app, error_page)
    app.include_router(docs.router)
    for router in routers():
        app.include_router(router)
    for page in PAGES:
        app.include_router(page, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)  # asked for by browsers whatever a page links
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)  # the outermost: every answer carries them, a refused body's too
    return app
