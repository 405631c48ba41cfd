"""The API documentation page (Swagger UI), served from the installed package, never a CDN.

FastAPI's own ``/docs`` loads Swagger UI from a CDN and starts it with an inline script:
the first would put a third party's script into a page that holds an admin's token, the
second is refused by our Content-Security-Policy (``script-src 'self'``). Here the page,
its starter script and Swagger UI's files (from the ``fastapi-offline`` package, which
ships them) all come from the controller. Without that package the page is off and
``/openapi.json`` alone remains.

URLs are relative, so the page works behind a reverse proxy under a path prefix.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

log = logging.getLogger("diemcau.api")

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>diemcau API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/start.js"></script>
</body>
</html>
"""

START = """// Starts Swagger UI on the controller's OpenAPI document (a file, not an inline script: CSP).
window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
});
"""


def swagger_ui_dir() -> Path | None:
    """Swagger UI's files from the installed package, or None if it is not installed."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    path = Path(fastapi_offline.__file__).parent / "static"
    return path if (path / "swagger-ui-bundle.js").is_file() else None


def install(app: FastAPI) -> bool:
    """Serve ``/docs`` if Swagger UI's files are installed; True if it is served."""
    assets = swagger_ui_dir()
    if assets is None:
        log.info("API docs page off: Swagger UI's files are not installed (/openapi.json remains)")
        return False

    @app.get("/docs", include_in_schema=False)
    async def docs_page() -> HTMLResponse:
        return HTMLResponse(PAGE)

    @app.get("/docs/start.js", include_in_schema=False)
    async def docs_start() -> Response:
        return Response(START, media_type="text/javascript")

    app.mount("/docs/assets", StaticFiles(directory=assets), name="docs-assets")
    return True
