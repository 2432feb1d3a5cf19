"""The browser login's server side on both databases: code + PKCE through Keycloak's login form, the session
row, CSRF on cookie writes, token refresh, logout; and one source of users (Keycloak only)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from engine.clock import FixedClock
from engine.store.sessions import session_key
from portal.app import create_app
from portal.wiring import Container, build
from tests.builders import AN, HOAN_KIEM, OFFICER, Api, error, ok, residence_filing, row_counts
from tests.kc import DEMO_PASSWORD, RunningKeycloak, post_login_form

Login = Callable[[TestClient, str], httpx.Response]


def session_rows(container: Container) -> list[dict[str, object]]:
    """Every web_session row, straight from the database."""
    with container.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, subject, access_token, access_expires_at FROM web_session"))
        return [dict(r._mapping) for r in rows]


def cookie(client: TestClient) -> str:
    """The session cookie the client holds."""
    value = client.cookies.get("motcua_session")
    assert value, "no session cookie"
    return str(value)


class TestLogin:
    def test_the_login_redirect_uses_pkce_s256_and_a_server_side_state(
        self, kc_client: TestClient, keycloak: RunningKeycloak, container: Container
    ) -> None:
        start = kc_client.get("/dang-nhap?next=/ho-so", follow_redirects=False)

        target = urlsplit(start.headers["location"])
        query = parse_qs(target.query)
        assert f"{target.scheme}://{target.netloc}{target.path}" == (
            f"{keycloak.url}/realms/motcua/protocol/openid-connect/auth"
        )
        assert query["code_challenge_method"] == ["S256"]
        assert query["client_id"] == ["motcua-portal"]
        assert query["redirect_uri"] == [f"{keycloak.portal_url}/auth/callback"]
        set_cookie = start.headers["set-cookie"].lower()
        assert "httponly" in set_cookie
        assert "samesite=lax" in set_cookie
        assert "secure" not in set_cookie  # loopback over http; Secure everywhere else
        [row] = session_rows(container)
        assert row["id"] == session_key(cookie(kc_client))
        assert row["subject"] is None

    def test_a_citizen_logs_in_and_sees_the_same_actor_as_with_a_bearer_token(
        self, kc_client: TestClient, login: Login, keycloak: RunningKeycloak, container: Container
    ) -> None:
        pending = cookie(kc_client) if kc_client.cookies.get("motcua_session") else None

        landed = login(kc_client, AN)

        assert landed.status_code == 303
        assert landed.headers["location"] == "/ho-so"
        page = kc_client.get("/tai-khoan")
        assert "Nguyễn Văn An" in page.text
        assert "001088012345" in page.text
        by_session = ok(kc_client.get("/api/v1/me"))
        by_token = ok(kc_client.get("/api/v1/me", headers={"Authorization": f"Bearer {keycloak.token(AN)}"}))
        assert by_session == by_token
        assert cookie(kc_client) != pending  # a new session id after login (no fixation)
        assert [r["subject"] for r in session_rows(container)] == [by_session["subject"]]

    def test_a_callback_with_a_foreign_state_is_refused(self, kc_client: TestClient) -> None:
        kc_client.get("/dang-nhap", follow_redirects=False)

        response = kc_client.get("/auth/callback?state=forged&code=whatever", follow_redirects=False)

        assert response.status_code == 401  # the browser's page says so in Vietnamese
        assert "Phiên đăng nhập đã hết hạn hoặc không hợp lệ" in response.text
        assert kc_client.get("/ho-so", follow_redirects=False).headers["location"].startswith("/dang-nhap")

    def test_a_wrong_password_does_not_open_a_session(
        self, kc_client: TestClient, keycloak: RunningKeycloak, container: Container
    ) -> None:
        start = kc_client.get("/dang-nhap", follow_redirects=False)
        with httpx.Client(timeout=30) as browser:
            page = browser.get(start.headers["location"])
            again = post_login_form(page, browser, AN, "sai-mat-khau")

        assert again.status_code == 200
        assert "kc-form-login" in again.text
        assert all(r["subject"] is None for r in session_rows(container))
        error(kc_client.get("/api/v1/me"), 401)


class TestSessionWrites:
    def test_a_cookie_write_needs_the_csrf_token(
        self, kc_client: TestClient, login: Login, container: Container, clock: FixedClock
    ) -> None:
        login(kc_client, AN)
        before = row_counts(container)
        refused = kc_client.post("/api/v1/dossiers", json=residence_filing())
        assert error(refused, 403, "CsrfRefused")
        assert row_counts(container) == before

        csrf = kc_client.get("/ho-so").text.split('name="csrf" value="')[1].split('"')[0]
        filed = kc_client.post("/api/v1/dossiers", json=residence_filing(), headers={"X-CSRF-Token": csrf})
        assert filed.status_code == 201, filed.text
        page = kc_client.get("/ho-so").text
        assert filed.json()["code"] in page
        assert filed.json()["status"]["label"] in page

    def test_logout_without_the_csrf_token_is_refused(self, kc_client: TestClient, login: Login) -> None:
        login(kc_client, OFFICER)

        for forged in ("forged", "giả mạo"):
            out = kc_client.post("/dang-xuat", data={"csrf": forged}, follow_redirects=False)
            assert out.status_code == 403
            assert "mã chống giả mạo CSRF" in out.text
        wrong_header = kc_client.post("/api/v1/dossiers", json={}, headers={"X-CSRF-Token": "giả".encode()})
        error(wrong_header, 403, "CsrfRefused")

        assert ok(kc_client.get("/api/v1/me"))["username"] == OFFICER


class TestRefreshAndLogout:
    def test_an_expired_access_token_is_refreshed_on_the_next_request(
        self, kc_client: TestClient, login: Login, container: Container
    ) -> None:
        login(kc_client, OFFICER)
        [before] = session_rows(container)
        with container.engine.begin() as conn:
            conn.execute(
                text("UPDATE web_session SET access_expires_at = :t"),
                {"t": datetime.now(UTC) - timedelta(minutes=1)},
            )

        me = ok(kc_client.get("/api/v1/me"))

        [after] = session_rows(container)
        assert me["username"] == OFFICER
        assert after["access_token"] != before["access_token"]
        assert after["id"] == before["id"]

    def test_a_session_whose_refresh_keycloak_refuses_ends(
        self, kc_client: TestClient, login: Login, container: Container, keycloak: RunningKeycloak
    ) -> None:
        login(kc_client, OFFICER)
        admin = keycloak.admin()
        admin.user_logout(admin.get_user_id(OFFICER))  # an administrator ends the user's sessions
        with container.engine.begin() as conn:
            conn.execute(
                text("UPDATE web_session SET access_expires_at = :t"),
                {"t": datetime.now(UTC) - timedelta(minutes=1)},
            )

        error(kc_client.get("/api/v1/me"), 401)

        assert session_rows(container) == []

    def test_logout_ends_the_session_here_and_sends_the_browser_to_keycloak(
        self, kc_client: TestClient, login: Login, keycloak: RunningKeycloak, container: Container
    ) -> None:
        login(kc_client, AN)
        csrf = kc_client.get("/ho-so").text.split('name="csrf" value="')[1].split('"')[0]

        out = kc_client.post("/dang-xuat", data={"csrf": csrf}, follow_redirects=False)

        target = urlsplit(out.headers["location"])
        query = parse_qs(target.query)
        assert target.path == "/realms/motcua/protocol/openid-connect/logout"
        assert query["post_logout_redirect_uri"] == [f"{keycloak.portal_url}/"]
        assert "id_token_hint" in query
        assert session_rows(container) == []
        error(kc_client.get("/api/v1/me"), 401)


def test_an_officer_created_in_keycloak_works_at_once(
    keycloak: RunningKeycloak,
    kc_client: TestClient,
    kc_auth: Callable[[str], dict[str, str]],
    clock: FixedClock,
) -> None:
    """One source of users: a role and an agency group in Keycloak are all MotCua needs."""
    admin = keycloak.admin()
    username = f"motcua.hoankiem.{uuid.uuid4().hex[:8]}"
    user_id = admin.create_user(
        {
            "username": username,
            "email": f"{username}@example.vn",
            "firstName": "Thị Hoa",
            "lastName": "Lý",
            "enabled": True,
            "emailVerified": True,
            "credentials": [{"type": "password", "value": DEMO_PASSWORD, "temporary": False}],
        }
    )
    admin.assign_realm_roles(user_id, [admin.get_realm_role("officer")])
    admin.group_user_add(user_id, admin.get_group_by_path("/agencies/hoan-kiem")["id"])
    api = Api(kc_client, kc_auth, clock)

    code = api.filed(AN, residence_filing(agency=HOAN_KIEM))

    assert ok(api.receive(code, username))["status"]["code"] == 4
    me = ok(api.get("/me", username))
    assert (me["name"], me["agency"], me["roles"]) == ("Lý Thị Hoa", HOAN_KIEM, ["officer"])
    error(api.get(f"/dossiers/{api.filed(AN)}", username), 404)  # Ba Đình's dossier is not theirs
    admin.delete_user(user_id)


def test_expired_sessions_are_removed_when_someone_logs_in(
    kc_client: TestClient, login: Login, container: Container
) -> None:
    stale = datetime.now(UTC) - timedelta(days=1)
    with container.engine.begin() as conn:
        for n in range(3):
            conn.execute(
                text(
                    "INSERT INTO web_session (id, csrf, created_at, expires_at, subject) "
                    "VALUES (:id, 'x', :t, :t, 'gone')"
                ),
                {"id": f"stale-{n}", "t": stale},
            )

    login(kc_client, OFFICER)

    assert [r["subject"] for r in session_rows(container)] != []
    assert all(r["subject"] != "gone" for r in session_rows(container))


def test_a_session_opened_on_one_portal_process_works_on_another(
    kc_client: TestClient, kc_app: FastAPI, login: Login, container: Container
) -> None:
    login(kc_client, OFFICER)
    other_process = TestClient(
        create_app(container.settings, build(container.settings, engine=container.engine))
    )
    other_process.cookies.set("motcua_session", cookie(kc_client))

    assert ok(other_process.get("/api/v1/me")) == ok(kc_client.get("/api/v1/me"))
    assert other_process.app is not kc_app
