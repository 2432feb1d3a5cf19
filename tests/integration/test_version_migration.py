"""Moving running dossiers to a new version of their procedure: dry run, refusals, policies, timeline, finish.

Runs on SQLite and PostgreSQL. Version 2 of permanent residence (tests/versions.py) counts 10 working days
instead of 7 and renames the leader's task, so a dossier waiting for the leader cannot move. The suite's
clock starts on Monday 02/03/2026 09:00.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from engine.actor import Actor, Role
from engine.errors import Forbidden, InvalidInput
from engine.store.models import DossierRow, OutboxEventRow, ProcedureVersionRow, VersionMoveRow
from engine.usecases import version_migration as vm
from integrations.notify.messages import sms_text, word
from portal.cli import app
from portal.settings import get_settings
from portal.wiring import Container
from tests.builders import (
    AN,
    APPROVE,
    ASK_SUPPLEMENT,
    LEADER,
    OFFICER,
    PROPOSE_APPROVE,
    RESIDENCE,
    RETURN_AT_COUNTER,
    SPECIALIST,
    SUPPLY,
    Api,
    notices,
    ok,
)
from tests.versions import LONGER_AND_RENAMED, publish_edited, restore_versions

__all__ = ["restore_versions"]

ADMIN = Actor(
    subject="admin-1", username="quantri", roles=frozenset({Role.ADMIN}), full_name="Quản trị hệ thống"
)
NOTE = "Áp dụng quy trình mới theo Quyết định 123/QĐ-UBND"


def in_flight(api: Api) -> dict[str, str]:
    """A at appraisal (received Mon 02/03 09:30, due Wed 11/03 09:30), B at the leader, C not received."""
    a = api.received(at="2026-03-02T09:30")
    b = api.received(at="2026-03-02T10:00")
    api.complete_step(b, "appraisal", SPECIALIST, PROPOSE_APPROVE)
    api.at("2026-03-02T11:00")
    c = api.filed()
    api.at("2026-03-05T09:00")
    return {"A": a, "B": b, "C": c}


def move_input(policy: str = vm.KEEP, note: str = NOTE, **overrides: str) -> vm.MoveInput:
    values = {"from_version": "1", "to_version": "2", "policy": policy, "note": note}
    return vm.MoveInput(**(values | overrides))


def ids(container: Container, *codes: str) -> list[int]:
    with container.transaction() as uow:
        rows = uow.session.exec(select(DossierRow).where(DossierRow.code.in_(codes))).all()  # type: ignore[attr-defined]
        by_code = {r.code: r.id for r in rows}
    return [int(by_code[c]) for c in codes]  # type: ignore[arg-type]


def version_of(container: Container, code: str) -> int:
    with container.transaction() as uow:
        row = uow.session.exec(select(DossierRow).where(DossierRow.code == code)).one()
        version = uow.session.get(ProcedureVersionRow, row.procedure_version_id)
        assert version is not None
        return version.version


def apply(container: Container, codes: list[str] | None, policy: str = vm.KEEP) -> vm.ApplyReport:
    chosen = ids(container, *codes) if codes is not None else None
    return vm.apply(
        container.transaction, container.services, ADMIN, RESIDENCE, move_input(policy), dossier_ids=chosen
    )


@pytest.fixture
def v2(container: Container, tmp_path: Path, restore_versions: None) -> Callable[[], None]:
    """Publish version 2 (call it after filing: dossiers filed later start on version 2)."""

    def publish() -> None:
        published = publish_edited(container, tmp_path, LONGER_AND_RENAMED)
        assert (published.version, published.created) == (2, True)

    return publish


class TestDryRun:
    def test_lists_every_open_dossier_with_its_verdict_and_due_times(
        self, api: Api, container: Container, restore_versions: None, tmp_path: Path
    ) -> None:
        codes = in_flight(api)
        publish_edited(container, tmp_path, LONGER_AND_RENAMED)

        with container.transaction() as uow:
            page = vm.dry_run(container.services, uow, ADMIN, RESIDENCE, move_input(vm.NEW_TERM))

        found = {c.code: c for c in page.candidates}
        assert set(found) == set(codes.values())
        a, b, c = found[codes["A"]], found[codes["B"]], found[codes["C"]]
        assert a.movable
        assert a.waiting == ("Thẩm định hồ sơ",)
        assert a.due_at is not None
        assert a.new_due_at is not None
        assert a.due_at.isoformat() == "2026-03-11T02:30:00+00:00"
        # New term from the move (Thu 05/03 09:00): 10 working days → Thu 19/03 09:00.
        assert a.new_due_at.isoformat() == "2026-03-19T02:00:00+00:00"
        assert not b.movable
        assert b.refusal is not None
        assert "Task_Approval" in b.refusal
        assert b.waiting == ("Phê duyệt kết quả",)
        assert c.movable
        assert c.due_at is None
        assert c.new_due_at is None
        assert page.next_after is None
        # Nothing written: every dossier is still on version 1.
        assert {version_of(container, code) for code in codes.values()} == {1}

    def test_pages_by_keyset(self, api: Api, container: Container, v2: Callable[[], None]) -> None:
        for _ in range(3):
            api.filed()
        v2()
        with container.transaction() as uow:
            first = vm.dry_run(container.services, uow, ADMIN, RESIDENCE, move_input(), page=2)
            second = vm.dry_run(
                container.services, uow, ADMIN, RESIDENCE, move_input(), after=first.next_after, page=2
            )
        assert len(first.candidates) == 2
        assert first.next_after is not None
        assert len(second.candidates) == 1
        assert second.next_after is None
        assert {c.code for c in first.candidates}.isdisjoint({c.code for c in second.candidates})

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"to_version": "1"}, "to_version"),
            ({"to_version": "9"}, "to_version"),
            ({"from_version": "abc"}, "from_version"),
            ({"policy": "whatever"}, "policy"),
        ],
    )
    def test_bad_choices_are_refused_by_field(
        self, container: Container, v2: Callable[[], None], overrides: dict[str, str], field: str
    ) -> None:
        v2()
        with container.transaction() as uow, pytest.raises(InvalidInput) as caught:
            vm.dry_run(container.services, uow, ADMIN, RESIDENCE, move_input(**overrides))
        assert field in caught.value.fields

    def test_only_administrators(self, container: Container, v2: Callable[[], None]) -> None:
        v2()
        officer = Actor("o", "motcua.badinh", frozenset({Role.OFFICER}), "H29.12.3")
        with container.transaction() as uow, pytest.raises(Forbidden):
            vm.dry_run(container.services, uow, officer, RESIDENCE, move_input())


class TestApply:
    def test_keeps_the_legal_term_by_default_and_records_the_move(
        self, api: Api, container: Container, restore_versions: None, tmp_path: Path
    ) -> None:
        codes = in_flight(api)
        publish_edited(container, tmp_path, LONGER_AND_RENAMED)

        report = apply(container, [codes["A"]])

        assert report.moved == [codes["A"]]
        assert version_of(container, codes["A"]) == 2
        detail = api.dossier(codes["A"])
        assert detail["procedure"]["version"] == 2
        assert detail["deadline"]["due_at"] == "2026-03-11T09:30:00+07:00"
        assert detail["deadline"]["legal"] == "7 ngày làm việc"  # the term it started with
        [move] = detail["version_moves"]
        assert move["label"] == "Chuyển sang phiên bản 2 của quy trình"
        assert move["by"] == "Quản trị hệ thống"
        assert move["audit_note"] == NOTE
        assert any(
            "chuyển sang phiên bản 2" in line and "giữ thời hạn" in line
            for line in detail["deadline"]["explanation"]
        )
        # The due time did not move: the citizen is not told about a new appointment.
        assert [n for n in notices(container) if n[0] == "version_moved"] == []
        # The citizen sees the move on their own page too.
        assert api.dossier(codes["A"], "nguyenvanan")["version_moves"][0]["version"] == 2

    def test_new_term_counts_the_new_deadline_from_the_move_and_tells_the_citizen(
        self, api: Api, container: Container, restore_versions: None, tmp_path: Path
    ) -> None:
        codes = in_flight(api)
        publish_edited(container, tmp_path, LONGER_AND_RENAMED)

        apply(container, [codes["A"]], vm.NEW_TERM)

        detail = api.dossier(codes["A"])
        assert detail["deadline"]["due_at"] == "2026-03-19T09:00:00+07:00"
        assert detail["deadline"]["original_due_at"] == "2026-03-19T09:00:00+07:00"
        assert detail["deadline"]["legal"] == "10 ngày làm việc"
        assert ("version_moved", codes["A"], "nguyenvanan@example.vn") in notices(container)
        with container.transaction() as uow:
            [message] = [
                dict(r.payload)
                for r in uow.session.exec(
                    select(OutboxEventRow).where(OutboxEventRow.channel == "email")
                ).all()
                if r.payload.get("notice") == "version_moved"
            ]
        worded = word(message, "https://motcua.example.vn")
        assert worded.subject == f"Thay đổi thời gian hẹn trả kết quả hồ sơ {codes['A']}"
        assert "phiên bản 2" in worded.paragraphs[0]
        assert "Hẹn mới: 09:00 ngày 19/03/2026" in worded.paragraphs[1]
        sms = sms_text(message, public_url="https://motcua.example.vn", ascii_only=False)
        assert "sang 09:00 ngày 19/03/2026 do áp dụng quy trình mới" in sms
        with container.transaction() as uow:
            [row] = uow.session.exec(select(VersionMoveRow)).all()
        assert row.policy == "new_term"
        assert row.old_due_at is not None
        assert row.old_due_at.isoformat() == "2026-03-11T02:30:00+00:00"

    def test_a_dossier_whose_waiting_task_has_no_counterpart_is_refused_and_untouched(
        self, api: Api, container: Container, restore_versions: None, tmp_path: Path
    ) -> None:
        codes = in_flight(api)
        publish_edited(container, tmp_path, LONGER_AND_RENAMED)

        report = apply(container, [codes["B"]])

        assert report.moved == []
        [(code, reason)] = report.refused
        assert code == codes["B"]
        assert "Task_Approval" in reason
        assert version_of(container, codes["B"]) == 1
        assert api.dossier(codes["B"])["version_moves"] == []

    def test_a_step_taken_after_the_dry_run_is_seen_when_applying(
        self, api: Api, container: Container, v2: Callable[[], None]
    ) -> None:
        code = api.received(at="2026-03-02T09:30")
        v2()
        with container.transaction() as uow:
            [candidate] = vm.dry_run(container.services, uow, ADMIN, RESIDENCE, move_input()).candidates
        assert candidate.movable
        # Meanwhile the specialist proposes approval: the dossier now waits for the leader's renamed task.
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)

        report = apply(container, [code])

        assert report.moved == []
        assert "Task_Approval" in report.refused[0][1]
        assert version_of(container, code) == 1
        assert api.dossier(code)["tasks"][0]["step"] == "approval"

    def test_applying_twice_moves_once(self, api: Api, container: Container, v2: Callable[[], None]) -> None:
        code = api.received(at="2026-03-02T09:30")
        v2()

        first = apply(container, [code])
        second = apply(container, [code])

        assert (first.moved, second.moved, second.already) == ([code], [], [code])
        with container.transaction() as uow:
            assert len(uow.session.exec(select(VersionMoveRow)).all()) == 1

    def test_all_moves_the_movable_ones_and_reports_the_others(
        self, api: Api, container: Container, restore_versions: None, tmp_path: Path
    ) -> None:
        codes = in_flight(api)
        publish_edited(container, tmp_path, LONGER_AND_RENAMED)

        report = apply(container, None)

        assert sorted(report.moved) == sorted([codes["A"], codes["C"]])
        assert [code for code, _ in report.refused] == [codes["B"]]
        assert report.more is False

    def test_the_note_is_required(self, api: Api, container: Container, v2: Callable[[], None]) -> None:
        code = api.received(at="2026-03-02T09:30")
        v2()
        with pytest.raises(InvalidInput) as caught:
            vm.apply(
                container.transaction,
                container.services,
                ADMIN,
                RESIDENCE,
                move_input(note="  ab "),
                dossier_ids=ids(container, code),
            )
        assert "note" in caught.value.fields
        assert version_of(container, code) == 1


def finish(api: Api, code: str) -> dict[str, Any]:
    api.complete_step(code, "approval", LEADER, APPROVE)
    return api.complete_step(code, "return", OFFICER, RETURN_AT_COUNTER)


class TestMovedDossierFinishesOnTheNewProcess:
    def test_the_next_steps_come_from_the_new_model(
        self, api: Api, container: Container, v2: Callable[[], None]
    ) -> None:
        code = api.received(at="2026-03-02T09:30")
        v2()
        apply(container, [code])

        api.at("2026-03-05T10:00")
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        [task] = api.dossier(code)["tasks"]
        assert (task["step"], task["title"]) == ("approval", "Quyết định cấp đăng ký")
        api.at("2026-03-06T10:00")
        finish(api, code)

        detail = api.dossier(code)
        assert detail["status"]["code"] == 10
        assert detail["procedure"]["version"] == 2
        assert detail["deadline"]["state"] == "early"

    def test_a_dossier_moved_before_receipt_gets_the_new_term(
        self, api: Api, container: Container, v2: Callable[[], None]
    ) -> None:
        api.at("2026-03-02T09:00")
        code = api.filed()
        v2()
        apply(container, [code])

        api.at("2026-03-02T09:30")
        api.receive(code)

        # Received Mon 02/03 09:30 on version 2: 10 working days → Mon 16/03 09:30.
        assert api.dossier(code)["deadline"]["due_at"] == "2026-03-16T09:30:00+07:00"


class TestPausedDossier:
    """Asked to supplement Tue 03/03 09:30 (48 working hours left), moved Thu 05/03, supplied Mon 09/03."""

    def paused(self, api: Api, v2: Callable[[], None]) -> str:
        code = api.received(at="2026-03-02T09:30")
        api.at("2026-03-03T09:30").complete_step(code, "appraisal", SPECIALIST, ASK_SUPPLEMENT)
        v2()
        api.at("2026-03-05T09:00")
        return code

    def test_keep_counts_the_time_left_under_the_old_term(
        self, api: Api, container: Container, v2: Callable[[], None]
    ) -> None:
        code = self.paused(api, v2)
        assert apply(container, [code]).moved == [code]

        ok(api.at("2026-03-09T09:00").post(f"/dossiers/{code}/supplement", AN, SUPPLY))

        # 48 working hours from Mon 09/03 09:00 → Tue 17/03 09:00.
        assert api.dossier(code)["deadline"]["due_at"] == "2026-03-17T09:00:00+07:00"

    def test_new_term_gives_the_new_budget_when_the_citizen_answers(
        self, api: Api, container: Container, v2: Callable[[], None]
    ) -> None:
        code = self.paused(api, v2)
        assert apply(container, [code], vm.NEW_TERM).moved == [code]

        ok(api.at("2026-03-09T09:00").post(f"/dossiers/{code}/supplement", AN, SUPPLY))

        # The new term, 10 working days, from Mon 09/03 09:00 → Mon 23/03 09:00.
        detail = api.dossier(code)
        assert detail["deadline"]["due_at"] == "2026-03-23T09:00:00+07:00"
        assert detail["status"]["code"] == 4


class TestCli:
    def test_dry_run_then_apply_from_the_command_line(
        self, api: Api, container: Container, tmp_path: Path, v2: Callable[[], None]
    ) -> None:
        codes = in_flight(api)
        v2()
        env = {
            "MOTCUA_ENV": "test",
            "MOTCUA_DATABASE_URL": container.engine.url.render_as_string(hide_password=False),
            "MOTCUA_DATA_DIR": str(tmp_path),
        }

        def run(*args: str) -> str:
            get_settings.cache_clear()
            try:
                result = CliRunner().invoke(app, ["procedures", "move", RESIDENCE, *args], env=env)
            finally:
                get_settings.cache_clear()
            assert result.exit_code == 0, result.output
            return result.output

        preview = run("--from", "1", "--to", "2")
        assert f"{codes['A']}\t09:30 11/03/2026 → 09:30 11/03/2026\tcó thể chuyển" in preview
        assert f"{codes['B']}" in preview
        assert "Task_Approval" in preview
        assert version_of(container, codes["A"]) == 1

        done = run("--from", "1", "--to", "2", "--apply", "--note", NOTE)
        assert f"✓ {codes['A']}" in done
        assert f"✗ {codes['B']}" in done
        assert version_of(container, codes["A"]) == 2
