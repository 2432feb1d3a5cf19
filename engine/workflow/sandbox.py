"""Restricted Python for BPMN scripts, gateway conditions and timer expressions.

SpiffWorkflow runs model code with plain `exec`/`eval` against task data (SPIFF.md trap 5). Models may be
uploaded by provincial administrators, so every piece of model code goes through `SandboxEnvironment`:

- the source is parsed with `ast` and rejected if it imports, declares `global`/`nonlocal`, names anything
  starting with `_`, or touches attributes that lead to frames, code objects or format-string tricks;
- only a small set of safe builtins is visible, plus the helpers the engine passes in (working days, fees);
- execution is bounded by a line budget and a wall-clock deadline (`sys.settrace`).

Memory is not bounded (`"x" * 10**9` still allocates): run workers with an OS memory limit.
"""

from __future__ import annotations

import ast
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from types import CodeType, FrameType, ModuleType
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.errors import WorkflowError

SCRIPT_FILENAME = "<bpmn>"
MAX_RANGE = 1_000_000
MAX_POWER_EXPONENT = 64

# Attributes that reach interpreter internals without a leading underscore.
_DENIED_ATTRIBUTES = frozenset({"format", "format_map", "mro"})
_DENIED_ATTRIBUTE_PREFIXES = ("_", "gi_", "cr_", "ag_", "f_", "tb_", "co_", "func_")


class ScriptRejected(ValueError):
    """The model code uses a construct the sandbox does not allow."""


class ScriptLimitExceeded(RuntimeError):
    """The model code ran longer than its time or line budget."""


class _Deadline(BaseException):
    """Raised by the tracer; a BaseException so `except Exception` in model code cannot swallow it."""


class WorkflowStepError(WorkflowError):
    """A BPMN step (script, condition, timer, service) failed: names the task spec and the original cause."""

    def __init__(self, task_spec: str | None, cause: str) -> None:
        where = task_spec or "?"
        super().__init__(
            f"Lỗi khi thực hiện bước '{where}' của quy trình: {cause}",
            f"Workflow step '{where}' failed: {cause}",
        )
        self.task_spec = task_spec
        self.cause = cause


def _bounded_range(*args: int) -> range:
    """`range` that refuses to build more than MAX_RANGE items (C loops are not traced)."""
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise ScriptRejected(f"range() of more than {MAX_RANGE} items is not allowed")
    return result


SAFE_BUILTINS: dict[str, Any] = {
    "len": len,
    "min": min,
    "max": max,
    "sum": sum,
    "abs": abs,
    "round": round,
    "sorted": sorted,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "list": list,
    "dict": dict,
    "set": set,
    "tuple": tuple,
    "range": _bounded_range,
    "any": any,
    "all": all,
    "enumerate": enumerate,
    "zip": zip,
    "isinstance": isinstance,
    "None": None,
    "True": True,
    "False": False,
}


def _attribute_denied(name: str) -> bool:
    return name in _DENIED_ATTRIBUTES or name.startswith(_DENIED_ATTRIBUTE_PREFIXES)


def _check_node(node: ast.AST) -> None:
    if isinstance(node, ast.Import | ast.ImportFrom):
        raise ScriptRejected("import is not allowed")
    if isinstance(node, ast.Global | ast.Nonlocal):
        raise ScriptRejected("global/nonlocal is not allowed")
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise ScriptRejected(f"name '{node.id}' is not allowed (names may not start with '_')")
    if isinstance(node, ast.Attribute) and _attribute_denied(node.attr):
        raise ScriptRejected(f"attribute '{node.attr}' is not allowed")
    if isinstance(node, ast.MatchClass) and any(_attribute_denied(a) for a in node.kwd_attrs):
        raise ScriptRejected("class patterns may not capture denied attributes")
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name.startswith("_"):
        raise ScriptRejected(f"name '{node.name}' is not allowed (names may not start with '_')")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = node.right
        if not (
            isinstance(exponent, ast.Constant)
            and isinstance(exponent.value, int | float)
            and abs(exponent.value) <= MAX_POWER_EXPONENT
        ):
            raise ScriptRejected(f"'**' needs a constant exponent of at most {MAX_POWER_EXPONENT}")


