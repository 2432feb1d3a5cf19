"""Bad input gets a clear, field-level error in Vietnamese (and English), and nothing is written."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from portal.auth import DevIdentity
from portal.wiring import Container
from tests.builders import (
    AN,
    BINH,
    OFFICER,
    PROPOSE_APPROVE,
    SPECIALIST,
    Api,
    error,
    ok,
    residence_filing,
    row_counts,
)

GENERIC_VI = "Dữ liệu gửi lên chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu."


@pytest.fixture
def untouched(api: Api, container: Container) -> Iterator[None]:
    """Whatever the test sends, no row is written; the first real dossier afterwards is still number 0001."""
    before = row_counts(container)
    yield
    assert row_counts(container) == before
    assert api.filed().endswith("-0001")


def without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    """The body with the nested key at `path` removed."""
    node = body
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return body


def fields_of(body: dict[str, Any]) -> dict[str, str]:
    """Field path → Vietnamese message; every field also carries an English message."""
    assert all(f["message_en"] for f in body["fields"].values())
    return {path: f["message"] for path, f in body["fields"].items()}


@pytest.mark.usefixtures("untouched")
class TestFilingRefused:
    def test_an_unknown_procedure_is_a_vietnamese_404(self, api: Api) -> None:
        body = error(api.file(AN, residence_filing(procedure="9.999999")), 404, "ProcedureNotFound")

        assert body["message"] == "Không tìm thấy thủ tục hành chính có mã «9.999999»."

    def test_a_missing_e_form_field_is_named_by_its_path(self, api: Api) -> None:
        filing = without(residence_filing(), "form", "applicant", "full_name")

        body = error(api.file(AN, filing), 422, "DossierInvalid")

        assert body["message"] == "Hồ sơ chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu."
        assert fields_of(body) == {"form.applicant.full_name": "Vui lòng nhập «Họ và tên»."}
        assert body["fields"]["form.applicant.full_name"]["message_en"] == "«Họ và tên» is required."

    def test_every_bad_e_form_field_is_reported_at_once(self, api: Api) -> None:
        filing = without(residence_filing(), "form", "reason")
        filing["form"]["applicant"]["date_of_birth"] = "14/05/1988"
        filing["form"]["members"][0]["identity_number"] = "0011900234"

        fields = fields_of(error(api.file(AN, filing), 422, "DossierInvalid"))

        assert set(fields) == {
            "form.reason",
            "form.applicant.date_of_birth",
            "form.members[0].identity_number",
        }
        assert "yyyy-mm-dd" in fields["form.applicant.date_of_birth"]
        assert "12 chữ số" in fields["form.members[0].identity_number"]

    def test_an_unknown_top_level_field_is_refused(self, api: Api) -> None:
        body = error(api.file(AN, residence_filing(priority="urgent")), 422, "InvalidInput")

        assert body["message"] == GENERIC_VI
        assert fields_of(body) == {"priority": "Trường này không được phép."}

    def test_an_unknown_channel_is_refused(self, api: Api) -> None:
        body = error(api.file(AN, residence_filing(channel="fax")), 422, "InvalidInput")

        fields = fields_of(body)
        assert set(fields) == {"channel"}
        assert fields["channel"].startswith("Giá trị")
        assert all(channel in fields["channel"] for channel in ("online", "counter", "postal"))

    @pytest.mark.parametrize("number", ["00108801234", "00108801234X", "001-088-012-345"])
    def test_a_malformed_identity_number_is_refused(self, api: Api, number: str) -> None:
        filing = residence_filing()
        filing["applicant"]["identity_number"] = number

        fields = fields_of(error(api.file(AN, filing), 422, "DossierInvalid"))

        assert fields == {"applicant.identity_number": "Số định danh cá nhân phải gồm đúng 12 chữ số."}

    def test_filing_online_under_someone_elses_identity_number_is_refused(self, api: Api) -> None:
        fields = fields_of(error(api.file(BINH, residence_filing()), 422, "DossierInvalid"))

        assert fields["applicant.identity_number"] == (
            "Số định danh của người nộp phải trùng với tài khoản đang đăng nhập."
        )

    def test_a_missing_applicant_name_is_refused(self, api: Api) -> None:
        fields = fields_of(error(api.file(AN, without(residence_filing(), "applicant", "full_name")), 422))

        assert fields == {"applicant.full_name": "Vui lòng nhập họ và tên người nộp."}

    def test_a_paper_the_procedure_does_not_ask_for_is_refused(self, api: Api) -> None:
        filing = residence_filing(papers=[{"key": "ct01"}, {"key": "passport"}])

        fields = fields_of(error(api.file(AN, filing), 422, "DossierInvalid"))

        assert fields == {"papers[1].key": "Giấy tờ không có trong thành phần hồ sơ của thủ tục."}

    def test_an_unknown_receiving_agency_is_refused(self, api: Api) -> None:
        fields = fields_of(error(api.file(AN, residence_filing(agency="H29.99.9")), 422, "DossierInvalid"))

        assert "«H29.99.9»" in fields["agency"]

    def test_a_body_that_is_not_json_is_refused(self, api: Api) -> None:
        response = api.client.post(
            "/api/v1/dossiers",
            content=b'{"procedure": "1.004222",',
            headers={**api.auth(AN), "Content-Type": "application/json"},
        )

        body = error(response, 422, "InvalidInput")
        assert fields_of(body) == {"body": "Nội dung gửi lên không phải JSON hợp lệ."}

    def test_a_form_that_is_not_an_object_is_refused(self, api: Api) -> None:
        fields = fields_of(error(api.file(AN, residence_filing(form=["CT01"])), 422, "InvalidInput"))

        assert fields == {"form": "Giá trị phải là một đối tượng JSON."}


@pytest.mark.usefixtures("untouched")
class TestNotSignedIn:
    def test_no_token_is_401_with_a_bearer_challenge(self, api: Api) -> None:
        response = api.post("/dossiers", None, residence_filing())

        body = error(response, 401, "Unauthenticated")
        assert body["message"] == "Vui lòng đăng nhập để tiếp tục."
        assert response.headers["WWW-Authenticate"] == "Bearer"

    @pytest.mark.parametrize(
        "header", ["Bearer not-a-jwt", "Bearer a.b.c", "Basic bmd1eWVudmFuYW46MTIz", "Bearer"]
    )
    def test_a_garbage_token_is_401(self, api: Api, header: str) -> None:
        response = api.client.post(
            "/api/v1/dossiers", json=residence_filing(), headers={"Authorization": header}
        )

        body = error(response, 401, "Unauthenticated")
        assert "đăng nhập" in body["message"]

    def test_a_token_signed_with_another_key_is_401(self, api: Api) -> None:
        claims = {"sub": "dev:nguyenvanan", "realm_access": {"roles": ["citizen"]}}
        forged = jwt.encode({**claims, "exp": int(time.time()) + 600}, "someone-elses-secret-" + "y" * 32)

        response = api.client.post(
            "/api/v1/dossiers", json=residence_filing(), headers={"Authorization": f"Bearer {forged}"}
        )

        error(response, 401, "Unauthenticated")

    def test_an_expired_token_is_401(self, api: Api, container: Container) -> None:
        expired = DevIdentity(container.settings).issue(username=AN, roles=["citizen"], ttl_seconds=-60)

        response = api.client.post(
            "/api/v1/dossiers", json=residence_filing(), headers={"Authorization": f"Bearer {expired}"}
        )

        body = error(response, 401, "Unauthenticated")
        assert body["message"] == "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại."

    def test_reading_a_dossier_needs_a_token_too(self, api: Api) -> None:
        error(api.get("/dossiers/H29.12.3-260302-0001"), 401)
        error(api.get("/tasks"), 401)


class TestBadActionsChangeNothing:
    def test_a_reception_decision_outside_the_list_is_refused(self, api: Api, container: Container) -> None:
        code = api.filed()
        rows = row_counts(container)

        body = error(api.receive(code, OFFICER, {"decision": "maybe"}), 422, "InvalidInput")

        assert set(body["fields"]) == {"decision"}
        assert row_counts(container) == rows
        assert api.dossier(code)["status"]["code"] == 1

    def test_appraisal_without_an_opinion_is_refused_and_the_task_stays(
        self, api: Api, container: Container
    ) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        version = api.dossier(code)["version"]
        rows = row_counts(container)

        body = error(api.complete(task_id, SPECIALIST, {"decision": "propose_approve"}), 422, "FormInvalid")

        assert set(body["fields"]) == {"opinion"}
        assert body["fields"]["opinion"]["message"].startswith("Vui lòng nhập")
        assert row_counts(container) == rows
        after = api.dossier(code)
        assert (after["version"], [t["id"] for t in after["tasks"]]) == (version, [task_id])

    def test_an_unknown_key_beside_the_task_data_is_refused(self, api: Api, container: Container) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        rows = row_counts(container)
        body = {"data": PROPOSE_APPROVE, "force": True}

        response = api.post(f"/tasks/{task_id}/complete", SPECIALIST, body)

        assert fields_of(error(response, 422)) == {"force": "Trường này không được phép."}
        assert row_counts(container) == rows
        assert ok(api.track(code))["current_step"] == "Thẩm định hồ sơ"
