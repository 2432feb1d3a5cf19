"""Specialists' and leaders' pages (/cong-viec), signed in through the development sign-in."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from engine.watch import run_watch
from portal.auth import DevIdentity
from portal.wiring import Container
from tests.builders import (
    AN,
    BA_DINH,
    LEADER,
    LEADER_HK,
    OFFICER,
    SPECIALIST,
    SPECIALIST_HK,
    Api,
    birth_filing,
    ok,
    residence_filing,
    row_counts,
)
from tests.portal.conftest import Browse, csrf_of, post_form
from tests.upload_builders import pdf, post_upload

OPINION = "Đủ điều kiện đăng ký thường trú theo Điều 20 Luật Cư trú"


def task_ids(page: str) -> list[str]:
    """The task ids of a work-list page, in list order."""
    return re.findall(r'data-task="([^"]+)"', page)


def apologise(client: TestClient, task_id: str, data: dict[str, str]) -> httpx.Response:
    """Send the apology form of a task page, as the leader's browser does."""
    page = client.get(f"/cong-viec/{task_id}")
    return client.post(
        f"/cong-viec/{task_id}/xin-loi", data={"csrf": csrf_of(page), **data}, follow_redirects=False
    )


def propose(client: TestClient, task_id: str, **extra: str) -> object:
    """The specialist proposes to approve, with an opinion, through the task page's form."""
    data = {"form.decision": "propose_approve", "form.opinion": OPINION, **extra}
    return post_form(client, f"/cong-viec/{task_id}", data)


