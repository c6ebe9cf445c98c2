"""What every answer carries and how much a request may send: security headers, and a limit on request bodies.

The headers keep the pages to leadpact's own scripts and styles (no inline script; the vendored HTMX, Chart.js
and Swagger UI only), out of other sites' frames, and on HTTPS once a browser has seen them there. A body over
its path's limit is refused (413, ``too_large``) before anything reads it.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
"""Sent on HTTPS only: a browser then refuses plain HTTP to this host for a year."""

MIB = 1024 * 1024
BODY_LIMIT = 1 * MIB
UPLOAD_LIMIT = 64 * MIB
UPLOADS = ("/import", "/profiles")
"""Paths that take files (a CSV import, lists scored against a profile), which may be larger than any other request."""


class SecurityHeaders:
    """Add the headers to every answer, and answer a failure the app did not (a 500) with them too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if https:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if not started:
                detail = "something went wrong on the server; it was logged, and nothing of the request was stored"
                await _answer(scope, sending, 500, "internal_error", detail, "Server error")
            raise  # the server logs it


def limit_for(path: str) -> int:
    return UPLOAD_LIMIT if path.startswith(UPLOADS) else BODY_LIMIT


class BodyLimit:
    """Refuse a body over its path's limit: by its declared length before it is read, or, sent without one, once
    what arrived passes the limit (held until then, and handed on whole)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await _too_large(scope, send, limit)
                return
            await self.app(scope, receive, send)
            return
        chunks: list[Message] = []
        size = 0
        while True:
            message = await receive()
            chunks.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await _too_large(scope, send, limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    detail = f"the request's body is over the {limit // MIB} MiB this address takes"
    await _answer(scope, send, 413, "too_large", detail, "Too large")


async def _answer(scope: Scope, send: Send, status: int, code: str, detail: str, title: str) -> None:
    """An answer given before or instead of the app's: ``{code, detail}`` to API clients, a page to a browser."""
    if scope["path"].startswith(("/api/", "/capture/")):
        kind, body = b"application/json", json.dumps({"code": code, "detail": detail}).encode()
    else:
        kind = b"text/html; charset=utf-8"
        body = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{detail[0].upper()}{detail[1:]}.</p>".encode()
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
