"""Browser login and logout through Keycloak (authorization code + PKCE S256), and the signed-in home page."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from engine.actor import Actor
from engine.errors import Unauthenticated
from engine.store import sessions
from engine.usecases.progress import ROLE_LABELS
from engine.usecases.queries import status_view, visible_dossiers
from integrations.keycloak.oidc import pkce_pair
from portal.pages import TEMPLATES
from portal.sessions import (
    CSRF_FIELD,
    clear_cookie,
    container_of,
    csrf_refused,
    live_session,
    login_of,
    same,
    session_actor,
    set_cookie,
    token_values,
    utcnow,
)

PENDING_LOGIN = timedelta(minutes=10)
CALLBACK = "/auth/callback"

router = APIRouter(include_in_schema=False)


def safe_return(target: str | None) -> str:
    """Only a path of this site (never `//host` or a full URL) may be returned to after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/ho-so"
    return target


def role_names(actor: Actor) -> str:
    """Roles as a person reads them: «Chuyên viên (specialist)»."""
    return ", ".join(f"{ROLE_LABELS.get(r, r.value)} ({r.value})" for r in sorted(actor.roles))


def _unavailable(request: Request) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "login_unavailable.html", {}, status_code=503)


@router.get("/dang-nhap")
def login(request: Request, next: str | None = None) -> Response:
    """Send the browser to Keycloak's login page (state, nonce and PKCE verifier kept server-side)."""
    keycloak = login_of(request)
    if keycloak is None:
        return _unavailable(request)
    container = container_of(request)
    settings = container.settings
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier, challenge = pkce_pair()
    with container.transaction() as uow:
        cookie = sessions.open_pending(
            uow,
            utcnow(),
            PENDING_LOGIN,
            state=state,
            nonce=nonce,
            verifier=verifier,
            return_to=safe_return(next),
        )
    redirect_uri = settings.public_url.rstrip("/") + CALLBACK
    response = RedirectResponse(keycloak.authorization_url(redirect_uri, state, nonce, challenge), 303)
    set_cookie(response, settings, cookie, int(PENDING_LOGIN.total_seconds()))
    return response


@router.get(CALLBACK)
def callback(
    request: Request, state: str = "", code: str | None = None, error: str | None = None
) -> Response:
    """Keycloak sends the browser back here: check the state, trade the code, open the session."""
    keycloak = login_of(request)
    if keycloak is None:
        return _unavailable(request)
    container = container_of(request)
    settings = container.settings
    now = utcnow()
    with container.transaction() as uow:
        pending = sessions.find(uow, request.cookies.get(settings.session_cookie), now)
    if (
        pending is None
        or pending.oidc_state is None
        or not same(state, pending.oidc_state)
        or error
        or not code
    ):
        raise Unauthenticated(
            "Phiên đăng nhập đã hết hạn hoặc không hợp lệ. Vui lòng đăng nhập lại.",
            f"Login callback refused ({error or 'state mismatch or no code'}).",
            code="LoginFailed",
        )
    tokens = keycloak.exchange(
        code, settings.public_url.rstrip("/") + CALLBACK, pending.code_verifier or "", pending.nonce or ""
    )
    values = token_values(tokens, now)
    with container.transaction() as uow:
        row = sessions.find(uow, request.cookies.get(settings.session_cookie), now)
        if row is None:
            raise Unauthenticated(
                "Vui lòng đăng nhập lại.", "The pending login vanished.", code="LoginFailed"
            )
        cookie = sessions.activate(uow, row, now, **values)
    response = RedirectResponse(pending.return_to or "/ho-so", 303)
    set_cookie(response, settings, cookie)
    return response


@router.post("/dang-xuat")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session here and at Keycloak (RP-initiated logout), then come back to the home page."""
    container = container_of(request)
    settings = container.settings
    row = live_session(request)
    if row is None:
        response = RedirectResponse("/", 303)
        clear_cookie(response, settings)
        return response
    if not same(csrf, row.csrf):
        raise csrf_refused()
    with container.transaction() as uow:
        current = sessions.find(uow, request.cookies.get(settings.session_cookie), utcnow())
        if current is not None:
            sessions.close(uow, current)
    keycloak = login_of(request)
    home = settings.public_url.rstrip("/") + "/"
    target = keycloak.logout_url(row.id_token, home) if keycloak else "/"
    response = RedirectResponse(target, 303)
    clear_cookie(response, settings)
    return response


@router.get("/ho-so", response_class=HTMLResponse)
def my_dossiers(request: Request) -> Response:
    """Who is signed in, and the dossiers they may see (their own, or their agency's)."""
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/dang-nhap?next=/ho-so", 303)
    container = container_of(request)
    with container.transaction() as uow:
        dossiers = visible_dossiers(uow, actor, limit=50)
    context = {
        "actor": actor,
        "roles": role_names(actor),
        "dossiers": dossiers,
        "status_label": lambda code: status_view(code)["label"],
        "csrf": request.state.web_session.csrf,
    }
    return TEMPLATES.TemplateResponse(request, "my_dossiers.html", {**context, "csrf_field": CSRF_FIELD})
