"""Web forms on the company's own site post their leads straight in.

Each form has a public key (it sits in the page's HTML, so it only lets that form post), the browser origins
allowed to post it, how its field names map onto the lead's, and the source, campaign and event type its
submissions carry. A submission creates or updates the lead and records one event of that type.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.scoring import to_seconds
from leadpact.services import engagement, imports, intake
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.tables import Campaign, CaptureForm, Lead
from leadpact.store.unit_of_work import UnitOfWork

DEFAULT_EVENT = "form_submit"


@dataclass(frozen=True)
class Submission:
    lead: Lead
    created: bool
    event_id: str
    outcome: str  # what the agreement made of the event: "counted", "not_in_agreement", ...


def _origins(text: Sequence[str]) -> list[str]:
    out = []
    for origin in (o.strip().rstrip("/") for o in text):
        if not origin:
            continue
        if not origin.startswith(("http://", "https://")) or "/" in origin.split("://", 1)[1]:
            raise InvalidInput(f"origin: '{origin}' is not an origin like https://www.example.com")
        out.append(origin)
    return out


def add_form(
    uow: UnitOfWork,
    clock: Clock,
    name: str,
    source: str,
    origins: Sequence[str],
    field_map: Mapping[str, str],
    campaign: str | None = None,
    event_type: str = DEFAULT_EVENT,
) -> CaptureForm:
    """A new form with a fresh key; ``field_map`` is {the form's field name: the lead's field}."""
    if not name.strip():
        raise InvalidInput("name: a form needs a name")
    if uow.session.scalar(select(CaptureForm.id).where(CaptureForm.name == name.strip())) is not None:
        raise InvalidInput(f"there is already a form named '{name.strip()}'")
    if not source.strip():
        raise InvalidInput("source: a form's leads need a source, e.g. website")
    mapping = imports.parse_map([f"{k}={v}" for k, v in field_map.items()], "leads")
    form = CaptureForm(
        key=secrets.token_urlsafe(16),
        name=name.strip(),
        source=source.strip(),
        campaign_id=intake.campaign_id(uow, campaign) if campaign else None,
        event_type=event_type.strip() or DEFAULT_EVENT,
        origins="\n".join(_origins(origins)),
        field_map=json.dumps(mapping),
        created_at=clock.now(),
    )
    uow.session.add(form)
    uow.session.flush()
    return form


def form_by_key(uow: UnitOfWork, key: str) -> CaptureForm:
    form = uow.session.scalars(select(CaptureForm).where(CaptureForm.key == key)).first()
    if form is None:
        raise NotFound(f"no form has the key '{key}'")
    return form


def forms(uow: UnitOfWork) -> list[CaptureForm]:
    return list(uow.session.scalars(select(CaptureForm).order_by(CaptureForm.name)))


def allowed_origins(form: CaptureForm) -> list[str]:
    return form.origins.split("\n") if form.origins else []


def submit(uow: UnitOfWork, clock: Clock, inforce: InForce, form: CaptureForm, posted: Mapping[str, str]) -> Submission:
    """Create or update the lead from the posted fields, then record the form's event for it now."""
    source = f"form '{form.name}'"
    values = {k: v.strip() for k, v in posted.items() if isinstance(v, str) and v.strip()}
    columns = imports.columns_for(list(values), "leads", json.loads(form.field_map), source)
    row = imports.Row(1, {columns[k]: v for k, v in values.items()})
    row.values.setdefault("source", form.source)
    problems = imports.Problems(source)
    data = imports.lead_input(row, problems)
    problems.raise_if_any()
    assert data is not None
    data.created_at = None  # a submission happens now, whatever the form says
    if form.campaign_id is not None and data.campaign is None:
        data.campaign = uow.session.scalar(select(Campaign.name).where(Campaign.id == form.campaign_id))
    lead, created = intake.capture_lead(uow, clock, inforce, data)
    event_id = f"form-{form.id}-{uuid.uuid4().hex}"
    event = engagement.NewEvent.of(event_id, lead.id, form.event_type, to_seconds(clock.now()), form.campaign_id)
    report = engagement.ingest(uow, clock, inforce, [event])
    return Submission(lead, created, event_id, report.outcomes[event_id])
