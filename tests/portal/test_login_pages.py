"""On the embedded default (no Keycloak) the browser login says why it is not there; bearer tokens work."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient


def test_login_without_keycloak_explains_itself_in_vietnamese(client: TestClient) -> None:
    page = client.get("/dang-nhap", follow_redirects=False)

    assert page.status_code == 503
    assert "chưa được kết nối với máy chủ định danh (Keycloak)" in page.text
    assert "MOTCUA_KEYCLOAK_URL" in page.text
    assert "motcua_session" not in page.headers.get("set-cookie", "")


def test_the_signed_in_page_sends_anonymous_visitors_to_the_login(client: TestClient) -> None:
    page = client.get("/ho-so", follow_redirects=False)

    assert page.status_code == 303
    assert page.headers["location"] == "/dang-nhap?next=/ho-so"


def test_a_forged_session_cookie_is_no_one(client: TestClient, auth: Callable[[str], dict[str, str]]) -> None:
    client.cookies.set("motcua_session", "guessed-value")

    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/ho-so", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me", headers=auth("giamsat.hanoi")).json()["agencies"] == [
        "H29.12.3",
        "H29.12.5",
    ]
