"""The citizen's pages signed in through the development sign-in: my dossiers, one dossier, withdrawal."""

from __future__ import annotations

from fastapi.testclient import TestClient

from portal.wiring import Container
from tests.builders import (
    AN,
    APPLICANT_BINH,
    ASK_SUPPLEMENT,
    BINH,
    OFFICER,
    SPECIALIST,
    Api,
    ok,
    residence_filing,
    residence_form_of_binh,
    row_counts,
)
from tests.portal.conftest import Browse, csrf_of, post_form

REASON = "Gia đình thay đổi kế hoạch chuyển nhà"


def filed_by_binh(api: Api) -> str:
    """A dossier of Trần Thị Bình."""
    return api.filed(BINH, residence_filing(applicant=dict(APPLICANT_BINH), form=residence_form_of_binh()))


class TestMyDossiers:
    def test_signed_out_it_asks_to_sign_in(self, browse: Browse) -> None:
        page = browse().get("/ho-so", follow_redirects=False)

        assert page.status_code == 303
        assert page.headers["location"] == "/dang-nhap?next=/ho-so"

    def test_lists_only_mine_with_status_step_and_time_left(self, api: Api, browse: Browse) -> None:
        mine = api.received()  # received Monday 09:30, in appraisal, 7 working days
        theirs = filed_by_binh(api)

        page = browse(AN).get("/ho-so")

        assert page.status_code == 200
        assert f'href="/ho-so/{mine}"' in page.text
        assert theirs not in page.text
        assert "Đăng ký thường trú" in page.text
        assert "Đang xử lý" in page.text
        assert "Thẩm định hồ sơ" in page.text
        assert "Còn 7 ngày làm việc" in page.text

    def test_overdue_is_said_in_working_days(self, api: Api, browse: Browse) -> None:
        api.received()
        api.at("2026-03-13T09:30")  # two working days after the due time (Wednesday 11/03 09:30)

        page = browse(AN).get("/ho-so")

        assert "Quá hạn 2 ngày làm việc" in page.text

    def test_staff_see_their_agencys_list(self, api: Api, browse: Browse) -> None:
        code = api.filed()

        page = browse(OFFICER).get("/ho-so")

        assert "Hồ sơ của cơ quan" in page.text
        assert code in page.text
        assert "Tính từ khi tiếp nhận" in page.text

    def test_drafts_have_their_place(self, browse: Browse) -> None:
        page = browse(AN).get("/ho-so")

        assert page.status_code == 200
        assert "Bạn chưa có hồ sơ nào." in page.text


class TestOneDossier:
    def test_the_deadline_timeline_and_documents_are_explained(self, api: Api, browse: Browse) -> None:
        code = api.received()

        page = browse(AN).get(f"/ho-so/{code}")

        assert page.status_code == 200
        text = page.text
        assert "Thời hạn giải quyết" in text
        assert "7 ngày làm việc" in text
        assert "09:30 02/03/2026" in text  # received
        assert "Tiếp nhận trong giờ làm việc" in text  # why the count starts then
        assert "Thứ Bảy" in text  # the skipped days by name
        assert "Chủ nhật" in text
        assert "09:30 11/03/2026" in text  # due
        assert "Mới đăng ký" in text  # the timeline
        assert "Đang xử lý" in text
        assert 'href="/van-ban/' in text  # the receipt (Mẫu 01) as a PDF
        assert f'action="/ho-so/{code}/rut-ho-so"' in text

    def test_asked_for_a_supplement_the_page_links_to_it(self, api: Api, browse: Browse) -> None:
        code = api.received()
        api.at("2026-03-03T09:30")
        api.complete_step(code, "appraisal", SPECIALIST, ASK_SUPPLEMENT)

        text = browse(AN).get(f"/ho-so/{code}").text

        assert "Yêu cầu bổ sung giấy tờ" in text
        assert f'href="/ho-so/{code}/bo-sung"' in text
        assert "Tạm dừng, còn" in text  # the clock stopped, with what is left
        assert "Tạm dừng tính thời gian" in text  # the pause in the deadline's explanation

    def test_another_citizens_dossier_is_the_404_page(self, api: Api, browse: Browse) -> None:
        code = filed_by_binh(api)

        page = browse(AN).get(f"/ho-so/{code}")

        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert f"Không tìm thấy hồ sơ «{code}»." in page.text
        assert "Trần Thị Bình" not in page.text

    def test_the_receipt_downloads_as_a_pdf_for_the_owner_only(self, api: Api, browse: Browse) -> None:
        code = api.received()
        page = browse(AN).get(f"/ho-so/{code}")
        href = page.text.split('href="/van-ban/', 1)[1].split('"', 1)[0]

        pdf = browse(AN).get(f"/van-ban/{href}")
        stranger = browse(BINH).get(f"/van-ban/{href}")

        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        assert stranger.status_code == 404
        assert stranger.headers["content-type"].startswith("text/html")


