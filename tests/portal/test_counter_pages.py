"""The one-stop counter's pages (`/mot-cua`), signed in through the development sign-in, on both backends."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient
from sqlmodel import select

from engine.store.models import DossierRow
from integrations.residents.simulator import FaultMode, FaultRule, Simulator
from portal.wiring import Container
from tests import pdf_tools
from tests.builders import (
    AN,
    APPLICANT_BINH,
    APPROVE,
    BINH,
    HOAN_KIEM,
    LEADER,
    OFFICER,
    OFFICER_HK,
    PROPOSE_APPROVE,
    SPECIALIST,
    Api,
    residence_filing,
    residence_form_of_binh,
    row_counts,
)
from tests.portal.conftest import Browse, csrf_of

COMPLETE = {
    "checklist.ct01.received": "original",
    "checklist.residence_proof.received": "certified_copy",
    "checklist.owner_consent.received": "missing",
}
RECEIPT_LINK = re.compile(
    r'href="(/mot-cua/van-ban/\d+)"[^>]*id="print-receipt"|id="print-receipt"[^>]*href="([^"]+)"'
)


def post_page(client: TestClient, page_url: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Open a page and post its form to `action` with the page's CSRF token, as a browser does."""
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    return client.post(action, data={"csrf": csrf_of(page), **data}, follow_redirects=False)


def decide(client: TestClient, code: str, data: dict[str, str]) -> httpx.Response:
    """Post the reception form of a dossier."""
    return post_page(client, f"/mot-cua/{code}", f"/mot-cua/{code}/tiep-nhan", data)


def receipt_url(page: httpx.Response) -> str:
    """The print link of the receipt (Mẫu 01) on a page."""
    match = re.search(r'<a[^>]*id="print-receipt"[^>]*>', page.text)
    assert match, "no receipt link on the page"
    href = re.search(r'href="([^"]+)"', match.group(0))
    assert href
    return href.group(1)


class TestQueue:
    def test_only_the_agencys_waiting_dossiers_oldest_first(self, api: Api, browse: Browse) -> None:
        first = api.filed(AN)
        api.at("2026-03-02T09:10")
        second = api.filed(AN)
        accepted = api.received(at="2026-03-02T09:20")
        elsewhere = api.filed(
            BINH, residence_filing(agency=HOAN_KIEM, applicant=APPLICANT_BINH, form=residence_form_of_binh())
        )

        page = browse(OFFICER).get("/mot-cua")

        assert page.status_code == 200
        codes = re.findall(r'<tr class="govuk-table__row" data-code="([^"]+)"', page.text)
        assert codes == [first, second]
        assert accepted not in page.text
        assert elsewhere not in page.text
        assert "Khớp CSDL dân cư" in page.text
        assert "09:00 02/03/2026" in page.text

    def test_the_queue_in_english(self, api: Api, browse: Browse) -> None:
        api.filed(AN)

        page = browse(OFFICER).get("/mot-cua?lang=en")

        assert 'lang="en"' in page.text
        assert "Dossiers waiting for reception" in page.text
        assert "Matches the population database" in page.text

    def test_an_anonymous_visitor_is_sent_to_sign_in(self, browse: Browse) -> None:
        response = browse().get("/mot-cua", follow_redirects=False)

        assert response.status_code == 303
        assert response.headers["location"].startswith("/dang-nhap?next=/mot-cua")

    def test_a_cursor_past_any_id_is_the_first_page(self, api: Api, browse: Browse) -> None:
        code = api.filed(AN)

        page = browse(OFFICER).get("/mot-cua?sau=99999999999999999999")

        assert page.status_code == 200
        assert code in page.text

    def test_a_citizen_gets_the_403_page(self, browse: Browse) -> None:
        page = browse(AN).get("/mot-cua")

        assert page.status_code == 403
        assert "text/html" in page.headers["content-type"]
        assert "không có quyền" in page.text


