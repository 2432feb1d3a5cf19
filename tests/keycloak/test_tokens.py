"""Every demo user gets a token from the real Keycloak; the portal sees the Actor the dev identity gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.actor import actor_from_claims
from integrations.keycloak.server import REALM_FILE
from portal.auth import DEMO_USERS, DevIdentity
from portal.wiring import Container
from tests.builders import ok
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
        assert ("groups" in user) == (demo.agency is not None)


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
