"""The citizen withdraws a dossier (status 7) before a result exists."""

from __future__ import annotations

from portal.wiring import Container
from tests.builders import (
    AN,
    APPROVE,
    BINH,
    LEADER,
    OFFICER,
    PROPOSE_APPROVE,
    SPECIALIST,
    Api,
    error,
    ok,
    row_counts,
    statuses,
)

REASON = {"reason": "Gia đình thay đổi kế hoạch chuyển nhà"}


class TestCitizenWithdraws:
    def test_in_processing_the_dossier_stops_and_its_tasks_disappear(self, api: Api) -> None:
        code = api.received()
        appraisal = api.task_id(code, "appraisal")
        api.at("2026-03-03T08:00")

        detail = ok(api.post(f"/dossiers/{code}/withdraw", AN, REASON))

        assert detail["status"] == {
            "code": 7,
            "label": "Công dân yêu cầu rút hồ sơ",
            "label_en": ("Withdrawn by the citizen"),
        }
        assert detail["tasks"] == []
        assert detail["current_step"] is None
        assert statuses(detail) == [1, 2, 4, 7]
        assert detail["timeline"][-1]["note"] == REASON["reason"]
        assert detail["handovers"][-1]["finished_at"] == "2026-03-03T08:00:00+07:00"
        assert all(t["dossier"]["code"] != code for t in ok(api.get("/tasks", SPECIALIST)))
        assert api.complete(appraisal, SPECIALIST, PROPOSE_APPROVE).status_code == 409

    def test_a_withdrawn_dossier_counts_as_on_time(self, api: Api) -> None:
        code = api.received()
        api.at("2026-03-03T08:00")

        detail = ok(api.post(f"/dossiers/{code}/withdraw", AN, REASON))

        assert detail["deadline"]["state"] == "on_time"
        assert detail["deadline"]["state_label"] == "Đúng hạn"

    def test_before_reception_it_simply_stops(self, api: Api) -> None:
        code = api.filed()

        detail = ok(api.post(f"/dossiers/{code}/withdraw", AN, REASON))

        assert statuses(detail) == [1, 7]
        assert detail["tasks"] == []
        assert ok(api.track(code))["status"]["code"] == 7


class TestWithdrawRefused:
    def test_once_the_result_exists_it_is_too_late(self, api: Api, container: Container) -> None:
        code = api.received()
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        api.complete_step(code, "approval", LEADER, APPROVE)
        rows = row_counts(container)

        body = error(api.post(f"/dossiers/{code}/withdraw", AN, REASON), 409, "NotWithdrawable")

        assert "Đã xử lý xong" in body["message"]
        assert api.dossier(code)["status"]["code"] == 9
        assert row_counts(container) == rows

    def test_a_withdrawn_dossier_cannot_be_withdrawn_again(self, api: Api) -> None:
        code = api.filed()
        ok(api.post(f"/dossiers/{code}/withdraw", AN, REASON))

        error(api.post(f"/dossiers/{code}/withdraw", AN, REASON), 409, "NotWithdrawable")

    def test_a_reason_is_required(self, api: Api) -> None:
        code = api.received()

        body = error(api.post(f"/dossiers/{code}/withdraw", AN, {}), 422, "InvalidInput")

        assert set(body["fields"]) == {"reason"}
        assert api.dossier(code)["status"]["code"] == 4

    def test_a_blank_reason_is_refused(self, api: Api) -> None:
        code = api.received()

        body = error(api.post(f"/dossiers/{code}/withdraw", AN, {"reason": "   "}), 422)

        assert body["fields"]["reason"]["message"] == "Vui lòng nêu lý do rút hồ sơ."
        assert api.dossier(code)["status"]["code"] == 4

    def test_another_citizen_cannot_withdraw_it(self, api: Api) -> None:
        code = api.received()

        error(api.post(f"/dossiers/{code}/withdraw", BINH, REASON), 404, "DossierNotFound")
        assert api.dossier(code)["status"]["code"] == 4

    def test_a_specialist_cannot_withdraw_on_the_citizens_behalf(self, api: Api) -> None:
        code = api.received()

        error(api.post(f"/dossiers/{code}/withdraw", SPECIALIST, REASON), 403)
        assert api.dossier(code, OFFICER)["status"]["code"] == 4
