"""The API's documentation page at /docs: Swagger UI, vendored with its license, so it works where the app runs,
offline too, and under the pages' content security policy (its start-up script is a file, not inline)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

SWAGGER_UI = "5.35.0"
PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>leadpact API</title>
  <link rel="stylesheet" href="/static/vendor/swagger-ui-{SWAGGER_UI}.css">
  <script src="/static/vendor/swagger-ui-{SWAGGER_UI}-bundle.js" defer></script>
  <script src="/static/swagger-init.js" defer></script>
</head>
<body><div id="swagger-ui"></div></body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)
