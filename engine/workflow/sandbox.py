"""The sandbox for BPMN scripts, gateway conditions and timer expressions.

SpiffWorkflow runs model code with plain `exec`/`eval` against task data (docs/architecture.md, trap 5).
Models may be uploaded by provincial administrators, so every piece of model code goes through
`SandboxEnvironment`, in two layers:

1. the restricted language (engine/workflow/restricted.py): no imports, no `global`, no names or attributes
   that reach interpreter internals, small constant exponents, capped `range()`, safe builtins and the
   engine's named helpers only — checked when a model is registered and again inside the worker;
2. a worker process per evaluation (engine/workflow/pool.py, worker.py): the task data goes there as JSON,
   the script runs under RLIMIT_CPU and RLIMIT_AS, and the parent kills the worker when the wall-clock
   budget ends. Nothing a script does (bare `except`, C-level arithmetic, a huge allocation) can keep it
   running past its budget. Only the new or changed top-level variables come back (as JSON).

One exception, for speed: an expression made only of names, constant subscripts, literals, comparisons and
and/or/not (the usual gateway condition, `reception["decision"] == "refuse"`, or a timer's `"P30D"`) is
evaluated in-process. It cannot call, loop or allocate, and compares data already in memory, so its cost is
bounded by the size of that data; the round trip to a worker (≈ 0.1 ms idle, milliseconds on a busy machine)
would add nothing but latency.

A step budget (`step_budget`) bounds the total time model code may take during one engine step (one use
case call), so that a model chaining many slow scripts cannot hold the caller's transaction either.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.errors import Unavailable, WorkflowError
from engine.workflow.pool import ScriptFailed, ScriptLimitExceeded, ScriptPool, shared_pool
from engine.workflow.restricted import (
    SCRIPT_FILENAME,
    ScriptRejected,
    compile_checked,
    is_bounded_expression,
)

__all__ = [
    "SandboxEnvironment",
    "SandboxScriptEngine",
    "ScriptFailed",
    "ScriptLimitExceeded",
    "ScriptRejected",
    "WorkflowStepError",
    "check_model_code",
    "step_budget",
]

_STEP_DEADLINE: ContextVar[float | None] = ContextVar("motcua_step_deadline", default=None)


class WorkflowStepError(WorkflowError):
    """A BPMN step (script, condition, timer, service) failed: names the task spec and the original cause."""

    def __init__(
        self,
        task_spec: str | None,
        cause: str,
        *,
        cause_vi: str | None = None,
        code: str = "WorkflowError",
    ) -> None:
        where = task_spec or "?"
        if cause_vi is None:
            message = f"Lỗi khi thực hiện bước '{where}' của quy trình: {cause}"
        else:
            message = f"Mã lệnh của bước '{where}' trong quy trình {cause_vi}."
        super().__init__(message, f"Workflow step '{where}' failed: {cause}", code=code)
        self.task_spec = task_spec
        self.cause = cause


class WorkflowStepOverBudget(WorkflowStepError, Unavailable):
    """A step's model code ran past the time or memory the operating system allows it; nothing was changed.

    Answered 503 with Retry-After, not 500: the dossier is intact and the request may succeed when the script
    pool is less loaded; a model that is always over budget is the administrator's to fix (the log names it).
    """

    def __init__(self, task_spec: str | None, cause: str, *, cause_vi: str) -> None:
        super().__init__(task_spec, cause, cause_vi=cause_vi, code="ScriptLimitExceeded")


@contextmanager
def step_budget(seconds: float) -> Iterator[None]:
    """Bound the total time of model code run inside the block (nested blocks keep the outer budget)."""
    if _STEP_DEADLINE.get() is not None:
        yield
        return
    token = _STEP_DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _STEP_DEADLINE.reset(token)


def check_model_code(specs: Iterable[Any]) -> None:
    """Check every script and expression of parsed specs against the sandbox; ValueError names the element."""
    for task_name, source, mode in _model_code(specs):
        try:
            compile_checked(source.strip() if mode == "eval" else source, mode)
        except (SyntaxError, ValueError) as exc:
            raise ValueError(f"{task_name}: {exc}") from exc


def _model_code(specs: Iterable[Any]) -> Iterator[tuple[str, str, str]]:
    """Every script (exec) and expression (eval) in the models, to check against the sandbox early."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            name = task_spec.name
            for attr in ("script", "prescript", "postscript"):
                source = getattr(task_spec, attr, None)
                if isinstance(source, str) and source.strip():
                    yield name, source, "exec"
            for attr in ("condition", "cardinality"):
                source = getattr(task_spec, attr, None)
                if isinstance(source, str) and source.strip():
                    yield name, source, "eval"
            for condition, _target in getattr(task_spec, "cond_task_specs", None) or []:
                args = getattr(condition, "args", None) or []
                if args and isinstance(args[0], str):
                    yield name, args[0], "eval"
            for param in (getattr(task_spec, "operation_params", None) or {}).values():
                if isinstance(param, dict) and isinstance(param.get("value"), str):
                    yield name, param["value"], "eval"
            expression = getattr(getattr(task_spec, "event_definition", None), "expression", None)
            if isinstance(expression, str) and expression.strip():
                yield name, expression, "eval"


