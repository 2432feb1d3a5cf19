"""Printed documents through the API: issued at the right moment, read back as a person reads them.

Every PDF here is rendered by the real WeasyPrint renderer and read back with poppler-utils (text, page size,
metadata) and zbar (QR codes), the way a citizen's or an officer's tools see it.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from engine.document.rendering import source_of
from engine.store.models import BpmnTimerRow, DocumentRow
from portal.wiring import Container
from portal.worker import run_cycle
from tests import pdf_tools
from tests.builders import (
    AN,
    APPROVE,
    ASK_SUPPLEMENT,
    BINH,
    LEADER,
    OFFICER,
    OFFICER_HK,
    PROPOSE_APPROVE,
    RETURN_AT_COUNTER,
    SPECIALIST,
    SUPERVISOR,
    SUPPLY,
    Api,
    birth_filing,
    error,
    ok,
    residence_filing,
    row_counts,
)

PUBLIC = "http://127.0.0.1:8000"
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc"


def documents(api: Api, code: str, kind: str, user: str = OFFICER) -> list[dict[str, Any]]:
    """The dossier's documents of one kind, as its detail lists them."""
    return [d for d in api.dossier(code, user)["documents"] if d["kind"] == kind]


def the(api: Api, code: str, kind: str, user: str = OFFICER) -> dict[str, Any]:
    """The dossier's one document of a kind."""
    found = documents(api, code, kind, user)
    assert len(found) == 1, found
    return found[0]


def download(api: Api, document: dict[str, Any], user: str = OFFICER) -> bytes:
    """GET the PDF (asserting 200 and its headers)."""
    response = api.client.get(document["href"], headers=api.auth(user))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content.startswith(b"%PDF-")
    return response.content


def pdf_of(api: Api, code: str, kind: str, user: str = OFFICER) -> bytes:
    """The PDF of the dossier's one document of a kind."""
    return download(api, the(api, code, kind, user), user)


def is_a5(pdf: bytes) -> bool:
    """Portrait A5 (148 × 210 mm)."""
    return pdf_tools.page_size(pdf) == pytest.approx(pdf_tools.A5, abs=0.5)


def supplement_at_reception(api: Api) -> str:
    """An online dossier the officer asks to supplement at reception (Mẫu 02), not yet received."""
    code = api.filed()
    ok(
        api.receive(
            code,
            body={
                "decision": "supplement",
                "missing_papers": [
                    {"paper": "Giấy tờ chứng minh chỗ ở hợp pháp", "reason": "Bản sao chưa được chứng thực"}
                ],
            },
        )
    )
    return code


