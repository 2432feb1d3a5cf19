"""Every demo user gets a token from the real Keycloak; the portal sees the Actor the dev identity gives."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from engine.actor import actor_from_claims
from integrations.keycloak.server import REALM_FILE
from integrations.keycloak.verifier import JwksCache, KeycloakVerifier
from integrations.residents.settings import ResidentsSettings
from portal.app import create_app
from portal.auth import DEMO_USERS, DevIdentity
from portal.settings import Settings
from portal.wiring import Container
from tests.builders import AN, OFFICER, Api, error, ok
from tests.kc import RunningKeycloak


def realm() -> dict[str, object]:
    """The realm file as Keycloak imports it."""
    data: dict[str, object] = json.loads(Path(REALM_FILE).read_text(encoding="utf-8"))
    return data


def test_the_realm_declares_every_demo_user_with_email_names_and_roles() -> None:
    users = {u["username"]: u for u in realm()["users"]}  # type: ignore[attr-defined]

    for demo in DEMO_USERS:
        user = users[demo.username]
        assert all(user[k] for k in ("email", "firstName", "lastName")), demo.username
        assert set(demo.roles) <= set(user["realmRoles"])
        assert user.get("groups", []) == [
            f"/agencies/{'ba-dinh' if a == 'H29.12.3' else 'hoan-kiem'}"
            for a in (demo.agency, *demo.agencies)
            if a
        ]


@pytest.mark.parametrize("demo", DEMO_USERS, ids=lambda d: d.username)
def test_a_demo_users_keycloak_token_gives_the_same_actor_as_the_dev_identity(
    demo: object, keycloak: RunningKeycloak, kc_client: TestClient, container: Container
) -> None:
    username = demo.username  # type: ignore[attr-defined]
    dev = DevIdentity(container.settings.model_copy(update={"dev_identity": True}))

    me = ok(kc_client.get("/api/v1/me", headers={"Authorization": f"Bearer {keycloak.token(username)}"}))

    expected = dev.verify(dev.issue_demo(username))
    assert me["username"] == expected.username
    assert me["name"] == expected.full_name
    assert me["roles"] == sorted(r.value for r in expected.roles)
    assert me["agency"] == expected.agency
    assert me["agencies"] == sorted(expected.agencies)
    assert me["identity_number"] == expected.identity_number


def test_the_development_identity_is_not_accepted_by_a_portal_that_trusts_keycloak(
    kc_client: TestClient, container: Container
) -> None:
    dev = DevIdentity(container.settings.model_copy(update={"dev_identity": True}))

    response = kc_client.get("/api/v1/me", headers={"Authorization": f"Bearer {dev.issue_demo('quantri')}"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_refreshed_token_still_names_the_same_user(
    keycloak: RunningKeycloak, kc_client: TestClient
) -> None:
    first = keycloak.tokens("motcua.hoankiem")
    again = keycloak.openid().refresh_token(first["refresh_token"])

    me = ok(kc_client.get("/api/v1/me", headers={"Authorization": f"Bearer {again['access_token']}"}))

    assert again["access_token"] != first["access_token"]
    assert (me["username"], me["agency"], me["roles"]) == ("motcua.hoankiem", "H29.12.5", ["officer"])


def test_a_supervisor_in_two_agency_groups_reads_both_but_works_in_neither(keycloak: RunningKeycloak) -> None:
    claims = {"sub": "x", "realm_access": {"roles": ["supervisor", "officer"]}}
    actor = actor_from_claims({**claims, "agency": "H29.12.3", "agencies": ["H29.12.3", "H29.12.5"]})

    assert actor.supervised == {"H29.12.3", "H29.12.5"}
    assert actor.agency is None
    assert not actor.is_staff


def test_with_both_identities_on_a_dev_token_claiming_keycloaks_issuer_is_refused(
    keycloak: RunningKeycloak, container: Container
) -> None:
    settings = container.settings.model_copy(
        update={"keycloak_url": keycloak.url, "dev_identity": True, "public_url": keycloak.portal_url}
    )
    client = TestClient(create_app(settings, container))
    dev = DevIdentity(settings)
    forged = dev.issue(username="quantri", roles=["admin"])
    claims = jwt.decode(forged, options={"verify_signature": False})
    posing = jwt.encode({**claims, "iss": f"{keycloak.url}/realms/motcua"}, dev_secret(settings), "HS256")

    as_keycloak = client.get("/api/v1/me", headers={"Authorization": f"Bearer {keycloak.token('quantri')}"})
    as_dev = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    posed = client.get("/api/v1/me", headers={"Authorization": f"Bearer {posing}"})

    assert ok(as_keycloak)["roles"] == ok(as_dev)["roles"] == ["admin"]
    assert error(posed, 401)["message_en"] == "Invalid token: algorithm 'HS256' is not accepted."


def dev_secret(settings: Settings) -> str:
    """The development identity's signing key in the test settings."""
    assert settings.dev_secret
    return settings.dev_secret


