"""Statistics (docs/domain.md §6): counters kept by triggers equal a full recount; a seeded period by hand."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from engine.stats import counters
from engine.store.db import unit_of_work
from engine.watch import run_watch
from portal.wiring import Container
from tests.builders import (
    AN,
    APPROVE,
    ASK_SUPPLEMENT,
    BA_DINH,
    HOAN_KIEM,
    LEADER,
    LEADER_HK,
    OFFICER,
    OFFICER_HK,
    PROPOSE_APPROVE,
    SPECIALIST,
    SPECIALIST_HK,
    SUPPLY,
    Api,
    birth_filing,
    error,
    ok,
)

FLOWS = ("received", "early", "on_time", "late", "withdrawn", "refused", "stopped", "processing_days")
LOCAL_DAY = {
    "sqlite": "date({col}, '+7 hours')",
    "postgresql": "(({col}) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date",
}


def recount(container: Container) -> tuple[dict[tuple[str, ...], Counter[str]], Counter[tuple[str, ...]]]:
    """Counted one by one from the dossiers: flows per (local day, agency, procedure, channel) and the
    open dossiers per (agency, procedure, channel, deadline state)."""
    dialect = container.engine.dialect.name
    day = LOCAL_DAY[dialect]
    flows: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    keys = "agency_code, procedure_code, channel"
    queries = {
        "received": f"SELECT {day.format(col='received_at')}, {keys}, 1 FROM dossier "
        "WHERE received_at IS NOT NULL",
        "finished": f"SELECT {day.format(col='finished_at')}, {keys}, COALESCE(timeliness, 'on_time'), "
        "COALESCE(processing_days, 0) FROM dossier WHERE status IN (9, 10)",
        "closed": f"SELECT {day.format(col='closed_at')}, {keys}, status FROM dossier "
        "WHERE status = 3 OR (status IN (7, 8) AND received_at IS NOT NULL)",
    }
    with container.engine.connect() as conn:
        for kind, sql in queries.items():
            for row in conn.execute(text(sql)).all():
                cell = (str(row[0])[:10], row[1], row[2], row[3])
                if kind == "received":
                    flows[cell]["received"] += 1
                elif kind == "finished":
                    flows[cell][row[4]] += 1
                    flows[cell]["processing_days"] += round(float(row[5]), 2)
                else:
                    flows[cell][{3: "refused", 7: "withdrawn", 8: "stopped"}[row[4]]] += 1
        open_rows = conn.execute(
            text(
                f"SELECT {keys}, deadline_state, COUNT(*) FROM dossier "
                "WHERE received_at IS NOT NULL AND status IN (2, 4, 5, 6) "
                f"GROUP BY {keys}, deadline_state"
            )
        ).all()
    levels = Counter({(a, p, c, s if s in ("near_due", "overdue", "paused") else "on_track"): n
                      for a, p, c, s, n in open_rows})  # fmt: skip
    return {k: v for k, v in flows.items() if +v}, +levels


def kept(container: Container) -> tuple[dict[tuple[str, ...], Counter[str]], Counter[tuple[str, ...]]]:
    """What the counters say, per day (day rows, month rows and deltas read together) and in total."""
    expected, _ = recount(container)
    flows: dict[tuple[str, ...], Counter[str]] = {}
    with unit_of_work(container.engine) as uow:
        for day_text in sorted({k[0] for k in expected}):
            day = date.fromisoformat(day_text)
            cells = counters.sums(
                uow,
                day,
                day,
                counters.Scope(),
                by=("agency_code", "procedure_code", "channel"),
                measures=FLOWS,
            )
            for (a, p, c), measures in cells.items():
                counted = Counter({m: round(v, 2) for m, v in measures.items() if v})
                if counted:
                    flows[(day_text, str(a), str(p), str(c))] = counted
        everything = counters.sums(
            uow, None, date(2100, 12, 31), counters.Scope(), by=("agency_code", "procedure_code", "channel")
        )
    levels: Counter[tuple[str, ...]] = Counter()
    for (a, p, c), measures in everything.items():
        for m in counters.LEVELS:
            levels[(str(a), str(p), str(c), m.removeprefix("open_"))] += int(measures[m])
    return flows, +levels


def fold_all(container: Container) -> None:
    while True:
        with unit_of_work(container.engine) as uow:
            if not counters.fold(uow, batch=5):
                return


def open_now(container: Container) -> Counter[tuple[str, ...]]:
    """The levels as a period's start reads them: `dossier_stat_open` plus deltas, minus what came after."""
    with unit_of_work(container.engine) as uow:
        cells = counters.levels_before(
            uow, date(2100, 12, 31), counters.Scope(), by=("agency_code", "procedure_code", "channel")
        )
    levels: Counter[tuple[str, ...]] = Counter()
    for (a, p, c), measures in cells.items():
        for m in counters.LEVELS:
            levels[(str(a), str(p), str(c), m.removeprefix("open_"))] += int(measures[m])
    return +levels