class TestReceipt:
    def test_reception_issues_mau_01_with_the_code_times_papers_and_register_number(self, api: Api) -> None:
        code = api.received()  # filed 09:00, received Mon 02/03/2026 09:30: 7 working days

        receipt = the(api, code, "mau-01", AN)
        pdf = download(api, receipt, AN)
        text = pdf_tools.text(pdf)

        assert receipt["title"] == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
        assert MOTTO in text
        assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
        assert f"Mã hồ sơ: {code}" in text
        assert "Ông/Bà: Nguyễn Văn An" in text
        assert "Số định danh cá nhân: 001088012345" in text
        assert "Nội dung yêu cầu giải quyết: Đăng ký thường trú (mã thủ tục 1.004222)" in text
        assert "1 Tờ khai thay đổi thông tin cư trú (mẫu CT01) Bản chính 01" in pdf_tools.rows(pdf)
        assert "Bản sao có chứng thực" in text
        assert "Thời gian giải quyết hồ sơ theo quy định: 7 ngày làm việc" in text
        assert "Thời gian nhận hồ sơ: 09:30 ngày 02/03/2026" in text
        assert "Thời gian trả kết quả giải quyết hồ sơ: 09:30 ngày 11/03/2026" in text
        assert "Đăng ký nhận kết quả tại: Bộ phận Một cửa — UBND phường Ba Đình" in text
        assert "quyển số: 2026, số thứ tự: 01" in text
        assert "Ba Đình, ngày 02 tháng 03 năm 2026" in text
        assert "Lê Thu Hà" in text  # the officer who received it
        assert is_a5(pdf)

    def test_the_receipt_qr_opens_the_public_tracking_page(self, api: Api) -> None:
        code = api.received()

        [url] = pdf_tools.qr_codes(pdf_of(api, code, "mau-01"))

        assert url == f"{PUBLIC}/tra-cuu?ma={code}&k={api.key(code)}"
        assert f"Mã tra cứu: {api.key(code)}" in pdf_tools.text(pdf_of(api, code, "mau-01"))
        page = api.client.get(urlsplit(url).path + "?" + urlsplit(url).query)  # anonymous: one scan
        assert page.status_code == 200
        assert code in page.text
        assert "Đang xử lý" in page.text

    def test_register_numbers_run_from_01_per_agency_and_year(self, api: Api) -> None:
        first = api.received()
        second = api.received()
        api.at("2026-03-02T10:00")
        other = api.filed(body=residence_filing(agency="H29.12.5"))
        ok(api.receive(other, OFFICER_HK))

        assert the(api, first, "mau-01")["number"] == 1
        assert the(api, second, "mau-01")["number"] == 2
        assert the(api, other, "mau-01", OFFICER_HK)["number"] == 1
        assert "số thứ tự: 02" in pdf_tools.text(pdf_of(api, second, "mau-01"))

    def test_a_counter_filing_gets_its_receipt_at_once(self, api: Api) -> None:
        code = api.filed(OFFICER, birth_filing())

        text = pdf_tools.text(pdf_of(api, code, "mau-01"))

        assert "Ông/Bà: Lê Quang Huy" in text
        assert "Đăng ký khai sinh" in text
        assert "hình thức nộp: trực tiếp" in text
        assert "Thời gian trả kết quả giải quyết hồ sơ: 17:00 ngày 02/03/2026" in text

    def test_an_online_filing_not_yet_received_has_no_document(self, api: Api) -> None:
        code = api.filed()

        assert api.dossier(code, AN)["documents"] == []


class TestSupplementRequest:
    def test_at_reception_mau_02_lists_each_paper_and_why_and_the_receipt_follows_the_supplement(
        self, api: Api
    ) -> None:
        code = supplement_at_reception(api)

        pdf = pdf_of(api, code, "mau-02", AN)
        text = pdf_tools.text(pdf)
        assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
        assert "1 Giấy tờ chứng minh chỗ ở hợp pháp Bản sao chưa được chứng thực" in pdf_tools.rows(pdf)
        assert "Sau khi kiểm tra thành phần hồ sơ" in text
        assert documents(api, code, "mau-01") == []

        api.at("2026-03-03T14:15")
        ok(api.post(f"/dossiers/{code}/supplement", AN, SUPPLY))

        receipt = pdf_tools.text(pdf_of(api, code, "mau-01"))
        assert "Thời gian nhận hồ sơ: 14:15 ngày 03/03/2026" in receipt

    def test_during_appraisal_mau_02_carries_the_specialists_request(self, api: Api) -> None:
        code = api.received()
        api.complete_step(code, "appraisal", SPECIALIST, ASK_SUPPLEMENT)

        pdf = pdf_of(api, code, "mau-02")
        text = pdf_tools.text(pdf)

        assert "Sau khi thẩm định hồ sơ" in text
        assert "1 Hợp đồng thuê nhà có công chứng Bản đã nộp hết hiệu lực" in pdf_tools.rows(pdf)
        assert "Ý kiến: Thiếu giấy tờ chứng minh chỗ ở hợp pháp" in text
        assert "Phạm Minh Đức" in text
        assert is_a5(pdf)