class TestReception:
    def test_accept_then_the_receipt_prints(self, api: Api, browse: Browse) -> None:
        code = api.filed(AN)
        officer = browse(OFFICER)

        done = decide(officer, code, {**COMPLETE, "decision": "accept"})

        assert done.status_code == 303, done.text
        page = officer.get(done.headers["location"])
        assert "Đã tiếp nhận hồ sơ" in page.text
        assert api.dossier(code)["status"]["code"] == 4
        pdf = officer.get(receipt_url(page))
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        text = pdf_tools.text(pdf.content)
        assert "GIẤY TIẾP NHẬN HỒ SƠ" in text.upper()
        assert code in text

    def test_the_page_shows_applicant_answers_papers_and_the_registry_check(
        self, api: Api, browse: Browse
    ) -> None:
        code = api.filed(AN)

        page = browse(OFFICER).get(f"/mot-cua/{code}")

        assert page.status_code == 200
        assert "Nguyễn Văn An" in page.text
        assert "Tờ khai thay đổi thông tin cư trú (mẫu CT01)" in page.text
        assert "Khớp CSDL dân cư" in page.text
        assert 'name="checklist.ct01.received"' in page.text

    def test_uploaded_papers_link_to_their_files(
        self, api: Api, browse: Browse, container: Container
    ) -> None:
        code = api.filed(AN)
        with container.transaction() as uow:
            dossier = uow.session.exec(select(DossierRow).where(DossierRow.code == code)).one()
            dossier.papers = [{"key": "ct01", "copies": "original", "uploads": [7, 8]}]
            uow.session.add(dossier)

        page = browse(OFFICER).get(f"/mot-cua/{code}")

        assert 'href="/api/v1/uploads/7"' in page.text
        assert 'href="/api/v1/uploads/8"' in page.text

    def test_supplement_with_two_missing_papers_lists_both_on_mau_02(self, api: Api, browse: Browse) -> None:
        code = api.filed(AN)
        officer = browse(OFFICER)

        done = decide(
            officer,
            code,
            {
                **COMPLETE,
                "checklist.ct01.received": "missing",
                "checklist.ct01.note": "Chưa có tờ khai CT01 có chữ ký",
                "checklist.residence_proof.received": "photocopy",
                "checklist.residence_proof.note": "Hợp đồng thuê nhà chưa được chứng thực",
                "decision": "supplement",
            },
        )

        assert done.status_code == 303, done.text
        assert api.dossier(code)["status"]["code"] == 5
        page = officer.get(done.headers["location"])
        link = re.search(r'href="(/mot-cua/van-ban/\d+)"[^>]*>Phiếu yêu cầu bổ sung', page.text)
        assert link, page.text
        text = pdf_tools.text(officer.get(link.group(1)).content)
        assert "Chưa có tờ khai CT01 có chữ ký" in text
        assert "Hợp đồng thuê nhà chưa được chứng" in text  # the table's cells wrap
        assert "1 Tờ khai thay đổi thông tin cư trú (mẫu CT01)" in text
        assert "2 Giấy tờ, tài liệu chứng minh chỗ ở hợp" in text
        assert "3 " not in text.split("Lý do", 1)[1].split("Yêu cầu bổ sung được đưa ra")[0]

    def test_refuse_without_a_reason_is_422_with_the_error_summary_and_nothing_changes(
        self, api: Api, browse: Browse, container: Container
    ) -> None:
        code = api.filed(AN)
        before = row_counts(container)

        page = decide(browse(OFFICER), code, {**COMPLETE, "decision": "refuse"})

        assert page.status_code == 422
        assert "govuk-error-summary" in page.text
        assert 'href="#f-refusal_reason"' in page.text
        assert 'id="f-refusal_reason"' in page.text
        assert row_counts(container) == before
        assert api.dossier(code)["status"]["code"] == 1

    def test_accept_with_a_missing_paper_is_422_on_the_decision(self, api: Api, browse: Browse) -> None:
        code = api.filed(AN)

        page = decide(
            browse(OFFICER),
            code,
            {
                **COMPLETE,
                "checklist.ct01.received": "missing",
                "checklist.ct01.note": "Thiếu",
                "decision": "accept",
            },
        )

        assert page.status_code == 422
        assert 'href="#f-decision"' in page.text
        assert api.dossier(code)["status"]["code"] == 1

    def test_a_document_id_out_of_range_is_404(self, browse: Browse) -> None:
        page = browse(OFFICER).get("/mot-cua/van-ban/9999999999")

        assert page.status_code == 404

    def test_another_agencys_officer_gets_404(self, api: Api, browse: Browse) -> None:
        code = api.filed(AN)

        page = browse(OFFICER_HK).get(f"/mot-cua/{code}")

        assert page.status_code == 404
        assert "Không tìm thấy hồ sơ" in page.text

    def test_a_stale_double_accept_shows_a_notice_and_the_current_state(
        self, api: Api, browse: Browse
    ) -> None:
        code = api.filed(AN)
        first, second = browse(OFFICER), browse(OFFICER)
        stale_page = second.get(f"/mot-cua/{code}")
        assert decide(first, code, {**COMPLETE, "decision": "accept"}).status_code == 303

        page = second.post(
            f"/mot-cua/{code}/tiep-nhan",
            data={
                "csrf": csrf_of(stale_page),
                **COMPLETE,
                "decision": "accept",
                "version": _version(stale_page),
            },
            follow_redirects=False,
        )

        assert page.status_code == 409
        assert "text/html" in page.headers["content-type"]
        assert 'id="stale"' in page.text
        assert "cán bộ khác" in page.text
        assert "Đang xử lý" in page.text  # the dossier as it now stands
        assert 'id="reception"' not in page.text


