"""The lead agreement: the version in force, every version and what changed between two; candidates for the
next version, their backtest, and the two sign-offs that adopt one."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from leadpact.api.routes.common import MAX_KEY, PREFIX, Key, errors, permitted
from leadpact.api.schemas import (
    AgreementOut,
    BacktestOut,
    CandidateDetail,
    CandidateIn,
    CandidateOut,
    DiffOut,
    Moment,
    VersionOut,
)
from leadpact.domain.agreement_diff import diff_agreements
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.permissions import SIDES, Action, Principal
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import agreements, reports, signoff
from leadpact.services.clock import Clock, FixedClock
from leadpact.store.tables import AgreementCandidate, User
from leadpact.store.unit_of_work import UnitOfWork

router = APIRouter(prefix=f"{PREFIX}/agreement", tags=["agreement"], responses=errors(401, 403, 422))
Reader = Annotated[Principal, permitted(Action.READ_AGREEMENT)]
Proposer = Annotated[Principal, permitted(Action.PROPOSE_AGREEMENT)]


def _version(uow: UnitOfWork, version: int | None) -> AgreementOut:
    row, _ = agreements.load_version(uow, version)
    latest, _ = agreements.load_version(uow)
    shown = VersionOut.model_validate(row).model_dump()
    return AgreementOut(**shown, text=row.text, in_force=row.version == latest.version)


def _name(uow: UnitOfWork, user_id: int | None) -> str | None:
    return uow.session.get_one(User, user_id).name if user_id is not None else None


def _candidate(uow: UnitOfWork, found: AgreementCandidate) -> CandidateOut:
    signed = {"marketing": found.marketing_signed_by, "sales": found.sales_signed_by}
    return CandidateOut(
        id=found.id,
        name=found.name,
        source=found.source,
        uploaded_by=uow.session.get_one(User, found.uploaded_by).name,
        uploaded_at=found.uploaded_at,
        against_version=found.against_version,
        marketing_signed_by=_name(uow, found.marketing_signed_by),
        marketing_signed_at=found.marketing_signed_at,
        sales_signed_by=_name(uow, found.sales_signed_by),
        sales_signed_at=found.sales_signed_at,
        waiting_for=[] if found.adopted_version else [side for side in SIDES if signed[side] is None],
        adopted_version=found.adopted_version,
    )


def _detail(uow: UnitOfWork, found: AgreementCandidate) -> CandidateDetail:
    """The candidate with its text and what it changes against the version in force."""
    _, current = agreements.load_version(uow)
    changes = diff_agreements(current, parse_agreement(found.text, found.source))
    return CandidateDetail(**_candidate(uow, found).model_dump(), text=found.text, changes=changes)


@router.get("", summary="The agreement in force", responses=errors(409))
def in_force(caller: Reader, uow: Uow) -> AgreementOut:
    """The version in force: its number, name, the two sign-offs, when it was adopted, and the file itself."""
    return _version(uow, None)


@router.get("/versions", summary="Every adopted version", responses=errors(409))
def versions(caller: Reader, uow: Uow) -> list[VersionOut]:
    """Every adopted version, oldest first; the last is in force."""
    return [VersionOut.model_validate(row) for row in agreements.versions(uow)]


@router.get("/versions/{version}", summary="One version", responses=errors(404, 409))
def version(version: Key, caller: Reader, uow: Uow) -> AgreementOut:
    """A version by number, with its file exactly as adopted."""
    return _version(uow, version)


@router.get("/diff", summary="What changed between two versions", responses=errors(404, 409, 422))
def diff(
    caller: Reader,
    uow: Uow,
    first: Annotated[int, Query(alias="from", ge=1, le=MAX_KEY, description="The older version.")],
    second: Annotated[int, Query(alias="to", ge=1, le=MAX_KEY, description="The newer version.")],
) -> DiffOut:
    """One plain sentence per change from version `from` to version `to`; none when they agree."""
    _, old = agreements.load_version(uow, first)
    _, new = agreements.load_version(uow, second)
    return DiffOut.model_validate({"from": first, "to": second, "changes": diff_agreements(old, new)})


@router.post("/candidates", status_code=201, summary="Propose the next version", responses=errors(409, 422))
def upload(caller: Proposer, body: CandidateIn, uow: Uow, clock: Now) -> CandidateDetail:
    """Upload an agreement file as a candidate for the next version. It is checked as `leadpact agreement
    check` does: a broken file is refused with 422 `agreement_invalid`, whose `problems` name each line and
    key at fault. The answer lists what it changes against the version in force. It is adopted once a
    manager of each side (marketing and sales) has signed it. Needs a manager's (or an admin's) own token."""
    return _detail(uow, signoff.upload(uow, clock, caller, body.text, body.source))


@router.get("/candidates", summary="Every candidate", responses=errors(409))
def candidates(caller: Reader, uow: Uow) -> list[CandidateOut]:
    """Every candidate, newest first, with who signed it and whose signature is still missing."""
    return [_candidate(uow, found) for found in signoff.candidates(uow)]


@router.get("/candidates/{candidate_id}", summary="One candidate", responses=errors(404, 409))
def candidate(candidate_id: Key, caller: Reader, uow: Uow) -> CandidateDetail:
    """A candidate with its file and what it changes against the version in force."""
    return _detail(uow, signoff.candidate(uow, candidate_id))


@router.get("/candidates/{candidate_id}/backtest", summary="Backtest a candidate", responses=errors(404, 409, 422))
def backtest(
    candidate_id: Key,
    caller: Proposer,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    since: Annotated[date | None, Query(description="Count MQLs and won deals from this local date.")] = None,
    at: Annotated[Moment | None, Query(description="Replay the history up to this moment (ISO 8601).")] = None,
) -> BacktestOut:
    """Replay the recorded history under the candidate and under the version in force, changing nothing: per
    month the MQLs each would have made and what they became, the MQLs the candidate adds or drops, leads per
    rep per week, and every lead whose qualification changes. Run it before signing."""
    found = signoff.candidate(uow, candidate_id)
    looking: Clock = FixedClock(at) if at is not None else clock
    result = reports.backtest(uow, looking, inforce, found.text, found.source, None, since)
    return BacktestOut.model_validate(result.as_dict())


@router.post("/candidates/{candidate_id}/sign", summary="Sign a candidate", responses=errors(404, 409))
def sign(
    candidate_id: Key, caller: Annotated[Principal, permitted(Action.SIGN_AGREEMENT)], uow: Uow, clock: Now
) -> CandidateOut:
    """Sign the candidate for your side of the agreement (a manager's own token; each manager manages for
    marketing or for sales). The second side's signature adopts it: `adopted_version` is the new version,
    in force from now."""
    return _candidate(uow, signoff.sign(uow, clock, caller, candidate_id))
