"""Bearer tokens of the Keycloak realm, verified against the realm's JWKS.

RS256 only (a token saying `none` or `HS256` is refused before any key is looked at), the issuer and the
audience must match, `exp` is always enforced with our own clock, and only access tokens (`typ: Bearer`)
are accepted. Keys are cached; a token signed with an unknown `kid` refreshes them once, and refreshes are
spaced so that a stream of made-up kids cannot turn into a stream of requests to Keycloak.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import jwt

from engine.actor import Actor, actor_from_claims
from engine.errors import Unauthenticated, invalid_token

ALGORITHM = "RS256"
REQUIRED = ("exp", "iat", "iss", "aud", "sub")


class JwksCache:
    """The realm's signing keys by `kid`, fetched on first use and kept for `ttl` seconds."""

    def __init__(
        self,
        jwks_url: str,
        http: httpx.Client | None = None,
        *,
        ttl: float = 600.0,
        min_refresh_interval: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jwks_url = jwks_url
        self._http = http or httpx.Client(timeout=10.0)
        self._ttl = ttl
        self._min_interval = min_refresh_interval
        self._monotonic = monotonic
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    def key(self, kid: str) -> jwt.PyJWK | None:
        """The key for `kid`; an unknown kid refreshes the set once (at most every few seconds)."""
        with self._lock:
            if self._fetched_at is None or self._monotonic() - self._fetched_at > self._ttl:
                self._refresh()
            elif kid not in self._keys and self._monotonic() - self._fetched_at >= self._min_interval:
                self._refresh()
            return self._keys.get(kid)

    def _refresh(self) -> None:
        try:
            response = self._http.get(self.jwks_url)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            if self._keys:
                return  # keep verifying with the keys we have while Keycloak is unreachable
            raise Unauthenticated(
                "Không kiểm tra được phiên đăng nhập lúc này (máy chủ định danh không trả lời).",
                f"Cannot fetch the realm's keys: {exc}.",
                code="IdentityUnavailable",
            ) from exc
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document.get("keys", []):
            if (
                entry.get("use", "sig") != "sig"
                or entry.get("alg", ALGORITHM) != ALGORITHM
                or "kid" not in entry
            ):
                continue
            keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm=ALGORITHM)
        self._keys = keys
        self._fetched_at = self._monotonic()
        self.fetches += 1


class KeycloakVerifier:
    """TokenVerifier for the realm's access tokens; gives the same Actor as the development identity."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks: JwksCache,
        *,
        leeway: float = 30.0,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks = jwks
        self._leeway = leeway
        self._now = now

    @classmethod
    def for_realm(
        cls, url: str, realm: str, audience: str, *, ttl: float = 600.0, now: Callable[[], float] = time.time
    ) -> KeycloakVerifier:
        """A verifier for `<url>/realms/<realm>` (Keycloak's fixed layout for issuer and JWKS)."""
        issuer = f"{url.rstrip('/')}/realms/{realm}"
        return cls(issuer, audience, JwksCache(f"{issuer}/protocol/openid-connect/certs", ttl=ttl), now=now)

    def claims(self, token: str, *, audience: str | None = None, typ: str = "Bearer") -> dict[str, Any]:
        """The verified claims of a token of this realm, or Unauthenticated."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise invalid_token("malformed") from exc
        if header.get("alg") != ALGORITHM:
            raise invalid_token(f"algorithm {header.get('alg')!r} is not accepted")
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as exc:
            raise invalid_token("malformed") from exc
        if issuer != self.issuer:
            # Refused before any key lookup: tokens of other realms must not make us fetch keys.
            raise invalid_token("issuer not accepted")
        key = self.jwks.key(str(header.get("kid", "")))
        if key is None:
            raise invalid_token("unknown signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                audience=audience or self.audience,
                issuer=self.issuer,
                leeway=self._leeway,
                # Expiry is checked below with our clock; PyJWT would use the wall clock.
                options={"require": list(REQUIRED), "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise invalid_token(str(exc)) from exc
        self._check_times(claims)
        if claims.get("typ") != typ:
            raise invalid_token(f"a {claims.get('typ')!r} token is not a {typ!r} token")
        return claims

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        now = self._now()
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or now > exp + self._leeway:
            raise invalid_token("expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and now + self._leeway < nbf:
            raise invalid_token("not yet valid")

    def verify(self, token: str) -> Actor:
        """Signature, issuer, audience, expiry, token type → the Actor."""
        return actor_from_claims(self.claims(token))
