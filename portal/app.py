"""FastAPI app factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from integrations.keycloak.oidc import KeycloakLogin
from portal import errors, metrics, pages
from portal.api import (
    calendar,
    documents,
    dossiers,
    ioc,
    me,
    procedures,
    ratings,
    residents,
    stats,
    tasks,
    uploads,
)
from portal.api.models import HealthOut
from portal.api_docs import install as install_api_docs
from portal.auth import TokenVerifier
from portal.dependencies import HealthCache
from portal.dependencies import health as dependency_health
from portal.guard import BodyGuard
from portal.i18n import LocaleMiddleware
from portal.identity import build_login, build_verifier, keycloak_verifier
from portal.settings import Settings, get_settings
from portal.wiring import Container, build


def create_app(
    settings: Settings | None = None,
    container: Container | None = None,
    verifier: TokenVerifier | None = None,
    keycloak_login: KeycloakLogin | None = None,
) -> FastAPI:
    """Build the portal: JSON API under /api/v1, HTML pages, one error map, the identities it accepts."""
    settings = settings or get_settings()
    container = container or build(settings)
    app = FastAPI(
        title="MotCua — Hệ thống một cửa điện tử",
        version="0.1.0",
        description="API giải quyết thủ tục hành chính một cửa (Nghị định 118/2025/NĐ-CP).",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served from our own static files (portal/api_docs.py), not a CDN
        redoc_url=None,
    )
    app.state.container = container
    keycloak = keycloak_verifier(settings) if verifier is None else None
    app.state.verifier = verifier or build_verifier(settings, keycloak)
    app.state.login = keycloak_login or build_login(settings, keycloak)
    errors.install(app)
    install_api_docs(app)
    for module in (
        procedures,
        dossiers,
        tasks,
        calendar,
        ioc,
        residents,
        documents,
        me,
        uploads,
        stats,
        ratings,
    ):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(metrics.router, prefix="/api/v1")
    for router in pages.ROUTERS:
        app.include_router(router)
    app.mount(
        "/static", StaticFiles(directory=Path(__file__).parent / "static", check_dir=False), name="static"
    )
    app.add_middleware(LocaleMiddleware)
    app.add_middleware(BodyGuard)
    metrics.install(app)  # last: the outermost middleware, timing the whole answer

    app.state.dependencies = HealthCache(settings)

    @app.get("/api/v1/health", tags=["health"], response_model=HealthOut)
    def health() -> dict[str, Any]:
        """The process answers; each external service's state (ok, down, not_configured), probed at most
        every 30 s; "degraded" when a configured one is down (still 200: the portal itself is up)."""
        return dependency_health(app.state.dependencies.checks())

    return app