@lru_cache(maxsize=2048)
def compile_checked(source: str, mode: str) -> CodeType:
    """Parse, check and compile model code (`mode` is "eval" or "exec"); cached by source."""
    tree: Any = ast.parse(source, filename=SCRIPT_FILENAME, mode=mode)
    for node in ast.walk(tree):
        _check_node(node)
    code: CodeType = compile(tree, SCRIPT_FILENAME, mode)
    return code


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


class SandboxEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Evaluates and executes model code against task data with safe builtins, helpers and a budget."""

    def __init__(
        self,
        helpers: Mapping[str, Callable[..., Any]] | None = None,
        timeout: float = 1.0,
        max_lines: int = 1_000_000,
    ) -> None:
        helpers = dict(helpers or {})
        for name in helpers:
            if not name.isidentifier() or name.startswith("_"):
                raise ValueError(f"helper name {name!r} must be an identifier not starting with '_'")
        super().__init__(helpers)
        self.helpers: dict[str, Callable[..., Any]] = helpers
        self.timeout = timeout
        self.max_lines = max_lines
        self._builtins = dict(SAFE_BUILTINS)

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        """Evaluate an expression (condition, timer) without changing the task data."""
        code = compile_checked(expression.strip(), "eval")
        scope = self._scope(context, external_context or {})
        return self._run_bounded(lambda: eval(code, scope))

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        """Run a script; its top-level variables become the task data (functions and helpers excluded)."""
        code = compile_checked(script, "exec")
        external = external_context or {}
        clash = (set(self.helpers) | set(external)) & set(context)
        if clash:
            raise ValueError(f"task data overwrites predefined function(s): {sorted(clash)}")
        scope = self._scope(context, external)
        self._run_bounded(lambda: exec(code, scope))
        for key in [k for k in context if k not in scope]:
            del context[key]
        for key, value in scope.items():
            if key == "__builtins__" or key in self.helpers or key in external:
                continue
            if callable(value) or isinstance(value, ModuleType):
                continue
            context[key] = value
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        """Service tasks are not supported: the engine talks to other systems through its own ports."""
        raise ScriptRejected("service tasks are not supported")

    def _scope(self, context: Mapping[str, Any], external: Mapping[str, Any]) -> dict[str, Any]:
        scope: dict[str, Any] = {"__builtins__": self._builtins}
        scope.update(self.helpers)
        scope.update(external)
        scope.update(context)
        return scope

    def _run_bounded(self, run: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + self.timeout
        budget = self.max_lines
        lines = 0

        def trace_lines(frame: FrameType, event: str, arg: Any) -> Any:
            nonlocal lines
            if event == "line":
                lines += 1
                if lines > budget or time.monotonic() > deadline:
                    raise _Deadline
            return trace_lines

        def trace_calls(frame: FrameType, event: str, arg: Any) -> Any:
            # Only model code is traced; our helpers are trusted and stay fast.
            if frame.f_code.co_filename == SCRIPT_FILENAME:
                return trace_lines
            return None

        previous = sys.gettrace()
        sys.settrace(trace_calls)
        try:
            return run()
        except _Deadline:
            raise ScriptLimitExceeded(
                f"script exceeded its budget ({self.timeout:g} s or {budget} lines)"
            ) from None
        finally:
            sys.settrace(previous)


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
        else:
            frames: Iterable[traceback.FrameSummary] = traceback.extract_tb(err.__traceback__)
            for summary in frames:
                if summary.filename == SCRIPT_FILENAME:
                    line_number = summary.lineno or 0
        lines = script.splitlines()
        error_line = lines[line_number - 1] if 0 < line_number <= len(lines) else ""
        return line_number, error_line
