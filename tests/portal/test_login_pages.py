"""Signing in on the embedded default: the demo users by role, loopback only, never in production."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from portal.app import create_app
from portal.wiring import Container
from tests.portal.conftest import Browse, csrf_of, sign_in


def test_the_sign_in_page_offers_the_demo_users_grouped_by_role(browse: Browse) -> None:
    page = browse().get("/dang-nhap")

    assert page.status_code == 200
    for heading in ("Công dân", "Cán bộ Bộ phận Một cửa", "Chuyên viên", "Lãnh đạo", "Quản trị"):
        assert f'<h2 class="govuk-heading-m">{heading}</h2>' in page.text
    assert "Nguyễn Văn An" in page.text
    assert "ioc.hanoi" not in page.text  # a system account, not a person


def test_a_demo_user_signs_in_and_the_header_says_who_and_where(browse: Browse) -> None:
    client = browse()
    done = sign_in(client, "chuyenvien.badinh")

    assert done.headers["location"] == "/cong-viec"  # a specialist starts at the work list
    cookie = done.headers["set-cookie"]
    assert "motcua_session=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    account = client.get("/tai-khoan")
    assert account.status_code == 200
    assert 'id="header-who">Phạm Minh Đức</a>' in account.text
    assert "Chuyên viên, UBND phường Ba Đình" in account.text
    assert "Đăng xuất" in account.text
    assert 'id="agency">H29.12.3<' in account.text


def test_the_sign_in_returns_to_the_page_asked_for_but_never_off_site(browse: Browse) -> None:
    client = browse()
    page = client.get("/dang-nhap?next=/tra-cuu")
    back = client.post(
        "/dang-nhap",
        data={"csrf": csrf_of(page), "username": "nguyenvanan", "next": "/tra-cuu"},
        follow_redirects=False,
    )
    assert back.headers["location"] == "/tra-cuu"

    other = browse()
    page = other.get("/dang-nhap")
    away = other.post(
        "/dang-nhap",
        data={"csrf": csrf_of(page), "username": "nguyenvanan", "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/ho-so"


def test_signing_in_without_the_forms_token_is_refused(browse: Browse) -> None:
    client = browse()
    client.get("/dang-nhap")

    refused = client.post("/dang-nhap", data={"username": "quantri"}, follow_redirects=False)

    assert refused.status_code == 403
    assert "mã chống giả mạo" in refused.text
    assert "motcua_session" not in refused.headers.get("set-cookie", "")


def test_an_unknown_user_is_not_signed_in(browse: Browse) -> None:
    client = browse()
    page = client.get("/dang-nhap")

    refused = client.post("/dang-nhap", data={"csrf": csrf_of(page), "username": "ioc.hanoi"})

    assert refused.status_code == 401
    assert client.get("/tai-khoan", follow_redirects=False).status_code == 303


def test_the_development_sign_in_is_for_this_machine_only(container: Container) -> None:
    remote = TestClient(create_app(container.settings, container), client=("203.0.113.9", 5000))

    page = remote.get("/dang-nhap", headers={"accept": "text/html"})

    assert page.status_code == 503  # no Keycloak configured: nothing to sign in with from afar
    assert "chưa được kết nối với máy chủ định danh (Keycloak)" in page.text
    assert remote.post("/dang-nhap", data={"username": "quantri"}).status_code == 403


def test_the_development_sign_in_is_off_when_the_development_identity_is(container: Container) -> None:
    settings = container.settings.model_copy(update={"dev_identity": False})
    container.settings = settings
    client = TestClient(create_app(settings, container, verifier=_NoTokens()))

    page = client.get("/dang-nhap", headers={"accept": "text/html"})

    assert page.status_code == 503
    assert "MOTCUA_KEYCLOAK_URL" in page.text


class _NoTokens:
    issuer = "none"

    def verify(self, token: str) -> object:
        raise AssertionError("no token expected")


def test_signing_out_ends_the_session(browse: Browse) -> None:
    client = browse("nguyenvanan")
    account = client.get("/tai-khoan")

    out = client.post("/dang-xuat", data={"csrf": csrf_of(account)}, follow_redirects=False)

    assert out.status_code == 303
    assert (
        client.get("/tai-khoan", follow_redirects=False).headers["location"] == "/dang-nhap?next=/tai-khoan"
    )


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


def test_the_language_switch_speaks_english_and_comes_back(browse: Browse) -> None:
    client = browse()

    switched = client.get("/ngon-ngu?lang=en&next=/tra-cuu", follow_redirects=False)
    assert switched.headers["location"] == "/tra-cuu"
    page = client.get("/tra-cuu")

    assert '<html lang="en"' in page.text
    assert "Track a dossier" in page.text
    back = client.get("/ngon-ngu?lang=vi&next=//evil.example", follow_redirects=False)
    assert back.headers["location"] == "/"
    assert '<html lang="vi"' in client.get("/tra-cuu").text


def test_a_page_form_with_a_nul_byte_is_refused_on_its_field(browse: Browse) -> None:
    client = browse()
    page = client.get("/dang-nhap")

    refused = client.post("/dang-nhap", data={"csrf": csrf_of(page), "username": "quantri\x00"})

    assert refused.status_code == 422
    assert "NUL" in refused.text


def test_errors_lead_with_the_language_of_the_page(browse: Browse) -> None:
    client = browse()
    vietnamese = client.get("/tra-cuu?ma=khong-hop-le").text
    client.get("/ngon-ngu?lang=en&next=/")
    english = client.get("/tra-cuu?ma=khong-hop-le").text

    vi_msg, en_msg = "Mã hồ sơ không đúng định dạng", "The dossier code is not in the right format"
    assert vietnamese.index(vi_msg) < vietnamese.index(en_msg)
    assert english.index(en_msg) < english.index(vi_msg)
    assert english.count("There is a problem") == 1
