"""Which identities the portal accepts: Keycloak (production) and/or the development identity.

Tokens are routed by their (unverified) issuer to the one verifier of that issuer, which then checks
everything itself; a token of any other issuer is refused.
"""

from __future__ import annotations

import jwt

from engine.actor import Actor
from engine.errors import invalid_token
from integrations.keycloak.oidc import KeycloakLogin
from integrations.keycloak.verifier import KeycloakVerifier
from portal.auth import DevIdentity, TokenVerifier
from portal.settings import Settings


class IssuerRouter:
    """Hands each token to the verifier of its issuer."""

    def __init__(self, verifiers: list[TokenVerifier]) -> None:
        self.by_issuer = {v.issuer: v for v in verifiers}
        self.issuer = next(iter(self.by_issuer), "")

    def verify(self, token: str) -> Actor:
        """The Actor of a token of one of the accepted issuers, else 401."""
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as exc:
            raise invalid_token("malformed") from exc
        verifier = self.by_issuer.get(str(issuer))
        if verifier is None:
            raise invalid_token("issuer not accepted")
        return verifier.verify(token)


def keycloak_verifier(settings: Settings) -> KeycloakVerifier | None:
    """The realm's verifier when MOTCUA_KEYCLOAK_URL is set."""
    if not settings.keycloak_url:
        return None
    return KeycloakVerifier.for_realm(
        settings.keycloak_url,
        settings.keycloak_realm,
        settings.token_audience,
        ttl=settings.keycloak_jwks_ttl,
    )


def build_verifier(settings: Settings, keycloak: KeycloakVerifier | None = None) -> TokenVerifier:
    """Keycloak when configured, plus the development identity outside production when enabled."""
    verifiers: list[TokenVerifier] = []
    keycloak = keycloak or keycloak_verifier(settings)
    if keycloak is not None:
        verifiers.append(keycloak)
    if settings.dev_identity or keycloak is None:
        verifiers.append(DevIdentity(settings))  # refuses itself in production
    return verifiers[0] if len(verifiers) == 1 else IssuerRouter(verifiers)


def build_login(settings: Settings, keycloak: KeycloakVerifier | None) -> KeycloakLogin | None:
    """The browser login through Keycloak, when configured."""
    if keycloak is None or not settings.keycloak_url:
        return None
    return KeycloakLogin(
        settings.keycloak_url,
        settings.keycloak_realm,
        settings.keycloak_client_id,
        keycloak,
        settings.keycloak_client_secret,
    )
