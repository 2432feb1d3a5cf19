"""Who is calling: bearer tokens (development identity or Keycloak) or the browser session → Actor."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Protocol

import jwt
from fastapi import Depends, Request

from engine.actor import Actor, actor_from_claims
from engine.errors import Unauthenticated, invalid_token
from portal.sessions import session_actor
from portal.settings import Settings


class TokenVerifier(Protocol):
    """Turns a bearer token into an Actor or raises Unauthenticated."""

    issuer: str

    def verify(self, token: str) -> Actor:
        """Verify signature, issuer, audience, expiry; map claims."""
        ...


@dataclass(frozen=True)
class DemoUser:
    """A seeded development user."""

    username: str
    name: str
    roles: tuple[str, ...]
    agency: str | None = None
    identity_number: str | None = None
    email: str | None = None
    agencies: tuple[str, ...] = ()  # a supervisor of several agencies (the realm: several agency groups)


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "nguyenvanan",
        "Nguyễn Văn An",
        ("citizen",),
        identity_number="001088012345",
        email="nguyenvanan@example.vn",
    ),
    DemoUser(
        "tranthibinh",
        "Trần Thị Bình",
        ("citizen",),
        identity_number="001192004567",
        email="tranthibinh@example.vn",
    ),
    DemoUser("motcua.badinh", "Lê Thu Hà", ("officer",), agency="H29.12.3"),
    DemoUser("chuyenvien.badinh", "Phạm Minh Đức", ("specialist",), agency="H29.12.3"),
    DemoUser("lanhdao.badinh", "Hoàng Văn Hải", ("leader",), agency="H29.12.3"),
    DemoUser("giamsat.badinh", "Vũ Thị Lan", ("supervisor",), agency="H29.12.3"),
    DemoUser("motcua.hoankiem", "Đỗ Quang Huy", ("officer",), agency="H29.12.5"),
    DemoUser("chuyenvien.hoankiem", "Bùi Thị Mai", ("specialist",), agency="H29.12.5"),
    DemoUser("lanhdao.hoankiem", "Ngô Đức Long", ("leader",), agency="H29.12.5"),
    DemoUser("giamsat.hoankiem", "Đinh Thị Thu", ("supervisor",), agency="H29.12.5"),
    DemoUser("giamsat.hanoi", "Trịnh Quốc Bảo", ("supervisor",), agencies=("H29.12.3", "H29.12.5")),
    DemoUser("quantri", "Quản trị hệ thống", ("admin",)),
    DemoUser("ioc.hanoi", "Trung tâm điều hành đô thị thông minh Hà Nội", ("ioc",)),
)


def demo_user(username: str) -> DemoUser | None:
    """One of DEMO_USERS by username."""
    return next((u for u in DEMO_USERS if u.username == username), None)


def dev_claims(
    username: str,
    roles: list[str],
    *,
    agency: str | None = None,
    identity_number: str | None = None,
    name: str | None = None,
    agencies: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A development user's identity claims, as a Keycloak token carries them (no issuer, no lifetime)."""
    claims: dict[str, Any] = {
        "sub": f"dev:{username}",
        "preferred_username": username,
        "name": name or username,
        "realm_access": {"roles": roles},
        "typ": "Bearer",
    }
    if agency:
        claims["agency"] = agency
    if agencies:
        claims["agencies"] = list(agencies)
    if identity_number:
        claims["identity_number"] = identity_number
    return claims


def demo_actor(username: str) -> Actor:
    """The Actor a demo user's development token gives (the demo data acts as them); KeyError if unknown."""
    user = demo_user(username)
    if user is None:
        raise KeyError(username)
    return actor_from_claims(
        dev_claims(
            user.username,
            list(user.roles),
            agency=user.agency,
            identity_number=user.identity_number,
            name=user.name,
            agencies=user.agencies,
        )
    )


class DevIdentity:
    """Built-in development identity: HS256 tokens with the claims a Keycloak token carries."""

    def __init__(self, settings: Settings) -> None:
        if settings.env == "production" or not settings.dev_identity:
            raise RuntimeError(
                "The development identity is refused in production (MOTCUA_ENV=production); use Keycloak."
            )
        self.issuer = settings.token_issuer
        self.audience = settings.token_audience
        self._secret = settings.dev_secret or _local_secret(settings.data_dir)

    def issue(
        self,
        *,
        username: str,
        roles: list[str],
        agency: str | None = None,
        identity_number: str | None = None,
        name: str | None = None,
        ttl_seconds: int = 8 * 3600,
        agencies: tuple[str, ...] = (),
    ) -> str:
        """Sign a token for a development user."""
        now = int(time.time())
        claims = dev_claims(
            username, roles, agency=agency, identity_number=identity_number, name=name, agencies=agencies
        )
        claims.update({"iss": self.issuer, "aud": self.audience, "iat": now, "exp": now + ttl_seconds})
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def issue_demo(self, username: str) -> str:
        """Token for one of DEMO_USERS."""
        user = demo_user(username)
        if user is None:
            raise KeyError(username)
        return self.issue(
            username=user.username,
            roles=list(user.roles),
            agency=user.agency,
            identity_number=user.identity_number,
            name=user.name,
            agencies=user.agencies,
        )

    def demo_claims(self, username: str) -> dict[str, Any]:
        """The verified claims of a demo user's token (what a browser session of theirs holds)."""
        token = self.issue_demo(username)
        claims: dict[str, Any] = jwt.decode(
            token, self._secret, algorithms=["HS256"], audience=self.audience, issuer=self.issuer
        )
        return claims

    def verify(self, token: str) -> Actor:
        """Check signature (HS256 only), issuer, audience and expiry."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise invalid_token(str(exc)) from exc
        return actor_from_claims(claims)


def _local_secret(data_dir: Path) -> str:
    """A random per-installation secret kept beside the SQLite file (never a fixed default)."""
    path = data_dir / "dev-identity.secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_actor(request: Request) -> Actor:
    """The authenticated actor from a bearer token or the browser session (same Actor either way), or 401."""
    token = _bearer(request)
    if token is not None:
        verifier: TokenVerifier = request.app.state.verifier
        return verifier.verify(token)
    actor = session_actor(request)
    if actor is None:
        raise Unauthenticated(
            "Vui lòng đăng nhập để tiếp tục.", "Authentication required (bearer token or session)."
        )
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
