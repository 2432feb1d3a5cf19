"""`motcua procedures check`: validate procedure folders before they are published."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from engine.calendar import DeadlineUnit
from engine.catalog import Published, is_published, publish_folders
from engine.clock import FixedClock
from engine.dossier.status import Status
from engine.errors import DomainError
from engine.forms import FormRegistry, check_schema
from engine.procedure import ProcedureDefinition, ProcedureFileError, procedure_folders, read_folder
from engine.scenarios import run_scenario, scenario_files
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.workflow.types import SpecInfo, WorkflowRuntime


@dataclass
class FolderReport:
    """Problems found in one procedure folder."""

    path: Path
    problems: list[str] = field(default_factory=list)
    scenarios: int = 0


def legal_hours(definition: ProcedureDefinition) -> float:
    """The legal deadline in working hours (same-day = one working day; calendar days ≥ working days)."""
    deadline = definition.deadline
    if deadline.unit is DeadlineUnit.WORKING_HOURS:
        return deadline.amount
    if deadline.unit is DeadlineUnit.SAME_DAY:
        return 8.0
    return deadline.amount * 8.0


def _check_lanes(info: SpecInfo, definition: ProcedureDefinition) -> list[str]:
    problems = [
        f"lane «{lane}» trong BPMN chưa được ánh xạ tới vai trò trong procedure.yaml"
        for lane in sorted(info.lanes)
        if lane not in definition.lanes
    ]
    problems += [
        f"user task «{name}» không nằm trong lane nào"
        for name, lane in sorted(info.task_lanes.items())
        if not lane
    ]
    return problems


def _check_task_properties(name: str, props: dict[str, str], task_forms: set[str]) -> list[str]:
    problems = []
    status = props.get("status")
    if status is None:
        problems.append(f"user task «{name}» thiếu thuộc tính status")
    elif not status.isdigit() or int(status) not in Status._value2member_map_:
        problems.append(f"user task «{name}»: status «{status}» không có trong danh mục")
    if "step" not in props:
        problems.append(f"user task «{name}» thiếu thuộc tính step")
    form = props.get("form")
    if form and f"tasks/{form}" not in task_forms:
        problems.append(f"user task «{name}»: không có biểu mẫu forms/tasks/{form}.schema.json")
    return problems


def _check_budgets(info: SpecInfo, definition: ProcedureDefinition) -> list[str]:
    steps = {props.get("step") for props in info.user_tasks.values()}
    problems = [
        f"budgets.{step}: không có bước «{step}» trong BPMN"
        for step in definition.budgets
        if step not in steps
    ]
    total = sum(definition.budgets.values())
    if total > legal_hours(definition) + 1e-9:
        problems.append(
            f"tổng thời gian các bước ({total:g} giờ làm việc) vượt thời hạn luật định "
            f"({legal_hours(definition):g} giờ, {definition.deadline.label})"
        )
    return problems


def _check_tasks(info: SpecInfo, definition: ProcedureDefinition, forms: FormRegistry) -> list[str]:
    task_forms = set(forms.names())
    problems = _check_lanes(info, definition)
    for name, props in sorted(info.user_tasks.items()):
        problems += _check_task_properties(name, props, task_forms)
    problems += [
        f"sự kiện kết thúc «{name}» thiếu thuộc tính status"
        for name, props in sorted(info.end_events.items())
        if "status" not in props
    ]
    return problems + _check_budgets(info, definition)


def check_folder(
    path: Path,
    runtime: WorkflowRuntime,
    forms: FormRegistry,
    services_factory: Callable[[FixedClock], Services],
) -> FolderReport:
    """Every problem of one folder: YAML, BPMN, lanes, forms, budgets, scenarios."""
    report = FolderReport(path)
    try:
        folder = read_folder(path)
    except ProcedureFileError as exc:
        report.problems.extend(exc.problems)
        return report
    definition = folder.definition
    try:
        info = runtime.register(folder.bpmn_xml, definition.process_id)
    except DomainError as exc:
        report.problems.append(f"process.bpmn không hợp lệ: {exc.message}")
        return report
    try:
        report.problems.extend(
            f"forms/{definition.form}.schema.json: {p}" for p in check_schema(forms.schema(definition.form))
        )
    except DomainError:
        report.problems.append(f"không có biểu mẫu forms/{definition.form}.schema.json")
    report.problems.extend(_check_tasks(info, definition, forms))
    result_template = forms.root / "documents" / "results" / f"{definition.slug}.html"
    if not result_template.is_file():
        report.problems.append(f"không có mẫu văn bản kết quả forms/documents/results/{definition.slug}.html")
    if report.problems:
        return report
    files = scenario_files(path)
    if not files:
        report.problems.append("chưa có kịch bản kiểm thử nào trong scenarios/")
    for scenario in files:
        result = run_scenario(scenario, services_factory)
        report.scenarios += 1
        report.problems.extend(f"kịch bản {scenario.name} «{result.name}»: {p}" for p in result.problems)
    return report


def check_all(
    root: Path,
    runtime: WorkflowRuntime,
    forms: FormRegistry,
    services_factory: Callable[[FixedClock], Services],
) -> list[FolderReport]:
    """Check every procedure folder under root (or root itself)."""
    if not root.exists():
        report = FolderReport(root, [f"không tìm thấy thư mục {root}"])
        return [report]
    folders = procedure_folders(root)
    if not folders:
        return [FolderReport(root, ["không có thư mục thủ tục nào (thiếu procedure.yaml / process.bpmn)"])]
    return [check_folder(folder, runtime, forms, services_factory) for folder in folders]


@dataclass
class PublishOutcome:
    """What a checked publication did: versions published (or already there) and folders refused."""

    published: list[Published] = field(default_factory=list)
    refused: list[FolderReport] = field(default_factory=list)
    already: list[Path] = field(default_factory=list)  # content already published: not checked again


def publish_checked(  # noqa: PLR0917 — check_all's inputs plus where and when to publish
    open_uow: Callable[[], AbstractContextManager[UnitOfWork]],
    runtime: WorkflowRuntime,
    forms: FormRegistry,
    services_factory: Callable[[FixedClock], Services],
    root: Path,
    now: datetime,
) -> PublishOutcome:
    """Run the full `procedures check` (scenarios included) on every changed folder; publish those that pass.

    A failing folder is refused with its problems (the caller logs them); the other folders still publish,
    each in its own unit of work. A folder whose exact content is already published was checked when it was
    published and is not run again, so a restart costs one query per folder.
    """
    outcome = PublishOutcome()
    for path in procedure_folders(root) if root.exists() else []:
        try:
            content_hash = read_folder(path).content_hash
        except ProcedureFileError:
            content_hash = None
        if content_hash is not None:
            with open_uow() as uow:
                if is_published(uow, content_hash):
                    outcome.already.append(path)
                    outcome.published.extend(publish_folders(uow, runtime, path, now))
                    continue
        report = check_folder(path, runtime, forms, services_factory)
        if report.problems:
            outcome.refused.append(report)
            continue
        with open_uow() as uow:
            outcome.published.extend(publish_folders(uow, runtime, path, now))
    return outcome