def test_in_production_only_keycloak_tokens_are_accepted(
    keycloak: RunningKeycloak, container: Container
) -> None:
    production = Settings(
        env="production",
        dev_identity=False,
        keycloak_url=keycloak.url,
        database_url="postgresql+psycopg://motcua@127.0.0.1:1/unused",
        public_url="https://motcua.example.gov.vn",
        residents=ResidentsSettings(
            url="https://csdl-dancu.example.gov.vn", token=SecretStr("registry-token-for-tests")
        ),
    )
    dev = DevIdentity(container.settings.model_copy(update={"dev_identity": True}))
    client = TestClient(create_app(production, container))

    error(client.get("/api/v1/me", headers={"Authorization": f"Bearer {dev.issue_demo('quantri')}"}), 401)
    assert ok(client.get("/api/v1/me", headers={"Authorization": f"Bearer {keycloak.token('quantri')}"}))
    assert production.secure_cookies
    with pytest.raises(RuntimeError, match="production"):
        DevIdentity(production)


def test_the_backends_service_account_has_no_role_in_motcua(
    keycloak: RunningKeycloak, kc_client: TestClient, kapi: Api
) -> None:
    code = kapi.filed(AN)
    service = keycloak.openid().token(grant_type="client_credentials")["access_token"]
    headers = {"Authorization": f"Bearer {service}"}

    assert ok(kc_client.get("/api/v1/me", headers=headers))["roles"] == []
    assert ok(kc_client.get("/api/v1/dossiers", headers=headers)) == []
    error(
        kc_client.post(f"/api/v1/dossiers/{code}/receive", headers=headers, json={"decision": "accept"}), 404
    )


def test_a_rotated_signing_key_is_fetched_once_and_old_tokens_still_pass(
    keycloak: RunningKeycloak, container: Container
) -> None:
    issuer = f"{keycloak.url}/realms/motcua"
    jwks = JwksCache(f"{issuer}/protocol/openid-connect/certs", min_refresh_interval=0)
    client = TestClient(
        create_app(container.settings, container, verifier=KeycloakVerifier(issuer, "motcua", jwks))
    )
    old = keycloak.token(OFFICER)
    ok(client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"}))
    admin = keycloak.admin()
    rotated = admin.create_component(
        {
            "name": "rotated-in-test",
            "providerId": "rsa-generated",
            "providerType": "org.keycloak.keys.KeyProvider",
            "parentId": admin.get_realm("motcua")["id"],
            "config": {"priority": ["500"], "enabled": ["true"], "active": ["true"], "algorithm": ["RS256"]},
        }
    )
    try:
        new = keycloak.token(OFFICER)
        assert jwt.get_unverified_header(new)["kid"] != jwt.get_unverified_header(old)["kid"]

        for token in (new, new, old):
            assert (
                ok(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}))["username"]
                == OFFICER
            )

        assert jwks.fetches == 2  # the first request, then once for the new kid
    finally:
        admin.delete_component(rotated)
