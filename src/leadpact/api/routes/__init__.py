"""The API's routes, one module per area; ``ROUTERS`` is what the app mounts."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
