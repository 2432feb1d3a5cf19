"""The script sandbox under attack: every escape and time bomb is stopped by the operating system.

Each bomb runs in a worker process of the pool; the parent kills the worker when the wall-clock budget ends
(or the kernel's RLIMIT_CPU / RLIMIT_AS do). The tests assert the error, that the pool answers other
evaluations meanwhile and afterwards, and that no worker process outlives its pool. Timeouts here detect
hangs; nothing measures speed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import WorkflowError
from engine.workflow.helpers import MAX_WORKING_DAYS, add_working_days, script_helpers
from engine.workflow.pool import ScriptPool
from engine.workflow.sandbox import SandboxEnvironment, ScriptFailed, ScriptLimitExceeded
from engine.workflow.spiff import SpiffRuntime
from tests.sandbox_helpers import fee_for, slow

HANG = 60.0  # seconds after which a test counts as hung (budgets are 1 s)
MONDAY = "2026-03-02T09:00:00+07:00"

BARE_EXCEPT_THEN_LOOP = "try:\n    while True:\n        pass\nexcept:\n    pass\nwhile True:\n    pass"
BOMBS = [
    pytest.param(BARE_EXCEPT_THEN_LOOP, id="bare-except-around-a-loop-then-a-loop"),
    pytest.param("while True:\n    pass", id="while-true"),
    pytest.param(
        "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass",
        id="loop-swallowing-everything",
    ),
    pytest.param("x = (((10**64)**64)**64)**64", id="big-integer-power"),
    pytest.param(f"x = add_working_days('{MONDAY}', slow(8))", id="helper-doing-c-level-work"),
    pytest.param(
        "def f(n):\n    try:\n        return f(n + 1) + f(n + 1)\n"
        "    except:\n        return f(n + 1)\nx = f(0)",
        id="recursion-swallowing-recursion-errors",
    ),
    pytest.param("def g():\n    while True:\n        yield 1\nx = sum(g())", id="endless-generator"),
    pytest.param(
        "def g():\n    while True:\n        yield 'x' * 1000\nx = list(g())",
        id="endless-generator-into-a-list",
    ),
    pytest.param("x = 'x' * 10**10", id="ten-gigabyte-string"),
    pytest.param("x = [0] * 10**9", id="billion-item-list"),
]


@pytest.fixture(scope="module")
def pool() -> Iterator[ScriptPool]:
    """A pool of its own, so the orphan checks see only these workers."""
    pool = ScriptPool(2)
    assert pool.wait_ready(HANG)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def environment(pool: ScriptPool) -> SandboxEnvironment:
    return SandboxEnvironment({**script_helpers(), "slow": slow}, timeout=1.0, pool=pool)


@pytest.fixture(scope="module")
def unhurried(pool: ScriptPool) -> SandboxEnvironment:
    """For tests of what is computed, not of budgets: a wall-clock budget a loaded machine cannot break
    (the workers' CPU and memory limits, which the OS counts whatever the load, are the same)."""
    return SandboxEnvironment(script_helpers(), timeout=HANG / 2, pool=pool)


def running(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def wait_until(condition: object, timeout: float = HANG) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


class TestTimeBombs:
    @pytest.mark.parametrize("script", BOMBS)
    def test_is_stopped_and_the_pool_recovers(
        self, environment: SandboxEnvironment, pool: ScriptPool, script: str
    ) -> None:
        began = time.monotonic()
        with pytest.raises(ScriptLimitExceeded) as caught:
            environment.execute(script, {"form": {"a": 1}})
        assert time.monotonic() - began < HANG
        assert caught.value.reason in ("time", "cpu", "memory", "died")
        assert caught.value.message  # Vietnamese, for the WorkflowError
        # The pool answers again (a replacement worker comes up in the background if one was killed).
        context: dict[str, object] = {"a": 20}
        environment.execute("b = a + 1\nfee = certified_copy_fee(3)", context)
        assert context == {"a": 20, "b": 21, "fee": 5_000}

    def test_a_huge_allocation_is_refused_by_the_memory_limit_not_the_clock(
        self, environment: SandboxEnvironment
    ) -> None:
        with pytest.raises(ScriptLimitExceeded) as caught:
            environment.execute("x = 'x' * 10**10", {})
        assert caught.value.reason == "memory"
        assert "bộ nhớ" in caught.value.message

    def test_plain_recursion_is_an_ordinary_error(self, environment: SandboxEnvironment) -> None:
        with pytest.raises(ScriptFailed, match="RecursionError"):
            environment.execute("def f(n):\n    return f(n + 1)\nx = f(0)", {})
        assert environment.evaluate("1 + 1", {}) == 2

    def test_a_refused_allocation_is_an_error_the_script_may_handle(
        self, environment: SandboxEnvironment, pool: ScriptPool
    ) -> None:
        retired = pool.stats.retired
        context: dict[str, object] = {}
        environment.execute("try:\n    x = 'x' * 10**10\nexcept:\n    x = 'refused'", context)
        assert context == {"x": "refused"}
        assert pool.stats.retired == retired  # handled by the script: the worker stays

    def test_a_huge_result_is_refused(self, environment: SandboxEnvironment) -> None:
        with pytest.raises(ScriptLimitExceeded) as caught:
            environment.execute("x = 'x' * (50 * 1024 * 1024)", {})
        assert caught.value.reason == "output"

    def test_data_that_is_not_json_is_refused_with_its_name(self, environment: SandboxEnvironment) -> None:
        with pytest.raises(ScriptFailed, match="'seen'.*set"):
            environment.execute("seen = set([1, 2])", {})


class TestHelperBounds:
    @pytest.mark.parametrize(
        ("call", "words"),
        [
            pytest.param(f"add_working_days('{MONDAY}', 10**7)", "days", id="ten-million-working-days"),
            pytest.param(f"add_working_days('{MONDAY}', -1)", "days", id="negative-days"),
            pytest.param(f"add_working_days('{MONDAY}', float('nan'))", "days", id="nan-days"),
            pytest.param(f"add_working_hours('{MONDAY}', 10**9)", "hours", id="billion-hours"),
            pytest.param(f"working_hours_between('{MONDAY}', '9999-12-31T00:00:00')", "year", id="year-9999"),
            pytest.param(
                f"working_hours_between('{MONDAY}', '2199-01-01T00:00:00')", "days apart", id="span"
            ),
            pytest.param("add_working_days('0001-01-01T00:00:00', 1)", "year", id="year-1"),
            pytest.param("certified_copy_fee(10**30)", "pages", id="pages"),
            pytest.param("fee_with_exemption(10**30, False)", "amount", id="amount"),
        ],
    )
    def test_out_of_bounds_arguments_are_refused_at_once(
        self, environment: SandboxEnvironment, call: str, words: str
    ) -> None:
        with pytest.raises(ScriptFailed, match=f"HelperArgumentError.*{words}"):
            environment.evaluate(call, {})

    def test_the_largest_allowed_amount_still_works(self, unhurried: SandboxEnvironment) -> None:
        due = unhurried.evaluate(f"add_working_days('{MONDAY}', {MAX_WORKING_DAYS})", {})
        assert due == add_working_days(MONDAY, MAX_WORKING_DAYS)
        assert due.startswith("2034-")  # about eight years of working days


class TestOthersAreAnsweredMeanwhile:
    def test_normal_evaluations_are_answered_while_a_bomb_is_being_stopped(self, pool: ScriptPool) -> None:
        slow = SandboxEnvironment(timeout=8.0, pool=pool)
        quick = SandboxEnvironment({"fee_for": fee_for}, timeout=5.0, pool=pool)
        finished: list[str] = []
        failures: list[BaseException] = []

        def bomb() -> None:
            try:
                slow.execute(
                    "try:\n    while True:\n        pass\nexcept:\n    pass\nwhile True:\n    pass", {}
                )
            except ScriptLimitExceeded:
                finished.append("bomb")
            except BaseException as exc:  # noqa: BLE001 — reported below
                failures.append(exc)

        thread = threading.Thread(target=bomb)
        thread.start()
        assert wait_until(lambda: pool.busy_count() >= 1 or not thread.is_alive())
        answers = [quick.evaluate("fee_for(n)", {"n": n}) for n in range(1, 21)]
        finished.append("quick")
        thread.join(HANG)
        assert not thread.is_alive()
        assert not failures
        assert answers == [20_000 * n for n in range(1, 21)]
        assert finished == ["quick", "bomb"]


class TestWorkflowError:
    def test_an_overrunning_script_task_is_a_workflow_error_naming_the_element(
        self, pool: ScriptPool
    ) -> None:
        from tests.unit.test_workflow_runtime import script_bpmn

        runtime = SpiffRuntime(script_timeout=1.0, script_pool=pool)
        info = runtime.register(script_bpmn("x = (((10**64)**64)**64)**64"), "inline")
        with pytest.raises(WorkflowError) as caught:
            runtime.start(info.spec_hash, {})
        error = caught.value
        assert error.code == "ScriptLimitExceeded"
        assert "Task_Script" in error.message
        assert "quá thời gian cho phép" in error.message
        assert "Task_Script" in error.message_en

    def test_the_step_budget_caps_every_script_of_the_step(self, pool: ScriptPool) -> None:
        from tests.unit.test_workflow_runtime import script_bpmn

        runtime = SpiffRuntime(script_timeout=5.0, step_timeout=0.5, script_pool=pool)
        info = runtime.register(script_bpmn("while True:\n    pass"), "inline")
        with pytest.raises(WorkflowError) as caught:
            runtime.start(info.spec_hash, {})
        assert caught.value.code == "ScriptLimitExceeded"
        assert "Task_Script" in caught.value.message
        assert "0.5 giây" in caught.value.message


class TestNoOrphans:
    def test_closing_a_pool_ends_every_worker_including_a_busy_one(self) -> None:
        pool = ScriptPool(2)
        assert pool.wait_ready(HANG)
        environment = SandboxEnvironment(timeout=30.0, pool=pool)
        errors: list[ScriptLimitExceeded] = []

        def bomb() -> None:
            try:
                environment.execute("while True:\n    pass", {})
            except ScriptLimitExceeded as exc:
                errors.append(exc)

        thread = threading.Thread(target=bomb)
        thread.start()
        assert wait_until(lambda: pool.busy_count() == 1)
        pids = set(pool.stats.pids)
        pool.close()
        thread.join(HANG)
        assert not thread.is_alive()
        assert [error.reason for error in errors] == ["died"]
        assert wait_until(lambda: not any(running(pid) for pid in pids))

    def test_a_killed_worker_is_reaped_not_left_a_zombie(self, environment: SandboxEnvironment) -> None:
        pool = environment.pool
        before = set(pool.worker_pids())
        with pytest.raises(ScriptLimitExceeded):
            environment.execute("while True:\n    pass", {})
        gone = before - set(pool.worker_pids())
        assert gone
        assert wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in gone))

    def test_workers_die_with_a_server_killed_by_sigkill(self, tmp_path: Path) -> None:
        """A server process killed hard (no atexit) leaves no worker: PR_SET_PDEATHSIG, stdin EOF."""
        program = textwrap.dedent(
            """
            import sys, threading
            from engine.workflow.pool import ScriptPool
            from engine.workflow.sandbox import SandboxEnvironment
            pool = ScriptPool(2)
            assert pool.wait_ready(60)
            environment = SandboxEnvironment(timeout=120.0, pool=pool)
            bomb = ("while True:\\n    pass", {})
            threading.Thread(target=environment.execute, args=bomb, daemon=True).start()
            while pool.busy_count() < 1:
                pass
            print(" ".join(map(str, sorted(pool.stats.pids))), flush=True)
            threading.Event().wait()
            """
        )
        server = subprocess.Popen(
            [sys.executable, "-c", program],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        try:
            assert server.stdout is not None
            pids = [int(pid) for pid in server.stdout.readline().split()]
            assert len(pids) == 2
            assert all(running(pid) for pid in pids)
        finally:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
        assert wait_until(lambda: not any(running(pid) for pid in pids))


class TestBoundedExpressions:
    @pytest.mark.parametrize(
        "source",
        ['reception["decision"] == "refuse"', '"P30D"', 'not done and kind in ("a", "b")', "items[0] < 3"],
    )
    def test_a_condition_that_only_compares_runs_in_process(
        self, environment: SandboxEnvironment, pool: ScriptPool, source: str
    ) -> None:
        before = pool.stats.evaluations
        context = {"reception": {"decision": "accept"}, "done": False, "kind": "a", "items": [1]}
        assert environment.evaluate(source, context) in (False, True, "P30D")
        assert pool.stats.evaluations == before

    @pytest.mark.parametrize(
        "source",
        [
            'reception.get("decision") == "refuse"',
            "x * 2 > 1",
            "sum([x]) > 0",
            "[y for y in [x]] == [1]",
            "-x < 0",
        ],
    )
    def test_anything_else_goes_to_a_worker(
        self, environment: SandboxEnvironment, pool: ScriptPool, source: str
    ) -> None:
        before = pool.stats.evaluations
        environment.evaluate(source, {"x": 1, "reception": {"decision": "accept"}})
        assert pool.stats.evaluations == before + 1

    def test_an_in_process_failure_is_reported_like_a_worker_failure(
        self, environment: SandboxEnvironment
    ) -> None:
        with pytest.raises(ScriptFailed, match="NameError"):
            environment.evaluate('missing["x"] == 1', {})


class TestTheKernelLimits:
    def test_the_cpu_limit_ends_a_worker_the_parent_would_still_wait_for(self, pool: ScriptPool) -> None:
        request = {"mode": "exec", "source": "while True:\n    pass", "context": {}}
        with pytest.raises(ScriptLimitExceeded) as caught:
            pool.run(request, timeout=HANG * 2, cpu_seconds=1)  # the wall clock would wait two minutes
        assert caught.value.reason == "cpu"
        assert pool.run({"mode": "eval", "source": "1 + 1"}, timeout=HANG)["value"] == 2

    def test_a_forked_child_gets_workers_of_its_own(self, unhurried: SandboxEnvironment) -> None:
        # The child starts its own workers before its first evaluation: seconds on a loaded machine.
        assert unhurried.evaluate("len(x)", {"x": [1, 2]}) == 2
        parent_workers = set(unhurried.pool.worker_pids())
        child = os.fork()
        if child == 0:  # pragma: no cover — the child reports through its exit code
            try:
                ok = unhurried.evaluate("len(x)", {"x": [1, 2, 3]}) == 3
                ok = ok and not set(unhurried.pool.worker_pids()) & parent_workers
            except BaseException:
                ok = False
            os._exit(0 if ok else 1)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert unhurried.evaluate("len(x)", {"x": [1]}) == 1