class TestVerification:
    def test_unverified_in_the_queue_then_checked_in_person(
        self, api: Api, browse: Browse, residents_sim: Simulator
    ) -> None:
        residents_sim.add_fault(FaultRule(FaultMode.ERROR))
        code = api.filed(AN)
        residents_sim.clear_faults()
        officer = browse(OFFICER)
        assert "Chưa kiểm tra" in officer.get("/mot-cua").text

        refused = post_page(officer, f"/mot-cua/{code}", f"/mot-cua/{code}/xac-minh", {"method": "in_person"})
        assert refused.status_code == 422
        assert 'href="#f-verify_note"' in refused.text

        done = post_page(
            officer,
            f"/mot-cua/{code}",
            f"/mot-cua/{code}/xac-minh",
            {"method": "in_person", "verify_note": "Thẻ Căn cước bản gốc số 001088012345"},
        )

        assert done.status_code == 303, done.text
        assert "Khớp CSDL dân cư" in officer.get("/mot-cua").text
        assert api.dossier(code)["verification"]["state"] == "verified_in_person"


def _version(page: httpx.Response) -> str:
    match = re.search(r'name="version" value="(\d+)"', page.text)
    assert match
    return match.group(1)


BIRTH_FORM = {
    "procedure": "1.001193",
    "applicant.full_name": "Lê Quang Huy",
    "applicant.identity_number": "001092034519",
    "applicant.phone": "0987654321",
    "form.child.full_name": "Lê Minh Anh",
    "form.child.sex": "Nữ",
    "form.child.date_of_birth": "20/02/2026",
    "form.child.place_of_birth": "Bệnh viện Phụ sản Hà Nội, phường Láng, thành phố Hà Nội",
    "form.child.ethnicity": "Kinh",
    "form.child.nationality": "Việt Nam",
    "form.mother.full_name": "Phạm Thu Hà",
    "form.mother.date_of_birth": "19/07/1994",
    "form.mother.identity_number": "001194012876",
    "form.mother.ethnicity": "Kinh",
    "form.mother.nationality": "Việt Nam",
    "form.mother.residence": "Số 8 ngõ 15 phố Chùa Láng, phường Láng, thành phố Hà Nội",
    "form.declarant.full_name": "Lê Quang Huy",
    "form.declarant.identity_number": "001092034519",
    "form.declarant.relation_to_child": "Cha",
    "form.declarant.phone": "0987654321",
    "form.birth_certificate_number": "01234/GCS",
    "checklist.declaration.received": "original",
    "checklist.birth_certificate.received": "original",
    "checklist.applicant_id.received": "photocopy",
    "action": "file",
}


