"""`/docs`: the API's Swagger UI from the portal's own static files, so that it works offline.

FastAPI's built-in page loads Swagger UI from a CDN (and its favicon from fastapi.tiangolo.com); here the
files come from npm's `swagger-ui-dist`, which `make assets` copies to `portal/static/dist/swagger-ui/`
(git-ignored, served under `/static`). The app is created with `docs_url=None` and `redoc_url=None` (ReDoc
would need a bundle of its own from a CDN) and this module adds the page.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

DOCS_PATH = "/docs"
SWAGGER_UI = "/static/dist/swagger-ui"
"""Where the built assets serve `swagger-ui-dist` (see package.json and `make assets`)."""
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
"""The files of `swagger-ui-dist` the page refers to."""


def swagger_ui_page(openapi_url: str, title: str) -> HTMLResponse:
    """Swagger UI on `openapi_url`, every script, stylesheet and icon from this site."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=title,
        swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        # Swagger UI would otherwise send a public spec to validator.swagger.io and show its badge.
        swagger_ui_parameters={"validatorUrl": None},
    )
    html = bytes(page.body).decode().replace("<html>", '<html lang="en">', 1)
    return HTMLResponse(html)


def install(app: FastAPI) -> None:
    """Serve `/docs` for the app's OpenAPI document (the app was created with `docs_url=None`)."""
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} — API"

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return swagger_ui_page(openapi_url, title)