def assert_counters_match(container: Container) -> None:
    flows, levels = recount(container)
    assert kept(container) == (flows, levels)
    assert open_now(container) == levels


def step_recount(container: Container) -> Counter[tuple[str, str, str]]:
    with container.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT agency_code, COALESCE(finished_by, receiver), COALESCE(timeliness, '-'), COUNT(*) "
                "FROM handover WHERE finished_at IS NOT NULL GROUP BY 1, 2, 3"
            )
        ).all()
    return Counter({(a, h, t): n for a, h, t, n in rows})


def step_kept(container: Container) -> Counter[tuple[str, str, str]]:
    with container.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT agency_code, holder, SUM(early), SUM(on_time), SUM(late), SUM(steps) "
                "FROM step_stat GROUP BY 1, 2"
            )
        ).all()
    out: Counter[tuple[str, str, str]] = Counter()
    for a, h, early, on_time, late, steps in rows:
        out[(a, h, "early")] += early
        out[(a, h, "on_time")] += on_time
        out[(a, h, "late")] += late
        out[(a, h, "-")] += steps - early - on_time - late
    return +out


def finish(api: Api, code: str, at: str) -> None:
    api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
    api.at(at)
    api.complete_step(code, "approval", LEADER, APPROVE)


def test_counters_equal_a_recount_after_every_kind_of_change(api: Api, container: Container) -> None:
    assert kept(container) == ({}, Counter())
    api.filed()  # 1: filed, not received — counts nowhere yet
    assert_counters_match(container)
    received = api.received(at="2026-03-02T09:30")
    supplementing = api.received(at="2026-03-02T09:40")
    api.complete_step(supplementing, "appraisal", SPECIALIST, ASK_SUPPLEMENT)  # 5: paused
    assert_counters_match(container)
    done = api.received(at="2026-03-02T09:50")
    finish(api, done, "2026-03-03T10:00")  # 9
    api.complete_step(done, "return", OFFICER, {"method": "counter", "note": "Nhận trực tiếp"})  # 10
    assert_counters_match(container)
    refused = api.filed()
    ok(api.receive(refused, OFFICER, {"decision": "refuse", "refusal_reason": "Không thuộc thẩm quyền"}))
    withdrawn = api.received(at="2026-03-03T11:00")
    ok(api.post(f"/dossiers/{withdrawn}/withdraw", AN, {"reason": "Gia đình đổi kế hoạch"}))
    ok(api.file(OFFICER_HK, birth_filing(agency=HOAN_KIEM)))  # counter channel, another agency
    assert_counters_match(container)
    ok(api.post(f"/dossiers/{supplementing}/supplement", AN, SUPPLY))  # resumes
    fold_all(container)
    assert_counters_match(container)
    api.at("2026-03-12T09:01")  # past the due time: the scan moves them to overdue
    run_watch(container.engine, container.services)
    flows, levels = recount(container)
    assert any(key[3] == "overdue" for key in levels)
    assert kept(container) == (flows, levels)
    late = api.received(at="2026-03-12T09:30")
    api.complete_step(received, "appraisal", SPECIALIST, PROPOSE_APPROVE)
    api.complete_step(received, "approval", LEADER, APPROVE)  # finished late
    assert_counters_match(container)
    fold_all(container)
    assert_counters_match(container)
    assert step_kept(container) == step_recount(container)
    kinds = {m for cells in recount(container)[0].values() for m in cells}
    assert {"received", "early", "late", "withdrawn", "refused", "processing_days"} <= kinds
    assert late


