"""Apology with a new appointment (Mẫu 04): leader only, once, ≥ 1 working day before the due time."""

from __future__ import annotations

from typing import Any

import pytest

from portal.wiring import Container
from tests.builders import (
    AN,
    APPROVE,
    ASK_SUPPLEMENT,
    LEADER,
    LEADER_HK,
    OFFICER,
    PROPOSE_APPROVE,
    SPECIALIST,
    SUPPLY,
    Api,
    error,
    ok,
    row_counts,
)

# Every dossier here: received Mon 02/03 09:30, due Wed 11/03 09:30.
DUE = "2026-03-11T09:30:00+07:00"
APOLOGY = {"reason": "Cần xác minh thông tin chỗ ở với cơ quan quản lý nhà", "new_due_at": "2026-03-16T16:00"}


def extend(api: Api, code: str, user: str = LEADER, **changes: Any) -> Any:
    """POST the apology, with fields replaced (or removed when given None)."""
    body = {**APOLOGY, **changes}
    return api.post(f"/dossiers/{code}/extension", user, {k: v for k, v in body.items() if v is not None})


def unchanged(api: Api, code: str) -> None:
    """The dossier still has its original appointment and no apology."""
    deadline = api.dossier(code)["deadline"]
    assert deadline["due_at"] == DUE
    assert deadline["extension"] is None


class TestLeaderExtends:
    def test_a_new_appointment_replaces_the_due_time_and_keeps_the_original(self, api: Api) -> None:
        code = api.received()
        api.at("2026-03-09T10:00")

        detail = ok(extend(api, code))

        deadline = detail["deadline"]
        assert deadline["due_at"] == "2026-03-16T16:00:00+07:00"
        assert deadline["original_due_at"] == DUE
        assert deadline["extension"]["old_due_at"] == DUE
        assert deadline["extension"]["new_due_at"] == "2026-03-16T16:00:00+07:00"
        assert deadline["extension"]["issued_by"] == "Hoàng Văn Hải"
        assert deadline["extension"]["reason"] == APOLOGY["reason"]
        assert any("Mẫu 04" in line and APOLOGY["reason"] in line for line in deadline["explanation"])

    def test_the_citizen_sees_the_new_appointment(self, api: Api) -> None:
        code = api.received()
        api.at("2026-03-09T10:00")
        ok(extend(api, code))

        assert api.dossier(code, AN)["deadline"]["due_at"] == "2026-03-16T16:00:00+07:00"
        assert ok(api.track(code))["due_at"] == "2026-03-16T16:00:00+07:00"

    def test_exactly_one_working_day_before_the_due_time_is_still_in_time(self, api: Api) -> None:
        code = api.received()
        api.at("2026-03-10T09:30")

        assert ok(extend(api, code))["deadline"]["due_at"] == "2026-03-16T16:00:00+07:00"

    def test_finishing_after_the_original_due_time_still_counts_late(self, api: Api) -> None:
        code = api.received()
        api.at("2026-03-09T10:00")
        ok(extend(api, code))
        api.at("2026-03-12T09:00")
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        api.at("2026-03-13T09:00")

        detail = api.complete_step(code, "approval", LEADER, APPROVE)

        assert detail["status"]["code"] == 9
        assert detail["deadline"]["state"] == "late"
        assert detail["deadline"]["state_label"] == "Quá hạn"