class TestWorkList:
    def test_a_specialist_sees_the_tasks_of_their_agency_and_lane_overdue_first(
        self, api: Api, browse: Browse, container: Container
    ) -> None:
        late = api.received(at="2026-03-02T09:30")
        api.at("2026-03-06T09:00")
        fresh = api.received(at="2026-03-06T09:30")
        api.at("2026-03-11T10:00")
        run_watch(container.engine, container.services)
        page = browse(SPECIALIST).get("/cong-viec")
        assert page.status_code == 200, page.text
        assert task_ids(page.text) == [api.task_id(late, "appraisal"), api.task_id(fresh, "appraisal")]
        assert page.text.index(late) < page.text.index(fresh)
        assert 'data-state="overdue"' in page.text
        assert "Quá hạn" in page.text
        assert "quá hạn" in page.text  # time left says how late
        assert browse(SPECIALIST_HK).get("/cong-viec").text.count("data-task=") == 0
        assert browse(LEADER).get("/cong-viec").text.count("data-task=") == 0  # not the leader's lane yet

    def test_filters_and_an_htmx_request_gets_only_the_results(self, api: Api, browse: Browse) -> None:
        residence = api.received(at="2026-03-02T09:30")
        birth = ok(api.post("/dossiers", OFFICER, birth_filing()))["code"]
        client = browse(SPECIALIST)
        only_birth = client.get("/cong-viec", params={"thu-tuc": "1.001193"}).text
        assert birth in only_birth
        assert residence not in only_birth
        fragment = client.get("/cong-viec", params={"trang-thai": "overdue"}, headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        assert 'id="no-tasks"' in fragment.text

    def test_keyset_pages_link_forward_and_back(self, api: Api, browse: Browse) -> None:
        codes = [api.received(at="2026-03-02T09:30") for _ in range(27)]
        client = browse(SPECIALIST)
        first = client.get("/cong-viec").text
        assert len(task_ids(first)) == 25
        next_url = re.search(r'href="([^"]+)" rel="next"', first)
        assert next_url
        second = client.get(next_url.group(1).replace("&amp;", "&")).text
        assert len(task_ids(second)) == 2
        assert not set(task_ids(first)) & set(task_ids(second))
        assert 'rel="prev"' in second
        assert len(set(task_ids(first)) | set(task_ids(second))) == len(codes)

    def test_a_forged_cursor_is_the_422_page(self, browse: Browse) -> None:
        page = browse(SPECIALIST).get("/cong-viec", params={"sau": "OTk5OTk5OTk5OTk5OTk5OTk5fDF8dA"})
        assert page.status_code == 422
        assert "text/html" in page.headers["content-type"]

    def test_the_list_and_a_task_in_english(self, api: Api, browse: Browse) -> None:
        code = api.received()
        client = browse(SPECIALIST)
        listed = client.get("/cong-viec", params={"lang": "en"}).text
        assert '<h1 class="govuk-heading-l">My work</h1>' in listed
        assert "Permanent residence registration" in listed
        assert "of working time left" in listed
        page = client.get(f"/cong-viec/{api.task_id(code, 'appraisal')}", params={"lang": "en"}).text
        assert "Earlier opinions" in page
        assert "Send the decision" in page

    def test_another_role_gets_the_403_page_and_anonymous_is_sent_to_sign_in(self, browse: Browse) -> None:
        assert browse(OFFICER).get("/cong-viec").status_code == 403
        anonymous = browse().get("/cong-viec", follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/dang-nhap?next=/cong-viec")


class TestClaim:
    def test_claim_from_the_list(self, api: Api, browse: Browse) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        client = browse(SPECIALIST)
        page = client.get("/cong-viec")
        done = client.post(
            f"/cong-viec/{task_id}/nhan",
            data={"csrf": csrf_of(page), "back": "/cong-viec?pham-vi=chua-nhan"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/cong-viec/{task_id}"
        assert api.dossier(code)["tasks"][0]["assignee"] == "Phạm Minh Đức"
        assert task_ids(client.get("/cong-viec", params={"pham-vi": "cua-toi"}).text) == [task_id]
        assert task_ids(client.get("/cong-viec", params={"pham-vi": "chua-nhan"}).text) == []

    def test_a_task_a_colleague_claimed_says_so(self, api: Api, browse: Browse, container: Container) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        identity = DevIdentity(container.settings)
        colleague = identity.issue(
            username="chuyenvien2.badinh", roles=["specialist"], agency=BA_DINH, name="Đinh Văn Nam"
        )
        taken = api.client.post(
            f"/api/v1/tasks/{task_id}/claim", headers={"Authorization": f"Bearer {colleague}"}
        )
        assert taken.status_code == 200, taken.text
        client = browse(SPECIALIST)
        listed = client.get("/cong-viec")
        assert "Đinh Văn Nam" in listed.text
        assert f"/cong-viec/{task_id}/nhan" not in listed.text
        page = client.get(f"/cong-viec/{task_id}")
        assert 'id="claimed-by"' in page.text
        assert 'id="task-form"' not in page.text
        refused = client.post(
            f"/cong-viec/{task_id}/nhan",
            data={"csrf": csrf_of(page), "back": "/cong-viec"},
            follow_redirects=False,
        )
        assert refused.status_code == 409
        assert 'id="conflict"' in refused.text
        assert "Đinh Văn Nam" in refused.text

    def test_without_csrf_the_claim_is_refused(self, api: Api, browse: Browse) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        refused = browse(SPECIALIST).post(f"/cong-viec/{task_id}/nhan", data={}, follow_redirects=False)
        assert refused.status_code == 403


class TestTaskPage:
    def test_the_page_shows_the_dossier_papers_and_the_form(self, api: Api, browse: Browse) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        page = browse(SPECIALIST).get(f"/cong-viec/{task_id}")
        assert page.status_code == 200, page.text
        text = page.text
        assert code in text
        assert "Nguyễn Văn An" in text
        assert "Tờ khai thay đổi thông tin cư trú" in text  # a paper, by the procedure's name
        assert "Đề xuất giải quyết" in text  # the decisions' x-ui labels
        assert "Yêu cầu bổ sung, hoàn thiện hồ sơ" in text
        assert 'data-show-when="form.decision=supplement"' in text  # missing papers: only for a supplement
        assert "Tiếp nhận hồ sơ" in text  # the reception's decision among earlier opinions
        assert "/van-ban/" in text  # the receipt (Mẫu 01) downloads from here

    def test_an_uploaded_paper_opens_for_the_specialist(
        self, api: Api, browse: Browse, client: TestClient, auth: Callable[[str], dict[str, str]]
    ) -> None:
        upload = post_upload(client, auth(AN), pdf(), "giay-to-nha.pdf")
        assert upload.status_code == 201, upload.text
        upload_id = upload.json()["id"]
        papers = [{"key": "ct01", "count": 1}, {"key": "residence_proof", "count": 1, "uploads": [upload_id]}]
        code = api.filed(AN, residence_filing(papers=papers))
        ok(api.receive(code))
        specialist = browse(SPECIALIST)
        page = specialist.get(f"/cong-viec/{api.task_id(code, 'appraisal')}").text
        assert f'href="/api/v1/uploads/{upload_id}"' in page
        opened = specialist.get(f"/api/v1/uploads/{upload_id}")
        assert opened.status_code == 200
        assert opened.content.startswith(b"%PDF")

    def test_propose_with_an_opinion_then_the_leader_sees_it(self, api: Api, browse: Browse) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        done = propose(browse(SPECIALIST), task_id, **{"form.missing_papers.0.paper": "ignored"})
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"/cong-viec?xong={code}"
        leader = browse(LEADER)
        listed = leader.get("/cong-viec").text
        approval = api.task_id(code, "approval")
        assert task_ids(listed) == [approval]
        page = leader.get(f"/cong-viec/{approval}").text
        assert OPINION in page
        assert "Đề xuất giải quyết" in page
        # Missing papers typed under another decision are not sent (asked only for a supplement).
        detail = api.dossier(code)
        assert detail["status"]["code"] == 4

    def test_a_missing_opinion_is_an_error_on_its_field(
        self, api: Api, browse: Browse, container: Container
    ) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        before = row_counts(container)
        page = post_form(browse(SPECIALIST), f"/cong-viec/{task_id}", {"form.decision": "supplement"})
        assert page.status_code == 422
        assert "govuk-error-summary" in page.text
        assert 'href="#f-form-opinion"' in page.text
        assert (
            'href="#f-form-missing_papers"' in page.text
        )  # required for a supplement (the schema's if/then)
        assert row_counts(container) == before

    def test_a_task_completed_by_someone_else_shows_a_notice_and_the_current_state(
        self, api: Api, browse: Browse
    ) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        client = browse(SPECIALIST)
        form_page = client.get(f"/cong-viec/{task_id}")
        api.complete_step(code, "appraisal", SPECIALIST, {"decision": "propose_approve", "opinion": "Đạt"})
        stale = client.post(
            f"/cong-viec/{task_id}",
            data={"csrf": csrf_of(form_page), "form.decision": "propose_approve", "form.opinion": OPINION},
            follow_redirects=False,
        )
        assert stale.status_code == 409
        assert "text/html" in stale.headers["content-type"]
        assert 'id="task-done"' in stale.text
        assert "Phê duyệt kết quả" in stale.text  # where the dossier is now

    def test_another_agency_gets_404(self, api: Api, browse: Browse) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        page = browse(SPECIALIST_HK).get(f"/cong-viec/{task_id}")
        assert page.status_code == 404
        assert "text/html" in page.headers["content-type"]
        assert code not in page.text

    def test_the_control_sheet_downloads(self, api: Api, browse: Browse) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        client = browse(SPECIALIST)
        page = client.get(f"/cong-viec/{task_id}")
        sheet = client.post(
            f"/cong-viec/{task_id}/mau-05", data={"csrf": csrf_of(page)}, follow_redirects=False
        )
        assert sheet.status_code == 303
        pdf = client.get(sheet.headers["location"])
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")

    def test_the_register_downloads(self, api: Api, browse: Browse) -> None:
        api.received()
        client = browse(LEADER)
        page = client.get("/cong-viec")
        register = client.post("/cong-viec/so-theo-doi", data={"csrf": csrf_of(page)}, follow_redirects=False)
        assert register.status_code == 303
        assert client.get(register.headers["location"]).content.startswith(b"%PDF")


class TestLeader:
    def _at_approval(self, api: Api) -> tuple[str, str]:
        code = api.received()
        api.complete_step(code, "appraisal", SPECIALIST, {"decision": "propose_approve", "opinion": OPINION})
        return code, api.task_id(code, "approval")

    def test_approve_moves_the_dossier_to_status_9(self, api: Api, browse: Browse) -> None:
        code, task_id = self._at_approval(api)
        done = post_form(browse(LEADER), f"/cong-viec/{task_id}", {"form.decision": "approve"})
        assert done.status_code == 303, done.text
        assert api.dossier(code)["status"]["code"] == 9

    def test_refuse_without_reason_is_422_with_the_summary_and_nothing_changes(
        self, api: Api, browse: Browse, container: Container
    ) -> None:
        code, task_id = self._at_approval(api)
        before = row_counts(container)
        page = post_form(browse(LEADER), f"/cong-viec/{task_id}", {"form.decision": "refuse"})
        assert page.status_code == 422
        assert "govuk-error-summary" in page.text
        assert 'href="#f-form-reason"' in page.text
        assert row_counts(container) == before
        assert api.dossier(code)["status"]["code"] == 4

    def test_an_apology_too_close_to_the_due_time_is_an_error_on_the_field(
        self, api: Api, browse: Browse, container: Container
    ) -> None:
        code, task_id = self._at_approval(api)
        api.at("2026-03-10T10:00")  # due Wed 11/03 09:30: less than one working day left
        before = row_counts(container)
        page = apologise(
            browse(LEADER),
            task_id,
            {
                "reason": "Cần xác minh thêm tại địa phương",
                "new_due_date": "16/03/2026",
                "new_due_time": "16:00",
            },
        )
        assert page.status_code == 409
        assert 'href="#f-new_due_at"' in page.text
        assert 'id="f-new_due_at-error"' in page.text
        assert "01 ngày làm việc" in page.text
        assert row_counts(container) == before

    def test_an_apology_in_time_sets_the_new_appointment(self, api: Api, browse: Browse) -> None:
        code, task_id = self._at_approval(api)
        api.at("2026-03-05T10:00")
        client = browse(LEADER)
        done = apologise(
            client,
            task_id,
            {
                "reason": "Cần xác minh thêm tại địa phương",
                "new_due_date": "16/03/2026",
                "new_due_time": "16:00",
            },
        )
        assert done.status_code == 303, done.text
        assert api.dossier(code)["deadline"]["due_at"] == "2026-03-16T16:00:00+07:00"
        page = client.get(done.headers["location"]).text
        assert 'id="apologised"' in page
        assert 'id="apology-form"' not in page  # only once

    def test_an_unreadable_date_is_an_error_on_the_field(self, api: Api, browse: Browse) -> None:
        _code, task_id = self._at_approval(api)
        page = apologise(
            browse(LEADER),
            task_id,
            {"reason": "Cần xác minh thêm", "new_due_date": "31/02/2026", "new_due_time": "16:00"},
        )
        assert page.status_code == 422
        assert 'href="#f-new_due_at"' in page.text

    def test_the_whole_agency_lets_the_leader_apologise_while_the_specialist_appraises(
        self, api: Api, browse: Browse
    ) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        client = browse(LEADER)
        assert task_ids(client.get("/cong-viec").text) == []
        listed = client.get("/cong-viec", params={"pham-vi": "toan-co-quan"}).text
        assert task_ids(listed) == [task_id]
        assert f"/cong-viec/{task_id}/nhan" not in listed  # the specialist's lane: not the leader's to claim
        page = client.get(f"/cong-viec/{task_id}").text
        assert 'id="other-role"' in page
        assert 'id="task-form"' not in page
        api.at("2026-03-05T10:00")
        done = apologise(
            client,
            task_id,
            {
                "reason": "Cần xác minh thêm tại địa phương",
                "new_due_date": "16/03/2026",
                "new_due_time": "16:00",
            },
        )
        assert done.status_code == 303, done.text
        assert api.dossier(code)["deadline"]["due_at"] == "2026-03-16T16:00:00+07:00"

    def test_a_leader_of_another_agency_gets_404(self, api: Api, browse: Browse) -> None:
        _code, task_id = self._at_approval(api)
        assert browse(LEADER_HK).get(f"/cong-viec/{task_id}").status_code == 404
