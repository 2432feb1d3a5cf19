"""bpmnlint on the server: MotCua's rule set (portal/assets/bpmnlint/) run by Node on one BPMN document.

`lint_bpmn(xml)` first reads the XML safely here (size cap, no DTD, no entities, a BPMN 2.0 `definitions`
root), then runs the linter `make assets` bundles (portal/static/dist/bpmnlint/motcua-lint.cjs) in a
subprocess: no shell, the XML on stdin, a timeout and a memory cap. The browser modeler runs the same rules.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
LINTER = ROOT / "portal" / "static" / "dist" / "bpmnlint" / "motcua-lint.cjs"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_BYTES = 512 * 1024  # real procedures are 10–50 KB
TIMEOUT_SECONDS = 15.0
NODE_MEMORY_MB = 256
SEVERITIES = ("error", "warning", "info")

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


@dataclass(frozen=True)
class LintProblem:
    """One problem bpmnlint found: on which element, by which rule, how bad, in Vietnamese and English."""

    element_id: str
    rule: str
    severity: str  # "error" | "warning" | "info"
    message_vi: str
    message_en: str


class BpmnRefused(ValueError):
    """The document cannot be linted (not XML, not BPMN, too large, unreadable): why, in both languages."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} ({message_en})")
        self.message_vi = message_vi
        self.message_en = message_en


class BpmnTooLarge(BpmnRefused):
    """Larger than MAX_BYTES (the page answers 413)."""

    def __init__(self, limit: int = MAX_BYTES) -> None:
        kib = limit // 1024
        super().__init__(
            f"Tệp sơ đồ quá lớn (tối đa {kib} KiB).", f"The diagram is too large (at most {kib} KiB)."
        )


class LinterUnavailable(RuntimeError):
    """Node or the bundled linter is missing, or the linter failed (an operator's problem, not the user's)."""


def check_xml(xml: bytes, limit: int = MAX_BYTES) -> None:
    """Refuse what is not a small, entity-free BPMN 2.0 document (raises BpmnRefused / BpmnTooLarge)."""
    if len(xml) > limit:
        raise BpmnTooLarge(limit)
    if not xml.strip():
        raise BpmnRefused("Chưa có nội dung sơ đồ.", "The diagram is empty.")
    head = xml[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in xml.lower():
        raise _doctype_refused()
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise BpmnRefused(
            f"Không đọc được XML: {str(exc)[:200]}", f"The XML cannot be read: {str(exc)[:200]}"
        ) from None
    if root.getroottree().docinfo.doctype:
        raise _doctype_refused()
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise BpmnRefused(
            "Đây không phải sơ đồ BPMN 2.0 (phần tử gốc phải là bpmn:definitions).",
            "This is not a BPMN 2.0 diagram (the root element must be bpmn:definitions).",
        )


def _doctype_refused() -> BpmnRefused:
    return BpmnRefused(
        "Sơ đồ không được chứa khai báo DOCTYPE hay thực thể (entity).",
        "A diagram must not declare a DOCTYPE or entities.",
    )


def lint_bpmn(
    xml: bytes, *, timeout: float = TIMEOUT_SECONDS, linter: Path | None = None
) -> list[LintProblem]:
    """MotCua's bpmnlint problems of one BPMN document, errors first (raises BpmnRefused on bad input)."""
    check_xml(xml)
    linter = linter or LINTER
    node = shutil.which("node")
    if node is None or not linter.is_file():
        raise LinterUnavailable(f"node or {linter} is missing: run `make assets`")
    env = {"PATH": os.environ.get("PATH", ""), "NODE_ENV": "production"}
    try:
        done = subprocess.run(  # noqa: S603 — fixed argv, no shell, the document on stdin
            [node, f"--max-old-space-size={NODE_MEMORY_MB}", str(linter)],
            input=xml,
            capture_output=True,
            timeout=timeout,
            check=False,
            env=env,
            cwd=linter.parent,
        )
    except subprocess.TimeoutExpired:
        raise BpmnRefused(
            "Kiểm tra sơ đồ mất quá nhiều thời gian; hãy thử một sơ đồ nhỏ hơn.",
            "Checking the diagram took too long; try a smaller diagram.",
        ) from None
    try:
        result = json.loads(done.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise LinterUnavailable(
            f"the linter exited with {done.returncode}: {done.stderr.decode('utf-8', 'replace')[:300]}"
        ) from None
    if "error" in result:
        detail = str(result["error"])[:300]
        raise BpmnRefused(
            f"Không đọc được sơ đồ BPMN: {detail}", f"The BPMN diagram cannot be read: {detail}"
        )
    problems = [_problem(item) for item in result.get("problems", [])]
    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    return sorted(problems, key=lambda p: (order.get(p.severity, 9), p.element_id, p.rule))


def _problem(item: dict[str, object]) -> LintProblem:
    severity = str(item.get("severity", "error"))
    return LintProblem(
        element_id=str(item.get("element_id") or "")[:200],
        rule=str(item.get("rule") or "")[:100],
        severity=severity if severity in SEVERITIES else "error",
        message_vi=str(item.get("message_vi") or "")[:500],
        message_en=str(item.get("message_en") or "")[:500],
    )
