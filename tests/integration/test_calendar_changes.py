"""A calendar or office-hours change reaches the dossiers in flight: dry run, batches, explanation, notices.

Runs on SQLite and PostgreSQL. The residence procedure counts 7 working days from the receipt; the clock of
the suite starts on Monday 02/03/2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.store.models import AdminChangeRow, AgencyRow, DossierRow, WorkTaskRow
from engine.usecases import agencies, calendar_admin, recompute
from engine.usecases.calendar_admin import ExceptionInput
from integrations.notify.messages import sms_text, word
from portal.wiring import Container
from portal.worker import resume_calendar_changes, run_cycle
from tests.builders import (
    AN,
    ASK_SUPPLEMENT,
    BA_DINH,
    HOAN_KIEM,
    LEADER,
    OFFICER,
    OFFICER_HK,
    SPECIALIST,
    SUPPLY,
    Api,
    birth_filing,
    notices,
    ok,
    residence_filing,
)

ADMIN = Actor(
    subject="admin-1", username="quantri", roles=frozenset({Role.ADMIN}), full_name="Quản trị hệ thống"
)
HOLIDAY = ExceptionInput(
    day="2026-03-10",
    kind="COMPENSATORY_OFF",
    name="Nghỉ bù",
    source="Công văn 1234/LĐTBXH-CV",
    scope="national",
)


@pytest.fixture
def restore_agencies(container: Container) -> Iterator[None]:
    """Agencies are seeded once: put back what a test edits, drop what it adds."""
    with container.transaction() as uow:
        saved = {r.code: r.model_dump() for r in uow.session.exec(select(AgencyRow)).all()}
    yield
    with container.engine.begin() as conn:
        for table in ("deadline_shift", "admin_change", "calendar_exception"):
            conn.execute(text(f"DELETE FROM {table}"))  # before VOLATILE runs: agency rows go next
    with container.transaction() as uow:
        for row in uow.session.exec(select(AgencyRow)).all():
            if row.code not in saved:
                uow.session.delete(row)
            else:
                for key, value in saved[row.code].items():
                    setattr(row, key, value)
                uow.session.add(row)


def due(api: Api, code: str) -> str:
    user = OFFICER_HK if code.startswith(HOAN_KIEM) else OFFICER
    value: str = api.dossier(code, user)["deadline"]["due_at"]
    return value


def in_flight(api: Api) -> dict[str, str]:
    """A: received Mon 02/03 09:30 (due Wed 11/03); B: Wed 04/03 09:30 (due Fri 13/03); C: due Mon 02/03 17:00
    (birth registration, same day); D: Hoàn Kiếm, received Mon 02/03 10:00 (due Wed 11/03)."""
    a = api.received(at="2026-03-02T09:30")
    c = ok(api.at("2026-03-02T14:00").file(OFFICER, birth_filing()))["code"]
    api.at("2026-03-02T09:45")
    d = api.filed(body=residence_filing(agency=HOAN_KIEM))
    api.at("2026-03-02T10:00")
    ok(api.receive(d, OFFICER_HK))
    api.at("2026-03-04T09:00")
    b = api.received(at="2026-03-04T09:30")
    api.at("2026-03-05T09:00")
    return {"A": a, "B": b, "C": c, "D": d}


def propose(container: Container, data: ExceptionInput = HOLIDAY) -> int:
    with container.transaction() as uow:
        change = calendar_admin.propose_add(uow, ADMIN, data, container.services.clock.now())
        assert change.id is not None
        return change.id


def dry(container: Container, change_id: int, **kwargs: Any) -> recompute.DryRunPage:
    with container.transaction() as uow:
        return recompute.dry_run(uow, container.services, ADMIN, change_id, **kwargs)


def apply(container: Container, change_id: int, **kwargs: Any) -> recompute.ApplyReport:
    return recompute.apply(container.transaction, container.services, ADMIN, change_id, **kwargs)


class TestHolidayInsideOpenWindows:
    def test_dry_run_lists_exactly_the_dossiers_it_moves_with_old_and_new_due_times(
        self, api: Api, container: Container, restore_agencies: None
    ) -> None:
        codes = in_flight(api)
        assert due(api, codes["A"]) == "2026-03-11T09:30:00+07:00"
        assert due(api, codes["B"]) == "2026-03-13T09:30:00+07:00"
        change_id = propose(container)

        page = dry(container, change_id)

        moved = {m.code: (m.old_due_at.isoformat(), m.new_due_at.isoformat()) for m in page.moves}
        assert moved == {
            codes["A"]: ("2026-03-11T02:30:00+00:00", "2026-03-12T02:30:00+00:00"),
            codes["B"]: ("2026-03-13T02:30:00+00:00", "2026-03-16T02:30:00+00:00"),
            codes["D"]: ("2026-03-11T03:00:00+00:00", "2026-03-12T03:00:00+00:00"),
        }
        assert page.next_cursor is None
        # A dry run writes nothing: the calendar and the dossiers are as they were.
        assert due(api, codes["A"]) == "2026-03-11T09:30:00+07:00"
        assert [n for n in notices(container, "email") if n[0] == "due_moved"] == []

    def test_applying_moves_them_explains_it_tells_the_citizen_once_and_re_applying_is_a_no_op(
        self, api: Api, container: Container, restore_agencies: None
    ) -> None:
        codes = in_flight(api)
        before = set(notices(container, "email"))
        change_id = propose(container)

        report = apply(container, change_id)

        assert (report.state, report.moved) == ("done", 3)
        assert due(api, codes["A"]) == "2026-03-12T09:30:00+07:00"
        assert due(api, codes["B"]) == "2026-03-16T09:30:00+07:00"
        assert due(api, codes["C"]) == "2026-03-02T17:00:00+07:00"  # its window ended before the day
        lines = api.dossier(codes["A"])["deadline"]["explanation"]
        assert (
            "Hạn giải quyết dời từ 09:30 ngày 11/03/2026 sang 09:30 ngày 12/03/2026 do thêm ngày nghỉ bù "
            "10/03/2026 (Nghỉ bù), theo Công văn 1234/LĐTBXH-CV." in lines
        )
        assert "Không tính ngày 10/03/2026 (Nghỉ bù) vì là ngày nghỉ." in lines
        assert api.dossier(codes["A"], "nguyenvanan")["deadline"]["explanation"] == lines  # the citizen too
        new = [n for n in notices(container, "email") if n not in before]
        assert sorted(new) == sorted(
            ("due_moved", codes[k], "nguyenvanan@example.vn") for k in ("A", "B", "D")
        )
        rows = [
            r
            for r in _outbox_payloads(container)
            if r["notice"] == "due_moved" and r["dossier"] == codes["A"]
        ]
        assert rows[0]["old_due_at"] == "2026-03-11T09:30:00+07:00"
        assert rows[0]["new_due_at"] == "2026-03-12T09:30:00+07:00"
        worded = word(rows[0], "https://motcua.example.vn")
        assert worded.subject == f"Thay đổi thời gian hẹn trả kết quả hồ sơ {codes['A']}"
        assert "Hẹn cũ: 09:30 ngày 11/03/2026" in worded.paragraphs[1]
        assert "Hẹn mới: 09:30 ngày 12/03/2026" in worded.paragraphs[1]
        assert "Công văn 1234/LĐTBXH-CV" in worded.paragraphs[0]
        sms = sms_text(rows[0], public_url="https://motcua.example.vn", ascii_only=False)
        assert "sang 09:30 ngày 12/03/2026" in sms
        # The work list sorts by the new due time.
        with container.transaction() as uow:
            dossier = uow.session.exec(select(DossierRow).where(DossierRow.code == codes["A"])).one()
            tasks = uow.session.exec(select(WorkTaskRow).where(WorkTaskRow.dossier_id == dossier.id)).all()
            assert tasks
            assert {t.deadline_at for t in tasks} == {dossier.due_at}
        # Again: nothing moves, nobody is told twice.
        again = apply(container, change_id)
        assert (again.moved, again.state) == (0, "done")
        assert len(notices(container, "email")) == len(before) + 3

    def test_batches_are_bounded_and_an_interrupted_run_resumes(
        self, api: Api, container: Container, restore_agencies: None
    ) -> None:
        codes = in_flight(api)
        change_id = propose(container)

        first = apply(container, change_id, batch=1, max_batches=2)

        assert (first.state, first.batches, first.examined) == ("applying", 2, 2)
        with container.transaction() as uow:
            assert recompute.unfinished(uow) == [change_id]
        # The worker picks up what the request left (a closed browser, a restarted server).
        examined = run_cycle(container, [("calendar_changes", resume_calendar_changes)]).done[
            "calendar_changes"
        ]
        assert examined > 0
        rest = apply(container, change_id, batch=1)
        assert rest.state == "done"
        with container.transaction() as uow:
            assert recompute.unfinished(uow) == []
        assert due(api, codes["B"]) == "2026-03-16T09:30:00+07:00"
        with container.transaction() as uow:
            change = uow.session.get(AdminChangeRow, change_id)
            assert change is not None
            assert (change.moved, change.applied_by, change.state) == (3, "admin-1", "done")

    def test_an_agency_scoped_holiday_moves_only_that_agencys_dossiers(
        self, api: Api, container: Container, restore_agencies: None
    ) -> None:
        codes = in_flight(api)
        change_id = propose(
            container,
            ExceptionInput(
                "2026-03-10", "HOLIDAY", "Ngày truyền thống", "Quyết định 12/QĐ-UBND", "agency", BA_DINH
            ),
        )

        assert {m.code for m in dry(container, change_id).moves} == {codes["A"], codes["B"]}
        apply(container, change_id)
        assert due(api, codes["D"]) == "2026-03-11T10:00:00+07:00"

    def test_the_dry_run_pages_with_a_cursor(
        self, api: Api, container: Container, restore_agencies: None
    ) -> None:
        codes = in_flight(api)
        change_id = propose(container)

        first = dry(container, change_id, page=2)
        assert len(first.moves) == 2
        assert first.next_cursor is not None
        second = dry(container, change_id, after=first.next_cursor, page=2)

        assert {m.code for m in first.moves + second.moves} == {codes["A"], codes["B"], codes["D"]}
        assert len(second.moves) == 1


class TestPausesAndExtensions:
    def test_a_resumed_clock_is_replayed_a_paused_one_and_an_apology_are_left_alone(
        self, api: Api, container: Container, restore_agencies: None
    ) -> None:
        # Resumed: received Mon 02/03 09:30 (due Wed 11/03 09:30); paused Wed 04/03 09:30 with 40 working
        # hours left; supplied Thu 05/03 09:30 → due Thu 12/03 09:30.
        resumed = api.received(at="2026-03-02T09:30")
        api.at("2026-03-04T09:30").complete_step(resumed, "appraisal", SPECIALIST, ASK_SUPPLEMENT)
        api.at("2026-03-05T09:30")
        ok(api.post(f"/dossiers/{resumed}/supplement", AN, SUPPLY))
        assert due(api, resumed) == "2026-03-12T09:30:00+07:00"
        # Paused now: the clock is counted again, under the calendar then in force, when it resumes.
        api.at("2026-03-02T10:00")
        paused = api.received(at="2026-03-02T10:00")
        api.at("2026-03-05T10:00").complete_step(paused, "appraisal", SPECIALIST, ASK_SUPPLEMENT)
        # An apology with a new appointment: the leader's fixed date.
        api.at("2026-03-02T10:30")
        apologised = api.received(at="2026-03-02T10:30")
        api.at("2026-03-05T11:00")
        ok(
            api.post(
                f"/dossiers/{apologised}/extension",
                LEADER,
                {"reason": "Cần xác minh thêm", "new_due_at": "2026-03-16T16:00"},
            )
        )
        change_id = propose(container)

        moves = {m.code: m.new_due_at.isoformat() for m in dry(container, change_id).moves}
        apply(container, change_id)

        assert moves == {resumed: "2026-03-13T02:30:00+00:00"}
        assert due(api, resumed) == "2026-03-13T09:30:00+07:00"
        deadline = api.dossier(resumed)["deadline"]
        assert deadline["pauses"][0]["due_after"] == "2026-03-13T09:30:00+07:00"  # the pause line follows
        assert due(api, apologised) == "2026-03-16T16:00:00+07:00"
        # Resumed after the change, the paused dossier counts the new day off like any other.
        api.at("2026-03-06T10:00")
        ok(api.post(f"/dossiers/{paused}/supplement", AN, SUPPLY))
        assert due(api, paused) > "2026-03-13"


class TestOfficeHoursChange:
    def test_a_cut_off_and_a_shorter_afternoon_move_the_agencys_dossiers_after_its_dry_run(
        self, api: Api, container: Container, restore_agencies: None
    ) -> None:
        codes = in_flight(api)
        with container.transaction() as uow:
            data = agencies.AgencyInput.of(agencies.get_agency(uow, ADMIN, BA_DINH))
            data.office_hours = "07:30-11:30,13:00-16:30"
            data.cutoff = "09:00"
            edit = agencies.update_agency(uow, ADMIN, BA_DINH, data, container.services.clock.now())
            assert edit.draft is not None
            draft_id = edit.draft.id
            assert edit.agency.office_hours == "07:30-11:30,13:00-17:00"  # not before it is applied
        assert draft_id is not None
        # A and B were received at 09:30, after the new cut-off: they count from the next morning. C (birth
        # registration) keeps its procedure's own cut-off (15:00); its same-day due time is the new closing.
        moves = {m.code: m.new_due_at.isoformat() for m in dry(container, draft_id).moves}
        assert moves == {
            codes["A"]: "2026-03-11T09:30:00+00:00",
            codes["B"]: "2026-03-13T09:30:00+00:00",
            codes["C"]: "2026-03-02T09:30:00+00:00",
        }

        report = apply(container, draft_id)

        assert report.moved == 3
        assert due(api, codes["A"]) == "2026-03-11T16:30:00+07:00"
        with container.transaction() as uow:
            assert agencies.get_agency(uow, ADMIN, BA_DINH).office_hours == "07:30-11:30,13:00-16:30"
        assert due(api, codes["D"]) == "2026-03-11T10:00:00+07:00"


class TestRules:
    def test_only_an_administrator(self, container: Container) -> None:
        officer = Actor(subject="o", username=OFFICER, roles=frozenset({Role.OFFICER}), agency=BA_DINH)
        with container.transaction() as uow, pytest.raises(Forbidden):
            calendar_admin.propose_add(uow, officer, HOLIDAY, container.services.clock.now())

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"day": "2026-02-30"}, "day"),
            ({"day": "2031-01-02"}, "day"),
            ({"kind": "FEAST"}, "kind"),
            ({"day": "2026-03-07"}, "day"),  # a Saturday is already a day off
            ({"kind": "MAKEUP_WORKDAY"}, "kind"),  # Tuesday is already a working day
            ({"name": "x"}, "name"),
            ({"source": ""}, "source"),
            ({"scope": "planet"}, "scope"),
            ({"scope": "province", "scope_code": "99"}, "scope_code"),
            ({"scope": "agency", "scope_code": "NO.SUCH"}, "scope_code"),
        ],
    )
    def test_bad_exceptions_are_refused_on_their_field(
        self, container: Container, change: dict[str, str], field: str
    ) -> None:
        data = ExceptionInput(**{**HOLIDAY.as_dict(), **change})
        with container.transaction() as uow, pytest.raises(InvalidInput) as refused:
            calendar_admin.propose_add(uow, ADMIN, data, container.services.clock.now())
        assert field in refused.value.fields

    def test_a_duplicate_date_in_the_same_scope_is_refused_when_applied(
        self, container: Container, restore_agencies: None
    ) -> None:
        first, second = propose(container), propose(container)
        apply(container, first)
        with pytest.raises(InvalidInput) as refused:
            apply(container, second)
        assert "day" in refused.value.fields
        with container.transaction() as uow, pytest.raises(InvalidInput):
            calendar_admin.propose_add(uow, ADMIN, HOLIDAY, container.services.clock.now())

    def test_a_cancelled_draft_cannot_be_applied(self, container: Container, restore_agencies: None) -> None:
        change_id = propose(container)
        with container.transaction() as uow:
            recompute.cancel(uow, ADMIN, change_id)
        with pytest.raises(Conflict):
            apply(container, change_id)


class TestCandidatesUseIndexes:
    def test_the_scan_reads_an_index_range_of_running_clocks_not_the_table(
        self, container: Container
    ) -> None:
        national = recompute.Effect((), (date(2026, 3, 10),), None)
        agency = recompute.Effect((), (), (BA_DINH,))
        after = recompute.Cursor(0, datetime(2026, 3, 11, tzinfo=UTC), 5)
        for effect, index in ((national, "ix_dossier_clock_due"), (agency, "ix_dossier_agency_clock_due")):
            query = recompute.candidate_query(effect, 0, after, 200)
            sql = str(query.compile(container.engine, compile_kwargs={"literal_binds": True}))
            with container.engine.connect() as conn:
                if container.engine.dialect.name == "sqlite":
                    plan = " ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
                    assert f"SEARCH dossier USING INDEX {index}" in plan, plan
                    assert "USE TEMP B-TREE" not in plan, plan
                else:
                    # A tiny table is cheaper to read whole: the point is that the index answers the query.
                    conn.execute(text("SET enable_seqscan = off"))
                    plan = " ".join(str(r[0]) for r in conn.execute(text(f"EXPLAIN {sql}")))
                    conn.execute(text("RESET enable_seqscan"))
                    assert f"Index Scan using {index}" in plan or f"Index Only Scan using {index}" in plan, (
                        plan
                    )
                    assert "Sort Key" not in plan, plan  # read in index order: the page stops after its rows


def _outbox_payloads(container: Container) -> list[dict[str, Any]]:
    with container.transaction() as uow:
        from engine.store.models import OutboxEventRow  # noqa: PLC0415

        rows = uow.session.exec(
            select(OutboxEventRow).where(OutboxEventRow.channel == "email").order_by(col(OutboxEventRow.seq))
        ).all()
        return [dict(r.payload) for r in rows]