class TestRefusalAndStop:
    def test_refusal_at_reception_issues_mau_03_with_the_reason(self, api: Api) -> None:
        code = api.filed()
        reason = "Địa chỉ đăng ký không thuộc địa bàn phường Ba Đình"
        ok(api.receive(code, body={"decision": "refuse", "refusal_reason": reason}))

        pdf = pdf_of(api, code, "mau-03", AN)
        text = pdf_tools.text(pdf)

        assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
        assert reason in text
        assert "Ông/Bà: Nguyễn Văn An" in text
        assert is_a5(pdf)
        assert documents(api, code, "mau-01") == []

    def test_withdrawal_issues_a_verifiable_stop_notice(self, api: Api) -> None:
        code = api.received()
        api.at("2026-03-04T08:00")
        ok(api.post(f"/dossiers/{code}/withdraw", AN, {"reason": "Gia đình chuyển đi nơi khác"}))

        notice = the(api, code, "stop-notice", AN)
        pdf = download(api, notice, AN)
        text = pdf_tools.text(pdf)

        assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text
        assert "Người nộp hồ sơ đề nghị rút hồ sơ" in text
        assert "Gia đình chuyển đi nơi khác" in text
        [url] = pdf_tools.qr_codes(pdf)
        assert url == f"{PUBLIC}/xac-minh?ma={code}&h={notice['content_hash']}"
        assert notice["content_hash"] in text

    def test_a_supplement_never_made_stops_the_dossier_with_a_notice(
        self, api: Api, container: Container
    ) -> None:
        code = api.received()
        api.complete_step(code, "appraisal", SPECIALIST, ASK_SUPPLEMENT)
        with container.transaction() as uow:
            [timer] = uow.session.exec(select(BpmnTimerRow)).all()
        api.clock.set(timer.due_at + timedelta(minutes=1))

        run_cycle(container)

        assert api.dossier(code, AN)["status"]["code"] == 8
        notice = the(api, code, "stop-notice", AN)
        assert notice["status"] == "rendered"  # the same worker cycle rendered it
        text = pdf_tools.text(download(api, notice, AN))
        assert "Quá thời hạn bổ sung, hoàn thiện hồ sơ theo yêu cầu mà người nộp chưa bổ sung" in text


class TestApology:
    def test_extension_issues_mau_04_with_old_and_new_appointment_signed_by_the_head(self, api: Api) -> None:
        code = api.received()
        api.at("2026-03-09T10:00")
        reason = "Cần xác minh thông tin chỗ ở với cơ quan quản lý nhà"
        ok(
            api.post(
                f"/dossiers/{code}/extension", LEADER, {"reason": reason, "new_due_at": "2026-03-16T16:00"}
            )
        )

        pdf = pdf_of(api, code, "mau-04", AN)
        text = pdf_tools.text(pdf)

        assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
        assert "Kính gửi: Ông/Bà Nguyễn Văn An" in text
        assert "Thời gian hẹn trả kết quả giải quyết hồ sơ: 09:30 ngày 11/03/2026" in text
        assert "hẹn lại thời gian trả kết quả vào 16:00 ngày 16/03/2026" in text
        assert reason in text
        assert "THỦ TRƯỞNG CƠ QUAN" in text
        assert "Hoàng Văn Hải" in text
        assert is_a5(pdf)


def walk_to_result(api: Api, approve: bool = True) -> str:
    """Received, a supplement during appraisal, supplied, appraised, approved (or refused), returned."""
    code = api.received()
    api.complete_step(code, "appraisal", SPECIALIST, ASK_SUPPLEMENT)
    api.at("2026-03-03T10:00")
    ok(api.post(f"/dossiers/{code}/supplement", AN, SUPPLY))
    api.at("2026-03-04T09:00")
    api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
    api.at("2026-03-05T15:00")
    decision = (
        APPROVE if approve else {"decision": "refuse", "reason": "Chỗ ở không bảo đảm diện tích tối thiểu"}
    )
    api.complete_step(code, "approval", LEADER, decision)
    api.at("2026-03-06T08:30")
    api.complete_step(code, "return", OFFICER, RETURN_AT_COUNTER)
    return code


