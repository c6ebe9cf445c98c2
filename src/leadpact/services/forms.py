"""Web forms on the company's own site post their leads straight in.

Each form has a public key (it sits in the page's HTML, so it only lets that form post), the browser origins
allowed to post it, how its field names map onto the lead's, and the source, campaign and event type its
submissions carry. A submission creates or updates the lead and records one event of that type. The form, not
the visitor, decides the source and campaign (a lead that already has them keeps its first ones), and the
moment is the submission's. A ``consent`` field records the person's yes or no to marketing email, with the
form as its source. The snippet to paste on a site carries a field hidden from people: a submission that fills
it came from a program, and is answered without being taken.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from sqlalchemy import select

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.scoring import to_seconds
from leadpact.services import audit, engagement, imports, intake, privacy
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.tables import Campaign, CaptureForm, Lead
from leadpact.store.unit_of_work import UnitOfWork

DEFAULT_EVENT = "form_submit"
FORM_DECIDES = ("source", "campaign", "created_at")
"""Lead fields a submission cannot set: the form's own settings and the moment of submission give them."""
CONSENT = "consent"
"""The field (by that name, or mapped to it) in which the person says yes or no to marketing email."""
YES = frozenset({"yes", "y", "true", "on", "1", "checked", "agree", "agreed"})
NO = frozenset({"no", "n", "false", "off", "0", ""})
HONEYPOT = "website_url"
"""A field the snippet hides from people: only a program filling every field fills it, and is then ignored."""
CUSTOM_FIELD = re.compile(r"[a-z][a-z0-9_]*")
"""A custom field's name, as imports keep other columns (fit rules can use them)."""


@dataclass(frozen=True)
class Submission:
    lead: Lead
    created: bool
    event_id: str
    outcome: str  # what the agreement made of the event: "counted", "not counted", "not in agreement"


def _origins(given: Sequence[str]) -> list[str]:
    """Browser origins as the Origin header sends them: scheme and host (and port), lower case, nothing else."""
    out = []
    for origin in (o.strip().rstrip("/") for o in given):
        if not origin:
            continue
        parts = urlsplit(origin)
        if (
            parts.scheme.lower() not in ("http", "https")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or "@" in parts.netloc
        ):
            raise InvalidInput(f"origin: '{origin}' is not an origin like https://www.example.com")
        out.append(origin.lower())
    return out


def _field_map(field_map: Mapping[str, str]) -> dict[str, str]:
    """{the form's field name, normalized as a posted name is: the lead's field}, each checked."""
    for posted, target in field_map.items():
        target = target.strip()
        if not imports.normalize_header(posted):
            raise InvalidInput(f"field map: '{posted}' is not a form field name")
        if target in FORM_DECIDES:
            raise InvalidInput(f"field map: '{posted}' cannot set {target}; the form decides it")
        if imports.normalize_header(posted) == HONEYPOT:
            raise InvalidInput(f"field map: '{posted}' is the name of the form's trap for programs; rename the field")
        if target not in imports.FIELDS["leads"] and not CUSTOM_FIELD.fullmatch(target):
            raise InvalidInput(
                f"field map: '{posted}' maps to '{target}', which is not a lead field "
                f"({', '.join(f for f in imports.FIELDS['leads'] if f not in FORM_DECIDES)}) or a custom field name"
            )
    return {imports.normalize_header(posted): target.strip() for posted, target in field_map.items()}


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
    mapping = _field_map(field_map)
    allowed = _origins(origins)  # checked before a campaign named for the first time is made
    form = CaptureForm(
        key=secrets.token_urlsafe(16),
        name=name.strip(),
        source=source.strip(),
        campaign_id=intake.campaign_id(uow, campaign) if campaign else None,
        event_type=event_type.strip() or DEFAULT_EVENT,
        origins="\n".join(allowed),
        field_map=json.dumps(mapping),
        created_at=clock.now(),
    )
    uow.session.add(form)
    uow.session.flush()
    audit.record(uow, form.created_at, "form.add", f"form {form.id}", name=form.name, origins=form.origins.split())
    return form


def form_by_key(uow: UnitOfWork, key: str) -> CaptureForm:
    form = uow.session.scalars(select(CaptureForm).where(CaptureForm.key == key)).first()
    if form is None:
        raise NotFound(f"no form has the key '{key}'")
    return form


def form_named(uow: UnitOfWork, name: str) -> CaptureForm:
    form = uow.session.scalars(select(CaptureForm).where(CaptureForm.name == name.strip())).first()
    if form is None:
        raise NotFound(f"no form is named '{name.strip()}'; see 'leadpact form list'")
    return form


