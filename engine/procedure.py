"""A procedure as data: `processes/<slug>/procedure.yaml` + `process.bpmn` + scenarios."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from engine.actor import Role
from engine.calendar import DeadlineUnit


class ClockPolicy(StrEnum):
    """What a supplement request does to the legal clock."""

    PAUSE = "pause"
    RESTART = "restart"
    NONE = "none"


@dataclass(frozen=True)
class Paper:
    """One paper of the published list (thành phần hồ sơ)."""

    key: str
    name: str
    copies: str = "original"
    count: int = 1
    required: bool = True


@dataclass(frozen=True)
class Deadline:
    """The legal deadline of a procedure."""

    amount: float
    unit: DeadlineUnit
    cutoff: time | None = None

    @property
    def label(self) -> str:
        """Vietnamese wording, e.g. '7 ngày làm việc'."""
        amount = f"{self.amount:g}"
        cutoff = f" (tiếp nhận trước {self.cutoff:%H:%M})" if self.cutoff else ""
        labels = {
            DeadlineUnit.WORKING_DAYS: f"{amount} ngày làm việc",
            DeadlineUnit.WORKING_HOURS: f"{amount} giờ làm việc",
            DeadlineUnit.SAME_DAY: "Trong ngày",
            DeadlineUnit.CALENDAR_DAYS: f"{amount} ngày",
        }
        return labels[self.unit] + cutoff


@dataclass(frozen=True)
class ProcedureDefinition:
    """Everything `procedure.yaml` declares, validated."""

    slug: str
    code: str
    name: str
    name_en: str
    process_id: str
    form: str
    deadline: Deadline
    clock: ClockPolicy
    lanes: dict[str, Role]
    budgets: dict[str, float]
    papers: tuple[Paper, ...]
    fee_amount: int
    supplement_limit: int
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def public(self) -> dict[str, Any]:
        """Catalogue view for citizens."""
        return {
            "code": self.code,
            "slug": self.slug,
            "name": self.name,
            "name_en": self.name_en,
            "field": self.raw.get("field"),
            "level": self.raw.get("level"),
            "legal_basis": self.raw.get("legal_basis", []),
            "deadline": {
                "amount": self.deadline.amount,
                "unit": self.deadline.unit.value,
                "cutoff": self.deadline.cutoff.strftime("%H:%M") if self.deadline.cutoff else None,
                "label": self.deadline.label,
            },
            "clock": self.clock.value,
            "fee": self.raw.get("fee", {}),
            "papers": [p.__dict__ for p in self.papers],
            "result": self.raw.get("result", {}),
            "online_level": self.raw.get("online_level"),
            "form": self.form,
        }


@dataclass(frozen=True)
class ProcedureFolder:
    """A procedure folder read from disk, with the content hash of its definition."""

    path: Path
    definition: ProcedureDefinition
    bpmn_xml: str
    content_hash: str


class ProcedureFileError(ValueError):
    """procedure.yaml is missing or malformed; the message lists every problem."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def _parse_cutoff(value: object, problems: list[str]) -> time | None:
    if value in (None, ""):
        return None
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        problems.append(f"deadline.cutoff «{value}» không phải giờ HH:MM (not an HH:MM time)")
        return None


def _parse_deadline(raw: Any, problems: list[str]) -> Deadline:
    if not isinstance(raw, dict):
        problems.append("thiếu «deadline» (deadline is missing)")
        return Deadline(0, DeadlineUnit.SAME_DAY)
    try:
        unit = DeadlineUnit(str(raw.get("unit")))
    except ValueError:
        problems.append(f"deadline.unit «{raw.get('unit')}» không hợp lệ (unknown unit)")
        unit = DeadlineUnit.SAME_DAY
    amount = raw.get("amount", 0)
    if not isinstance(amount, int | float) or amount < 0:
        problems.append("deadline.amount phải là số không âm (must be a non-negative number)")
        amount = 0
    return Deadline(float(amount), unit, _parse_cutoff(raw.get("cutoff"), problems))


