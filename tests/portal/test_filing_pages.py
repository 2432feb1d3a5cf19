"""The citizen's filing in the browser, without JavaScript: every step a plain form, saved as a draft.

A page test posts what a browser posts: the fields present on the page, the page's CSRF token.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient

from portal.wiring import Container
from tests.builders import (
    AN,
    BA_DINH,
    BINH,
    BIRTH,
    OFFICER,
    RESIDENCE,
    SPECIALIST,
    Api,
    birth_form,
    ok,
    residence_form,
)
from tests.integration.test_versioned_eform import publish_occupation
from tests.portal.conftest import Browse, csrf_of
from tests.upload_builders import exe, pdf, png
from tests.versions import restore_versions

__all__ = ["restore_versions"]

START = f"/thu-tuc/{RESIDENCE}/nop"
NAME_RE = re.compile(r'name="(form\.[^"]+)"')


def flatten(data: Any, prefix: str = "form") -> dict[str, str]:
    """The e-form's data as the HTML fields a person fills in (dates typed dd/mm/yyyy)."""
    out: dict[str, str] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}"))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out.update(flatten(value, f"{prefix}.{index}"))
    elif isinstance(data, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", data):
        y, m, d = data.split("-")
        out[prefix] = f"{d}/{m}/{y}"
    else:
        out[prefix] = str(data)
    return out


def start(client: TestClient) -> str:
    """Start a filing at Ba Đình; the address of its first step."""
    page = client.get(START)
    assert page.status_code == 200, page.text
    started = client.post(START, data={"csrf": csrf_of(page), "agency": BA_DINH}, follow_redirects=False)
    assert started.status_code == 303, started.text
    location: str = started.headers["location"]
    assert re.fullmatch(rf"{START}/[A-Za-z0-9_-]{{20,}}/buoc/1", location), location
    return location


def ok_list(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON list of a 200 response."""
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def fill_step(client: TestClient, url: str, answers: dict[str, str], **extra: str) -> httpx.Response:
    """Answer the fields shown on the step's page (as a person would), then press "Lưu và tiếp tục"."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    shown = set(NAME_RE.findall(page.text))
    data = {
        name: value
        for name, value in answers.items()
        if name in shown or name.rsplit(".", 2)[0] in {n.rsplit(".", 2)[0] for n in shown}
    }
    return client.post(
        url, data={"csrf": csrf_of(page), "action": "next", **data, **extra}, follow_redirects=False
    )


def fill_form(client: TestClient, first_step: str, form: dict[str, Any] | None = None) -> str:
    """Go through every section of the e-form; the address it ends on (the papers page)."""
    answers = flatten(form or residence_form())
    url = first_step
    for _ in range(12):
        done = fill_step(client, url, answers)
        assert done.status_code == 303, done.text
        url = done.headers["location"]
        if url.endswith("/giay-to"):
            return url
    raise AssertionError("the form never reached its papers page")


def upload_paper(client: TestClient, papers_url: str, key: str, name: str, data: bytes) -> httpx.Response:
    """Upload one file for a paper from the papers page."""
    page = client.get(papers_url)
    return client.post(
        f"{papers_url}/{key}",
        data={"csrf": csrf_of(page)},
        files={"files": (name, data, "application/pdf")},
        follow_redirects=False,
    )


class TestTheWholeFiling:
    def test_a_citizen_files_online_through_the_pages_and_gets_the_code_and_qr(
        self, browse: Browse, api: Api
    ) -> None:
        client = browse(AN)
        first = start(client)
        draft_base = first.rsplit("/buoc/", 1)[0]

        prefilled = client.get(first)
        assert "Điền sẵn từ Cơ sở dữ liệu quốc gia về dân cư" in prefilled.text
        assert 'value="Nguyễn Văn An"' in prefilled.text
        assert "<h1" in prefilled.text
        assert prefilled.text.count("<h1") == 1

        papers_url = fill_form(client, first)
        uploaded = upload_paper(client, papers_url, "residence_proof", "so-do.pdf", png())
        assert uploaded.status_code == 303, uploaded.text
        papers = client.get(papers_url)
        assert "so-do.png" in papers.text, "a PNG named .pdf is shown as the PNG it is"
        preview = re.search(r'href="(/api/v1/uploads/[^"]+)"', papers.text)
        assert preview is not None
        assert client.get(preview.group(1)).headers["content-type"] == "image/png"

        check = client.get(f"{draft_base}/kiem-tra")
        assert check.status_code == 200
        assert "Kiểm tra lại thông tin" in check.text
        assert "Nguyễn Văn An" in check.text
        assert "14/05/1988" in check.text
        assert f'href="{draft_base}/buoc/1#f-form-applicant-full_name"' in check.text
        assert "Thay đổi" in check.text

        filed = client.post(f"{draft_base}/kiem-tra", data={"csrf": csrf_of(check)}, follow_redirects=False)
        assert filed.status_code == 303, filed.text
        confirmation = client.get(filed.headers["location"])
        code = re.search(r'id="dossier-code">([^<]+)<', confirmation.text)
        assert code is not None
        assert code.group(1).startswith("H29.12.3-")
        assert "<svg" in confirmation.text
        assert f"/tra-cuu?ma={code.group(1)}" in confirmation.text
        assert "Điều gì xảy ra tiếp theo" in confirmation.text

        detail = api.dossier(code.group(1), OFFICER)
        assert detail["status"]["code"] == 1
        proof = next(p for p in detail["papers"] if p["key"] == "residence_proof")
        assert client.get(f"{draft_base}/kiem-tra").status_code == 404, "the draft is gone once filed"
        assert api.get(f"/uploads/{proof['uploads'][0]}", SPECIALIST).status_code == 200

    def test_a_birth_registration_is_filed_through_the_same_pages(self, browse: Browse, api: Api) -> None:
        client = browse(AN)
        page = client.get(f"/thu-tuc/{BIRTH}/nop")
        started = client.post(
            f"/thu-tuc/{BIRTH}/nop", data={"csrf": csrf_of(page), "agency": BA_DINH}, follow_redirects=False
        )
        form = birth_form()
        form["declarant"] = {
            "full_name": "Nguyễn Văn An",
            "identity_number": "001088012345",
            "relation_to_child": "Cha",
            "phone": "0912345678",
        }
        del form["father"]  # an optional section left blank

        papers_url = fill_form(client, started.headers["location"], form)
        draft_base = papers_url.rsplit("/", 1)[0]
        check = client.get(f"{draft_base}/kiem-tra")
        assert "Lê Minh Anh" in check.text
        filed = client.post(f"{draft_base}/kiem-tra", data={"csrf": csrf_of(check)}, follow_redirects=False)

        assert filed.status_code == 303, filed.text
        code = filed.headers["location"].rsplit("/", 1)[1]
        detail = api.dossier(code, OFFICER)
        assert detail["form"]["child"]["date_of_birth"] == "2026-02-20"
        assert "father" not in detail["form"]
        assert detail["applicant"]["full_name"] == "Nguyễn Văn An"

    def test_the_check_page_submitted_twice_files_once_and_both_land_on_the_confirmation(
        self, browse: Browse, api: Api
    ) -> None:
        client = browse(AN)
        page = client.get(f"/thu-tuc/{BIRTH}/nop")
        started = client.post(
            f"/thu-tuc/{BIRTH}/nop", data={"csrf": csrf_of(page), "agency": BA_DINH}, follow_redirects=False
        )
        form = birth_form()
        form["declarant"] = {
            "full_name": "Nguyễn Văn An",
            "identity_number": "001088012345",
            "relation_to_child": "Cha",
            "phone": "0912345678",
        }
        del form["father"]
        draft_base = fill_form(client, started.headers["location"], form).rsplit("/", 1)[0]
        check = client.get(f"{draft_base}/kiem-tra")
        key = re.search(r'name="idempotency_key" value="([^"]+)"', check.text)
        assert key is not None
        sent = {"csrf": csrf_of(check), "idempotency_key": key.group(1)}

        first = client.post(f"{draft_base}/kiem-tra", data=sent, follow_redirects=False)
        second = client.post(f"{draft_base}/kiem-tra", data=sent, follow_redirects=False)  # double click

        assert first.status_code == second.status_code == 303, second.text
        assert first.headers["location"] == second.headers["location"]
        code = first.headers["location"].rsplit("/", 1)[1]
        births = [d for d in ok_list(api.get("/dossiers", AN)) if d["procedure"] == BIRTH]
        assert [d["code"] for d in births] == [code]
        confirmation = client.get(first.headers["location"])
        key_shown = re.search(r'id="access-key">([^<]+)<', confirmation.text)
        assert key_shown is not None
        assert f"/tra-cuu?ma={code}&amp;k={key_shown.group(1)}" in confirmation.text

    def test_a_draft_is_resumed_where_it_was_left(self, browse: Browse) -> None:
        client = browse(AN)
        first = start(client)
        answers = flatten(residence_form())
        second = fill_step(client, first, answers).headers["location"]

        resumed = client.get(first.rsplit("/buoc/", 1)[0], follow_redirects=False)

        assert resumed.status_code == 303
        assert resumed.headers["location"] == first  # the last step saved was step 1
        assert second.endswith("/buoc/2")
        assert "Làm tiếp hồ sơ nháp" in client.get(START).text
        mine = client.get("/ho-so")
        assert f'href="{first.rsplit("/buoc/", 1)[0]}"' in mine.text, "listed in «Hồ sơ của tôi» to resume"
        assert "Đăng ký thường trú" in mine.text


class TestMistakesOnAStep:
    def test_a_bad_date_re_renders_with_422_the_summary_and_the_field_message(self, browse: Browse) -> None:
        client = browse(AN)
        first = start(client)
        answers = flatten(residence_form())
        answers["form.applicant.date_of_birth"] = "31/02/1988"

        page = fill_step(client, first, answers)

        assert page.status_code == 422
        assert "govuk-error-summary" in page.text
        assert 'href="#f-form-applicant-date_of_birth"' in page.text
        assert "không phải là ngày hợp lệ" in page.text
        assert "is not a valid date" in page.text
        assert 'value="31/02/1988"' in page.text, "what was typed is shown back"
        assert page.text.startswith("<!doctype html>")
        assert "<title>Lỗi:" in page.text

    def test_a_missing_required_answer_re_renders_with_422(self, browse: Browse) -> None:
        client = browse(AN)
        first = start(client)
        answers = flatten(residence_form())
        answers["form.applicant.phone"] = ""

        page = fill_step(client, first, answers)

        assert page.status_code == 422
        assert 'href="#f-form-applicant-phone"' in page.text
        assert "Vui lòng nhập «Số điện thoại»" in page.text

    def test_the_answers_are_kept_even_when_wrong(self, browse: Browse) -> None:
        client = browse(AN)
        first = start(client)
        answers = flatten(residence_form())
        answers["form.applicant.phone"] = "12345"

        fill_step(client, first, answers)

        assert 'value="12345"' in client.get(first).text

    def test_a_form_without_its_csrf_token_is_403(self, browse: Browse) -> None:
        client = browse(AN)
        first = start(client)

        refused = client.post(first, data={"form.applicant.phone": "0912345678"}, follow_redirects=False)

        assert refused.status_code == 403
        assert "mã chống giả mạo" in refused.text


class TestTheCheckPage:
    def test_filing_an_incomplete_draft_shows_what_to_fix_with_links_to_the_steps(
        self, browse: Browse
    ) -> None:
        client = browse(AN)
        papers_url = fill_form(client, start(client))
        draft_base = papers_url.rsplit("/", 1)[0]
        reason_step = next(
            f"{draft_base}/buoc/{n}"
            for n in range(1, 8)
            if 'name="form.reason"' in client.get(f"{draft_base}/buoc/{n}").text
        )
        later = fill_step(client, reason_step, {"form.reason": ""}, action="later")
        assert (later.status_code, later.headers["location"]) == (303, "/ho-so"), (
            "saved for later, even unfinished"
        )
        check = client.get(f"{draft_base}/kiem-tra")

        refused = client.post(f"{draft_base}/kiem-tra", data={"csrf": csrf_of(check)}, follow_redirects=False)

        assert refused.status_code == 422
        assert "govuk-error-summary" in refused.text
        assert f'href="{reason_step}?kiem-tra=1#f-form-reason"' in refused.text
        step = client.get(f"{reason_step}?kiem-tra=1")
        assert "Vui lòng nhập «Nội dung đề nghị»" in step.text
        assert client.get(f"{draft_base}/kiem-tra").status_code == 200, "the draft is kept"


class TestPapers:
    def test_a_program_renamed_pdf_is_refused_on_its_paper(self, browse: Browse) -> None:
        client = browse(AN)
        papers_url = fill_form(client, start(client))

        refused = upload_paper(client, papers_url, "residence_proof", "hop-dong.pdf", exe())

        assert refused.status_code == 422
        assert 'href="#f-papers-residence_proof"' in refused.text
        assert "Chỉ nhận tệp PDF, JPEG hoặc PNG" in refused.text
        assert "Chưa có tệp nào." in refused.text

    def test_a_file_over_the_limit_is_413_with_the_limit_on_its_paper(
        self, browse: Browse, container: Container
    ) -> None:
        client = browse(AN)
        papers_url = fill_form(client, start(client))
        container.services.upload_max_bytes = 4096

        refused = upload_paper(client, papers_url, "residence_proof", "lon.pdf", pdf(padding=5000))

        assert refused.status_code == 413
        assert 'href="#f-papers-residence_proof"' in refused.text
        assert "Tệp tối đa 0.00390625 MB." in refused.text
        assert "Chưa có tệp nào." in refused.text

    def test_a_file_uploaded_before_can_be_reused(self, browse: Browse) -> None:
        client = browse(AN)
        papers_url = fill_form(client, start(client))
        upload_paper(client, papers_url, "residence_proof", "so-do.png", png())
        upload_id = re.search(r'/api/v1/uploads/([^"]+)"', client.get(papers_url).text).group(1)  # type: ignore[union-attr]
        other_papers = fill_form(client, start(client))

        page = client.get(other_papers)
        assert f'<option value="{upload_id}">' in page.text
        reused = client.post(
            f"{other_papers}/owner_consent",
            data={"csrf": csrf_of(page), "reuse": upload_id},
            follow_redirects=False,
        )

        assert reused.status_code == 303
        assert f"/api/v1/uploads/{upload_id}" in client.get(other_papers).text


class TestInEnglish:
    def test_the_steps_speak_english_and_engine_errors_keep_both_languages(self, browse: Browse) -> None:
        client = browse(AN)
        first = start(client)
        client.cookies.set("motcua_lang", "en")
        answers = flatten(residence_form())
        answers["form.applicant.phone"] = ""

        page = fill_step(client, first, answers)

        assert '<html lang="en"' in page.text
        assert "Save and continue" in page.text
        assert "There is a problem" in page.text
        assert "is required." in page.text


class TestWhoMayFile:
    def test_anonymous_is_sent_to_sign_in(self, browse: Browse) -> None:
        page = browse().get(START, follow_redirects=False)

        assert page.status_code == 303
        assert page.headers["location"].startswith("/dang-nhap?next=")

    def test_an_officer_gets_the_403_page(self, browse: Browse) -> None:
        assert browse(OFFICER).get(START).status_code == 403

    def test_a_step_that_does_not_exist_is_the_404_page(self, browse: Browse) -> None:
        client = browse(AN)
        draft_base = start(client).rsplit("/buoc/", 1)[0]

        for step in ("99", "0", "abc", "1e3"):
            page = client.get(f"{draft_base}/buoc/{step}")
            assert page.status_code == 404, step
            assert "<html" in page.text

    def test_another_citizen_cannot_open_the_draft(self, browse: Browse) -> None:
        first = start(browse(AN))

        assert browse(BINH).get(first).status_code == 404


class TestSupplementPage:
    def asked(self, api: Api) -> str:
        """An online dossier of Nguyễn Văn An whose appraisal asked for two papers."""
        code = api.received(at="2026-03-02T09:30")
        api.at("2026-03-03T09:30")
        two = {
            "decision": "supplement",
            "opinion": "Thiếu giấy tờ",
            "missing_papers": [
                {"paper": "Hợp đồng thuê nhà có công chứng", "reason": "Bản đã nộp hết hiệu lực"},
                {"paper": "Ý kiến đồng ý của chủ hộ", "reason": "Chưa có chữ ký"},
            ],
        }
        api.complete_step(code, "appraisal", SPECIALIST, two)
        return code

    def test_the_citizen_answers_exactly_the_items_asked_and_processing_resumes(
        self, browse: Browse, api: Api
    ) -> None:
        code = self.asked(api)
        client = browse(AN)
        page = client.get(f"/ho-so/{code}/bo-sung")
        assert page.status_code == 200
        assert "1. Hợp đồng thuê nhà có công chứng" in page.text
        assert "Bản đã nộp hết hiệu lực" in page.text
        assert "2. Ý kiến đồng ý của chủ hộ" in page.text

        sent = client.post(
            f"/ho-so/{code}/bo-sung",
            data={"csrf": csrf_of(page), "items.1.text": "Chủ hộ đã ký, nộp bản gốc tại Bộ phận Một cửa"},
            files={"items.0.files": ("hop-dong.png", png(), "image/png")},
            follow_redirects=False,
        )

        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == f"/ho-so/{code}"
        assert ok(api.get(f"/dossiers/{code}", AN))["status"]["code"] == 4

    def test_an_item_left_unanswered_re_renders_with_422(self, browse: Browse, api: Api) -> None:
        code = self.asked(api)
        client = browse(AN)
        page = client.get(f"/ho-so/{code}/bo-sung")

        sent = client.post(
            f"/ho-so/{code}/bo-sung",
            data={"csrf": csrf_of(page), "items.0.text": "Đã có"},
            follow_redirects=False,
        )

        assert sent.status_code == 422
        assert ">Đã có</textarea>" in sent.text, "the answer typed is shown back"
        assert 'href="#f-items-1"' in sent.text
        assert "Vui lòng trả lời hoặc tải tệp lên cho mục 2 «Ý kiến đồng ý của chủ hộ»" in sent.text
        assert ok(api.get(f"/dossiers/{code}", AN))["status"]["code"] == 5

    def test_another_citizen_gets_404(self, browse: Browse, api: Api) -> None:
        code = self.asked(api)

        assert browse(BINH).get(f"/ho-so/{code}/bo-sung").status_code == 404


class TestAVersionsOwnEform:
    """An admin adds a required «Nghề nghiệp» to the e-form in the workshop and publishes (version 2)."""

    def occupation_step(self, client: TestClient) -> tuple[str, httpx.Response]:
        """Go through the steps with the answers of version 1; the step that stops on the new field."""
        answers = flatten(residence_form())
        url = start(client)
        for _ in range(12):
            done = fill_step(client, url, answers)
            if done.status_code != 303:
                return url, done
            url = done.headers["location"]
        raise AssertionError("no step asked for the new field")

    def test_the_filing_pages_ask_for_the_new_field_and_refuse_to_go_on_without_it(
        self, browse: Browse, container: Container, restore_versions: None
    ) -> None:
        publish_occupation(container)
        client = browse(AN)
        url, refused = self.occupation_step(client)
        assert refused.status_code == 422
        assert 'name="form.occupation"' in refused.text
        assert 'href="#f-form-occupation"' in refused.text
        assert "Vui lòng nhập «Nghề nghiệp»." in refused.text
        client.cookies.set("motcua_lang", "en")
        english = fill_step(client, url, {"form.occupation": ""})
        assert english.status_code == 422
        assert "«Nghề nghiệp» is required." in english.text

        answered = fill_step(client, url, {"form.occupation": "Kỹ sư xây dựng"})
        assert answered.status_code == 303, answered.text

    def test_the_check_page_refuses_to_file_without_the_new_field(
        self, browse: Browse, container: Container, restore_versions: None
    ) -> None:
        client = browse(AN)
        first = start(client)  # a draft begun on version 1, finished after version 2 is published
        draft_base = first.rsplit("/buoc/", 1)[0]
        answers = flatten(residence_form())
        url = first
        for _ in range(12):
            url = fill_step(client, url, answers).headers["location"]
            if url.endswith("/giay-to"):
                break
        publish_occupation(container)
        check = client.get(f"{draft_base}/kiem-tra")

        refused = client.post(f"{draft_base}/kiem-tra", data={"csrf": csrf_of(check)}, follow_redirects=False)

        assert refused.status_code == 422
        assert "#f-form-occupation" in refused.text
        assert "Vui lòng nhập «Nghề nghiệp»." in refused.text