def test_concurrent_filings_and_folds_lose_nothing(api: Api, container: Container) -> None:
    errors: list[BaseException] = []

    def file_some() -> None:
        try:
            for _ in range(5):
                api.received(at="2026-03-02T09:30")
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    def fold_some() -> None:
        try:
            for _ in range(15):
                with unit_of_work(container.engine) as uow:
                    counters.fold(uow, batch=3)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=file_some) for _ in range(2)]
    threads += [threading.Thread(target=fold_some) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert_counters_match(container)
    fold_all(container)
    assert_counters_match(container)
    flows, _ = recount(container)
    assert sum(c["received"] for c in flows.values()) == 10


def seed_period(api: Api, container: Container) -> dict[str, str]:
    """The dossiers of the hand-computed period 10/02–09/03/2026 (residence: 7 working days, Tết skipped).

    Received on Thursday 12/02 at 10:00, a dossier is due on Monday 02/03 at 10:00 (13/02, then 23–27/02 and
    02/03: Tết 14–22/02 is skipped).
    """
    codes: dict[str, str] = {}
    api.at("2026-02-05T09:00")
    codes["carried"] = api.received(
        at="2026-02-05T10:00"
    )  # due 23/02 10:00: carried over, overdue at the end
    api.at("2026-02-12T09:00")
    for name in ("early", "on_time", "late", "withdrawn"):
        api.at("2026-02-12T09:00")
        codes[name] = api.received(at="2026-02-12T10:00")
    api.at("2026-02-12T10:30")
    codes["paused"] = api.received(at="2026-02-12T11:00")  # due 02/03 11:00 before its pause
    api.at("2026-02-12T11:30")
    codes["refused"] = api.filed()
    ok(api.receive(codes["refused"], OFFICER, {"decision": "refuse", "refusal_reason": "Không đủ điều kiện"}))
    api.at("2026-02-13T09:00")
    api.complete_step(codes["paused"], "appraisal", SPECIALIST, ASK_SUPPLEMENT)  # 6.5 h + 40 h + 3.5 h left
    api.at("2026-02-24T08:00")
    run_watch(container.engine, container.services)  # the carried-over one is overdue from today
    api.at("2026-02-24T09:00")
    ok(api.post(f"/dossiers/{codes['paused']}/supplement", AN, SUPPLY))  # 50 h from now: due 04/03 11:00
    api.at("2026-02-25T10:00")
    ok(api.post(f"/dossiers/{codes['withdrawn']}/withdraw", AN, {"reason": "Gia đình đổi kế hoạch"}))
    finish(api, codes["early"], "2026-02-27T10:00")  # 48 working hours: 6 days
    finish(api, codes["on_time"], "2026-03-02T14:00")  # the due date itself: 7.31 days
    finish(api, codes["late"], "2026-03-03T09:00")  # a day after the due date: 7.88 days
    finish(api, codes["paused"], "2026-03-04T15:00")  # its own due date, the pause left out: 7.31 days
    api.at("2026-03-05T09:00")
    codes["open"] = api.received(at="2026-03-05T09:00")  # due 16/03: on time at the end
    api.at("2026-03-09T16:00")
    run_watch(container.engine, container.services)
    return codes


EXPECTED: dict[str, Any] = {
    "received": {"online": 6, "counter": 0, "postal": 0, "new": 6, "carried_over": 1},
    "to_process": 7,
    "finished": {"early": 1, "on_time": 2, "late": 1, "total": 4},
    "open": {"on_time": 1, "near_due": 0, "overdue": 1, "paused": 0, "total": 2},
    "withdrawn": 1,
    "refused": 1,
    "stopped": 0,
    "on_time_rate": 0.8,  # (1 early + 2 on time + 1 withdrawn) / (4 finished + 1 withdrawn)
    "late_rate": 0.2857,  # (1 late + 1 overdue) / 7 to process
    "online_share": 1.0,
    "full_online_share": 1.0,
    "paid_online": 0,
    "reused_papers": 0,
}


def test_a_seeded_period_gives_the_hand_computed_numbers(api: Api, container: Container) -> None:
    codes = seed_period(api, container)
    assert api.dossier(codes["paused"])["deadline"]["due_at"] == "2026-03-04T11:00:00+07:00"
    assert api.dossier(codes["carried"])["deadline"]["due_at"] == "2026-02-23T10:00:00+07:00"
    api.at("2026-03-10T08:00")

    numbers = ok(api.get("/stats/timeliness", "giamsat.badinh", **{"from": "2026-02-10", "to": "2026-03-09"}))

    assert {k: numbers[k] for k in EXPECTED} == EXPECTED
    assert numbers["average_processing_days"] == pytest.approx((6 + 7.31 + 7.88 + 7.31) / 4, abs=0.01)
    assert numbers["period"] == {"from": "2026-02-10", "to": "2026-03-09"}

    fold_all(container)  # the same numbers once folded into day and month rows
    again = ok(api.get("/stats/timeliness", "quantri", **{"from": "2026-02-10", "to": "2026-03-09"}))
    assert {k: again[k] for k in EXPECTED} == EXPECTED

    # Whole months (read from month rows): February has everything but the 4 March finishes and the new one.
    february = ok(api.get("/stats/timeliness", "quantri", **{"from": "2026-02-01", "to": "2026-02-28"}))
    assert february["received"]["new"] == 6  # the carried one was received on 05/02, inside February
    assert february["finished"] == {"early": 1, "on_time": 0, "late": 0, "total": 1}
    assert february["open"]["total"] == 4
    assert february["open"]["overdue"] == 1
    march = ok(api.get("/stats/timeliness", "quantri", **{"from": "2026-03-01", "to": "2026-03-31"}))
    assert march["received"]["carried_over"] == 4
    assert march["finished"] == {"early": 0, "on_time": 2, "late": 1, "total": 3}

    months = ok(api.get("/stats/table", "quantri", by="month", **{"from": "2026-02-01", "to": "2026-03-31"}))
    assert [(m["key"], m["received"]["new"], m["finished"]["total"]) for m in months] == [
        ("2026-02", 6, 1),
        ("2026-03", 1, 3),
    ]
    steps = ok(api.get("/stats/steps", "quantri", **{"from": "2026-02-01", "to": "2026-03-31"}))
    assert {s["agency_code"] for s in steps} == {BA_DINH}
    assert sum(s["steps"] for s in steps) > 0

    scores = ok(api.get("/stats/766", "quantri", period="2026-03"))
    groups = {g["key"]: g for g in scores["scores"]["groups"]}
    assert groups["transparency"]["score"] is None  # no indicator MotCua can compute: left out
    assert groups["online"]["score"] == 22.0  # 100 % online, 100 % full-process
    assert scores["scores"]["version"]
    assert scores["counters"]["finished"]["late"] == 1

    late = ok(
        api.get("/stats/dossiers", "quantri", measure="late", **{"from": "2026-02-10", "to": "2026-03-09"})
    )
    assert [d["code"] for d in late["items"]] == [codes["late"]]
    assert late["items"][0]["days_late"] == 1
    carried = ok(
        api.get(
            "/stats/dossiers", "quantri", measure="carried_over", **{"from": "2026-02-10", "to": "2026-03-09"}
        )
    )
    assert [d["code"] for d in carried["items"]] == [codes["carried"]]


def test_a_supervisor_of_one_agency_sees_none_of_anothers_numbers(api: Api, container: Container) -> None:
    api.received(at="2026-03-02T09:30")
    ok(api.file(OFFICER_HK, birth_filing(agency=HOAN_KIEM)))
    period = {"from": "2026-03-01", "to": "2026-03-31"}

    mine = ok(api.get("/stats/timeliness", "giamsat.badinh", **period))
    theirs = ok(api.get("/stats/timeliness", "giamsat.hoankiem", **period))
    both = ok(api.get("/stats/timeliness", "giamsat.hanoi", **period))

    assert (mine["received"]["online"], mine["received"]["counter"], mine["agencies"]) == (1, 0, [BA_DINH])
    assert (theirs["received"]["online"], theirs["received"]["counter"]) == (0, 1)
    assert both["received"]["new"] == 2
    error(api.get("/stats/timeliness", "giamsat.badinh", agency=HOAN_KIEM, **period), 403)
    error(api.get("/stats/dossiers", "giamsat.badinh", measure="received", agency=HOAN_KIEM, **period), 403)
    rows = ok(api.get("/stats/table", "giamsat.badinh", by="agency", **period))
    assert [r["key"] for r in rows] == [BA_DINH]
    [hk_row] = ok(api.get("/stats/table", "giamsat.hoankiem", by="agency", **period))
    assert (hk_row["received"]["online"], hk_row["received"]["counter"], hk_row["received"]["postal"]) == (
        0,
        1,
        0,
    )
    by_month = ok(api.get("/stats/table", "giamsat.hanoi", by="month", **period))
    assert [(r["received"]["online"], r["received"]["counter"]) for r in by_month] == [(1, 1)]
    listed = ok(api.get("/stats/dossiers", "giamsat.badinh", measure="received", **period))
    assert {d["agency_code"] for d in listed["items"]} == {BA_DINH}
    for user in (OFFICER, SPECIALIST_HK, LEADER_HK, AN):
        error(api.get("/stats/timeliness", user, **period), 403)
    assert ok(api.get("/stats/timeliness", "ioc.hanoi", **period))["received"]["new"] == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "1999-12-31"}, "from"),
        ({"to": "2101-01-01", "from": "2100-01-01"}, "to"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"from": "20260301"}, "from"),
        ({"agency": "H29;DROP"}, "agency"),
        ({"procedure": "x" * 36}, "procedure"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_bad_parameters_are_422_on_the_field(api: Api, params: dict[str, str], field: str) -> None:
    body = error(api.get("/stats/timeliness", "quantri", **params), 422)
    assert field in body["fields"]
    assert body["message"]
    assert body["message_en"]


@pytest.mark.parametrize("period", ["2026-13", "26-03", "1999", "2026-3", "x" * 8])
def test_a_bad_766_period_is_422(api: Api, period: str) -> None:
    assert "period" in error(api.get("/stats/766", "quantri", period=period), 422)["fields"]


def test_an_unknown_drill_down_measure_is_422(api: Api) -> None:
    assert "measure" in error(api.get("/stats/dossiers", "quantri", measure="everything"), 422)["fields"]