class TestExtensionRefused:
    def test_a_second_apology_is_a_conflict(self, api: Api, container: Container) -> None:
        code = api.received()
        api.at("2026-03-09T10:00")
        ok(extend(api, code))
        rows = row_counts(container)

        body = error(extend(api, code, new_due_at="2026-03-20T16:00"), 409, "ExtensionAlreadyIssued")

        assert "một lần" in body["message"]
        assert api.dossier(code)["deadline"]["due_at"] == "2026-03-16T16:00:00+07:00"
        assert row_counts(container) == rows

    def test_less_than_one_working_day_before_the_due_time_is_too_late(self, api: Api) -> None:
        code = api.received()
        api.at("2026-03-10T10:00")  # 7.5 working hours left

        body = error(extend(api, code), 409, "ExtensionTooLate")

        assert "01 ngày làm việc" in body["message"]
        assert "01 ngày làm việc" in body["fields"]["new_due_at"]["message"]  # a form shows it on the field
        unchanged(api, code)

    def test_a_specialist_may_not_issue_it(self, api: Api) -> None:
        code = api.received()
        api.at("2026-03-09T10:00")

        error(extend(api, code, SPECIALIST), 403, "Forbidden")
        unchanged(api, code)

    def test_the_citizen_may_not_issue_it(self, api: Api) -> None:
        code = api.received()

        error(extend(api, code, AN), 403, "Forbidden")
        unchanged(api, code)

    def test_a_leader_of_another_agency_does_not_even_see_the_dossier(self, api: Api) -> None:
        code = api.received()

        error(extend(api, code, LEADER_HK), 404, "DossierNotFound")
        unchanged(api, code)

    def test_a_dossier_not_yet_received_has_no_due_time_to_move(self, api: Api) -> None:
        code = api.filed()

        error(extend(api, code), 409, "NotExtendable")


class TestExtensionWhilePaused:
    """While the citizen holds the dossier (status 5) the clock stands; its due time is not yet known."""

    def paused(self, api: Api) -> str:
        code = api.received()
        api.at("2026-03-03T09:30")  # 48 working hours left
        api.complete_step(code, "appraisal", SPECIALIST, ASK_SUPPLEMENT)
        api.at("2026-03-04T09:30")
        return code

    def test_an_apology_is_refused_while_the_clock_is_paused(self, api: Api, container: Container) -> None:
        code = self.paused(api)
        rows = row_counts(container)

        body = error(extend(api, code, new_due_at="2026-03-20T16:00"), 409, "NotExtendable")

        assert "tạm dừng" in body["message"]
        assert row_counts(container) == rows
        assert api.dossier(code)["deadline"]["extension"] is None

    def test_once_processing_resumes_the_new_appointment_holds(self, api: Api) -> None:
        code = self.paused(api)
        api.at("2026-03-09T09:30")
        assert ok(api.post(f"/dossiers/{code}/supplement", AN, SUPPLY))["deadline"]["due_at"] == (
            "2026-03-17T09:30:00+07:00"
        )
        api.at("2026-03-10T09:30")

        deadline = ok(extend(api, code, new_due_at="2026-03-20T16:00"))["deadline"]

        assert deadline["due_at"] == "2026-03-20T16:00:00+07:00"
        assert deadline["original_due_at"] == "2026-03-17T09:30:00+07:00"


class TestExtensionInvalid:
    @pytest.mark.parametrize(
        ("new_due_at", "why"),
        [
            ("2026-03-10T16:00", "sau thời hạn hiện tại"),
            ("2026-03-11T09:30", "sau thời hạn hiện tại"),
            ("2026-03-14T10:00", "giờ làm việc"),  # a Saturday
            ("2026-03-16T12:00", "giờ làm việc"),  # lunch break
            ("16/03/2026", "ISO 8601"),
        ],
    )
    def test_a_bad_new_due_time_is_a_field_error(self, api: Api, new_due_at: str, why: str) -> None:
        code = api.received()
        api.at("2026-03-09T10:00")

        body = error(extend(api, code, new_due_at=new_due_at), 422)

        assert set(body["fields"]) == {"new_due_at"}
        assert why in body["fields"]["new_due_at"]["message"]
        assert body["fields"]["new_due_at"]["message_en"]
        unchanged(api, code)

    def test_a_missing_reason_is_a_field_error(self, api: Api) -> None:
        code = api.received()
        api.at("2026-03-09T10:00")

        body = error(extend(api, code, reason=None), 422, "InvalidInput")

        assert body["fields"]["reason"]["message"] == "Trường này là bắt buộc."
        unchanged(api, code)

    def test_a_reason_too_thin_to_explain_anything_is_a_field_error(self, api: Api) -> None:
        code = api.received()
        api.at("2026-03-09T10:00")

        body = error(extend(api, code, reason="  "), 422)

        assert "lý do" in body["fields"]["reason"]["message"]
        unchanged(api, code)

    def test_an_officer_may_not_issue_it_either(self, api: Api) -> None:
        code = api.received()

        error(extend(api, code, OFFICER), 403)
        unchanged(api, code)
