"""The restricted language of BPMN model code: what a script may say, checked before anything runs.

This is the first layer of the sandbox and runs in two places: in the server when a model is registered
(every script and expression is checked, so a bad model is refused at publishing) and again inside the
script worker process before it evaluates anything (engine/workflow/worker.py). It imports nothing from
SpiffWorkflow so that a worker starts fast.

- the source is parsed with `ast` and rejected if it imports, declares `global`/`nonlocal`, names anything
  starting with `_`, or touches attributes that lead to frames, code objects or format-string tricks;
- `**` needs a small constant exponent, `range()` is capped;
- only a small set of safe builtins is visible, plus the helpers the engine names.

Time and memory are not bounded here: the operating system bounds them in the worker
(engine/workflow/pool.py).
"""

from __future__ import annotations

import ast
from functools import lru_cache
from types import CodeType
from typing import Any

SCRIPT_FILENAME = "<bpmn>"
MAX_RANGE = 1_000_000
MAX_POWER_EXPONENT = 64

# Attributes that reach interpreter internals without a leading underscore.
_DENIED_ATTRIBUTES = frozenset({"format", "format_map", "mro"})
_DENIED_ATTRIBUTE_PREFIXES = ("_", "gi_", "cr_", "ag_", "f_", "tb_", "co_", "func_")


class ScriptRejected(ValueError):
    """The model code uses a construct the sandbox does not allow."""


def _bounded_range(*args: int) -> range:
    """`range` that refuses to build more than MAX_RANGE items."""
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
    """Parse, check and compile model code (`mode` is "eval" or "exec"); cached by source.

    Compiling runs nothing: CPython folds only small constants (results up to 4 KB), so even
    `'x' * 10**10` compiles instantly and is left for the worker to refuse at run time.
    """
    tree: Any = ast.parse(source, filename=SCRIPT_FILENAME, mode=mode)
    for node in ast.walk(tree):
        _check_node(node)
    code: CodeType = compile(tree, SCRIPT_FILENAME, mode)
    return code


# Node types of an expression that can only look at data already in memory: no call, loop, comprehension,
# arithmetic, assignment, slice or f-string. Its cost is bounded by one scan of the task data it compares
# (C-level comparisons are linear in the data, a tuple of constants is bounded by the source), and it
# allocates nothing but its result, so it needs no worker process (see `is_bounded_expression`).
_BOUNDED_NODES = (
    ast.Expression,
    ast.Compare,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Subscript,
    ast.Tuple,
    ast.List,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
)
MAX_BOUNDED_SOURCE = 2_000


@lru_cache(maxsize=2048)
def is_bounded_expression(source: str) -> bool:
    """True for a gateway-style condition (`reception["decision"] == "refuse"`, `"P30D"`) that provably
    ends quickly and allocates nothing: only names, constant subscripts, literals, comparisons and
    and/or/not. Such an expression is evaluated in-process; everything else runs in a worker."""
    if len(source) > MAX_BOUNDED_SOURCE:
        return False
    try:
        tree = ast.parse(source, filename=SCRIPT_FILENAME, mode="eval")
    except SyntaxError:
        return False
    return all(_bounded_node(node) for node in ast.walk(tree))


def _bounded_node(node: ast.AST) -> bool:
    if not isinstance(node, _BOUNDED_NODES):
        return False
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not)
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant)
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | int | float | bool | None)
    return True