def _parse_lanes(raw: Any, problems: list[str]) -> dict[str, Role]:
    lanes: dict[str, Role] = {}
    if not isinstance(raw, dict) or not raw:
        problems.append("thiếu «lanes» (lanes → roles mapping is missing)")
        return lanes
    for lane, role in raw.items():
        try:
            lanes[str(lane)] = Role(role)
        except ValueError:
            problems.append(f"lane «{lane}» ánh xạ tới vai trò không tồn tại «{role}» (unknown role)")
            continue
        if lanes[str(lane)] is Role.IOC:
            problems.append(
                f"lane «{lane}»: vai trò «ioc» là tài khoản hệ thống, không xử lý hồ sơ (system role)"
            )
    return lanes


def _parse_enum_clock(raw: Any, problems: list[str]) -> ClockPolicy:
    try:
        return ClockPolicy(raw or "pause")
    except ValueError:
        problems.append(f"clock «{raw}» phải là pause | restart | none")
        return ClockPolicy.PAUSE


def parse_definition(slug: str, raw: Any, path: Path) -> ProcedureDefinition:
    """Validate the YAML mapping; raise ProcedureFileError listing every problem."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise ProcedureFileError(path, ["procedure.yaml phải là một ánh xạ YAML (must be a mapping)"])
    for key in ("code", "name", "process_id", "form"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            problems.append(f"thiếu «{key}» ({key} is missing)")
    deadline = _parse_deadline(raw.get("deadline"), problems)
    clock = _parse_enum_clock(raw.get("clock"), problems)
    lanes = _parse_lanes(raw.get("lanes"), problems)
    budgets_raw = raw.get("budgets") or {}
    budgets: dict[str, float] = {}
    if not isinstance(budgets_raw, dict):
        problems.append("«budgets» phải là ánh xạ bước → số giờ làm việc")
    else:
        for step, hours in budgets_raw.items():
            if not isinstance(hours, int | float) or hours <= 0:
                problems.append(f"budgets.{step} phải là số giờ dương (must be positive hours)")
            else:
                budgets[str(step)] = float(hours)
    papers = tuple(
        Paper(
            key=str(p.get("key")),
            name=str(p.get("name")),
            copies=str(p.get("copies", "original")),
            count=int(p.get("count", 1)),
            required=bool(p.get("required", True)),
        )
        for p in raw.get("papers") or []
        if isinstance(p, dict)
    )
    if problems:
        raise ProcedureFileError(path, problems)
    return ProcedureDefinition(
        slug=slug,
        code=str(raw["code"]),
        name=str(raw["name"]),
        name_en=str(raw.get("name_en", raw["name"])),
        process_id=str(raw["process_id"]),
        form=str(raw["form"]),
        deadline=deadline,
        clock=clock,
        lanes=lanes,
        budgets=budgets,
        papers=papers,
        fee_amount=int((raw.get("fee") or {}).get("amount", 0)),
        supplement_limit=int(raw.get("supplement_limit", 1)),
        raw=raw,
    )


def read_folder(path: Path) -> ProcedureFolder:
    """Read one procedure folder (procedure.yaml + process.bpmn)."""
    yaml_path = path / "procedure.yaml"
    bpmn_path = path / "process.bpmn"
    problems = []
    if not yaml_path.is_file():
        problems.append("thiếu tệp procedure.yaml (procedure.yaml is missing)")
    if not bpmn_path.is_file():
        problems.append("thiếu tệp process.bpmn (process.bpmn is missing)")
    if problems:
        raise ProcedureFileError(path, problems)
    try:
        raw = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProcedureFileError(yaml_path, [f"YAML không hợp lệ: {exc}"]) from exc
    definition = parse_definition(path.name, raw, yaml_path)
    bpmn_xml = bpmn_path.read_text(encoding="utf-8")
    digest = hashlib.sha256()
    digest.update(json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str).encode())
    digest.update(bpmn_xml.encode())
    return ProcedureFolder(path, definition, bpmn_xml, digest.hexdigest())


def procedure_folders(root: Path) -> list[Path]:
    """Every folder under root that looks like a procedure (has procedure.yaml or process.bpmn)."""
    if (root / "procedure.yaml").exists() or (root / "process.bpmn").exists():
        return [root]
    return sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and ((p / "procedure.yaml").exists() or (p / "process.bpmn").exists())
    )
