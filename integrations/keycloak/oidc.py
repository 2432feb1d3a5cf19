"""The browser login against the realm: authorization code with PKCE (S256), refresh, RP-initiated logout.

The endpoints follow Keycloak's fixed layout under the issuer, so no discovery round trip is needed on
start-up. Token requests go through python-keycloak; every token that comes back is verified by the same
`KeycloakVerifier` that checks API bearer tokens, so a browser session and a bearer token give one Actor.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakError

from engine.errors import Unauthenticated
from integrations.keycloak.verifier import KeycloakVerifier


def pkce_pair() -> tuple[str, str]:
    """A fresh code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Tokens:
    """What the token endpoint answered, verified."""

    access_token: str
    refresh_token: str | None
    id_token: str | None
    claims: dict[str, Any]  # of the access token
    expires_in: int
    refresh_expires_in: int


class KeycloakLogin:
    """The portal's OIDC client (public client with PKCE, or confidential when a secret is set)."""

    def __init__(
        self,
        url: str,
        realm: str,
        client_id: str,
        verifier: KeycloakVerifier,
        client_secret: str | None = None,
    ) -> None:
        self.issuer = f"{url.rstrip('/')}/realms/{realm}"
        self.client_id = client_id
        self.verifier = verifier
        self._client = KeycloakOpenID(
            server_url=url.rstrip("/") + "/",
            realm_name=realm,
            client_id=client_id,
            client_secret_key=client_secret,
            timeout=15,
        )

    def authorization_url(
        self, redirect_uri: str, state: str, nonce: str, challenge: str, locale: str = "vi"
    ) -> str:
        """Where to send the browser to log in; Keycloak's pages in the portal's language (`ui_locales`)."""
        query = urlencode(
            {
                "client_id": self.client_id,
                "response_type": "code",
                "scope": "openid profile email",
                "redirect_uri": redirect_uri,
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "ui_locales": locale,  # the realm's theme speaks vi (its default) and en; its menu switches
            }
        )
        return f"{self.issuer}/protocol/openid-connect/auth?{query}"

    def logout_url(self, id_token: str | None, post_logout_redirect_uri: str) -> str:
        """RP-initiated logout: Keycloak ends its session and sends the browser back to us."""
        params = {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token:
            params["id_token_hint"] = id_token
        return f"{self.issuer}/protocol/openid-connect/logout?{urlencode(params)}"

    def exchange(self, code: str, redirect_uri: str, code_verifier: str, nonce: str) -> Tokens:
        """Trade the authorization code for tokens; the ID token must carry our nonce."""
        answer = self._call(
            lambda: self._client.token(
                grant_type="authorization_code",
                code=code,
                redirect_uri=redirect_uri,
                code_verifier=code_verifier,
            )
        )
        tokens = self._verified(answer)
        if tokens.id_token is None:
            raise _failed("no ID token")
        id_claims = self.verifier.claims(tokens.id_token, audience=self.client_id, typ="ID")
        if not secrets.compare_digest(str(id_claims.get("nonce", "")), nonce):
            raise _failed("nonce mismatch")
        return tokens

    def refresh(self, refresh_token: str) -> Tokens:
        """New tokens for a session whose access token expired."""
        return self._verified(self._call(lambda: self._client.refresh_token(refresh_token)))

    def _verified(self, answer: dict[str, Any]) -> Tokens:
        access = str(answer.get("access_token", ""))
        return Tokens(
            access_token=access,
            refresh_token=answer.get("refresh_token"),
            id_token=answer.get("id_token"),
            claims=self.verifier.claims(access),
            expires_in=int(answer.get("expires_in", 0)),
            refresh_expires_in=int(answer.get("refresh_expires_in", 0)),
        )

    @staticmethod
    def _call(request: Any) -> dict[str, Any]:
        try:
            answer = request()
        except KeycloakError as exc:
            raise _failed(f"token endpoint refused ({exc.response_code})") from exc
        if not isinstance(answer, dict):
            raise _failed("unexpected token endpoint answer")
        return answer


def _failed(reason_en: str) -> Unauthenticated:
    return Unauthenticated(
        "Đăng nhập không thành công. Vui lòng thử lại.", f"Login failed: {reason_en}.", code="LoginFailed"
    )
