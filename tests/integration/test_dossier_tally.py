"""The IOC summary's tally: kept by triggers, folded by the worker, always equal to counting the dossiers."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import text

from engine import tally
from engine.store.db import unit_of_work
from engine.watch import run_watch
from portal.wiring import Container
from tests.builders import (
    ASK_SUPPLEMENT,
    BIRTH,
    HOAN_KIEM,
    LEADER,
    OFFICER,
    OFFICER_HK,
    PROPOSE_APPROVE,
    SPECIALIST,
    Api,
    birth_filing,
    ok,
)

OPEN_STATUSES = "(1, 2, 4, 5, 6)"


def counted(container: Container) -> Counter[tuple[str, str, str]]:
    """What the summary must say: the open dossiers counted one by one."""
    with container.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT agency_code, procedure_code, deadline_state, COUNT(*) FROM dossier "
                f"WHERE status IN {OPEN_STATUSES} GROUP BY agency_code, procedure_code, deadline_state"
            )
        ).all()
    return Counter({(a, p, s): n for a, p, s, n in rows})


def tallied(container: Container) -> Counter[tuple[str, str, str]]:
    with unit_of_work(container.engine) as uow:
        return Counter(tally.cells(uow))


def fold_all(container: Container) -> int:
    folded = 0
    while True:
        with unit_of_work(container.engine) as uow:
            n = tally.fold(uow, batch=7)
        if not n:
            return folded
        folded += n


def pending_deltas(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM dossier_tally_delta")).scalar_one())


def test_tally_follows_every_kind_of_change_and_survives_folding(api: Api, container: Container) -> None:
    assert tallied(container) == Counter()
    online = api.filed()  # 1: new, not yet received
    received = api.received(at="2026-03-02T09:30")
    supplementing = api.received(at="2026-03-02T09:40")
    api.complete_step(supplementing, "appraisal", SPECIALIST, ASK_SUPPLEMENT)  # 5: clock paused
    done = api.received(at="2026-03-02T09:50")
    api.complete_step(done, "appraisal", SPECIALIST, PROPOSE_APPROVE)
    api.complete_step(done, "approval", LEADER, {"decision": "approve"})  # 9: leaves the open cells
    refused = api.filed()
    refusal = {"decision": "refuse", "refusal_reason": "Không thuộc thẩm quyền giải quyết"}
    ok(api.receive(refused, OFFICER, refusal))
    ok(api.file(OFFICER_HK, birth_filing(agency=HOAN_KIEM)))
    assert tallied(container) == counted(container)
    assert pending_deltas(container) > 0

    fold_all(container)
    assert pending_deltas(container) == 0
    assert tallied(container) == counted(container)

    api.at("2026-03-11T09:01")  # past the due time of the received dossiers: near due, then overdue
    run_watch(container.engine, container.services)
    expected = counted(container)
    assert tallied(container) == expected
    assert any(state == "overdue" for _, _, state in expected)
    assert sum(n for (a, p, _), n in expected.items() if (a, p) == (HOAN_KIEM, BIRTH)) == 1

    fold_all(container)
    assert tallied(container) == counted(container)
    with container.transaction() as uow:
        tally.rebuild(uow)  # counting afresh after a bulk load gives the same cells, and no deltas
    assert (tallied(container), pending_deltas(container)) == (counted(container), 0)
    summary = ok(api.get("/ioc/summary", "ioc.hanoi"))
    assert summary["totals"]["open"] == sum(counted(container).values())
    overdue = sum(n for (_, _, state), n in counted(container).items() if state == "overdue")
    assert summary["totals"]["overdue"] == overdue
    status_of = {code: api.dossier(code)["status"]["code"] for code in (online, received, done, refused)}
    assert status_of == {online: 1, received: 4, done: 9, refused: 3}  # the cells were really exercised


def test_concurrent_filings_and_folds_lose_nothing(api: Api, container: Container) -> None:
    errors: list[BaseException] = []

    def file_some() -> None:
        try:
            for _ in range(6):
                api.received(at="2026-03-02T09:30")
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    def fold_some() -> None:
        try:
            for _ in range(20):
                with unit_of_work(container.engine) as uow:
                    tally.fold(uow, batch=3)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=file_some) for _ in range(2)]
    threads += [threading.Thread(target=fold_some) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert tallied(container) == counted(container)
    fold_all(container)
    assert tallied(container) == counted(container)
    assert sum(counted(container).values()) == 12
