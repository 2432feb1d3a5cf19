"""`motcua procedures check`: validate procedure folders before they are published."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from engine.calendar import DeadlineUnit
from engine.catalog import Published, is_published, publish_folders
from engine.clock import FixedClock
from engine.document.kinds import GENERIC_RESULT, result_template
from engine.dossier.status import Status
from engine.errors import DomainError
from engine.forms import FormRegistry, check_schema
from engine.procedure import ProcedureDefinition, ProcedureFileError, procedure_folders, read_folder
from engine.scenarios import run_scenario, scenario_files
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.workflow.types import SpecInfo, WorkflowRuntime


@dataclass(frozen=True)
class Problem:
    """One problem, structured for the workshop: where it is (BPMN element, field, file) and what, vi + en.

    `message` is the Vietnamese line `motcua procedures check` prints (unchanged); `element_id` names the BPMN
    element it is about when it is about one; `field` is a procedure.yaml key path (`budgets.appraisal`,
    `deadline.unit`) or `form` for the e-form; `file` is the folder file (`process.bpmn`,
    `scenarios/01.json`).
    """

    message: str
    message_en: str = ""
    element_id: str | None = None
    field: str | None = None
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (stored with a draft's last check)."""
        return asdict(self)

    @classmethod
    def of(cls, data: dict[str, Any]) -> Problem:
        """Back from `as_dict`."""
        return cls(
            str(data.get("message") or ""),
            str(data.get("message_en") or ""),
            element_id=data.get("element_id"),
            field=data.get("field"),
            file=data.get("file"),
        )


@dataclass
class FolderReport:
    """Problems found in one procedure folder: `problems` the printed lines, `details` the structured ones."""

    path: Path
    problems: list[str] = field(default_factory=list)
    scenarios: int = 0
    details: list[Problem] = field(default_factory=list)

    def add(self, *found: Problem) -> None:
        """Record problems (both as printed lines and structured)."""
        for problem in found:
            self.details.append(problem)
            self.problems.append(problem.message)


# "(English)" at the end of a procedure.yaml problem, and the key path it starts with.
_EN_SUFFIX = re.compile(r"\(([^()]*)\)$")
_YAML_FIELD = re.compile(r"^(?:thiếu «(\w+)»|«(\w+)»|(deadline\.\w+|budgets\.[\w-]+|clock)\b|lane «([^»]+)»)")


def _yaml_problem(message: str) -> Problem:
    """A procedure.yaml problem (engine/procedure.py words them «vi (en)»), with the field it names."""
    english = _EN_SUFFIX.search(message)
    match = _YAML_FIELD.match(message)
    name: str | None = None
    if match:
        name = match.group(1) or match.group(2) or match.group(3)
        if match.group(4):
            name = f"lanes.{match.group(4)}"
    english_text = english.group(1) if english else message
    if name and english and not english_text.startswith(name):
        english_text = f"{name}: {english_text}"
    return Problem(
        message,
        english_text,
        field=name,
        file="process.bpmn" if "process.bpmn" in message else "procedure.yaml",
    )


def _element_ids(xml: str) -> dict[str, str]:
    """Every BPMN element's id → its local tag name (entities and the network off)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(xml.encode("utf-8"), parser=parser)
    except etree.XMLSyntaxError:
        return {}
    return {
        str(node.get("id")): etree.QName(node).localname
        for node in root.iter()
        if isinstance(node.tag, str) and node.get("id")
    }


def _lane_ids(xml: str) -> dict[str, str]:
    """A lane's name → its element id."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(xml.encode("utf-8"), parser=parser)
    except etree.XMLSyntaxError:
        return {}
    return {
        str(node.get("name")): str(node.get("id"))
        for node in root.iter("{*}lane")
        if node.get("name") and node.get("id")
    }


def _named_element(message: str, ids: dict[str, str]) -> str | None:
    """The first element id a library message names (longest ids first: Task_A before Task)."""
    for element in sorted(ids, key=len, reverse=True):
        if re.search(rf"(?<![\w-]){re.escape(element)}(?![\w-])", message):
            return element
    return None


def legal_hours(definition: ProcedureDefinition) -> float:
    """The legal deadline in working hours (same-day = one working day; calendar days ≥ working days)."""
    deadline = definition.deadline
    if deadline.unit is DeadlineUnit.WORKING_HOURS:
        return deadline.amount
    if deadline.unit is DeadlineUnit.SAME_DAY:
        return 8.0
    return deadline.amount * 8.0


def _check_lanes(info: SpecInfo, definition: ProcedureDefinition, lane_ids: dict[str, str]) -> list[Problem]:
    problems = [
        Problem(
            f"lane «{lane}» trong BPMN chưa được ánh xạ tới vai trò trong procedure.yaml",
            f"lane '{lane}' of the BPMN is not mapped to a role in procedure.yaml",
            element_id=lane_ids.get(lane),
            field="lanes",
        )
        for lane in sorted(info.lanes)
        if lane not in definition.lanes
    ]
    problems += [
        Problem(
            f"user task «{name}» không nằm trong lane nào",
            f"user task '{name}' is in no lane",
            element_id=name,
        )
        for name, lane in sorted(info.task_lanes.items())
        if not lane
    ]
    return problems


