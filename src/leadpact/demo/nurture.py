"""The demo's nurture: marketing adopts the example sequences at the year's end, and the worker's first pass enrols
the recycled ``not_ready`` leads and the inquiries below the floor and writes their first emails.

The people who came in through the company's own channels (forms, webinars, events, partners, its newsletter)
said yes to marketing email; bought lists and prospects sales found itself did not, so nothing is written to them.
Without ``LEADPACT_SMTP_URL`` the emails wait in the outbox (``leadpact nurture stats`` says so).
"""

from __future__ import annotations

from importlib import resources

from sqlalchemy import select

from leadpact.services import nurture, privacy
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.tables import Lead
from leadpact.store.unit_of_work import UnitOfWork

ADOPTED_BY = "Maya Brooks"
WITHOUT_CONSENT = ("purchased_list", "outbound")


def example_sequences() -> str:
    return resources.files("leadpact").joinpath("examples/nurture.yaml").read_text(encoding="utf-8")


def set_up(uow: UnitOfWork, clock: Clock, inforce: InForce, public_url: str) -> nurture.Advanced:
    """Consents as the leads' channels gave them, the example sequences adopted, and the first nurture pass."""
    for lead in uow.session.scalars(select(Lead).where(Lead.source.not_in(WITHOUT_CONSENT)).order_by(Lead.id)):
        privacy.record_consent(uow, lead, True, f"{lead.source} sign-up", lead.created_at)
    nurture.adopt(uow, clock, inforce, example_sequences(), "examples/nurture.yaml", ADOPTED_BY)
    return nurture.advance(uow, clock, inforce, public_url)
