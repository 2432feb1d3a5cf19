"""The outbox: each status change the IOC cares about writes one CloudEvent in the same transaction."""

from __future__ import annotations

import uuid

import pytest

from engine.errors import Conflict
from engine.usecases import progress
from portal.wiring import Container
from tests.builders import (
    AN,
    APPROVE,
    LEADER,
    OFFICER,
    PROPOSE_APPROVE,
    RETURN_AT_COUNTER,
    SPECIALIST,
    SUPPLY,
    Api,
    birth_filing,
    error,
    event_types,
    ok,
    outbox,
    row_counts,
)


class TestTheCloudEvent:
    def test_a_counter_filing_writes_one_received_event_with_the_new_deadline(
        self, api: Api, container: Container
    ) -> None:
        detail = ok(api.file(OFFICER, birth_filing()))

        [row] = outbox(container)
        event = row.payload
        assert event["specversion"] == "1.0"
        assert uuid.UUID(event["id"]).version == 4
        assert event["id"] == row.id
        assert event["type"] == row.type == "vn.motcua.dossier.received"
        assert event["source"] == "urn:motcua:H29.12.3"
        assert event["subject"] == row.subject == detail["code"]
        assert event["time"] == "2026-03-02T09:00:00+07:00"
        assert event["datacontenttype"] == "application/json"
        data = event["data"]
        assert data["procedure"] == {"code": "1.001193", "name": detail["procedure"]["name"]}
        assert data["agency"] == {"code": "H29.12.3", "name": "UBND phường Ba Đình"}
        # Written as the step left the dossier: status 4, the deadline running, the next step and its holder.
        assert data["status"] == {"code": 4, "label": "Đang xử lý", "label_en": "Being processed"}
        assert data["due_at"] == detail["deadline"]["due_at"] == "2026-03-02T17:00:00+07:00"
        assert data["received_at"] == "2026-03-02T09:00:00+07:00"
        assert data["current_step"] == detail["current_step"]
        assert data["holder"] == detail["current_holder"]
        assert data["overdue_working_hours"] == 0
        assert "applicant" not in data, "no personal data leaves for the operations center"
        assert (row.status, row.attempts, row.channel, row.agency_code) == ("pending", 0, "ioc", "H29.12.3")
        assert row.next_attempt_at == row.created_at

    def test_an_online_filing_writes_nothing_until_it_is_received(
        self, api: Api, container: Container
    ) -> None:
        code = api.filed()
        assert event_types(container) == []

        api.at("2026-03-02T09:30")
        ok(api.receive(code))

        assert event_types(container) == ["received"]
        [row] = outbox(container)
        assert row.payload["data"]["due_at"] == "2026-03-11T09:30:00+07:00"


class TestLifecycle:
    def test_received_completed_returned_in_that_order(self, api: Api, container: Container) -> None:
        code = api.received()
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        assert event_types(container, code) == ["received"]

        api.at("2026-03-04T10:00")
        api.complete_step(code, "approval", LEADER, APPROVE)
        api.complete_step(code, "return", OFFICER, RETURN_AT_COUNTER)

        assert event_types(container, code) == ["received", "completed", "returned"]
        rows = outbox(container)
        assert [r.seq for r in rows] == sorted(r.seq for r in rows)
        completed = rows[1].payload["data"]
        assert completed["status"]["code"] == 9
        assert completed["current_step"] == "Trả kết quả"  # the step now waiting, not the one just done
        assert rows[2].payload["data"]["status"]["code"] == 10
        assert len({r.id for r in rows}) == 3

    def test_a_refusal_at_reception(self, api: Api, container: Container) -> None:
        code = api.filed()
        ok(api.receive(code, OFFICER, {"decision": "refuse", "refusal_reason": "Không thuộc thẩm quyền"}))

        assert event_types(container, code) == ["refused"]
        assert outbox(container)[0].payload["data"]["status"]["code"] == 3

    def test_a_withdrawal(self, api: Api, container: Container) -> None:
        code = api.received()
        ok(api.post(f"/dossiers/{code}/withdraw", AN, {"reason": "Tôi không còn nhu cầu"}))

        assert event_types(container, code) == ["received", "withdrawn"]
        data = outbox(container)[-1].payload["data"]
        assert data["status"]["code"] == 7
        assert data["current_step"] is None

    def test_supplemented_at_reception_is_received_once_when_complete(
        self, api: Api, container: Container
    ) -> None:
        code = api.filed()
        api.at("2026-03-02T10:00")
        missing = [{"paper": "Ý kiến đồng ý của chủ hộ", "reason": "Chủ hộ chưa ký"}]
        ok(api.receive(code, OFFICER, {"decision": "supplement", "missing_papers": missing}))
        assert event_types(container) == []

        api.at("2026-03-04T16:00")
        ok(api.post(f"/dossiers/{code}/supplement", AN, SUPPLY))

        assert event_types(container) == ["received"]
        data = outbox(container)[0].payload["data"]
        assert data["received_at"] == "2026-03-04T16:00:00+07:00"
        assert data["due_at"] == "2026-03-13T16:00:00+07:00"

    def test_an_apology_writes_extended_with_the_new_appointment(
        self, api: Api, container: Container
    ) -> None:
        code = api.received()
        api.at("2026-03-05T10:00")
        body = {"reason": "Cần xác minh thông tin chỗ ở", "new_due_at": "2026-03-16T16:00"}
        ok(api.post(f"/dossiers/{code}/extension", LEADER, body))

        assert event_types(container, code) == ["received", "extended"]
        data = outbox(container)[-1].payload["data"]
        assert data["due_at"] == "2026-03-16T16:00:00+07:00"
        assert data["original_due_at"] == "2026-03-11T09:30:00+07:00"
        assert data["extension"]["old_due_at"] == "2026-03-11T09:30:00+07:00"
        assert data["extension"]["reason"] == "Cần xác minh thông tin chỗ ở"
        assert data["extension"]["issued_by"] == "Hoàng Văn Hải"


class TestSameTransaction:
    def test_a_request_that_fails_after_the_status_changed_leaves_no_event(
        self, api: Api, container: Container, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        code = api.filed()
        before = row_counts(container)

        def fail(*_args: object) -> None:
            raise Conflict("Thử lỗi sau khi đổi trạng thái.", "Failure after the status change.")

        # The status is already 4 and the event queued when the work list projection fails.
        monkeypatch.setattr(progress, "_project_tasks", fail)
        error(api.receive(code), 409)

        assert row_counts(container) == before
        assert outbox(container) == []
        monkeypatch.undo()
        ok(api.receive(code))
        assert event_types(container) == ["received"]

    def test_a_refused_request_writes_nothing(self, api: Api, container: Container) -> None:
        code = api.received()
        before = row_counts(container)

        error(api.receive(code), 409, "NotAtStep")
        error(api.post(f"/dossiers/{code}/withdraw", AN, {"reason": ""}), 422)

        assert row_counts(container) == before