class TestWithdraw:
    def test_without_a_reason_422_with_the_error_summary_and_nothing_changed(
        self, api: Api, browse: Browse, container: Container
    ) -> None:
        code = api.filed()
        client = browse(AN)
        rows = row_counts(container)

        page = post_form(client, f"/ho-so/{code}/rut-ho-so", {"reason": "  "})

        assert page.status_code == 422
        assert "govuk-error-summary" in page.text
        assert 'href="#f-reason"' in page.text
        assert "Vui lòng nêu lý do rút hồ sơ." in page.text
        assert row_counts(container) == rows
        assert api.dossier(code, AN)["status"]["code"] == 1

    def test_with_a_reason_it_asks_once_more_then_withdraws(self, api: Api, browse: Browse) -> None:
        code = api.received()
        client = browse(AN)

        confirm = post_form(client, f"/ho-so/{code}/rut-ho-so", {"reason": REASON})
        assert confirm.status_code == 200
        assert "Bạn có chắc muốn rút hồ sơ này?" in confirm.text
        assert api.dossier(code, AN)["status"]["code"] == 4  # nothing written yet
        version = confirm.text.split('name="version" value="', 1)[1].split('"', 1)[0]

        done = client.post(
            f"/ho-so/{code}/rut-ho-so",
            data={"csrf": csrf_of(confirm), "reason": REASON, "version": version, "xac-nhan": "1"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        page = client.get(done.headers["location"])

        assert "Công dân yêu cầu rút hồ sơ" in page.text
        assert "Bạn đã rút hồ sơ." in page.text
        assert REASON in page.text  # the timeline's note
        assert f'action="/ho-so/{code}/rut-ho-so"' not in page.text  # nothing left to do

    def test_without_csrf_403_and_nothing_changed(self, api: Api, browse: Browse) -> None:
        code = api.filed()

        page = browse(AN).post(
            f"/ho-so/{code}/rut-ho-so", data={"reason": REASON, "xac-nhan": "1"}, follow_redirects=False
        )

        assert page.status_code == 403
        assert api.dossier(code, AN)["status"]["code"] == 1

    def test_a_dossier_that_changed_meanwhile_shows_its_state_and_a_notice(
        self, api: Api, browse: Browse
    ) -> None:
        code = api.filed()
        client = browse(AN)
        confirm = post_form(client, f"/ho-so/{code}/rut-ho-so", {"reason": REASON})
        version = confirm.text.split('name="version" value="', 1)[1].split('"', 1)[0]
        ok(api.receive(code))  # the officer receives it in between

        page = client.post(
            f"/ho-so/{code}/rut-ho-so",
            data={"csrf": csrf_of(confirm), "reason": REASON, "version": version, "xac-nhan": "1"},
            follow_redirects=False,
        )

        assert page.status_code == 409
        assert page.headers["content-type"].startswith("text/html")
        assert "Hồ sơ vừa được cập nhật" in page.text
        assert "Đang xử lý" in page.text  # the current state, with the form offered again
        assert api.dossier(code, AN)["status"]["code"] == 4

    def test_another_citizen_cannot_withdraw_it(self, api: Api, browse: Browse) -> None:
        code = api.filed()
        client = browse(BINH)
        token = csrf_of(client.get("/ho-so"))

        page = client.post(
            f"/ho-so/{code}/rut-ho-so", data={"csrf": token, "reason": REASON, "xac-nhan": "1"}
        )

        assert page.status_code == 404
        assert api.dossier(code, AN)["status"]["code"] == 1


def test_the_english_page_is_in_english(api: Api, browse: Browse) -> None:
    code = api.received()
    client: TestClient = browse(AN)

    page = client.get(f"/ho-so/{code}", params={"lang": "en"})

    assert "Time left" in page.text
    assert "7 working days left" in page.text
    assert '<dd class="govuk-summary-list__value">7 working days</dd>' in page.text  # the legal deadline
    assert "Being processed" in page.text  # the status, in the summary and the timeline
    assert "On time" in page.text  # where it stands (base.po words «Trong hạn» so)


def test_odd_cursors_and_ids_in_the_address_are_harmless(api: Api, browse: Browse) -> None:
    code = api.filed()
    client = browse(AN)

    for cursor in ("99999999999999999999", "abc", "²", "-1"):
        page = client.get("/ho-so", params={"truoc": cursor})
        assert page.status_code == 200, cursor
        assert code in page.text
    for document_id in ("99999999999999999999", "x", "0"):
        page = client.get(f"/van-ban/{document_id}")
        assert page.status_code == 404, document_id
        assert page.headers["content-type"].startswith("text/html")


def test_the_dossier_page_shows_the_access_key_and_tracking_needs_no_key_signed_in(
    api: Api, browse: Browse, client: TestClient
) -> None:
    code = api.received()
    key = api.key(code)
    an = browse(AN)

    page = an.get(f"/ho-so/{code}")
    tracked = an.get("/tra-cuu", params={"ma": code})  # signed in as the owner: no key needed

    assert page.status_code == 200, page.text
    assert f'id="access-key">{key}<' in page.text
    link = f"/tra-cuu?ma={code}&k={key}"
    assert link.replace("&", "&amp;") in page.text
    assert client.get(link).status_code == 200  # anonymous, with the key
    assert tracked.status_code == 200
    assert "Đang xử lý" in tracked.text
    assert browse(BINH).get("/tra-cuu", params={"ma": code}).status_code == 404
