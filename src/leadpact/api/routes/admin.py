"""What an admin runs: webhook subscriptions, the audit trail, and people's data (export and erasure)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request

from leadpact.api.routes.common import PREFIX, Key, errors, permitted
from leadpact.api.schemas import AuditOut, ErasedOut, EraseIn, Moment, NewWebhookOut, WebhookIn, WebhookOut
from leadpact.domain.permissions import Action, Principal
from leadpact.http.deps import Now, Uow
from leadpact.services import audit, privacy, webhooks

router = APIRouter(prefix=PREFIX, responses=errors(401, 403, 422))
Admin = Annotated[Principal, permitted(Action.MANAGE_ACCESS)]
Auditor = Annotated[Principal, permitted(Action.READ_AUDIT)]
Steward = Annotated[Principal, permitted(Action.MANAGE_PERSONAL_DATA)]


@router.get("/webhooks", tags=["webhooks"], summary="List webhooks")
def list_webhooks(caller: Admin, uow: Uow) -> list[WebhookOut]:
    """Every subscription with its topics and how its deliveries go: delivered, waiting, failing, the last
    error and when it will be tried again."""
    return [WebhookOut.model_validate(s) for s in webhooks.subscriptions(uow)]


@router.post("/webhooks", tags=["webhooks"], status_code=201, summary="Add a webhook")
def add_webhook(caller: Admin, body: WebhookIn, uow: Uow, clock: Now) -> NewWebhookOut:
    """Subscribe a URL to the outbox's messages written from now on. Each delivery is a JSON POST signed with
    the secret in this answer, shown only once: `Leadpact-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
    "<t>.<raw body>">`, and `Leadpact-Delivery` is the same on every retry, so a receiver drops repeats by it."""
    webhook, secret = webhooks.add(uow, clock, body.url, body.topics)
    return NewWebhookOut(id=webhook.id, url=webhook.url, topics=webhook.topics.split(), secret=secret)


@router.delete("/webhooks/{webhook_id}", tags=["webhooks"], summary="Remove a webhook", responses=errors(404))
def remove_webhook(webhook_id: Key, caller: Admin, uow: Uow, clock: Now) -> None:
    """Nothing more is sent to it, not even what was waiting."""
    webhooks.remove(uow, clock, webhook_id)


@router.get("/audit", tags=["audit"], summary="Read the audit trail")
def audit_trail(
    caller: Auditor,
    uow: Uow,
    since: Annotated[Moment | None, Query(description="From this moment on (ISO 8601).")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many, newest first.")] = 100,
) -> list[AuditOut]:
    """Every change made by a person or a token (agreement, rep actions, team, imports, tokens, webhooks,
    erasures...): who made it, when, from where. Nothing edits or deletes the trail."""
    return [
        AuditOut(
            id=e.id,
            at=e.at,
            actor=e.actor,
            via=e.via,
            address=e.address,
            action=e.action,
            subject=e.subject,
            detail=audit.detail_of(e),
        )
        for e in audit.entries(uow, since, limit)
    ]


@router.get("/leads/{ref}/export", tags=["personal data"], summary="Export a person's data", responses=errors(404))
def export_person(ref: str, caller: Steward, uow: Uow, clock: Now) -> dict[str, Any]:
    """Everything held about the person whose lead this is (by email or id): fields, custom fields, account,
    consents, events, score ledger, stage history, assignments, opportunities, messages and audit entries. The
    export is kept in the audit trail."""
    return privacy.export(uow, clock, ref)


@router.post("/leads/{ref}/erase", tags=["personal data"], summary="Erase a person's data", responses=errors(404))
def erase_person(
    ref: str, body: EraseIn, caller: Steward, uow: Uow, clock: Now, request: Request, after: BackgroundTasks
) -> ErasedOut:
    """Erase the person's personal data everywhere it is held; the lead stays as an anonymous row, so every
    report's totals are unchanged (docs/privacy.md says what is kept). The erasure is recorded with its reason;
    the database is compacted once the answer is sent, so no copy of the old values is left in it."""
    erased = privacy.erase(uow, clock, ref, body.reason)
    after.add_task(privacy.compact, request.app.state.engine)
    return ErasedOut.model_validate(erased)
