"""A script worker process: evaluates BPMN model code under operating-system limits (`python -m ...`).

Started and killed by `ScriptPool` (engine/workflow/pool.py), never by hand. It reads requests from stdin and
writes answers to its original stdout, one length-prefixed JSON message each (framing in pool.py). Inputs
and outputs are plain JSON: the task data, the script's new or changed variables, the expression's value.

What bounds a script here, none of it needing the script's cooperation:
- RLIMIT_AS (address space) for the whole worker: a huge allocation fails with MemoryError, after which the
  worker retires;
- RLIMIT_CPU: before each evaluation the soft limit is set to the CPU already used plus the budget, so the
  kernel ends the worker with SIGXCPU if the parent has not already killed it; the hard limit caps the
  worker's lifetime (it retires at half of it);
- RLIMIT_CORE 0 and RLIMIT_FSIZE 0: no core files when SIGXCPU fires, no files written;
- PR_SET_PDEATHSIG: the kernel kills the worker when the thread that started it (the pool's spawner) ends,
  so a killed server leaves no worker behind; a closed stdin ends it too.
The parent's wall-clock kill (pool.py) is the first line; these are what remains if the parent cannot act.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import resource
import signal
import struct
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from engine.workflow.restricted import SAFE_BUILTINS, SCRIPT_FILENAME, ScriptRejected, compile_checked

HEADER = struct.Struct(">I")
LIFETIME_CPU_SECONDS = 600  # hard RLIMIT_CPU: the worker retires at half of it
_PR_SET_PDEATHSIG = 1

_helpers_cache: dict[str, Callable[..., Any]] = {}


def _die_with_parent(parent: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


def _limit(memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (LIFETIME_CPU_SECONDS, LIFETIME_CPU_SECONDS))


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _helper(path: str) -> Callable[..., Any]:
    found = _helpers_cache.get(path)
    if found is None:
        module_name, _, qualname = path.partition(":")
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
        if not callable(target):
            raise TypeError(f"helper {path} is not callable")
        found = _helpers_cache[path] = target
    return found


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and bool(a == b)


def _encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _TooLarge(Exception):
    pass


def _encoded_size(name: str, value: Any, budget: int) -> int:
    """Bytes of one value as JSON, refusing early past `budget`; a TypeError names the variable."""
    if isinstance(value, str) and len(value) > budget:
        raise _TooLarge(f"'{name}' is more than {budget} bytes")
    try:
        size = len(_encode({"v": value}))
    except (TypeError, ValueError, RecursionError) as exc:
        raise TypeError(f"'{name}' ({type(value).__name__}) cannot be stored as task data: {exc}") from None
    if size > budget:
        raise _TooLarge(f"'{name}' is {size} bytes, more than {budget}")
    return size


def _scope(request: dict[str, Any], context: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    helpers = {name: _helper(path) for name, path in request.get("helpers", {}).items()}
    external: dict[str, Any] = request.get("external") or {}
    scope: dict[str, Any] = {"__builtins__": SAFE_BUILTINS}
    scope.update(helpers)
    scope.update(external)
    scope.update(context)
    return scope, set(helpers) | set(external)


def _run(request: dict[str, Any], pristine: dict[str, Any], max_output: int) -> dict[str, Any]:
    mode = request["mode"]
    code = compile_checked(request["source"], mode)
    context: dict[str, Any] = request.get("context") or {}
    scope, predefined = _scope(request, context)
    if mode == "eval":
        value = eval(code, scope)
        _encoded_size("<expression>", value, max_output)
        return {"ok": True, "value": value}
    exec(code, scope)
    changed: dict[str, Any] = {}
    budget = max_output
    for key, value in scope.items():
        if key == "__builtins__" or key in predefined or callable(value) or isinstance(value, ModuleType):
            continue
        if key not in pristine or not _same(value, pristine[key]):
            budget -= _encoded_size(key, value, budget)
            changed[key] = value
    deleted = [key for key in pristine if key not in scope]
    return {"ok": True, "changed": changed, "deleted": deleted}


def _line_of(exc: BaseException) -> int:
    line = exc.lineno or 0 if isinstance(exc, SyntaxError) else 0
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == SCRIPT_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def handle(body: bytes) -> tuple[dict[str, Any], int]:
    """Evaluate one request; every failure becomes an answer (`ok: false`) the parent turns into an error.

    Returns the answer and the largest answer the parent accepts.
    """
    request = json.loads(body)
    max_output = int(request.get("max_output", 4 << 20))
    pristine = dict(json.loads(body).get("context") or {})  # an untouched copy to tell what changed
    cpu = int(request.get("cpu", 2))
    used = _cpu_used()
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    resource.setrlimit(resource.RLIMIT_CPU, (min(hard, int(used) + 1 + cpu), hard))
    retire = used > LIFETIME_CPU_SECONDS / 2
    try:
        answer = _run(request, pristine, max_output)
    except _TooLarge as exc:
        answer = {"ok": False, "kind": "output", "type": "OutputTooLarge", "message": str(exc)}
    except MemoryError:
        answer = {"ok": False, "kind": "memory", "type": "MemoryError", "message": "out of memory"}
        retire = True
    except ScriptRejected as exc:
        answer = {"ok": False, "kind": "rejected", "type": "ScriptRejected", "message": str(exc)}
    except BaseException as exc:  # noqa: BLE001 — whatever the model code raised is the answer
        answer = {
            "ok": False,
            "kind": "error",
            "type": type(exc).__name__,
            "message": str(exc)[:2000],
            "line": _line_of(exc),
        }
    answer["retire"] = retire
    return answer, max_output


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _write(fd: int, payload: bytes) -> None:
    data = HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _reply(out: int, answer: dict[str, Any], max_output: int) -> None:
    try:
        payload = _encode(answer)
    except MemoryError:
        payload = _encode({"ok": False, "kind": "memory", "type": "MemoryError", "message": "out of memory"})
    if len(payload) > max_output:
        size = len(payload)
        payload = _encode(
            {
                "ok": False,
                "kind": "output",
                "type": "OutputTooLarge",
                "message": f"the script's result is {size} bytes, more than {max_output}",
                "retire": answer.get("retire", False),
            }
        )
    _write(out, payload)


def main() -> None:
    """Serve requests until stdin closes (`python -m engine.workflow.worker PARENT MEMORY [MODULE...]`)."""
    parent, memory = int(sys.argv[1]), int(sys.argv[2])
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it stops us
    for module in sys.argv[3:]:
        importlib.import_module(module)  # warm: the helpers' imports are paid once, before any request
    _limit(memory)
    # Our answers go to the original stdout only; fd 1 now points at stderr in case anything prints.
    out = os.dup(1)
    os.dup2(2, 1)
    inp = 0
    while True:
        header = _read_exactly(inp, HEADER.size)
        if header is None:
            return
        (size,) = HEADER.unpack(header)
        body = _read_exactly(inp, size)
        if body is None:
            return
        try:
            answer, max_output = handle(body)
        except MemoryError:
            answer, max_output = (
                {"ok": False, "kind": "memory", "message": "out of memory", "retire": True},
                4096,
            )
        _reply(out, answer, max_output)


if __name__ == "__main__":
    main()