def _check_task_properties(name: str, props: dict[str, str], task_forms: set[str]) -> list[Problem]:
    problems = []
    status = props.get("status")
    if status is None:
        problems.append(
            Problem(
                f"user task «{name}» thiếu thuộc tính status",
                f"user task '{name}' has no status property",
                element_id=name,
            )
        )
    elif not status.isdigit() or int(status) not in Status._value2member_map_:
        problems.append(
            Problem(
                f"user task «{name}»: status «{status}» không có trong danh mục",
                f"user task '{name}': status '{status}' is not in the status catalogue",
                element_id=name,
            )
        )
    if "step" not in props:
        problems.append(
            Problem(
                f"user task «{name}» thiếu thuộc tính step",
                f"user task '{name}' has no step property",
                element_id=name,
            )
        )
    form = props.get("form")
    if form and f"tasks/{form}" not in task_forms:
        problems.append(
            Problem(
                f"user task «{name}»: không có biểu mẫu forms/tasks/{form}.schema.json",
                f"user task '{name}': there is no form forms/tasks/{form}.schema.json",
                element_id=name,
            )
        )
    return problems


def _check_budgets(info: SpecInfo, definition: ProcedureDefinition) -> list[Problem]:
    steps = {props.get("step") for props in info.user_tasks.values()}
    problems = [
        Problem(
            f"budgets.{step}: không có bước «{step}» trong BPMN",
            f"budgets.{step}: there is no step '{step}' in the BPMN",
            field=f"budgets.{step}",
            file="procedure.yaml",
        )
        for step in definition.budgets
        if step not in steps
    ]
    total = sum(definition.budgets.values())
    if total > legal_hours(definition) + 1e-9:
        problems.append(
            Problem(
                f"tổng thời gian các bước ({total:g} giờ làm việc) vượt thời hạn luật định "
                f"({legal_hours(definition):g} giờ, {definition.deadline.label})",
                f"the steps add up to {total:g} working hours, more than the legal deadline "
                f"({legal_hours(definition):g} hours)",
                field="budgets",
                file="procedure.yaml",
            )
        )
    return problems


def _check_tasks(
    info: SpecInfo, definition: ProcedureDefinition, forms: FormRegistry, lane_ids: dict[str, str]
) -> list[Problem]:
    task_forms = set(forms.names())
    problems = _check_lanes(info, definition, lane_ids)
    for name, props in sorted(info.user_tasks.items()):
        problems += _check_task_properties(name, props, task_forms)
    problems += [
        Problem(
            f"sự kiện kết thúc «{name}» thiếu thuộc tính status",
            f"end event '{name}' has no status property",
            element_id=name,
        )
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
        report.add(*(_yaml_problem(p) for p in exc.problems))
        return report
    definition = folder.definition
    try:
        info = runtime.register(folder.bpmn_xml, definition.process_id)
    except DomainError as exc:
        report.add(
            Problem(
                f"process.bpmn không hợp lệ: {exc.message}",
                f"process.bpmn is not valid: {exc.message_en}",
                element_id=_named_element(exc.message, _element_ids(folder.bpmn_xml)),
                file="process.bpmn",
            )
        )
        return report
    form_file = f"forms/{definition.form}.schema.json"
    try:
        report.add(
            *(
                Problem(f"{form_file}: {p}", f"{form_file}: {p}", field="form", file=form_file)
                for p in check_schema(forms.schema(definition.form))
            )
        )
    except DomainError:
        report.add(
            Problem(
                f"không có biểu mẫu {form_file}",
                f"there is no form {form_file}",
                field="form",
                file=form_file,
            )
        )
    report.add(*_check_tasks(info, definition, forms, _lane_ids(folder.bpmn_xml)))
    if result_template(forms.root / "documents", definition.slug) is None:
        template = f"forms/documents/results/{definition.slug}.html"
        report.add(
            Problem(
                f"không có mẫu văn bản kết quả {template} (cũng không có mẫu chung {GENERIC_RESULT})",
                f"there is no result document template {template} (nor the generic {GENERIC_RESULT})",
                file=template,
            )
        )
    if report.problems:
        return report
    files = scenario_files(path)
    if not files:
        report.add(
            Problem(
                "chưa có kịch bản kiểm thử nào trong scenarios/",
                "there is no test scenario in scenarios/ yet",
                file="scenarios/",
            )
        )
    for scenario in files:
        result = run_scenario(scenario, services_factory)
        report.scenarios += 1
        report.add(
            *(
                Problem(
                    f"kịch bản {scenario.name} «{result.name}»: {p}",
                    f"scenario {scenario.name} '{result.name}': {p}",
                    file=f"scenarios/{scenario.name}",
                )
                for p in result.problems
            )
        )
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
