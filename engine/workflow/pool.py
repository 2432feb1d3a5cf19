"""A warm pool of script worker processes: BPMN model code runs there, bounded by the operating system.

Why processes: a time limit inside the interpreter (`sys.settrace`, signals) needs the script's cooperation
— a bare `except:` swallows the tracer's exception and Python drops the hook, and C-level work (big integer
powers, `'x' * 10**10`, a helper called with a huge argument) never returns to the interpreter to be
interrupted. A separate process can always be killed, and the kernel enforces its CPU and memory limits
(`resource.setrlimit`, see engine/workflow/worker.py). This is the approach of e.g. judge systems and
Celery's `time_limit`; `multiprocessing.Pool`/`ProcessPoolExecutor` cannot kill one task without breaking
the pool, hence this small pool.

How it works:
- `size` workers are kept started and idle by a spawner thread (startup ≈ 0.1–0.3 s is never paid by a
  request, except right after kills when the pool is still refilling); a request checks one out, sends the
  evaluation as length-prefixed JSON on the worker's stdin and waits for the answer on its stdout with
  `poll()` until the wall-clock budget ends;
- a worker that overruns is killed (SIGKILL) and handed to the spawner, which reaps it and starts a
  replacement: the request thread never waits on it;
- a worker that died (the kernel's CPU or memory limit) is replaced the same way; one that reports a
  MemoryError or reached its lifetime CPU retires;
- workers die with the spawner thread (PR_SET_PDEATHSIG), on stdin EOF, and at `close()` (atexit).

Cost: a round trip for a small expression is a few tens of microseconds plus JSON of the task data
(bench/engine.py prints it as `script evaluation`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import math
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Any

from engine.workflow.worker import HEADER

log = logging.getLogger("motcua.scripts")

DEFAULT_MEMORY_BYTES = 256 << 20
DEFAULT_MAX_OUTPUT = 4 << 20
PRELOAD = ("engine.workflow.helpers",)  # imported by every worker before it is ready
_START_TIMEOUT = 60.0


class ScriptLimitExceeded(RuntimeError):
    """Model code ran past its budget (time, CPU, memory, output) or no worker was free in time."""

    def __init__(self, message: str, message_en: str, reason: str) -> None:
        super().__init__(message_en)
        self.message = message
        self.message_en = message_en
        self.reason = reason


class ScriptFailed(RuntimeError):
    """Model code raised an exception in the worker: its type name, message and line."""

    def __init__(self, type_name: str, message: str, line: int = 0) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.line = line


class _Timeout(Exception):
    pass


class _Died(Exception):
    pass


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    evaluations: int = 0

    @property
    def stdin(self) -> IO[bytes]:
        assert self.process.stdin is not None
        return self.process.stdin

    @property
    def stdout(self) -> IO[bytes]:
        assert self.process.stdout is not None
        return self.process.stdout


@dataclass
class PoolStats:
    """Counters for tests and the benchmark."""

    evaluations: int = 0
    spawned: int = 0
    killed: int = 0
    died: int = 0
    retired: int = 0
    pids: set[int] = field(default_factory=set)  # every worker ever started


def _read_message(worker: _Worker, deadline: float, max_size: int) -> dict[str, Any]:
    """One answer, read with `poll()` until the deadline (one message in flight per worker: no leftovers)."""
    fd = worker.stdout.fileno()
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    buffer = bytearray()
    size: int | None = None
    while size is None or len(buffer) < HEADER.size + size:
        wait = deadline - time.monotonic()
        if wait <= 0 or not poller.poll(wait * 1000):
            raise _Timeout
        chunk = os.read(fd, 1 << 16 if size is None else min(1 << 20, HEADER.size + size - len(buffer)))
        if not chunk:
            raise _Died
        buffer += chunk
        if size is None and len(buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(buffer)
            if size > max_size + 4096:
                raise _Died
    answer: dict[str, Any] = json.loads(buffer[HEADER.size :])
    return answer


def _send(worker: _Worker, payload: bytes) -> None:
    worker.stdin.write(HEADER.pack(len(payload)) + payload)
    worker.stdin.flush()


def _limit_message(seconds: float) -> ScriptLimitExceeded:
    return ScriptLimitExceeded(
        f"chạy quá thời gian cho phép ({seconds:.2g} giây) và đã bị dừng",
        f"exceeded its time budget ({seconds:.2g} s) and was stopped",
        "time",
    )


class ScriptPool:
    """Worker processes that evaluate model code under OS limits; thread-safe, one per process is enough."""

    def __init__(
        self,
        size: int = 2,
        *,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        max_output: int = DEFAULT_MAX_OUTPUT,
        preload: tuple[str, ...] = PRELOAD,
    ) -> None:
        if size < 1:
            raise ValueError("a script pool needs at least one worker")
        self.size = size
        self.memory_bytes = memory_bytes
        self.max_output = max_output
        self.preload = preload
        self.stats = PoolStats()
        self._idle: list[_Worker] = []
        self._busy: dict[int, _Worker] = {}
        self._count = 0  # started or starting, idle or busy
        self._dying: list[subprocess.Popen[bytes]] = []
        self._closed = False
        self._cond = threading.Condition()
        self._spawner: threading.Thread | None = None
        self._owner = os.getpid()

    def _adopt_after_fork(self) -> None:
        """In a forked child the parent's workers and spawner are not ours: start afresh, leave theirs be."""
        if self._owner == os.getpid():
            return
        for worker in self._idle:
            for stream in (worker.stdin, worker.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
        self._idle, self._busy, self._count, self._dying = [], {}, 0, []
        self._cond = threading.Condition()
        self._spawner = None
        self.stats = PoolStats()
        self._owner = os.getpid()

    # --- public ------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the spawner (idempotent); workers come up in the background."""
        self._adopt_after_fork()
        with self._cond:
            if self._closed:
                raise RuntimeError("the script pool is closed")
            if self._spawner is None:
                self._spawner = threading.Thread(target=self._spawn_loop, name="motcua-scripts", daemon=True)
                self._spawner.start()

    def wait_ready(self, timeout: float = _START_TIMEOUT) -> bool:
        """Block until every worker is idle (tests, benchmarks, server start); False on timeout."""
        self.start()
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._idle) < self.size:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    return False
                self._cond.wait(wait)
        return True

    def run(
        self,
        request: dict[str, Any],
        timeout: float,
        *,
        wait: float | None = None,
        deadline: float | None = None,
        cpu_seconds: int | None = None,
    ) -> dict[str, Any]:
        """Evaluate one request: the worker's answer (`ok` true/false).

        `timeout` is the evaluation's wall-clock budget, counted once a worker has it; `wait` bounds the
        wait for a free worker (default: `timeout`); `deadline` (monotonic) caps both; `cpu_seconds` is the
        kernel's CPU limit for the evaluation (default: the timeout, rounded up). Raises ScriptLimitExceeded
        when the budget ends first (the worker is killed), a worker dies, or none was free in time.
        """
        now = time.monotonic()
        cap = deadline if deadline is not None else math.inf
        if wait is not None:
            wait_until = now + wait
        else:
            wait_until = deadline if deadline is not None else now + timeout
        cpu = cpu_seconds if cpu_seconds is not None else max(1, math.ceil(timeout))
        request = {**request, "cpu": cpu, "max_output": self.max_output}
        try:
            payload = json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise ScriptFailed("TypeError", f"task data is not plain JSON: {exc}") from None
        for attempt in (1, 2):
            worker = self._checkout(min(cap, wait_until))
            started = time.monotonic()
            budget = min(cap, started + timeout) - started
            if budget <= 0:
                self._checkin(worker)
                raise _limit_message(timeout)
            try:
                _send(worker, payload)
            except OSError:
                # Died while idle (e.g. its lifetime limit): nothing was evaluated, so try another one once.
                self._discard(worker, died=True)
                if attempt == 2 or self._closed:  # closed: killed by close() before it read the request
                    raise ScriptLimitExceeded(
                        "không gửi được tới tiến trình chạy mã lệnh", "the script worker died", "died"
                    ) from None
                continue
            return self._answer(worker, started + budget, budget)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop every worker: idle ones get EOF, busy ones are killed; no process is left behind."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            busy = list(self._busy.values())
            self._cond.notify_all()
        for worker in busy:  # their request threads see the worker die and raise
            with contextlib.suppress(OSError):
                worker.process.kill()
            worker.process.wait()
        for worker in idle:
            with contextlib.suppress(OSError):
                worker.stdin.close()
        for worker in idle:
            try:
                worker.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
            with contextlib.suppress(OSError):
                worker.stdout.close()
        if self._spawner is not None and self._spawner is not threading.current_thread():
            self._spawner.join(timeout=5)
        self._reap(block=True)

    def worker_pids(self) -> list[int]:
        """Pids of the workers alive now (idle or busy)."""
        with self._cond:
            pids = [worker.process.pid for worker in self._idle]
            return pids + sorted(self._busy)

    def busy_count(self) -> int:
        """Workers evaluating right now."""
        with self._cond:
            return len(self._busy)

    # --- internals ---------------------------------------------------------------------------------------

    def _answer(self, worker: _Worker, deadline: float, timeout: float) -> dict[str, Any]:
        try:
            answer = _read_message(worker, deadline, self.max_output)
        except _Timeout:
            self._discard(worker, killed=True)
            raise _limit_message(timeout) from None
        except (_Died, OSError, ValueError):
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(timeout=0.5)  # it closed its stdout: it has exited or is exiting
            code = worker.process.poll()
            self._discard(worker, died=True)
            raise self._death(code) from None
        worker.evaluations += 1
        with self._cond:
            self.stats.evaluations += 1
        if answer.get("retire"):
            self._discard(worker, retired=True)
        else:
            self._checkin(worker)
        return answer

    def _death(self, code: int | None) -> ScriptLimitExceeded:
        if code == -signal.SIGXCPU:
            return ScriptLimitExceeded(
                "dùng quá thời gian CPU cho phép và đã bị hệ điều hành dừng",
                "exceeded its CPU budget and was stopped by the kernel",
                "cpu",
            )
        mb = self.memory_bytes >> 20
        return ScriptLimitExceeded(
            f"làm dừng tiến trình chạy mã lệnh (mã {code}; giới hạn bộ nhớ {mb} MB)",
            f"ended its worker process (exit {code}; memory limit {mb} MB)",
            "died",
        )

    def _checkout(self, deadline: float) -> _Worker:
        self.start()
        began = time.monotonic()
        with self._cond:
            while not self._idle:
                if self._closed:
                    raise RuntimeError("the script pool is closed")
                wait = deadline - time.monotonic()
                if wait <= 0:
                    waited = time.monotonic() - began
                    raise ScriptLimitExceeded(
                        f"không được chạy vì mọi tiến trình chạy mã lệnh đều bận quá {waited:.2g} giây",
                        f"could not run: every script worker stayed busy for {waited:.2g} s",
                        "busy",
                    )
                self._cond.wait(wait)
            worker = self._idle.pop()
            self._busy[worker.process.pid] = worker
            return worker

    def _checkin(self, worker: _Worker) -> None:
        with self._cond:
            self._busy.pop(worker.process.pid, None)
            if self._closed:
                self._dying.append(worker.process)
                worker.process.kill()
            else:
                self._idle.append(worker)
            self._cond.notify_all()

    def _discard(
        self, worker: _Worker, *, killed: bool = False, died: bool = False, retired: bool = False
    ) -> None:
        """Kill a worker without waiting for it: the spawner reaps it and starts a replacement."""
        with contextlib.suppress(OSError):
            worker.process.kill()
        for stream in (worker.stdin, worker.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        with self._cond:
            self._busy.pop(worker.process.pid, None)
            self._count -= 1
            self._dying.append(worker.process)
            self.stats.killed += killed
            self.stats.died += died
            self.stats.retired += retired
            self._cond.notify_all()

    def _spawn(self) -> _Worker:
        env = dict(os.environ)
        # The worker imports helpers by module path: give it the same import path as this process.
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        command = [
            sys.executable,
            "-m",
            "engine.workflow.worker",
            str(os.getpid()),
            str(self.memory_bytes),
            *self.preload,
        ]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        worker = _Worker(process)
        try:
            # The worker says it is ready (imports done, limits set) with an answer to an empty request.
            _send(worker, b'{"mode":"eval","source":"1"}')
            answer = _read_message(worker, time.monotonic() + _START_TIMEOUT, 4096)
            if answer.get("value") != 1:
                raise RuntimeError(f"script worker answered {answer!r}")
        except BaseException:
            process.kill()
            process.wait()
            raise
        return worker

    def _spawn_loop(self) -> None:
        failures = 0
        while True:
            with self._cond:
                while not self._closed and self._count >= self.size and not self._dying:
                    self._cond.wait(1.0)
                if self._closed:
                    return
                needed = self._count < self.size
                if needed:
                    self._count += 1
            self._reap()
            if not needed:
                time.sleep(0.05)  # let killed workers finish dying before the next reap
                continue
            try:
                worker = self._spawn()
            except Exception:
                failures += 1
                log.exception("could not start a script worker (attempt %s)", failures)
                with self._cond:
                    self._count -= 1
                time.sleep(min(30.0, 0.5 * failures))
                continue
            failures = 0
            with self._cond:
                self.stats.spawned += 1
                self.stats.pids.add(worker.process.pid)
                if self._closed:
                    self._dying.append(worker.process)
                    worker.process.kill()
                else:
                    self._idle.append(worker)
                self._cond.notify_all()

    def _reap(self, *, block: bool = False) -> None:
        with self._cond:
            dying, self._dying = self._dying, []
        alive = []
        for process in dying:
            if block:
                process.kill()
                process.wait()
            elif process.poll() is None:
                alive.append(process)
        if alive:
            with self._cond:
                self._dying.extend(alive)


_POOLS: dict[tuple[int, int], ScriptPool] = {}
_POOLS_LOCK = threading.Lock()


def default_size() -> int:
    """Workers per server process: one per core, at least two (one may be busy being killed)."""
    return max(2, min(4, os.cpu_count() or 2))


def shared_pool(size: int | None = None, memory_bytes: int = DEFAULT_MEMORY_BYTES) -> ScriptPool:
    """The process-wide pool for these limits (created on first use, closed at exit)."""
    key = (size or default_size(), memory_bytes)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = ScriptPool(key[0], memory_bytes=memory_bytes)
        return pool


def close_shared_pools() -> None:
    """Close every shared pool (atexit; tests)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.close()


def _after_fork_in_child() -> None:
    # The lock may have been held by another thread at fork time; each pool adopts itself on first use.
    global _POOLS_LOCK
    _POOLS_LOCK = threading.Lock()


atexit.register(close_shared_pools)
os.register_at_fork(after_in_child=_after_fork_in_child)
