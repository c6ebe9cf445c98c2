"""Adopting, listing, showing and comparing agreement versions."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select

from leadpact.domain.agreement import Agreement
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidInput, NoAgreement, NotFound
from leadpact.services import audit, predictions
from leadpact.services.clock import Clock
from leadpact.store.tables import AgreementVersion
from leadpact.store.unit_of_work import UnitOfWork

NONE_YET = "no agreement is in force yet; adopt one with 'leadpact agreement adopt FILE'"


@dataclass(frozen=True)
class InForce:
    version: int
    agreement: Agreement


@lru_cache(maxsize=32)
def _parsed(text: str, source: str) -> Agreement:
    return parse_agreement(text, source)


def load_version(uow: UnitOfWork, version: int | None = None) -> tuple[AgreementVersion, Agreement]:
    """A stored version (the one in force when ``version`` is None) and its parsed agreement."""
    query = select(AgreementVersion)
    if version is None:
        query = query.order_by(AgreementVersion.version.desc()).limit(1)
    else:
        query = query.where(AgreementVersion.version == version)
    row = uow.session.scalars(query).first()
    if row is None:
        if version is None:
            raise NoAgreement(NONE_YET)
        raise NotFound(f"there is no agreement version {version}; see 'leadpact agreement list'")
    return row, _parsed(row.text, f"agreement version {row.version}")


_versions = AgreementVersion.__table__
_NEWEST = select(_versions.c.version, _versions.c.sha256).order_by(_versions.c.version.desc()).limit(1)
"""The newest version's number and digest: a plain statement, built once (this runs on every request)."""
_known: dict[tuple[int, str], InForce] = {}
_known_guard = threading.Lock()
KNOWN = 32
"""Parsed versions kept, by number and digest: a stored version's text never changes, and the digest tells
apart the versions of the same number in different databases."""


def in_force(uow: UnitOfWork) -> InForce:
    """The newest version, parsed: read by its number and digest, its text only the first time it is seen."""
    newest = uow.session.execute(_NEWEST).first()
    if newest is None:
        raise NoAgreement(NONE_YET)
    key = (newest.version, newest.sha256)
    with _known_guard:
        found = _known.get(key)
    if found is not None:
        return found
    row, agreement = load_version(uow, newest.version)
    inforce = InForce(row.version, agreement)
    with _known_guard:
        if len(_known) >= KNOWN:
            del _known[next(iter(_known))]  # the one kept longest
        _known[key] = inforce
    return inforce


def adopt(uow: UnitOfWork, clock: Clock, text: str, source: str, marketing: str, sales: str) -> AgreementVersion:
    """Store the file as the next version, in force from now; both owners must sign."""
    for side, name in (("marketing", marketing), ("sales", sales)):
        if not name.strip():
            raise InvalidInput(f"an agreement needs both sign-offs: name who signs for {side}", side)
    agreement = parse_agreement(text, source)
    predictions.require(uow, agreement, source)
    sha = hashlib.sha256(text.encode()).hexdigest()
    latest = uow.session.scalars(select(AgreementVersion).order_by(AgreementVersion.version.desc()).limit(1)).first()
    if latest is not None and latest.sha256 == sha:
        raise InvalidInput(f"{source} is identical to version {latest.version}, which is already in force")
    number = (uow.session.scalar(select(func.max(AgreementVersion.version))) or 0) + 1
    row = AgreementVersion(
        version=number,
        name=agreement.name,
        text=text,
        sha256=sha,
        marketing_signoff=marketing.strip(),
        sales_signoff=sales.strip(),
        adopted_at=clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    if agreement.model is not None:
        predictions.fill(uow, agreement.model)
    audit.record(
        uow, row.adopted_at, "agreement.adopt", f"agreement version {number}", marketing=marketing, sales=sales
    )
    return row


def versions(uow: UnitOfWork) -> list[AgreementVersion]:
    return list(uow.session.scalars(select(AgreementVersion).order_by(AgreementVersion.version)))
