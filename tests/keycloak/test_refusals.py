"""Tokens that must not pass, and objects that must not be reached — each refused with nothing changed.

Every token here is a real one from the running Keycloak, then damaged the way an attacker would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from integrations.keycloak.verifier import KeycloakVerifier
from portal.app import create_app
from portal.wiring import Container
from tests.builders import (
    AN,
    BINH,
    HOAN_KIEM,
    OFFICER,
    OFFICER_HK,
    Api,
    error,
    ok,
    residence_filing,
    row_counts,
)
from tests.kc import DEMO_PASSWORD, RunningKeycloak


def b64(data: bytes) -> str:
    """base64url without padding (JWS segments)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Header, payload and signature segment of a JWS."""
    header, payload, signature = token.split(".")

    def decode(segment: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        return data

    return decode(header), decode(payload), signature


def assemble(header: dict[str, Any], payload: dict[str, Any], signature: str) -> str:
    """A JWS from its parts (the signature is not recomputed)."""
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), signature])


def bearer(token: str) -> dict[str, str]:
    """Authorization header."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def filed(kapi: Api) -> str:
    """Nguyễn Văn An's residence dossier at Ba Đình, waiting for reception."""
    return kapi.filed(AN)


class Refused:
    """Asserts a request is refused with a status and that no table changed."""

    def __init__(self, api: Api, container: Container, code: str) -> None:
        self.api, self.container, self.code = api, container, code

    def __call__(
        self,
        status: int,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any = None,
        client: TestClient | None = None,
    ) -> None:
        before = row_counts(self.container)
        detail = self.api.dossier(self.code, OFFICER)
        response = (client or self.api.client).request(method, f"/api/v1{path}", headers=headers, json=body)
        error(response, status)
        assert row_counts(self.container) == before
        assert self.api.dossier(self.code, OFFICER)["version"] == detail["version"]


@pytest.fixture
def refused(kapi: Api, container: Container, filed: str) -> Refused:
    """The refusal check on Nguyễn Văn An's dossier."""
    return Refused(kapi, container, filed)


ACCEPT = {"decision": "accept", "note": "Đủ giấy tờ"}


class TestForgedTokens:
    def test_a_token_signed_with_another_key_is_refused(
        self, keycloak: RunningKeycloak, refused: Refused, filed: str
    ) -> None:
        header, payload, _ = parts(keycloak.token(OFFICER))
        own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode(payload, own_key, algorithm="RS256", headers={"kid": header["kid"]})

        refused(401, "POST", f"/dossiers/{filed}/receive", bearer(forged), ACCEPT)

    def test_claims_edited_to_become_an_officer_break_the_signature(
        self, keycloak: RunningKeycloak, refused: Refused, filed: str
    ) -> None:
        header, payload, signature = parts(keycloak.token(AN))
        payload["realm_access"] = {"roles": ["officer", "admin"]}
        payload["agency"] = "H29.12.3"

        refused(
            401, "POST", f"/dossiers/{filed}/receive", bearer(assemble(header, payload, signature)), ACCEPT
        )

    def test_alg_none_is_refused(self, keycloak: RunningKeycloak, refused: Refused, filed: str) -> None:
        header, payload, _ = parts(keycloak.token(OFFICER))
        unsigned = assemble({**header, "alg": "none"}, payload, "")

        refused(401, "POST", f"/dossiers/{filed}/receive", bearer(unsigned), ACCEPT)
        refused(401, "GET", f"/dossiers/{filed}", bearer(unsigned))

    def test_hs256_keyed_with_the_realms_public_key_is_refused(
        self, keycloak: RunningKeycloak, kc_app: FastAPI, refused: Refused, filed: str
    ) -> None:
        token = keycloak.token(OFFICER)
        header, payload, _ = parts(token)
        public = kc_app.state.verifier.jwks.key(header["kid"]).key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        confused = assemble({**header, "alg": "HS256"}, payload, "")
        signing_input = confused.rsplit(".", 1)[0].encode()
        mac = b64(hmac.new(public, signing_input, hashlib.sha256).digest())

        refused(401, "POST", f"/dossiers/{filed}/receive", bearer(f"{signing_input.decode()}.{mac}"), ACCEPT)


