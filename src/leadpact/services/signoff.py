"""Changing the agreement: a manager uploads a candidate, both owners sign it, and then it is in force.

The marketing owner and the sales owner are managers for those sides; each signs with their own account. A
candidate is adopted (the next version, signed by both names) the moment its second signature lands. A
candidate that changes nothing against the version in force is refused at upload; one written against a
version that is no longer in force cannot be signed (adopting it would silently undo the newer version), it is
uploaded again.
"""

from __future__ import annotations

from sqlalchemy import select

from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import Conflict, InvalidInput, NotFound, NotPermitted
from leadpact.domain.permissions import Action, Principal, Role
from leadpact.services import agreements, audit, predictions
from leadpact.services.clock import Clock
from leadpact.store.tables import AgreementCandidate, AgreementVersion, User
from leadpact.store.unit_of_work import UnitOfWork


def check_signers(uow: UnitOfWork, marketing: str, sales: str) -> str | None:
    """Refuse names that are not managers of their side, once the store records any manager with a side.

    Adopting from the command line names the two signers instead of having them sign with their own accounts.
    Before anyone who could sign is recorded, the names cannot be checked: the answer then says so, and why.
    """
    managers = uow.session.execute(
        select(User.name, User.side).where(User.role == Role.MANAGER, User.side.is_not(None)).order_by(User.name)
    ).all()
    if not managers:
        return (
            "the signers' names were not checked: no manager of either side is recorded yet "
            "('leadpact user add NAME --role manager --side marketing' records one)"
        )
    for side, name in (("marketing", marketing), ("sales", sales)):
        allowed = [m.name for m in managers if m.side == side]
        if name.strip() not in allowed:
            who = ", ".join(allowed) if allowed else "nobody yet"
            raise InvalidInput(f"'{name}' is not a manager for {side}; managers for {side}: {who}", side)
    return None


def upload(uow: UnitOfWork, clock: Clock, by: Principal, text: str, source: str) -> AgreementCandidate:
    """Store a candidate that parses; a broken file raises ``InvalidAgreement`` with every problem's line."""
    by.require(Action.PROPOSE_AGREEMENT)
    if by.user_id is None:
        raise NotPermitted(f"{by.name} is not a person; a candidate is uploaded by a manager's own account")
    agreement = parse_agreement(text, source)
    predictions.require(uow, agreement, source)
    latest = _latest(uow)
    if latest is not None and latest.text == text:
        raise Conflict(f"{source} is identical to version {latest.version}, which is already in force")
    candidate = AgreementCandidate(
        name=agreement.name,
        source=source,
        text=text,
        uploaded_by=by.user_id,
        uploaded_at=clock.now(),
        against_version=latest.version if latest else None,
    )
    uow.session.add(candidate)
    uow.session.flush()
    audit.record(uow, candidate.uploaded_at, "agreement.propose", f"candidate {candidate.id}", source=source)
    return candidate


def _latest(uow: UnitOfWork) -> AgreementVersion | None:
    return uow.session.scalars(select(AgreementVersion).order_by(AgreementVersion.version.desc()).limit(1)).first()


def candidate(uow: UnitOfWork, candidate_id: int, *, lock: bool = False) -> AgreementCandidate:
    """The candidate; with ``lock``, its row stays locked until the unit of work ends (on PostgreSQL)."""
    found = uow.session.get(AgreementCandidate, candidate_id, with_for_update=lock, populate_existing=lock)
    if found is None:
        raise NotFound(f"there is no agreement candidate {candidate_id}")
    return found


def candidates(uow: UnitOfWork) -> list[AgreementCandidate]:
    return list(uow.session.scalars(select(AgreementCandidate).order_by(AgreementCandidate.id.desc())))


def sign(uow: UnitOfWork, clock: Clock, by: Principal, candidate_id: int) -> AgreementCandidate:
    """Sign for the signer's side; the second signature adopts the candidate as the next version."""
    by.require(Action.SIGN_AGREEMENT)
    if by.side is None or by.user_id is None:
        raise NotPermitted(f"{by.name} manages for neither side of the agreement, so cannot sign it")
    found = candidate(uow, candidate_id, lock=True)  # two signatures landing together cannot both miss adopting
    if found.adopted_version is not None:
        raise Conflict(f"candidate {candidate_id} was already adopted as version {found.adopted_version}")
    latest = _latest(uow)
    current = latest.version if latest else None
    if found.against_version != current:
        written = f"against version {found.against_version}" if found.against_version else "before any version"
        raise Conflict(
            f"candidate {candidate_id} was written {written}, but version {current} is in force now; "
            f"upload it again so it is compared with version {current}"
        )
    now = clock.now()
    if by.side == "marketing":
        if found.marketing_signed_by is not None:
            raise Conflict(f"candidate {candidate_id} is already signed for marketing")
        found.marketing_signed_by, found.marketing_signed_at = by.user_id, now
    else:
        if found.sales_signed_by is not None:
            raise Conflict(f"candidate {candidate_id} is already signed for sales")
        found.sales_signed_by, found.sales_signed_at = by.user_id, now
    audit.record(uow, now, "agreement.sign", f"candidate {candidate_id}", side=by.side)
    if found.marketing_signed_by is not None and found.sales_signed_by is not None:
        marketing = uow.session.get_one(User, found.marketing_signed_by).name
        sales = uow.session.get_one(User, found.sales_signed_by).name
        found.adopted_version = agreements.adopt(uow, clock, found.text, found.source, marketing, sales).version
    return found
