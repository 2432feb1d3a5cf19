"""The operations center's pull feed, acknowledgements and summary, and who may read them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session
from sqlmodel import select

from engine.outbox import EventType, emit
from engine.store.models import DossierRow, OutboxEventRow
from portal.auth import DevIdentity
from portal.wiring import Container
from tests.builders import (
    AN,
    BA_DINH,
    HOAN_KIEM,
    OFFICER,
    OFFICER_HK,
    SPECIALIST,
    SUPERVISOR,
    Api,
    birth_filing,
    error,
    ok,
    outbox,
)

IOC = "ioc.hanoi"
ADMIN = "quantri"


@pytest.fixture
def supervisor_hk(container: Container) -> dict[str, str]:
    """Authorization header of a supervisor of Hoàn Kiếm (no demo user has that role there)."""
    token = DevIdentity(container.settings).issue(
        username="giamsat.hoankiem", roles=["supervisor"], agency=HOAN_KIEM, name="Đinh Thị Thu"
    )
    return {"Authorization": f"Bearer {token}"}


def counter(api: Api, agency: str = BA_DINH) -> str:
    """A birth registration received at the counter of an agency (one `received` event)."""
    officer = OFFICER if agency == BA_DINH else OFFICER_HK
    return str(ok(api.file(officer, birth_filing(agency=agency)))["code"])


def feed(api: Api, user: str = IOC, **params: Any) -> dict[str, Any]:
    """GET /ioc/events as a user (asserting 200)."""
    return ok(api.get("/ioc/events", user, **params))


class TestFeed:
    def test_pages_follow_the_cursor_in_seq_order_without_gaps_or_repeats(
        self, api: Api, container: Container
    ) -> None:
        codes = [counter(api) for _ in range(5)]
        stored = outbox(container)

        seen: list[dict[str, Any]] = []
        cursor = 0
        pages = 0
        while True:
            page = feed(api, after=cursor, limit=2)
            if not page["events"]:
                assert page["next"] == cursor
                break
            pages += 1
            seen.extend(page["events"])
            assert page["next"] == page["events"][-1]["seq"]
            cursor = page["next"]

        assert pages == 3
        assert [e["seq"] for e in seen] == [r.seq for r in stored]
        assert [e["id"] for e in seen] == [r.id for r in stored]
        assert [e["subject"] for e in seen] == codes
        first = seen[0]
        assert first == {**stored[0].payload, "seq": stored[0].seq, "acked": None}
        assert (first["specversion"], first["type"]) == ("1.0", "vn.motcua.dossier.received")

    def test_the_cursor_is_where_the_reader_left_off(self, api: Api) -> None:
        counter(api)
        cursor = feed(api)["next"]
        assert feed(api, after=cursor)["events"] == []

        code = counter(api)
        page = feed(api, after=cursor)
        assert [e["subject"] for e in page["events"]] == [code]

    def test_bad_paging_parameters_are_field_errors(self, api: Api) -> None:
        body = error(api.get("/ioc/events", IOC, after=-1), 422)
        assert "after" in body["fields"]
        error(api.get("/ioc/events", IOC, limit=0), 422)
        error(api.get("/ioc/events", IOC, limit=201), 422)
        code = counter(api)
        assert [e["subject"] for e in feed(api, limit=200)["events"]] == [code]  # 200, the largest page

    def test_a_later_transaction_never_shows_its_event_before_an_earlier_one_commits(
        self, api: Api, container: Container
    ) -> None:
        """Seq is the cursor, so an event must not appear below a seq a reader already passed."""
        code = counter(api)
        cursor = feed(api)["next"]
        inserted, release, b_done = threading.Event(), threading.Event(), threading.Event()
        errors: list[BaseException] = []

        def pause_after_insert(session: Session, _ctx: object) -> None:
            if any(isinstance(o, OutboxEventRow) for o in session.new):
                inserted.set()
                release.wait(timeout=20)

        def emit_one(pause: bool, done: threading.Event | None = None) -> None:
            try:
                with container.transaction() as uow:
                    dossier = uow.session.exec(select(DossierRow).where(DossierRow.code == code)).one()
                    emit(uow, EventType.NEAR_DUE, dossier, {"writer": "A" if pause else "B"}, api.clock.now())
                    if pause:
                        event.listen(uow.session, "after_flush", pause_after_insert)
            except BaseException as exc:  # noqa: BLE001 — reported by the main thread
                errors.append(exc)
            finally:
                if done is not None:
                    done.set()

        a = threading.Thread(target=emit_one, args=(True,))
        b = threading.Thread(target=emit_one, args=(False, b_done))
        a.start()
        try:
            assert inserted.wait(timeout=20), "A never inserted its event"
            b.start()
            # A holds its insert uncommitted: B must not commit an event with a later seq meanwhile.
            assert not b_done.wait(timeout=1.0), "B committed while an earlier seq was still in flight"
            reader = create_engine(container.engine.url)
            try:
                with reader.connect() as conn:
                    visible = conn.execute(
                        text("SELECT COUNT(*) FROM outbox_event WHERE channel = 'ioc'")
                    ).scalar_one()
            finally:
                reader.dispose()
            assert visible == 1, "only the first dossier's `received` is committed so far"
        finally:
            release.set()
            a.join(timeout=20)
            if b.is_alive() or b_done.is_set():
                b.join(timeout=20)

        assert not errors, errors
        events = feed(api, after=cursor)["events"]
        assert [e["data"]["writer"] for e in events] == ["A", "B"]


class TestAcknowledge:
    def test_who_when_and_note_are_recorded_once(self, api: Api, container: Container) -> None:
        counter(api)
        [event_id] = [e["id"] for e in feed(api)["events"]]
        api.at("2026-03-02T10:15")

        body = ok(api.post(f"/ioc/events/{event_id}/ack", IOC, {"note": "Đã giao phường Ba Đình theo dõi"}))

        acked = {
            "at": "2026-03-02T10:15:00+07:00",
            "by": "dev:ioc.hanoi",
            "by_name": "Trung tâm điều hành đô thị thông minh Hà Nội",
            "note": "Đã giao phường Ba Đình theo dõi",
        }
        assert body == {"id": event_id, "seq": outbox(container)[0].seq, "acked": acked}
        assert feed(api)["events"][0]["acked"] == acked

        again = error(
            api.post(f"/ioc/events/{event_id}/ack", ADMIN, {"note": "lần hai"}), 409, "AlreadyAcknowledged"
        )
        assert "đã được xác nhận" in again["message"]
        assert feed(api)["events"][0]["acked"] == acked

    def test_a_note_is_optional(self, api: Api) -> None:
        counter(api)
        event_id = feed(api)["events"][0]["id"]
        assert ok(api.post(f"/ioc/events/{event_id}/ack", SUPERVISOR))["acked"]["note"] is None

    def test_an_unknown_event_is_a_404(self, api: Api) -> None:
        error(api.post("/ioc/events/00000000-0000-4000-8000-000000000000/ack", IOC, {}), 404, "EventNotFound")

    def test_acknowledging_does_not_touch_delivery(self, api: Api, container: Container) -> None:
        counter(api)
        event_id = feed(api)["events"][0]["id"]
        ok(api.post(f"/ioc/events/{event_id}/ack", IOC, {}))
        [row] = outbox(container)
        assert (row.status, row.attempts) == ("pending", 0)


def set_state(container: Container, code: str, state: str) -> None:
    """What the deadline scan records when a dossier crosses a threshold."""
    with container.engine.begin() as conn:
        conn.execute(text("UPDATE dossier SET deadline_state = :s WHERE code = :c"), {"s": state, "c": code})


class TestSummary:
    @pytest.fixture
    def dossiers(self, api: Api, container: Container) -> dict[str, str]:
        """Ba Đình: 3 residence (2 received, 1 only filed), 1 birth, 1 withdrawn; Hoàn Kiếm: 1 birth."""
        made = {
            "near": api.received(),
            "fine": api.received(),
            "filed": api.filed(),
            "late": counter(api),
            "gone": api.received(),
            "hk": counter(api, HOAN_KIEM),
        }
        ok(api.post(f"/dossiers/{made['gone']}/withdraw", AN, {"reason": "Không còn nhu cầu"}))
        set_state(container, made["near"], "near_due")
        set_state(container, made["late"], "overdue")
        return made

    def test_counts_by_agency_and_procedure(self, api: Api, dossiers: dict[str, str]) -> None:
        body = ok(api.get("/ioc/summary", IOC))

        assert body["generated_at"] == "2026-03-02T09:30:00+07:00"
        assert body["totals"] == {"open": 5, "near_due": 1, "overdue": 1, "paused": 0}
        by_agency = {a["code"]: a for a in body["agencies"]}
        assert set(by_agency) == {BA_DINH, HOAN_KIEM}
        ba_dinh = by_agency[BA_DINH]
        assert ba_dinh["name"] == "UBND phường Ba Đình"
        assert (ba_dinh["open"], ba_dinh["near_due"], ba_dinh["overdue"]) == (4, 1, 1)
        procedures = {p["code"]: p for p in ba_dinh["procedures"]}
        assert {k: procedures["1.004222"][k] for k in ("open", "near_due", "overdue")} == {
            "open": 3,
            "near_due": 1,
            "overdue": 0,
        }
        assert procedures["1.004222"]["name"]
        assert {k: procedures["1.001193"][k] for k in ("open", "near_due", "overdue")} == {
            "open": 1,
            "near_due": 0,
            "overdue": 1,
        }
        assert by_agency[HOAN_KIEM]["open"] == 1

    def test_a_supervisor_counts_only_their_agency(self, api: Api, dossiers: dict[str, str]) -> None:
        body = ok(api.get("/ioc/summary", SUPERVISOR))
        assert [a["code"] for a in body["agencies"]] == [BA_DINH]
        assert body["totals"] == {"open": 4, "near_due": 1, "overdue": 1, "paused": 0}

    def test_finished_dossiers_leave_the_counts(
        self, api: Api, container: Container, dossiers: dict[str, str]
    ) -> None:
        before = ok(api.get("/ioc/summary", ADMIN))["totals"]["open"]
        ok(api.post(f"/dossiers/{dossiers['fine']}/withdraw", AN, {"reason": "Đổi ý"}))
        assert ok(api.get("/ioc/summary", ADMIN))["totals"]["open"] == before - 1


class TestWhoMayRead:
    @pytest.mark.parametrize("user", [AN, OFFICER, SPECIALIST])
    def test_citizens_and_working_staff_are_refused(self, api: Api, user: str) -> None:
        counter(api)
        event_id = feed(api)["events"][0]["id"]
        error(api.get("/ioc/events", user), 403)
        error(api.get("/ioc/summary", user), 403)
        error(api.post(f"/ioc/events/{event_id}/ack", user, {}), 403)

    def test_anonymous_callers_must_sign_in(self, api: Api) -> None:
        error(api.get("/ioc/events"), 401)
        error(api.get("/ioc/summary"), 401)

    def test_a_supervisor_of_another_agency_sees_none_of_this_agencys_events(
        self, api: Api, supervisor_hk: dict[str, str]
    ) -> None:
        ba_dinh = counter(api)
        hoan_kiem = counter(api, HOAN_KIEM)
        get: Callable[..., Any] = api.client.get

        theirs = get("/api/v1/ioc/events", headers=supervisor_hk).json()
        assert [e["subject"] for e in theirs["events"]] == [hoan_kiem]
        ours = feed(api, SUPERVISOR)
        assert [e["subject"] for e in ours["events"]] == [ba_dinh]
        assert {e["subject"] for e in feed(api, IOC)["events"]} == {ba_dinh, hoan_kiem}

        ba_dinh_event = ours["events"][0]["id"]
        response = api.client.post(f"/api/v1/ioc/events/{ba_dinh_event}/ack", headers=supervisor_hk, json={})
        assert response.status_code == 404, response.text
        summary = get("/api/v1/ioc/summary", headers=supervisor_hk).json()
        assert [a["code"] for a in summary["agencies"]] == [HOAN_KIEM]
