"""Recording sales feedback on a contact, a lost or a won deal (the rules are ``domain.feedback``).

Feedback on a contact belongs to the rep of the lead's latest hand-off with a contact logged (the lead may since
have been converted or sent back); feedback on a lost or a won deal belongs to the deal's owner and is about the
lead's latest deal closed that way. It may be recorded with the action (the CLI's ``contact``, ``lost`` and
``won`` options) or afterwards, as a rep learns more (``leadpact feedback``, the API's and the lead page's form).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from leadpact.domain.errors import InvalidInput, NotPermitted
from leadpact.domain.feedback import Given, Moment, check, moment_of
from leadpact.services import audit
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.team import user_named
from leadpact.store.tables import Assignment, Campaign, Feedback, FeedbackRequest, Lead, Opportunity
from leadpact.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Subject:
    """What feedback at a moment is about: the rep it belongs to and, on lost or won, the deal."""

    owner_id: int | None
    opportunity: Opportunity | None


def subject(uow: UnitOfWork, lead: Lead, moment: str) -> Subject:
    """Whose feedback at ``moment`` on ``lead`` it is, or InvalidInput when there is nothing to give it on."""
    m = moment_of(moment)
    if m is Moment.CONTACT:
        contacted = uow.session.scalars(
            select(Assignment)
            .where(Assignment.lead_id == lead.id, Assignment.contacted_at.is_not(None))
            .order_by(Assignment.assigned_at.desc(), Assignment.id.desc())
        ).first()
        if contacted is None:
            raise InvalidInput(f"lead {lead.email} has no contact logged by a rep; log the contact first", "moment")
        return Subject(contacted.user_id, None)
    deal = uow.session.scalars(
        select(Opportunity)
        .where(Opportunity.lead_id == lead.id, Opportunity.won == (m is Moment.WON))
        .order_by(Opportunity.closed_at.desc(), Opportunity.id.desc())
    ).first()
    if deal is None:
        raise InvalidInput(f"lead {lead.email} has no deal closed as {m.value}", "moment")
    return Subject(deal.owner_id, deal)


def _campaigns(uow: UnitOfWork, message: str | None) -> set[str]:
    """The campaign a message names, if it names one."""
    if message is None or "\x00" in message:  # no campaign is named so, and PostgreSQL takes no NUL to compare
        return set()
    return set(uow.session.scalars(select(Campaign.name).where(Campaign.name == message)))


def record(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    lead: Lead,
    moment: str,
    given: Given,
    rep: str | None = None,
) -> Feedback:
    """Keep the feedback, checked against the agreement's lists, as the rep the moment belongs to (``rep``, when
    named, must be that rep)."""
    kept = check(inforce.agreement.feedback, given, _campaigns(uow, given.message))
    about = subject(uow, lead, moment)
    if rep is not None and user_named(uow, rep).id != about.owner_id:
        raise NotPermitted(f"the {moment} of lead {lead.email} is not {rep}'s")
    now = clock.now()
    row = Feedback(
        lead_id=lead.id,
        opportunity_id=about.opportunity.id if about.opportunity else None,
        moment=moment,
        competitor=kept.competitor,
        message=kept.message,
        note=kept.note,
        by_user_id=about.owner_id,
        version=inforce.version,
        at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.session.add_all(FeedbackRequest(feedback_id=row.id, request=r) for r in kept.requests)
    audit.record(
        uow,
        now,
        "feedback.record",
        f"lead {lead.id}",
        moment=moment,
        competitor=kept.competitor,
        requests=list(kept.requests),
        message=kept.message,
    )
    return row


def requests_of(uow: UnitOfWork, feedback: Feedback) -> list[str]:
    """The product requests a feedback names, alphabetically."""
    return list(
        uow.session.scalars(
            select(FeedbackRequest.request)
            .where(FeedbackRequest.feedback_id == feedback.id)
            .order_by(FeedbackRequest.request)
        )
    )
