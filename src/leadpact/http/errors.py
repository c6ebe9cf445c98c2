"""Errors as HTTP answers: one table from the error hierarchy to statuses, one body shape ``{code, detail}``.

API clients get JSON; a browser on a page gets the error page (or is sent to sign in), and an HTMX request a
fragment it can show in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from leadpact.domain.errors import (
    Conflict,
    CsrfFailed,
    IllegalTransition,
    ImportRejected,
    InvalidAgreement,
    InvalidInput,
    LeadpactError,
    NoAgreement,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    NotReady,
    Throttled,
    UnknownReason,
)

STATUS: dict[type[LeadpactError], int] = {
    InvalidAgreement: 422,
    InvalidInput: 422,
    ImportRejected: 422,
    UnknownReason: 422,
    NotReady: 422,
    NotAuthenticated: 401,
    NotPermitted: 403,
    CsrfFailed: 403,
    NotFound: 404,
    NoAgreement: 409,
    IllegalTransition: 409,
    Conflict: 409,
    Throttled: 429,
}
HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "not_authenticated", 403: "not_permitted"}
"""Errors raised by the framework itself (an unknown path, a wrong method) get codes too."""


def status_of(error: LeadpactError) -> int:
    return STATUS.get(type(error), 400)


def body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": detail, **extra}


def is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/capture/"))


Page = Callable[[Request, int, dict[str, Any]], Response]
"""Draws an error for a browser: the web layer's error page."""


def install(app: FastAPI, page: Page) -> None:
    def _answer(
        request: Request, status: int, content: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Response:
        if is_api(request):
            if status == 401:
                headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
            return JSONResponse(content, status_code=status, headers=headers)
        if status == 401 and request.method == "GET":
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        drawn = page(request, status, content)
        drawn.headers.update(headers or {})
        return drawn

    async def domain(request: Request, error: Exception) -> Response:
        assert isinstance(error, LeadpactError)
        extra: dict[str, Any] = {}
        if isinstance(error, InvalidAgreement | ImportRejected):
            extra["problems"] = error.problems
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Throttled) else None
        return _answer(request, status_of(error), body(error.code, error.detail, **extra), headers)

    async def validation(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        problems = [
            f"{'.'.join(str(p) for p in e['loc'] if p not in ('body', 'query', 'path'))}: {e['msg']}"
            for e in error.errors()
        ]
        return _answer(request, 422, body(InvalidInput.code, "; ".join(problems), problems=problems))

    async def http(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        code = HTTP_CODES.get(error.status_code, "error")
        detail = error.detail if isinstance(error.detail, str) else str(error.detail)
        return _answer(request, error.status_code, body(code, detail))

    app.add_exception_handler(LeadpactError, domain)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(HTTPException, http)
