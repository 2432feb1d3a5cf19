"""The deadline watch: near-due, overdue and step overruns reported exactly when the calendar says, once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import select

from engine.store.models import DossierRow
from engine.watch import run_watch
from portal.wiring import Container
from tests.builders import LEADER, PROPOSE_APPROVE, SPECIALIST, Api, local, ok


def events(container: Container, type_: str) -> list[tuple[str, str]]:
    """(subject, id) of the outbox events of one type, oldest first."""
    with container.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT subject, id FROM outbox_event WHERE type = :t ORDER BY seq"),
            {"t": f"vn.motcua.dossier.{type_}"},
        ).all()
    return [(r[0], r[1]) for r in rows]


def watch(container: Container) -> None:
    run_watch(container.engine, container.services)


class TestNearDueAndOverdue:
    def test_reported_at_the_calendar_moment_and_only_once(self, api: Api, container: Container) -> None:
        # Received Mon 02/03 09:00 → due Wed 11/03 09:00; 25 % of 56 h = 14 h before: Mon 09/03 11:00.
        code = api.received(at="2026-03-02T09:00")
        assert api.dossier(code)["deadline"]["due_at"] == "2026-03-11T09:00:00+07:00"
        api.at("2026-03-09T10:59")
        watch(container)
        assert events(container, "near_due") == []
        api.at("2026-03-09T11:00")
        watch(container)
        watch(container)
        assert [s for s, _ in events(container, "near_due")] == [code]
        api.at("2026-03-11T09:00")  # the due minute itself is still on time
        watch(container)
        assert events(container, "overdue") == []
        api.at("2026-03-11T09:01")
        watch(container)
        watch(container)
        assert [s for s, _ in events(container, "overdue")] == [code]
        assert api.dossier(code)["deadline"]["state"] == "overdue"

    def test_near_due_across_tet_2026(self, api: Api, container: Container) -> None:
        # Received Thu 12/02 10:00 → due Mon 02/03 10:00 (Tết skipped). 14 h before: Thu 26/02 13:30.
        api.at("2026-02-12T10:00")
        code = api.received(at="2026-02-12T10:00")
        api.at("2026-02-26T13:29")
        watch(container)
        assert events(container, "near_due") == []
        api.at("2026-02-26T13:30")
        watch(container)
        assert [s for s, _ in events(container, "near_due")] == [code]

    def test_overdue_counts_the_makeup_saturday_2026_08_22(self, api: Api, container: Container) -> None:
        # Fri 21/08 09:00 + 7 working days: Sat 22/08 (make-up), 24–28/08, then 31/08 and 01–02/09 are off
        # → due Thu 03/09 09:00.
        api.at("2026-08-21T09:00")
        code = api.received(at="2026-08-21T09:00")
        assert api.dossier(code)["deadline"]["due_at"] == "2026-09-03T09:00:00+07:00"
        api.at("2026-09-03T09:00")
        watch(container)
        assert events(container, "overdue") == []
        api.at("2026-09-03T09:01")
        watch(container)
        assert [s for s, _ in events(container, "overdue")] == [code]

    def test_paused_dossier_is_not_reported_and_keeps_its_level(self, api: Api, container: Container) -> None:
        code = api.received(at="2026-03-02T09:00")
        api.at("2026-03-03T09:00")
        supplement = {
            "decision": "supplement",
            "opinion": "Thiếu giấy tờ",
            "missing_papers": [{"paper": "Hợp đồng thuê nhà", "reason": "Hết hạn"}],
        }
        api.complete_step(code, "appraisal", SPECIALIST, supplement)
        api.at("2026-04-30T09:00")  # long past the original due time, but the clock stands
        watch(container)
        assert events(container, "near_due") == []
        assert events(container, "overdue") == []
        ok(api.post(f"/dossiers/{code}/supplement", "nguyenvanan", {"note": "Đã bổ sung"}))
        watch(container)
        assert events(container, "overdue") == []  # 6 working days remain from the resume

    def test_finished_dossier_is_never_reported(self, api: Api, container: Container) -> None:
        code = api.received(at="2026-03-02T09:00")
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        api.complete_step(code, "approval", LEADER, {"decision": "approve"})
        api.at("2026-04-01T09:00")
        watch(container)
        assert events(container, "overdue") == []


class TestStepOverrun:
    def test_step_overrun_reported_once_with_agency_and_holder(self, api: Api, container: Container) -> None:
        code = api.received(at="2026-03-02T09:00")
        task = next(t for t in api.dossier(code)["tasks"] if t["step"] == "appraisal")
        step_due = local(task["due_at"][:16])
        api.clock.set(step_due - timedelta(minutes=1))
        watch(container)
        assert events(container, "step_overdue") == []
        api.clock.set(step_due + timedelta(minutes=1))
        watch(container)
        watch(container)
        found = events(container, "step_overdue")
        assert [s for s, _ in found] == [code]
        with container.engine.connect() as conn:
            payload = conn.execute(
                text("SELECT payload FROM outbox_event WHERE id = :i"), {"i": found[0][1]}
            ).scalar()
        assert "H29.12.3" in str(payload)
        assert "appraisal" in str(payload)


class TestTwoWorkers:
    def test_two_workers_never_double_report(self, api: Api, container: Container) -> None:
        codes = [api.received(at="2026-03-02T09:00") for _ in range(12)]
        api.at("2026-03-11T10:00")  # every one is past near due and due
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                for _ in range(3):
                    watch(container)
            except BaseException as exc:  # noqa: BLE001 — surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sorted(s for s, _ in events(container, "overdue")) == sorted(codes)
        with container.engine.connect() as conn:
            states = conn.execute(select(DossierRow.deadline_state)).scalars().all()
        assert set(states) == {"overdue"}


class TestTimerWakeUp:
    def test_supplement_never_supplied_stops_the_dossier_when_the_bpmn_timer_fires(
        self, api: Api, container: Container
    ) -> None:
        code = api.received(at="2026-03-02T09:00")
        supplement = {
            "decision": "supplement",
            "opinion": "Thiếu giấy tờ",
            "missing_papers": [{"paper": "Hợp đồng thuê nhà", "reason": "Hết hạn"}],
        }
        api.complete_step(code, "appraisal", SPECIALIST, supplement)
        with container.engine.connect() as conn:
            due = conn.execute(text("SELECT due_at FROM bpmn_timer")).scalar()
        assert due is not None, "the 30-day supplement timer is indexed"
        due_at = due if isinstance(due, datetime) else datetime.fromisoformat(str(due))
        if due_at.tzinfo is None:
            due_at = due_at.replace(tzinfo=UTC)
        api.clock.set(due_at - timedelta(minutes=1))
        watch(container)
        assert api.dossier(code)["status"]["code"] == 5
        api.clock.set(due_at + timedelta(minutes=1))
        watch(container)
        detail = api.dossier(code)
        assert detail["status"]["code"] == 8
        assert detail["status"]["label"] == "Dừng xử lý"
        assert detail["tasks"] == []
        with container.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM bpmn_timer")).scalar() == 0