class TestDossierWalkedThrough:
    """Done when: a dossier walked through the API leaves its receipt, supplement request, control sheet and
    result as correct Vietnamese PDFs whose QR codes work, and the register of the agency lists it."""

    def test_every_document_is_there_and_reads_right(self, api: Api) -> None:
        code = walk_to_result(api)

        kinds = [d["kind"] for d in api.dossier(code, AN)["documents"]]
        assert kinds == ["mau-01", "mau-02", "result"]

        result = the(api, code, "result", AN)
        pdf = download(api, result, AN)
        text = pdf_tools.text(pdf)
        assert "THÔNG BÁO KẾT QUẢ ĐĂNG KÝ THƯỜNG TRÚ" in text
        assert "Ông/Bà: Nguyễn Văn An, sinh ngày 14/05/1988, giới tính Nam." in text
        assert "Đã được đăng ký thường trú tại: Số 12, ngõ 34 phố Đội Cấn." in text
        assert "2 Nguyễn Minh Khang 21/03/2016 001216004567 Cháu nội" in pdf_tools.rows(pdf)
        assert "Ba Đình, ngày 05 tháng 03 năm 2026" in text
        assert "Hoàng Văn Hải" in text
        assert is_a5(pdf)
        assert pdf_tools.info(pdf)["Tagged"] == "yes"  # PDF/A-3a: tagged for screen readers

        control = ok(api.post(f"/dossiers/{code}/control-sheet", OFFICER))
        sheet = pdf_tools.text(download(api, control))
        assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in sheet
        assert "Giao: Nguyễn Văn An Nhận: Bộ phận Một cửa — UBND phường Ba Đình" in sheet
        assert "Thẩm định hồ sơ" in sheet
        assert "Đúng hạn" in sheet or "Trước hạn" in sheet

    def test_the_result_qr_opens_a_verification_page_without_personal_data(self, api: Api) -> None:
        code = walk_to_result(api)
        result = the(api, code, "result", AN)
        pdf = download(api, result, AN)

        [url] = pdf_tools.qr_codes(pdf)
        assert url == f"{PUBLIC}/xac-minh?ma={code}&h={result['content_hash']}"
        parts = urlsplit(url)
        page = api.client.get(f"{parts.path}?{parts.query}")

        assert page.status_code == 200
        assert "Văn bản hợp lệ" in page.text
        assert "UBND phường Ba Đình" in page.text
        assert code in page.text
        assert result["sha256"] is None or result["sha256"] in page.text
        for personal in ("Nguyễn Văn An", "001088012345", "0912345678", "Đội Cấn"):
            assert personal not in page.text

    def test_the_issued_file_verifies_and_one_changed_byte_does_not(self, api: Api) -> None:
        code = walk_to_result(api)
        result = the(api, code, "result", AN)
        pdf = download(api, result, AN)
        query = f"ma={code}&h={result['content_hash']}"

        same = ok(api.client.post(f"/api/v1/verify?{query}", content=pdf))
        assert same["file"]["match"] is True
        assert same["agency"] == {"code": "H29.12.3", "name": "UBND phường Ba Đình"}
        assert same["code"] == code
        assert "applicant" not in same

        changed = bytearray(pdf)
        changed[len(changed) // 2] ^= 0x01
        tampered = ok(api.client.post(f"/api/v1/verify?{query}", content=bytes(changed)))
        assert tampered["file"]["match"] is False

        page = api.client.get(f"/xac-minh?{query}&sha256={hashlib.sha256(bytes(changed)).hexdigest()}")
        assert "Không trùng khớp" in page.text

    def test_the_register_of_the_agency_lists_it(self, api: Api) -> None:
        code = walk_to_result(api)

        page = ok(api.get("/agencies/H29.12.3/register/2026", OFFICER))
        [line] = page["entries"]
        assert line["number"] == 1
        assert line["code"] == code
        assert line["applicant"] == "Nguyễn Văn An"
        assert line["received_at"] == "2026-03-02T09:30:00+07:00"
        assert line["returned_at"] == "2026-03-06T08:30:00+07:00"
        assert line["return_method"] == "Trực tiếp tại Bộ phận Một cửa"

        issued = api.post("/agencies/H29.12.3/register/2026/document", SUPERVISOR)
        assert issued.status_code == 201
        pdf = download(api, issued.json(), SUPERVISOR)
        text = pdf_tools.text(pdf)
        assert "SỔ THEO DÕI HỒ SƠ" in text
        [row] = [r for r in pdf_tools.rows(pdf) if code in r]
        assert row.startswith(f"01 {code} Đăng ký thường trú Nguyễn Văn An")
        assert "09:30 ngày" in row
        assert "Trực tiếp tại Bộ" in row
        assert pdf_tools.page_size(pdf) == pytest.approx(pdf_tools.A4_LANDSCAPE, abs=0.5)

        again = api.post("/agencies/H29.12.3/register/2026/document", OFFICER)
        assert again.status_code == 200
        assert again.json()["id"] == issued.json()["id"]

    def test_a_refusal_at_approval_gives_the_reasoned_refusal_as_result(self, api: Api) -> None:
        code = walk_to_result(api, approve=False)

        text = pdf_tools.text(pdf_of(api, code, "result", AN))

        assert "THÔNG BÁO TỪ CHỐI GIẢI QUYẾT HỒ SƠ" in text
        assert "Chỗ ở không bảo đảm diện tích tối thiểu" in text

    def test_a_birth_registration_result_is_the_birth_certificate(self, api: Api) -> None:
        code = api.filed(OFFICER, birth_filing())
        api.at("2026-03-02T10:00")
        api.complete_step(code, "appraisal", SPECIALIST, {"decision": "propose_approve", "opinion": "Hợp lệ"})
        api.at("2026-03-02T11:00")
        api.complete_step(code, "approval", LEADER, APPROVE)

        pdf = pdf_of(api, code, "result")
        text = pdf_tools.text(pdf)

        assert "GIẤY KHAI SINH" in text
        assert "Họ, chữ đệm, tên: LÊ MINH ANH" in text
        assert "Ngày, tháng, năm sinh: 20/02/2026" in text
        assert "Họ, chữ đệm, tên người mẹ: Phạm Thu Hà" in text
        assert "ngày đăng ký: 02/03/2026" in text
        assert len(pdf_tools.qr_codes(pdf)) == 1


class TestControlSheet:
    def test_the_same_log_gives_back_the_same_sheet_and_a_longer_log_a_new_one(self, api: Api) -> None:
        code = api.received()
        first = api.post(f"/dossiers/{code}/control-sheet", OFFICER)
        assert first.status_code == 201
        same = api.post(f"/dossiers/{code}/control-sheet", SPECIALIST)
        assert same.status_code == 200
        assert same.json()["id"] == first.json()["id"]

        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        later = api.post(f"/dossiers/{code}/control-sheet", OFFICER)

        assert later.status_code == 201
        assert later.json()["number"] == first.json()["number"] + 1
        assert is_a5(download(api, later.json()))

    def test_citizens_and_other_agencies_may_not_issue_it(self, api: Api) -> None:
        code = api.received()

        error(api.post(f"/dossiers/{code}/control-sheet", AN), 403)
        error(api.post(f"/dossiers/{code}/control-sheet", OFFICER_HK), 404, "DossierNotFound")
        error(api.post(f"/dossiers/{code}/control-sheet", None), 401)


class TestWhoMayDownload:
    def test_whoever_may_see_the_dossier_and_nobody_else(self, api: Api) -> None:
        code = api.received()
        receipt = the(api, code, "mau-01")

        for user in (AN, OFFICER, SPECIALIST, SUPERVISOR):
            assert api.client.get(receipt["href"], headers=api.auth(user)).status_code == 200
        for user in (BINH, OFFICER_HK):
            error(api.client.get(receipt["href"], headers=api.auth(user)), 404, "DocumentNotFound")
        error(api.client.get(receipt["href"]), 401)
        missing = api.client.get("/api/v1/documents/999999", headers=api.auth(OFFICER))
        assert error(missing, 404, "DocumentNotFound")["message"] == "Không tìm thấy văn bản số 999999."

    def test_the_register_is_for_its_agency_only(self, api: Api) -> None:
        api.received()

        error(api.get("/agencies/H29.12.3/register/2026", AN), 403)
        error(api.get("/agencies/H29.12.3/register/2026", OFFICER_HK), 403)
        error(api.post("/agencies/H29.12.3/register/2026/document", OFFICER_HK), 403)
        error(api.get("/agencies/H99.1/register/2026", OFFICER), 404, "AgencyNotFound")
        body = error(api.get("/agencies/H29.12.3/register/1899", OFFICER), 422)
        assert "year" in body["fields"]

    def test_the_register_pages_by_entry_number(self, api: Api) -> None:
        codes = [api.received() for _ in range(3)]

        first = ok(api.get("/agencies/H29.12.3/register/2026", OFFICER, limit=2))
        rest = ok(api.get("/agencies/H29.12.3/register/2026", OFFICER, after=first["next"], limit=2))

        assert [e["code"] for e in first["entries"]] == codes[:2]
        assert [e["number"] for e in rest["entries"]] == [3]
        assert rest["next"] is None


class TestVerificationInputs:
    def test_malformed_and_unknown_are_told_apart(self, api: Api) -> None:
        code = api.received()
        receipt = the(api, code, "mau-01")

        body = error(api.get("/verify", None, ma="not-a-code", h="xyz"), 422)
        assert set(body["fields"]) == {"ma", "h"}
        error(api.get("/verify", None, ma=code, h="0" * 64), 404, "DocumentNotIssued")
        error(api.get("/verify", None, ma="H29.12.5-260302-0001", h=receipt["content_hash"]), 404)
        found = ok(api.get("/verify", None, ma=code, h=receipt["content_hash"]))
        assert found["kind"] == "mau-01"
        assert found["number"] == 1
        empty = api.client.post(f"/api/v1/verify?ma={code}&h={receipt['content_hash']}", content=b"")
        error(empty, 422)

    def test_the_page_says_what_is_wrong(self, api: Api) -> None:
        code = api.received()

        assert api.client.get("/xac-minh").status_code == 200
        malformed = api.client.get("/xac-minh?ma=abc&h=1")
        assert malformed.status_code == 422
        assert "Mã hồ sơ không đúng định dạng" in malformed.text
        unknown = api.client.get(f"/xac-minh?ma={code}&h={'a' * 64}")
        assert unknown.status_code == 404
        assert "Không có văn bản nào với mã xác thực này" in unknown.text


class TestRendering:
    def test_the_same_record_renders_to_the_same_bytes(self, api: Api, container: Container) -> None:
        code = api.received()
        receipt = the(api, code, "mau-01")

        first, second = download(api, receipt), download(api, receipt)
        with container.transaction() as uow:
            row = uow.session.get(DocumentRow, receipt["id"])
            assert row is not None
            again = container.document_renderer().render(source_of(row))

        assert first == second == again
        stored = the(api, code, "mau-01")
        assert stored["status"] == "rendered"
        assert stored["sha256"] == hashlib.sha256(first).hexdigest()
        info = pdf_tools.info(first)
        assert info["CreationDate"].startswith("Mon Mar  2 02:30:00 2026")  # the receipt's own time (UTC)
        assert info["Title"] == f"Giấy tiếp nhận hồ sơ và hẹn trả kết quả — {code}"

    def test_the_worker_renders_pending_documents(self, api: Api, container: Container) -> None:
        code = api.received()
        assert the(api, code, "mau-01")["status"] == "pending"

        cycle = run_cycle(container)

        assert cycle.failed == {}
        assert cycle.done["documents"] == 1
        rendered = the(api, code, "mau-01")
        assert rendered["status"] == "rendered"
        assert rendered["sha256"]
        assert run_cycle(container).done["documents"] == 0

    def test_a_refused_request_writes_no_document(self, api: Api, container: Container) -> None:
        code = api.filed()
        before = row_counts(container)

        error(api.receive(code, body={"decision": "refuse"}), 422)

        assert row_counts(container) == before
