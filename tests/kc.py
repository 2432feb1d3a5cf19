"""A real Keycloak for the test run, and the ways a user gets in: password grant and the login form.

The server is the pinned distribution from Maven Central (`motcua keycloak fetch`), started once per test
session on free loopback ports with the project's realm, its login theme read from the repository
(`KeycloakServer.themes_dir`: integrations/keycloak/themes) and a second realm `other` for cross-realm cases.
"""

from __future__ import annotations

import html
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from keycloak import KeycloakAdmin, KeycloakOpenID

from integrations.keycloak.server import KeycloakServer, fetch, free_port
from portal.settings import Settings

OTHER_REALM = Path(__file__).resolve().parent / "fixtures" / "keycloak" / "realm-other.json"
DEMO_PASSWORD = "motcua-demo-" + secrets.token_hex(4)
BACKEND = "motcua-backend"
BACKEND_SECRET = "motcua-backend-dev-secret"
LOGIN_FORM = re.compile(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', re.S)


@dataclass
class RunningKeycloak:
    """The started server and the portal URL its realm redirects to."""

    server: KeycloakServer
    portal_port: int

    @property
    def url(self) -> str:
        """Keycloak's one hostname."""
        return self.server.url

    @property
    def portal_url(self) -> str:
        """Where the realm's portal client sends browsers back to."""
        return f"http://127.0.0.1:{self.portal_port}"

    def openid(
        self, realm: str = "motcua", client: str = BACKEND, secret: str | None = BACKEND_SECRET
    ) -> Any:
        """A python-keycloak OpenID client of a realm."""
        return KeycloakOpenID(
            server_url=self.url + "/", realm_name=realm, client_id=client, client_secret_key=secret
        )

    def tokens(self, username: str, password: str = DEMO_PASSWORD) -> dict[str, Any]:
        """Tokens of a demo user by password grant through the confidential backend client."""
        answer: dict[str, Any] = self.openid().token(username, password, scope="openid")
        return answer

    def token(self, username: str) -> str:
        """An access token of a demo user."""
        return str(self.tokens(username)["access_token"])

    def admin(self) -> Any:
        """The realm's admin API as the master realm's bootstrap administrator."""
        return KeycloakAdmin(
            server_url=self.url + "/",
            username="admin",
            password=self.server.admin_password,
            realm_name="motcua",
            user_realm_name="master",
        )


def start_keycloak() -> RunningKeycloak:
    """Fetch (cached) and start Keycloak; fails loudly when Maven, Java or the download is missing."""
    home = fetch(Settings().keycloak_home)
    portal_port = free_port()
    server = KeycloakServer(
        home=home,
        state_dir=Path(tempfile.mkdtemp(prefix="motcua-kc-")),
        http_port=free_port(),
        management_port=free_port(),
        public_url=f"http://127.0.0.1:{portal_port}",
        admin_password=secrets.token_urlsafe(16),
        demo_password=DEMO_PASSWORD,
        extra_realms=(OTHER_REALM,),
    )
    return RunningKeycloak(server.start(), portal_port)


def post_login_form(page: httpx.Response, http: httpx.Client, username: str, password: str) -> httpx.Response:
    """Fill Keycloak's real login page as a browser would; Keycloak's answer."""
    found = LOGIN_FORM.search(page.text)
    assert found, f"no Keycloak login form in: {page.text[:500]}"
    # Keycloak marks its cookies Secure; browsers send them to http://127.0.0.1 (a secure context), httpx not.
    jar = "; ".join(f"{c.name}={c.value}" for c in http.cookies.jar)
    answer = http.post(
        html.unescape(found.group(1)),
        data={"username": username, "password": password, "credentialId": ""},
        headers={"Cookie": jar},
    )
    return answer


def submit_login_form(page: httpx.Response, http: httpx.Client, username: str, password: str) -> str:
    """Log in on Keycloak's real login page; returns where Keycloak redirects the browser to."""
    answer = post_login_form(page, http, username, password)
    assert answer.status_code in (302, 303), f"{answer.status_code}: {answer.text[:500]}"
    return answer.headers["location"]


def path_of(url: str) -> str:
    """Path and query of a URL (to replay a redirect to the portal on a test client)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
