"""The worker drains while work is due, then waits the interval (issue 11, finding 9)."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

from portal.wiring import Container
from portal.worker import NOT_DRAINED, PARALLEL_STEPS, CycleResult, Worker


class _Stub:
    def close_sinks(self) -> None:
        pass


def _backlog_step(rows: list[int], batch: int) -> Any:
    def step(_container: Any) -> int:
        taken = min(batch, rows[0])
        rows[0] -= taken
        return taken

    return step


def test_a_backlog_drains_in_back_to_back_batches_not_one_batch_per_interval() -> None:
    rows = [1000]
    calls: list[float] = []

    def tally(_container: Any) -> int:
        calls.append(time.monotonic())
        return 5  # the tally always has something: it must not keep the worker from waiting

    worker = Worker(
        cast(Container, _Stub()),
        interval=3600,
        steps=(("documents", _backlog_step(rows, 20)), ("tally", tally)),
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while rows[0] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert rows[0] == 0  # 50 batches of 20, not 1 batch per hour
    time.sleep(0.2)
    cycles = len(calls)
    assert cycles == 51  # 50 with work, then one that found nothing: it now waits the interval
    time.sleep(0.2)
    assert len(calls) == cycles
    worker.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_more_due_ignores_the_tally_and_the_pruning() -> None:
    assert not CycleResult(done={"tally": 3, "prune": 7, "outbox": 0}).more_due
    assert CycleResult(done={"tally": 0, "email": 1}).more_due
    assert NOT_DRAINED == {"tally", "prune"}


def test_extra_processes_run_only_the_batched_steps() -> None:
    assert [name for name, _ in PARALLEL_STEPS] == ["documents", "outbox", "email", "sms"]
