"""The demo's nurture: marketing adopts the example sequences on the year's first day, and the nurture pass runs at
nine every working day of the year, as the worker of ``leadpact serve`` would: it enrols the recycled
``not_ready`` leads and the inquiries below the floor, writes each step's email when it is due, and sends what
waits.

The people who came in through the company's own channels (forms, webinars, events, partners, its newsletter)
said yes to marketing email when they signed up; bought lists and prospects sales found itself did not, so nothing
is written to them. Unsubscribing from the newsletter withdraws that yes.

``leadpact demo`` delivers the emails into a Maildir beside its database (``maildir:PATH``, whatever
``LEADPACT_SMTP_URL`` says: the demo's people are made up, and no email of theirs goes to a server). They react
as readers of B2B nurture do: about a quarter open an email, the more interested more often, most within hours;
a few in a hundred sent click one of its links; fewer than one in a hundred unsubscribe. Each reaction goes through
the services the email's own links call (``services.mailer``): an event scored under the agreement, a click that
sends the lead down its branch, an unsubscribe that withdraws the consent and ends the lead's sequences.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from leadpact.config import Settings
from leadpact.demo.world import HOUR, Person
from leadpact.services import mailer, nurture, privacy
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.tables import Lead
from leadpact.store.unit_of_work import UnitOfWork

ADOPTED_BY = "Maya Brooks"
WITHOUT_CONSENT = ("purchased_list", "outbound")
OPEN, CLICK, UNSUBSCRIBE = "email_open", "email_click", "unsubscribe"
REACTIONS = frozenset({OPEN, CLICK, UNSUBSCRIBE})


def example_sequences() -> str:
    return resources.files("leadpact").joinpath("examples/nurture.yaml").read_text(encoding="utf-8")


def adopt(uow: UnitOfWork, clock: Clock, inforce: InForce) -> None:
    """The example sequences, adopted by marketing."""
    nurture.adopt(uow, clock, inforce, example_sequences(), "examples/nurture.yaml", ADOPTED_BY)


def sign_up(uow: UnitOfWork, lead: Lead) -> None:
    """The consent the lead's channel asked for when it signed up: yes, or none asked."""
    if lead.source not in WITHOUT_CONSENT:
        privacy.record_consent(uow, lead, True, f"{lead.source} sign-up", lead.created_at)


def withdraw(uow: UnitOfWork, lead: Lead, at: datetime) -> None:
    """The person unsubscribed from the newsletter: no more marketing email."""
    privacy.record_consent(uow, lead, False, "newsletter unsubscribe", at)


def delivering_to(mailbox: Path, settings: Settings) -> Settings:
    """``settings`` with the emails delivered into the Maildir ``mailbox``, and nowhere else."""
    return dataclasses.replace(settings, smtp_url=f"{mailer.MAILDIR}{mailbox}")


@dataclass(frozen=True)
class Reaction:
    after: int  # seconds after the email arrived
    kind: str  # OPEN, CLICK or UNSUBSCRIBE
    link: str = ""  # the link clicked


def reactions(rng: random.Random, person: Person, links: Sequence[str]) -> list[Reaction]:
    """What the person does with an email: nothing, or open it, and then perhaps click a link or unsubscribe."""
    interest = (person.intent + person.fit) / 2
    if rng.random() >= 0.12 + 0.35 * interest:
        return []
    opened = int(rng.expovariate(1 / (6 * HOUR)))
    done = [Reaction(opened, OPEN)]
    if links and rng.random() < 0.03 + 0.25 * interest:
        done.append(Reaction(opened + rng.randint(5, 900), CLICK, rng.choice(links)))
    elif rng.random() < 0.03 * (1 - interest):
        done.append(Reaction(opened + rng.randint(30, 900), UNSUBSCRIBE))
    return done


def react(uow: UnitOfWork, clock: Clock, token: str, kind: str, link: str = "") -> None:
    """A reaction to the email of ``token``, through the service its link in the email calls."""
    if kind == OPEN:
        mailer.opened(uow, clock, token)
    elif kind == CLICK:
        mailer.clicked(uow, clock, token, link)
    else:
        mailer.unsubscribe(uow, clock, token)
