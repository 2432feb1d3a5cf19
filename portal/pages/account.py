"""Signing in and out: Keycloak (authorization code + PKCE S256), the development sign-in on the embedded
default (demo users, loopback only, never in production), the account page and the language switch."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from engine.actor import Actor, Role
from engine.errors import Forbidden, Unauthenticated
from engine.store import sessions
from engine.usecases.progress import ROLE_LABELS
from integrations.keycloak.oidc import pkce_pair
from portal.auth import DEMO_USERS, DevIdentity, demo_user
from portal.i18n import LOCALES, N_, current_locale, gettext
from portal.sessions import (
    clear_cookie,
    container_of,
    csrf_refused,
    live_session,
    login_of,
    same,
    set_cookie,
    token_values,
    utcnow,
)
from portal.settings import LOOPBACK
from portal.web import CsrfForm, language_cookie, render, require

PENDING_LOGIN = timedelta(minutes=10)
DEV_SESSION = timedelta(hours=8)
CALLBACK = "/auth/callback"

router = APIRouter(include_in_schema=False)


HOME_OF_ROLE = {"officer": "/mot-cua", "specialist": "/cong-viec", "leader": "/cong-viec"}


def safe_return(target: str | None, role: str | None = None) -> str:
    """Only a path of this site (never `//host` or a full URL) may be returned to after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME_OF_ROLE.get(role or "", "/ho-so")
    if target.startswith("/dang-nhap") or target.startswith("/dang-xuat"):
        return HOME_OF_ROLE.get(role or "", "/ho-so")
    return target


def role_names(actor: Actor) -> str:
    """Roles as a person reads them: «Chuyên viên (specialist)»."""
    return ", ".join(f"{ROLE_LABELS.get(r, r.value)} ({r.value})" for r in sorted(actor.roles))


def _unavailable(request: Request) -> HTMLResponse:
    return render(request, "account/login_unavailable.html", status_code=503)


def dev_sign_in_allowed(request: Request) -> bool:
    """The development sign-in: the embedded default's identity, for a browser on this machine only."""
    settings = container_of(request).settings
    client = request.client.host if request.client else ""
    return settings.dev_identity and settings.env != "production" and client in (*LOOPBACK, "testclient")


ROLE_GROUPS = (
    (Role.CITIZEN, N_("Công dân")),
    (Role.OFFICER, N_("Cán bộ Bộ phận Một cửa")),
    (Role.SPECIALIST, N_("Chuyên viên")),
    (Role.LEADER, N_("Lãnh đạo")),
    (Role.SUPERVISOR, N_("Lãnh đạo giám sát")),
    (Role.ADMIN, N_("Quản trị")),
)


def demo_groups() -> list[dict[str, object]]:
    """The demo users to sign in as, grouped by role (the operations center's system account is left out)."""
    return [
        {"label": gettext(label), "users": [u for u in DEMO_USERS if u.roles[0] == role.value]}
        for role, label in ROLE_GROUPS
    ]


@router.get("/dang-nhap")
def login(request: Request, next: str | None = None) -> Response:
    """The development sign-in's list of demo users; else straight to Keycloak's login page."""
    if dev_sign_in_allowed(request):
        return render(
            request,
            "account/dev_login.html",
            {"groups": demo_groups(), "next": safe_return(next), "keycloak": login_of(request) is not None},
        )
    return keycloak_login(request, next)


@router.post("/dang-nhap")
def dev_login(request: Request, form: CsrfForm) -> Response:
    """Sign in as a demo user (development identity only): a server-side session like Keycloak's."""
    if not dev_sign_in_allowed(request):
        raise Forbidden(
            "Đăng nhập thử nghiệm chỉ dùng trên máy chạy bản cài đặt mặc định.",
            "The development sign-in is only for the embedded default, on this machine.",
            code="DevSignInRefused",
        )
    username = form.get("username")
    user = demo_user(username) if isinstance(username, str) else None
    if user is None or "ioc" in user.roles:
        raise Unauthenticated("Không có người dùng thử nghiệm này.", "No such demo user.", code="LoginFailed")
    container = container_of(request)
    claims = DevIdentity(container.settings).demo_claims(user.username)
    with container.transaction() as uow:
        current = sessions.find(uow, request.cookies.get(container.settings.session_cookie), utcnow())
        if current is not None:
            sessions.close(uow, current)
        cookie = sessions.open_signed_in(uow, utcnow(), DEV_SESSION, str(claims["sub"]), claims)
    target = form.get("next")
    response = RedirectResponse(safe_return(target if isinstance(target, str) else None, user.roles[0]), 303)
    set_cookie(response, container.settings, cookie)
    return response


@router.get("/dang-nhap/keycloak")
def keycloak_login(request: Request, next: str | None = None) -> Response:
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
    target = keycloak.authorization_url(redirect_uri, state, nonce, challenge, locale=current_locale())
    response = RedirectResponse(target, 303)
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


@router.get("/tai-khoan", response_class=HTMLResponse)
def account(request: Request, actor: Annotated[Actor, Depends(require())]) -> Response:
    """Who is signed in: name, username, roles, agency, identity number."""
    return render(request, "account/account.html", {"roles": role_names(actor)})


@router.get("/ngon-ngu")
def language(request: Request, lang: str = "vi", next: str | None = None) -> Response:
    """Switch the portal's language (a cookie) and go back to the page the visitor was on."""
    locale = lang if lang in LOCALES else "vi"
    target = next if next and next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
    response = RedirectResponse(target, 303)
    language_cookie(response, locale, container_of(request).settings.secure_cookies)
    return response
