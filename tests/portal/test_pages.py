"""The public HTML pages: catalogue, procedure detail, tracking by code."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.builders import residence_filing


def test_home_lists_both_procedures_with_deadline_and_fee(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "Đăng ký thường trú" in page.text
    assert "7 ngày làm việc" in page.text
    assert "Đăng ký khai sinh" in page.text
    assert "Trong ngày (tiếp nhận trước 15:00)" in page.text
    assert "20.000\u00a0đồng" in page.text


def test_procedure_page_lists_papers_and_form_fields(client: TestClient) -> None:
    page = client.get("/thu-tuc/1.004222")
    assert page.status_code == 200
    assert "Tờ khai thay đổi thông tin cư trú (mẫu CT01)" in page.text
    assert "Luật Cư trú số 68/2020/QH14" in page.text


def test_unknown_procedure_page_is_404_in_vietnamese(client: TestClient) -> None:
    page = client.get("/thu-tuc/9.999999")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Không tìm thấy thủ tục" in page.text
    assert '<html lang="vi"' in page.text


def test_an_unknown_page_is_a_vietnamese_html_404_but_the_api_stays_json(client: TestClient) -> None:
    page = client.get("/khong-co-trang-nay", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "Không tìm thấy trang" in page.text
    assert "The page you asked for was not found" in page.text

    api = client.get("/api/v1/khong-co", headers={"accept": "text/html"})
    assert api.status_code == 404
    assert api.json()["error"] == "NotFound"


def test_tracking_shows_status_and_appointment_without_personal_data(
    client: TestClient, auth: Callable[[str], dict[str, str]]
) -> None:
    filed = client.post("/api/v1/dossiers", json=residence_filing(), headers=auth("nguyenvanan"))
    assert filed.status_code == 201, filed.text
    code = filed.json()["code"]
    client.post(
        f"/api/v1/dossiers/{code}/receive", json={"decision": "accept"}, headers=auth("motcua.badinh")
    )
    key = filed.json()["access_key"]
    page = client.get(f"/tra-cuu?ma={code}&k={key.lower()}")  # typed by hand: case does not matter
    assert page.status_code == 200
    assert "Đang xử lý" in page.text
    assert "17:00 11/03/2026" in page.text or "09:00 11/03/2026" in page.text
    assert "Nguyễn Văn An" not in page.text
    assert "001088012345" not in page.text


def test_tracking_rejects_malformed_code_and_escapes_it(client: TestClient) -> None:
    page = client.get("/tra-cuu", params={"ma": "<script>alert(1)</script>"})
    assert page.status_code == 422
    assert "<script>alert(1)</script>" not in page.text.lower()
    assert "&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;" in page.text  # shown back, escaped
    assert "không đúng định dạng" in page.text


def test_tracking_unknown_code_is_404(client: TestClient) -> None:
    page = client.get("/tra-cuu", params={"ma": "H29.12.3-260302-9999"})
    assert page.status_code == 404
    assert "Không tìm thấy hồ sơ" in page.text


def test_a_tracking_key_longer_than_any_key_is_refused_not_cut_to_a_matching_one(
    client: TestClient, auth: Callable[[str], dict[str, str]]
) -> None:
    filed = client.post("/api/v1/dossiers", json=residence_filing(), headers=auth("nguyenvanan"))
    code, key = filed.json()["code"], filed.json()["access_key"]

    page = client.get("/tra-cuu", params={"ma": code, "k": key + "X" * 40})  # the right key, then more

    assert page.status_code == 422
    assert "Quá dài: tối đa 32 ký tự" in page.text
    assert "Too long: at most 32 characters" in page.text
    assert 'href="#f-k"' in page.text  # the summary points at the field
    assert "Đang xử lý" not in page.text
    assert "Chờ tiếp nhận" not in page.text
    assert (
        client.get("/tra-cuu", params={"ma": code, "k": key + "X"}).status_code == 404
    )  # longer: another key


def test_a_tracking_code_of_ten_thousand_characters_is_refused_on_its_field(client: TestClient) -> None:
    page = client.get("/tra-cuu", params={"ma": "H" * 10_000})

    assert page.status_code == 422
    assert "tối đa 60 ký tự (đã nhập 10000)" in page.text
    assert f'value="{"H" * 60}"' in page.text  # the field shows what it can hold, not 10,000 characters


def test_verification_refuses_an_overlong_hash_instead_of_cutting_it(client: TestClient) -> None:
    page = client.get("/xac-minh", params={"ma": "H29.12.3-260302-0001", "h": "a" * 129})

    assert page.status_code == 422
    assert "tối đa 128 ký tự" in page.text
    assert 'href="#f-h"' in page.text or 'id="f-h-error"' in page.text