def forms(uow: UnitOfWork) -> list[CaptureForm]:
    return list(uow.session.scalars(select(CaptureForm).order_by(CaptureForm.name)))


def allowed_origins(form: CaptureForm) -> list[str]:
    return form.origins.split("\n") if form.origins else []


def submit(uow: UnitOfWork, clock: Clock, inforce: InForce, form: CaptureForm, posted: Mapping[str, str]) -> Submission:
    """Create or update the lead from the posted fields, then record the form's event for it now.

    A bad field raises ``InvalidInput`` naming every field at fault; nothing is stored then.
    """
    source = f"form '{form.name}'"
    texts = {k: v.strip() for k, v in posted.items() if isinstance(v, str) and k != HONEYPOT}
    columns = imports.columns_for(list(texts), "leads", json.loads(form.field_map), source)
    values = {columns[k]: v for k, v in texts.items() if v and columns[k] not in FORM_DECIDES}
    consent = _consent(values.pop(CONSENT, None), [k for k in texts if columns[k] == CONSENT])
    data = _lead_input(values)
    known = uow.session.execute(select(Lead.source).where(Lead.email == intake.normalize_email(data.email))).first()
    if known is None or known.source is None:  # a lead keeps the source it first came from
        data.source = form.source
    if form.campaign_id is not None:  # a lead keeps its first campaign: capture only fills an empty one
        data.campaign = uow.session.scalar(select(Campaign.name).where(Campaign.id == form.campaign_id))
    lead, created = intake.capture_lead(uow, clock, inforce, data)
    if consent is not None:
        privacy.record_consent(uow, lead, consent, source, clock.now())
    # ids in the order submissions arrive: of two in one second under a daily cap, the first one counts
    event_id = f"form-{form.id}-{time.time_ns():020d}-{secrets.token_hex(4)}"
    event = engagement.NewEvent.of(event_id, lead.id, form.event_type, to_seconds(clock.now()), form.campaign_id)
    report = engagement.ingest(uow, clock, inforce, [event])
    uow.session.refresh(lead)  # scoring expired it: reload, so the caller can read it after the unit of work ends
    return Submission(lead, created, event_id, report.outcomes[event_id])


def caught(posted: Mapping[str, str]) -> bool:
    """Whether a program filled the field people never see: the submission is then answered but not taken."""
    return bool(str(posted.get(HONEYPOT, "")).strip())


def _consent(value: str | None, named: list[str]) -> bool | None:
    """The person's answer on marketing email, when the form asks; None when it does not."""
    if not named:
        return None
    text = (value or "").strip().lower()
    if text not in YES | NO:
        raise InvalidInput(f"{named[0]}: '{value}' is not a yes or no to marketing email")
    return text in YES


def snippet(form: CaptureForm, capture_url: str) -> str:
    """The HTML of a form to paste on the company's site: the usual fields, a consent box and the trap."""
    names = {target: posted for posted, target in json.loads(form.field_map).items()}
    rows = [
        f'  <label>{label} <input name="{escape(names.get(field, field))}"{kind}></label>'
        for field, label, kind in (
            ("email", "Work email", ' type="email" required'),
            ("first_name", "First name", ""),
            ("last_name", "Last name", ""),
            ("company", "Company", ""),
            ("title", "Job title", ""),
        )
    ]
    consent = escape(names.get(CONSENT, CONSENT))
    return "\n".join(
        [
            f'<form method="post" action="{escape(capture_url)}">',
            *rows,
            "  <!-- a box left unticked is not sent: the hidden no before it is, and a tick's yes comes after it -->",
            f'  <input type="hidden" name="{consent}" value="no">',
            f'  <label><input type="checkbox" name="{consent}" value="yes"> Email me about products and events</label>',
            "  <!-- a trap for programs: people never see it, so a submission that fills it is ignored -->",
            f'  <div aria-hidden="true" style="position:absolute;left:-10000px"><input name="{HONEYPOT}" '
            'tabindex="-1" autocomplete="off"></div>',
            '  <button type="submit">Send</button>',
            "</form>",
        ]
    )


def _lead_input(values: dict[str, str]) -> intake.LeadInput:
    """The lead's fields, checked as an import checks a row; the problems are named by field alone."""
    problems = imports.Problems("form")
    data = imports.lead_input(imports.Row(1, values), problems)
    if data is None or problems.lines:
        raise InvalidInput("; ".join(line.removeprefix("row 1: ") for line in problems.lines))
    return data
