"""API tokens: list, create (the secret is shown once) and revoke. An admin's business."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from leadpact.api.routes.common import PREFIX, Key, errors, permitted
from leadpact.api.schemas import NewTokenOut, TokenIn, TokenOut
from leadpact.domain.permissions import Action, Principal
from leadpact.http.deps import Now, Uow
from leadpact.services import auth
from leadpact.store.tables import ApiToken, User
from leadpact.store.unit_of_work import UnitOfWork

router = APIRouter(prefix=PREFIX, tags=["tokens"], responses=errors(401, 403, 422))
Admin = Annotated[Principal, permitted(Action.MANAGE_ACCESS)]


def _out(uow: UnitOfWork, token: ApiToken) -> TokenOut:
    user = uow.session.get(User, token.user_id) if token.user_id is not None else None
    return TokenOut(
        id=token.id,
        name=token.name,
        role=token.role,
        user=user.name if user else None,
        created_at=token.created_at,
        revoked_at=token.revoked_at,
    )


@router.get("/tokens", summary="List API tokens")
def list_tokens(caller: Admin, uow: Uow) -> list[TokenOut]:
    """Every API token with its role, the person it acts for, and whether it was revoked (secrets are not
    kept, so they are not shown)."""
    return [_out(uow, token) for token, _ in auth.tokens(uow)]


@router.post("/tokens", status_code=201, summary="Create an API token", responses=errors(404, 422))
def create_token(caller: Admin, body: TokenIn, uow: Uow, clock: Now) -> NewTokenOut:
    """A new token with a role (admin, marketing or manager), or acting for a person with theirs (a rep's
    token must name the rep). The answer holds the secret, shown only this once: only its digest is kept."""
    secret, token = auth.create_token(uow, clock, body.name, body.role or "", body.user)
    return NewTokenOut(**_out(uow, token).model_dump(), secret=secret)


@router.delete("/tokens/{token_id}", summary="Revoke an API token", responses=errors(404))
def revoke_token(token_id: Key, caller: Admin, uow: Uow, clock: Now) -> TokenOut:
    """Revoke the token: every request with it is refused (401) from now on. Revoking it again is harmless."""
    return _out(uow, auth.revoke_token(uow, clock, token_id))
