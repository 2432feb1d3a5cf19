"""The browser's side of identity: the session cookie, its row, token refresh and CSRF checks.

The cookie holds a random value only (HttpOnly, SameSite=Lax, Secure outside loopback); the row behind it
(`web_session`, keyed by the value's hash) holds the verified claims and the tokens. An expired access token
is refreshed with Keycloak on the next request; a refused refresh ends the session.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request, Response

from engine.actor import Actor, actor_from_claims
from engine.errors import Forbidden, Unauthenticated
from engine.store import sessions
from engine.store.models import WebSessionRow
from integrations.keycloak.oidc import KeycloakLogin, Tokens
from portal.settings import Settings
from portal.wiring import Container

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"


def same(sent: str, expected: str) -> bool:
    """Constant-time comparison of a secret the client sent (any text) with ours."""
    return secrets.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))


def utcnow() -> datetime:
    """Wall-clock time: sessions follow the identity server's real token lifetimes, not the domain clock."""
    return datetime.now(UTC)


def set_cookie(response: Response, settings: Settings, value: str, max_age: int | None = None) -> None:
    """The session cookie with the flags of docs/architecture.md, 8 (no max_age: kept until the browser
    closes; the row's expiry, moved on by every refresh, decides how long the session lives)."""
    response.set_cookie(
        settings.session_cookie,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(
        settings.session_cookie, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )


def token_values(tokens: Tokens, now: datetime) -> dict[str, Any]:
    """Columns of an active session from freshly verified tokens."""
    lifetime = tokens.refresh_expires_in or tokens.expires_in
    return {
        "subject": str(tokens.claims["sub"]),
        "claims": tokens.claims,
        "access_token": tokens.access_token,
        "access_expires_at": now + timedelta(seconds=tokens.expires_in),
        "refresh_token": tokens.refresh_token,
        "id_token": tokens.id_token,
        "expires_at": now + timedelta(seconds=max(lifetime, tokens.expires_in)),
    }


def login_of(request: Request) -> KeycloakLogin | None:
    """The app's Keycloak login, when configured."""
    login: KeycloakLogin | None = request.app.state.login
    return login


def container_of(request: Request) -> Container:
    """The app's container."""
    container: Container = request.app.state.container
    return container


def live_session(request: Request) -> WebSessionRow | None:
    """The active session of this browser, its access token refreshed when needed; None when logged out."""
    container = container_of(request)
    cookie = request.cookies.get(container.settings.session_cookie)
    if not cookie:
        return None
    now = utcnow()
    with container.transaction() as uow:
        row = sessions.find(uow, cookie, now)
    if row is None or row.claims is None:
        return None
    if row.access_expires_at is None or row.access_expires_at > now:
        return row
    # No transaction stays open while Keycloak answers.
    refreshed = _refresh(request, row, now)
    with container.transaction() as uow:
        current = sessions.find(uow, cookie, now)
        if current is None:
            return None
        if refreshed is None:
            sessions.close(uow, current)
            return None
        for key, value in refreshed.items():
            setattr(current, key, value)
    return current


def _refresh(request: Request, row: WebSessionRow, now: datetime) -> dict[str, Any] | None:
    login = login_of(request)
    if login is None or not row.refresh_token:
        return None
    try:
        tokens = login.refresh(row.refresh_token)
    except Unauthenticated:
        return None
    if tokens.claims.get("sub") != row.subject:
        return None
    return token_values(tokens, now)


def session_actor(request: Request) -> Actor | None:
    """The Actor of the browser session (the same Actor a bearer token of that user gives), or None."""
    row = live_session(request)
    if row is None or row.claims is None:
        return None
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not same(sent, row.csrf):
            raise csrf_refused()
    request.state.web_session = row
    return actor_from_claims(row.claims)


def csrf_refused() -> Forbidden:
    """403 for a cookie-authenticated write without the session's CSRF token."""
    return Forbidden(
        "Yêu cầu không hợp lệ (thiếu mã chống giả mạo CSRF). Vui lòng tải lại trang và thử lại.",
        "CSRF token missing or wrong.",
        code="CsrfRefused",
    )