class TestCounterFiling:
    def test_the_walk_in_citizen_is_found_by_number_in_a_post_and_the_form_prefilled(
        self, browse: Browse
    ) -> None:
        officer = browse(OFFICER)

        page = post_page(
            officer,
            "/mot-cua/nop-truc-tiep",
            "/mot-cua/nop-truc-tiep",
            {"procedure": "1.001193", "identity_number": "001092034519", "action": "lookup"},
        )

        assert page.status_code == 200, page.text
        assert 'value="Lê Quang Huy"' in page.text
        assert "Điền sẵn từ Cơ sở dữ liệu quốc gia về dân cư" in page.text
        assert 'name="checklist.birth_certificate.received"' in page.text

    def test_a_birth_registration_filed_at_the_counter_is_received_with_a_receipt(
        self, api: Api, browse: Browse
    ) -> None:
        officer = browse(OFFICER)

        done = post_page(officer, "/mot-cua/nop-truc-tiep", "/mot-cua/nop-truc-tiep", BIRTH_FORM)

        assert done.status_code == 303, done.text
        code = done.headers["location"].split("/")[2].split("?")[0]
        detail = api.dossier(code)
        assert detail["status"]["code"] == 4
        assert detail["channel"] == "counter"
        assert [t["to"] for t in detail["timeline"]][:3] == [1, 2, 4]
        page = officer.get(done.headers["location"])
        text = pdf_tools.text(officer.get(receipt_url(page)).content)
        assert code in text
        assert "Lê Quang Huy" in text

    def test_a_missing_paper_at_the_counter_files_nothing(self, browse: Browse, container: Container) -> None:
        before = row_counts(container)

        page = post_page(
            browse(OFFICER),
            "/mot-cua/nop-truc-tiep",
            "/mot-cua/nop-truc-tiep",
            {
                **BIRTH_FORM,
                "checklist.birth_certificate.received": "missing",
                "checklist.birth_certificate.note": "Chưa có giấy chứng sinh",
            },
        )

        assert page.status_code == 422
        assert 'href="#f-checklist-birth_certificate-received"' in page.text
        assert row_counts(container)["dossier"] == before["dossier"]

    def test_with_the_registry_down_the_officer_types_the_form_in(
        self, browse: Browse, residents_sim: Simulator
    ) -> None:
        residents_sim.add_fault(FaultRule(FaultMode.ERROR))

        page = post_page(
            browse(OFFICER),
            "/mot-cua/nop-truc-tiep",
            "/mot-cua/nop-truc-tiep",
            {"procedure": "1.001193", "identity_number": "001092034519", "action": "lookup"},
        )

        assert page.status_code == 200
        assert 'id="lookup-notice"' in page.text
        assert 'name="form.child.full_name"' in page.text
        assert 'value="001092034519"' in page.text

    def test_an_unknown_number_is_an_error_on_the_field(self, browse: Browse) -> None:
        page = post_page(
            browse(OFFICER),
            "/mot-cua/nop-truc-tiep",
            "/mot-cua/nop-truc-tiep",
            {"procedure": "1.001193", "identity_number": "12345", "action": "lookup"},
        )

        assert page.status_code == 422
        assert 'href="#f-identity_number"' in page.text


class TestResults:
    def test_a_finished_dossier_is_returned_at_the_counter(self, api: Api, browse: Browse) -> None:
        code = api.received()
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        api.complete_step(code, "approval", LEADER, APPROVE)
        officer = browse(OFFICER)
        listed = officer.get("/mot-cua/tra-ket-qua")
        assert code in listed.text

        done = officer.post(
            f"/mot-cua/{code}/tra-ket-qua",
            data={"csrf": csrf_of(listed), "data.method": "counter", "back": "list"},
            follow_redirects=False,
        )

        assert done.status_code == 303, done.text
        assert api.dossier(code)["status"]["code"] == 10
        after = officer.get(done.headers["location"])
        assert "Đã trả kết quả" in after.text
        assert code not in after.text

    def test_returning_twice_shows_the_current_state(self, api: Api, browse: Browse) -> None:
        code = api.received()
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        api.complete_step(code, "approval", LEADER, APPROVE)
        officer = browse(OFFICER)
        page = officer.get(f"/mot-cua/{code}")
        assert 'id="return"' in page.text
        data = {"csrf": csrf_of(page), "data.method": "online"}
        assert (
            officer.post(f"/mot-cua/{code}/tra-ket-qua", data=data, follow_redirects=False).status_code == 303
        )

        again = officer.post(f"/mot-cua/{code}/tra-ket-qua", data=data, follow_redirects=False)

        assert again.status_code == 409
        assert 'id="stale"' in again.text
        assert "Đã trả kết quả" in again.text