class TestTokensOfTheWrongKind:
    def test_a_token_of_another_realm_is_refused_and_refreshes_the_keys_once(
        self, keycloak: RunningKeycloak, kc_app: FastAPI, refused: Refused, filed: str
    ) -> None:
        other = keycloak.openid("other", secret="other-realm-secret").token("mallory", "other-demo")
        _, payload, _ = parts(other["access_token"])
        assert payload["aud"] == "motcua" or "motcua" in payload["aud"]  # only the realm differs
        ok(refused.api.get(f"/dossiers/{filed}", OFFICER))
        fetches = kc_app.state.verifier.jwks.fetches

        refused(401, "POST", f"/dossiers/{filed}/receive", bearer(other["access_token"]), ACCEPT)
        refused(401, "GET", "/dossiers", bearer(other["access_token"]))

        assert kc_app.state.verifier.jwks.fetches == fetches  # the issuer is wrong before any key is needed

    def test_a_signature_by_an_unknown_key_refreshes_the_keys_once_only(
        self, keycloak: RunningKeycloak, kc_app: FastAPI, refused: Refused, filed: str
    ) -> None:
        _, payload, _ = parts(keycloak.token(OFFICER))
        own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ok(refused.api.get(f"/dossiers/{filed}", OFFICER))
        fetches = kc_app.state.verifier.jwks.fetches

        for attempt in range(3):
            forged = jwt.encode(payload, own_key, algorithm="RS256", headers={"kid": f"rotated-{attempt}"})
            refused(401, "POST", f"/dossiers/{filed}/receive", bearer(forged), ACCEPT)

        assert kc_app.state.verifier.jwks.fetches <= fetches + 1

    def test_a_token_for_another_audience_is_refused(
        self, keycloak: RunningKeycloak, refused: Refused, filed: str
    ) -> None:
        console = keycloak.openid(client="admin-cli", secret=None).token(OFFICER, DEMO_PASSWORD)
        _, payload, _ = parts(console["access_token"])
        assert "motcua" not in (payload.get("aud") or [])

        refused(401, "POST", f"/dossiers/{filed}/receive", bearer(console["access_token"]), ACCEPT)

    def test_an_id_token_is_not_a_bearer_token(
        self, keycloak: RunningKeycloak, refused: Refused, filed: str
    ) -> None:
        id_token = keycloak.tokens(OFFICER)["id_token"]

        refused(401, "POST", f"/dossiers/{filed}/receive", bearer(id_token), ACCEPT)

    def test_an_expired_token_is_refused(
        self, keycloak: RunningKeycloak, container: Container, kapi: Api, refused: Refused, filed: str
    ) -> None:
        token = keycloak.token(OFFICER)
        _, payload, _ = parts(token)
        later = KeycloakVerifier.for_realm(
            keycloak.url, "motcua", "motcua", now=lambda: payload["exp"] + 3600.0
        )
        client = TestClient(create_app(container.settings, container, verifier=later))

        refused(401, "POST", f"/dossiers/{filed}/receive", bearer(token), ACCEPT, client=client)
        body = error(client.get("/api/v1/me", headers=bearer(token)), 401)
        assert body["message_en"] == "Invalid token: expired."
        assert ok(kapi.client.get("/api/v1/me", headers=bearer(token)))["username"] == OFFICER
        assert payload["exp"] > time.time()


class TestObjectsOfOthers:
    def test_a_citizen_guessing_another_citizens_code_finds_nothing(
        self, kapi: Api, refused: Refused, filed: str
    ) -> None:
        unknown = error(kapi.get("/dossiers/H29.12.3-260302-0099", BINH), 404, "DossierNotFound")

        for method, path, body in (
            ("GET", f"/dossiers/{filed}", None),
            ("POST", f"/dossiers/{filed}/withdraw", {"reason": "Không cần nữa"}),
            ("POST", f"/dossiers/{filed}/supplement", {"note": "x"}),
        ):
            refused(404, method, path, kapi.auth(BINH), body)
        response = kapi.get(f"/dossiers/{filed}", BINH)
        assert error(response, 404)["message"] == unknown["message"].replace("0099", filed[-4:])
        assert "Nguyễn Văn An" not in response.text
        assert [d["code"] for d in ok(kapi.get("/dossiers", BINH))] == []

    def test_an_officer_of_agency_a_cannot_work_agency_bs_dossier_or_task(
        self, kapi: Api, container: Container
    ) -> None:
        code = kapi.filed(AN, residence_filing(agency=HOAN_KIEM))
        task_id = kapi.task_id(code, "reception", OFFICER_HK)
        before = row_counts(container)
        error(kapi.receive(code, OFFICER), 404, "DossierNotFound")
        error(kapi.post(f"/tasks/{task_id}/claim", OFFICER), 404, "TaskNotFound")
        error(kapi.complete(task_id, OFFICER, ACCEPT), 404, "TaskNotFound")
        assert row_counts(container) == before
        assert kapi.dossier(code, OFFICER_HK)["status"]["code"] == 1
        assert ok(kapi.get("/tasks", OFFICER)) == []

        assert ok(kapi.receive(code, OFFICER_HK))["status"]["code"] == 4
