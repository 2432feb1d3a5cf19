"""Supplements over HTTP: the clock pauses while the citizen holds the dossier; only one request per stage."""

from __future__ import annotations

from typing import Any

from portal.wiring import Container
from tests.builders import (
    AN,
    ASK_SUPPLEMENT,
    BINH,
    OFFICER,
    PROPOSE_APPROVE,
    SPECIALIST,
    SUPPLY,
    Api,
    error,
    ok,
    row_counts,
    statuses,
)


def asked_for_supplement(api: Api) -> str:
    """Received Mon 02/03 09:30 (due Wed 11/03 09:30); appraisal asks for a supplement Tue 03/03 09:30."""
    code = api.received(at="2026-03-02T09:30")
    api.at("2026-03-03T09:30")
    api.complete_step(code, "appraisal", SPECIALIST, ASK_SUPPLEMENT)
    return code


def supplemented(api: Api) -> str:
    """…and the citizen hands the papers in on Mon 09/03 09:30, four working days later."""
    code = asked_for_supplement(api)
    api.at("2026-03-09T09:30")
    ok(api.post(f"/dossiers/{code}/supplement", AN, SUPPLY))
    return code


def snapshot(detail: dict[str, Any]) -> tuple[Any, ...]:
    """What a user would notice changing on a dossier."""
    return (
        detail["status"]["code"],
        [(t["id"], t["step"]) for t in detail["tasks"]],
        detail["version"],
        detail["deadline"]["due_at"],
        len(detail["timeline"]),
        len(detail["handovers"]),
    )


class TestAppraisalAsksForSupplement:
    def test_status_5_and_the_deadline_is_paused(self, api: Api) -> None:
        code = asked_for_supplement(api)

        detail = api.dossier(code, AN)

        assert detail["status"] == {
            "code": 5,
            "label": "Yêu cầu bổ sung giấy tờ",
            "label_en": "Waiting for a supplement",
        }
        deadline = detail["deadline"]
        assert deadline["state"] == "paused"
        assert deadline["state_label"].startswith("Tạm dừng")
        assert deadline["due_at"] == "2026-03-11T09:30:00+07:00"
        assert len(deadline["pauses"]) == 1
        assert deadline["pauses"][0]["started_at"] == "2026-03-03T09:30:00+07:00"
        assert deadline["pauses"][0]["ended_at"] is None
        assert any(line.startswith("Tạm dừng tính thời gian") for line in deadline["explanation"])

    def test_the_citizen_finds_the_supplement_in_their_work_list(self, api: Api) -> None:
        code = asked_for_supplement(api)

        mine = ok(api.get("/tasks", AN))

        assert [(t["dossier"]["code"], t["step"]) for t in mine] == [(code, "supplement")]
        assert ok(api.get("/tasks", BINH)) == []

    def test_the_paused_clock_stays_paused_while_time_passes(self, api: Api) -> None:
        code = asked_for_supplement(api)

        api.at("2026-03-20T10:00")  # well past the original due time

        assert api.dossier(code, AN)["deadline"]["state"] == "paused"


class TestCitizenSupplements:
    def test_processing_resumes_and_the_due_time_moves_by_the_paused_working_time(self, api: Api) -> None:
        code = asked_for_supplement(api)
        api.at("2026-03-09T09:30")

        detail = ok(api.post(f"/dossiers/{code}/supplement", AN, SUPPLY))

        assert detail["status"]["code"] == 4
        assert [t["step"] for t in detail["tasks"]] == ["appraisal"]
        deadline = detail["deadline"]
        # 48 working hours were left on Tue 03/03 09:30; they run again from Mon 09/03 09:30.
        assert deadline["due_at"] == "2026-03-17T09:30:00+07:00"
        assert deadline["state"] == "on_track"
        assert deadline["remaining_working_hours"] == 48
        pause = deadline["pauses"][0]
        assert (pause["started_at"], pause["ended_at"]) == (
            "2026-03-03T09:30:00+07:00",
            "2026-03-09T09:30:00+07:00",
        )
        assert (pause["due_before"], pause["due_after"]) == (
            "2026-03-11T09:30:00+07:00",
            "2026-03-17T09:30:00+07:00",
        )
        assert any("hạn mới 09:30 ngày 17/03/2026" in line for line in deadline["explanation"])
        assert statuses(detail) == [1, 2, 4, 5, 4]

    def test_supplementing_a_dossier_that_waits_for_nothing_is_a_conflict(self, api: Api) -> None:
        code = api.received()

        error(api.post(f"/dossiers/{code}/supplement", AN, SUPPLY), 409, "NotAtStep")

    def test_another_citizen_cannot_supplement_it(self, api: Api) -> None:
        code = asked_for_supplement(api)

        error(api.post(f"/dossiers/{code}/supplement", BINH, SUPPLY), 404, "DossierNotFound")
        assert api.dossier(code)["status"]["code"] == 5


class TestOnlyOneSupplementPerStage:
    def test_a_second_request_in_processing_is_refused_and_changes_nothing(
        self, api: Api, container: Container
    ) -> None:
        code = supplemented(api)
        api.at("2026-03-10T09:00")
        before = snapshot(api.dossier(code))
        rows = row_counts(container)

        response = api.complete(api.task_id(code, "appraisal"), SPECIALIST, ASK_SUPPLEMENT)

        body = error(response, 409, "SupplementLimit")
        assert "một lần" in body["message"]
        assert snapshot(api.dossier(code)) == before
        assert row_counts(container) == rows

    def test_after_the_refusal_the_appraisal_can_still_go_on(self, api: Api) -> None:
        code = supplemented(api)
        api.complete(api.task_id(code, "appraisal"), SPECIALIST, ASK_SUPPLEMENT)

        detail = api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)

        assert [t["step"] for t in detail["tasks"]] == ["approval"]


class TestSupplementAtReception:
    def test_the_clock_starts_only_when_the_complete_dossier_comes_back(self, api: Api) -> None:
        code = api.filed(AN)
        api.at("2026-03-02T10:00")
        asked = ok(
            api.receive(
                code,
                OFFICER,
                {
                    "decision": "supplement",
                    "missing_papers": [{"paper": "Ý kiến đồng ý của chủ hộ", "reason": "Chủ hộ chưa ký"}],
                },
            )
        )
        assert asked["status"]["code"] == 5
        assert asked["deadline"]["state"] == "not_started"

        api.at("2026-03-04T16:00")
        detail = ok(api.post(f"/dossiers/{code}/supplement", AN, SUPPLY))

        assert detail["status"]["code"] == 4
        assert detail["deadline"]["received_at"] == "2026-03-04T16:00:00+07:00"
        assert detail["deadline"]["due_at"] == "2026-03-13T16:00:00+07:00"
        assert statuses(detail) == [1, 5, 4]