def helper_path(function: Callable[..., Any]) -> str:
    """`module:qualname` of a helper, by which a worker imports it; module-level functions only."""
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    if not module or not qualname or "<" in qualname:
        raise ValueError(
            f"helper {function!r} must be a module-level function: scripts run in worker processes, "
            "which import helpers by name"
        )
    return f"{module}:{qualname}"


class SandboxEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Evaluates and executes model code in a worker process of the pool, against a JSON copy of task data."""

    def __init__(
        self,
        helpers: Mapping[str, Callable[..., Any]] | None = None,
        timeout: float = 1.0,
        *,
        pool: ScriptPool | None = None,
    ) -> None:
        helpers = dict(helpers or {})
        for name in helpers:
            if not name.isidentifier() or name.startswith("_"):
                raise ValueError(f"helper name {name!r} must be an identifier not starting with '_'")
        super().__init__(helpers)
        self.helpers: dict[str, Callable[..., Any]] = helpers
        self._helper_paths = {name: helper_path(function) for name, function in helpers.items()}
        self.timeout = timeout
        self.pool = pool or shared_pool()
        self.pool.start()

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        """Evaluate an expression (condition, timer) without changing the task data."""
        source = expression.strip()
        code = compile_checked(source, "eval")
        if is_bounded_expression(source):
            # Only names, constant subscripts, literals and comparisons: it cannot loop, call or allocate,
            # so the round trip to a worker would buy nothing (restricted.is_bounded_expression).
            scope: dict[str, Any] = {"__builtins__": {}, **(external_context or {}), **context}
            try:
                return eval(code, scope)
            except Exception as exc:
                raise ScriptFailed(type(exc).__name__, str(exc)) from None
        return self._call("eval", source, context, external_context or {}).get("value")

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        """Run a script; its new or changed top-level variables become task data (functions excluded)."""
        compile_checked(script, "exec")
        external = external_context or {}
        clash = (set(self.helpers) | set(external)) & set(context)
        if clash:
            raise ValueError(f"task data overwrites predefined function(s): {sorted(clash)}")
        answer = self._call("exec", script, context, external)
        for key in answer.get("deleted", []):
            context.pop(key, None)
        context.update(answer.get("changed", {}))
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        """Service tasks are not supported: the engine talks to other systems through its own ports."""
        raise ScriptRejected("service tasks are not supported")

    def _deadline(self) -> float | None:
        deadline = _STEP_DEADLINE.get()
        if deadline is not None and deadline <= time.monotonic():
            raise ScriptLimitExceeded(
                "không được chạy vì bước xử lý đã dùng hết thời gian dành cho mã lệnh",
                "was not run: the engine step used up the time allowed for model code",
                "step",
            )
        return deadline

    def _call(
        self, mode: str, source: str, context: dict[str, Any], external: dict[str, Any]
    ) -> dict[str, Any]:
        request = {
            "mode": mode,
            "source": source,
            "context": context,
            "external": external,
            "helpers": self._helper_paths,
        }
        # Waiting for a free worker (a killed one is being replaced) may take up to the step budget; the
        # evaluation itself gets `timeout` from when it starts; the step's deadline caps both.
        deadline = self._deadline()
        wait = self.timeout if deadline is None else None
        answer = self.pool.run(request, self.timeout, wait=wait, deadline=deadline)
        if answer.get("ok"):
            return answer
        if answer.get("kind") == "rejected":
            raise ScriptRejected(answer.get("message", ""))
        if answer.get("kind") == "memory":
            mb = self.pool.memory_bytes >> 20
            raise ScriptLimitExceeded(
                f"dùng quá bộ nhớ cho phép ({mb} MB) và đã bị dừng",
                f"exceeded its memory budget ({mb} MB) and was stopped",
                "memory",
            )
        if answer.get("kind") == "output":
            raise ScriptLimitExceeded(
                "tạo ra dữ liệu quá lớn để lưu vào hồ sơ", answer.get("message", "output too large"), "output"
            )
        raise ScriptFailed(
            answer.get("type", "Error"), answer.get("message", ""), int(answer.get("line") or 0)
        )


class SandboxScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """PythonScriptEngine bound to a SandboxEnvironment, with service calls refused."""

    def __init__(self, environment: SandboxEnvironment) -> None:
        super().__init__(environment=environment)

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        """Refuse service tasks with a WorkflowError naming the task (the library's version masks errors)."""
        raise WorkflowStepError(task.task_spec.name, "service tasks are not supported (ServiceTask)")

    def get_error_line_number_and_content(self, script: str, err: BaseException) -> tuple[int, str]:
        """Locate the failing line in model code (the library looks for '<string>' frames)."""
        line_number = 0
        if isinstance(err, SyntaxError):
            line_number = err.lineno or 0
        elif isinstance(err, ScriptFailed):
            line_number = err.line
        else:
            frames: Iterable[traceback.FrameSummary] = traceback.extract_tb(err.__traceback__)
            for summary in frames:
                if summary.filename == SCRIPT_FILENAME:
                    line_number = summary.lineno or 0
        lines = script.splitlines()
        error_line = lines[line_number - 1] if 0 < line_number <= len(lines) else ""
        return line_number, error_line
