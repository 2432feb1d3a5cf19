"""`/docs` works offline: Swagger UI, its stylesheet and its icon come from this site, never from a CDN."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from portal.api_docs import SWAGGER_FILES, SWAGGER_UI
from portal.settings import ROOT

STATIC = ROOT / "portal" / "static"
SOURCES = re.compile(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]*)"', re.I)


def test_docs_loads_swagger_ui_from_the_site_only(client: TestClient) -> None:
    page = client.get("/docs")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    sources = SOURCES.findall(page.text)
    assert sorted(sources) == sorted(f"{SWAGGER_UI}/{name}" for name in SWAGGER_FILES)
    assert not re.search(r"""(?:src|href|url)\s*[=:]\s*["']?(?:https?:)?//""", page.text)
    assert "cdn.jsdelivr.net" not in page.text
    assert "fastapi.tiangolo.com" not in page.text
    assert '"validatorUrl": null' in page.text  # no badge fetched from validator.swagger.io
    assert "url: '/api/v1/openapi.json'" in page.text
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_docs_is_not_in_the_api_description_and_redoc_is_off(client: TestClient) -> None:
    assert "/docs" not in client.get("/api/v1/openapi.json").json()["paths"]
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404


def test_the_files_docs_refers_to_are_built_and_served(client: TestClient) -> None:
    for name in SWAGGER_FILES:
        built = STATIC / "dist" / "swagger-ui" / name
        assert built.is_file(), f"{built} is missing: run `make assets` (npm swagger-ui-dist)"
        served = client.get(f"{SWAGGER_UI}/{name}")
        assert served.status_code == 200
        assert served.content == built.read_bytes()
