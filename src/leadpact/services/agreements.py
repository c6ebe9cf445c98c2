"""Adopting, listing, showing and comparing agreement versions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select

from leadpact.domain.agreement import Agreement
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidInput, NoAgreement, NotFound
from leadpact.services.clock import Clock
from leadpact.store.tables import AgreementVersion
from leadpact.store.unit_of_work import UnitOfWork


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
            raise NoAgreement("no agreement is in force yet; adopt one with 'leadpact agreement adopt FILE'")
        raise NotFound(f"there is no agreement version {version}; see 'leadpact agreement list'")
    return row, _parsed(row.text, f"agreement version {row.version}")


def in_force(uow: UnitOfWork) -> InForce:
    row, agreement = load_version(uow)
    return InForce(row.version, agreement)


def adopt(uow: UnitOfWork, clock: Clock, text: str, source: str, marketing: str, sales: str) -> AgreementVersion:
    """Store the file as the next version, in force from now; both owners must sign."""
    if not marketing.strip() or not sales.strip():
        raise InvalidInput("an agreement needs both sign-offs: --marketing NAME and --sales NAME")
    agreement = parse_agreement(text, source)
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
    return row


def versions(uow: UnitOfWork) -> list[AgreementVersion]:
    return list(uow.session.scalars(select(AgreementVersion).order_by(AgreementVersion.version)))
