"""Scenario files (`processes/<slug>/scenarios/*.json`): a dossier driven step by step with expectations.

The same runner serves `motcua procedures check` and the parametrised test suite. A file that names no
`procedure` runs on its folder's own code (the blank template's scenarios do, so they run whatever code the
administrator writes). A file the runner cannot follow (not JSON, no `start`, an unknown action, a step
without its task) is reported as a problem, never raised: administrators type these files in the workshop.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, select

from engine.actor import Actor, Role
from engine.catalog import publish_folders
from engine.clock import FixedClock, to_local, to_utc
from engine.errors import DomainError
from engine.procedure import ProcedureFileError, read_folder
from engine.services import Services
from engine.store.db import make_engine, unit_of_work
from engine.store.models import AgencyRow, DossierRow, WorkTaskRow
from engine.usecases import dossiers, tasks
from engine.usecases.calendars import seed_exceptions
from engine.usecases.queries import dossier_detail


@dataclass
class ScenarioResult:
    """Outcome of one scenario file."""

    path: Path
    name: str
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No expectation failed."""
        return not self.problems


def scenario_files(folder: Path) -> list[Path]:
    """The scenario files of a procedure folder, sorted."""
    return sorted((folder / "scenarios").glob("*.json"))


def actor_for(name: str, agency: str, applicant: dict[str, Any]) -> Actor:
    """A scenario actor: `citizen`, `officer`, `specialist` or `leader` of the scenario's agency."""
    role = Role(name)
    if role is Role.CITIZEN:
        return Actor(
            "scenario:citizen",
            "citizen",
            frozenset({role}),
            None,
            applicant.get("identity_number"),
            applicant.get("full_name"),
        )
    return Actor(f"scenario:{name}", name, frozenset({role}), agency, None, f"{name} {agency}")


def _prepare_db(engine: Engine, services: Services, procedure_dir: Path, agency: str) -> None:
    SQLModel.metadata.create_all(engine)
    with unit_of_work(engine) as uow:
        if uow.session.get(AgencyRow, agency) is None:
            uow.session.add(AgencyRow(code=agency, name=f"Cơ quan {agency}", province_code="01"))
        seed_exceptions(uow)
        publish_folders(uow, services.runtime, procedure_dir, services.clock.now())


Step = dict[str, Any]
ACTIONS = ("file", "receive", "supplement", "extension", "withdraw", "complete")
ACTORS = ("citizen", "officer", "specialist", "leader")


class ScenarioFault(Exception):
    """A scenario the runner cannot follow (reported as the scenario's problem)."""


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _step_problems(number: int, step: Any) -> list[str]:
    where = f"bước {number} (step {number})"
    if not isinstance(step, dict):
        return [f"{where}: phải là một đối tượng JSON (must be a JSON object)"]
    problems = []
    if step.get("action") not in ACTIONS:
        problems.append(
            f"{where}: «action» phải là một trong {', '.join(ACTIONS)} "
            f"(action must be one of them, got {step.get('action')!r})"
        )
    if step.get("action") == "complete" and not isinstance(step.get("step"), str):
        problems.append(f"{where}: «complete» cần «step» (mã bước) (complete needs the step)")
    if step.get("as", "citizen") not in ACTORS:
        problems.append(f"{where}: «as» phải là một trong {', '.join(ACTORS)} (as must be one of them)")
    if "at" in step and _moment(step["at"]) is None:
        problems.append(f"{where}: «at» không phải thời điểm ISO (at is not an ISO moment)")
    problems += [
        f"{where}: «{key}» phải là một đối tượng JSON ({key} must be a JSON object)"
        for key in ("data", "expect")
        if key in step and not isinstance(step[key], dict)
    ]
    return problems


def shape_problems(spec: Any) -> list[str]:
    """What makes a scenario file impossible to run (Vietnamese, English in brackets); [] when it can run."""
    if not isinstance(spec, dict):
        return ["kịch bản phải là một đối tượng JSON (a scenario must be a JSON object)"]
    problems = []
    if _moment(spec.get("start")) is None:
        problems.append(
            "thiếu «start» hoặc không phải thời điểm ISO, ví dụ 2026-03-02T09:00 "
            "(start is missing or not an ISO moment)"
        )
    if "applicant" not in spec:
        problems.append("thiếu «applicant» (người nộp) (applicant is missing)")
    problems += [
        f"«{key}» phải là một đối tượng JSON ({key} must be a JSON object)"
        for key in ("applicant", "form")
        if key in spec and not isinstance(spec[key], dict)
    ]
    steps = spec.get("steps")
    if not isinstance(steps, list) or not steps:
        return [
            *problems,
            "«steps» phải là danh sách các bước, ít nhất một bước (steps must be a non-empty list)",
        ]
    for number, step in enumerate(steps, start=1):
        problems += _step_problems(number, step)
    if isinstance(steps[0], dict) and steps[0].get("action") != "file":
        problems.append("bước đầu tiên phải là «file» (nộp hồ sơ) (the first step must file the dossier)")
    return problems


def _act(services: Services, engine: Engine, step: Step, state: dict[str, Any]) -> None:
    action = step["action"]
    actor = actor_for(step.get("as", "citizen"), state["agency"], state["applicant"])
    data = step.get("data", {})
    with unit_of_work(engine) as uow:
        if action == "file":
            dossier = dossiers.file_dossier(
                services,
                uow,
                actor,
                dossiers.FileDossier(
                    procedure=state["procedure"],
                    agency=state["agency"],
                    channel=step.get("channel", "online"),
                    applicant=state["applicant"],
                    form=step.get("form", state.get("form", {})),
                    papers=step.get("papers", []),
                ),
            )
            state["code"] = dossier.code
            return
        code = state["code"]
        if action == "receive":
            dossiers.receive(services, uow, actor, code, data)
        elif action == "supplement":
            dossiers.supplement(services, uow, actor, code, data)
        elif action == "extension":
            dossiers.extend(services, uow, actor, code, data)
        elif action == "withdraw":
            dossiers.withdraw(services, uow, actor, code, data)
        elif action == "complete":
            dossier = uow.session.exec(select(DossierRow).where(DossierRow.code == code)).one()
            task = uow.session.exec(
                select(WorkTaskRow).where(
                    WorkTaskRow.dossier_id == dossier.id, WorkTaskRow.step == step["step"]
                )
            ).first()
            if task is None:
                raise ScenarioFault(f"không có công việc sẵn sàng ở bước «{step['step']}» (no ready task)")
            tasks.complete(services, uow, actor, task.id, data)
        else:
            raise ScenarioFault(f"không biết hành động «{action}» (unknown action)")


def _check(detail: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    problems = []
    checks: dict[str, Callable[[dict[str, Any]], Any]] = {
        "status": lambda d: d["status"]["code"],
        "step": lambda d: d["tasks"][0]["step"] if d["tasks"] else None,
        "due_at": lambda d: d["deadline"].get("due_at"),
        "original_due_at": lambda d: d["deadline"].get("original_due_at"),
        "state": lambda d: d["deadline"].get("state"),
        "outcome": lambda d: d.get("outcome"),
        "skipped": lambda d: [s["date"] for s in d["deadline"].get("skipped", [])],
        "pauses": lambda d: len(d["deadline"].get("pauses", [])),
    }
    for key, wanted in expect.items():
        if key == "error":
            continue
        if key not in checks:
            problems.append(f"unknown expectation {key!r}")
            continue
        got = checks[key](detail)
        if got != wanted:
            problems.append(f"{key}: expected {wanted!r}, got {got!r}")
    return problems


def _folder_code(folder: Path) -> str | None:
    try:
        return read_folder(folder).definition.code
    except ProcedureFileError:
        return None


def run_scenario(
    path: Path, services_factory: Callable[[FixedClock], Services], engine: Engine | None = None
) -> ScenarioResult:
    """Run one scenario file on a fresh database (in-memory SQLite unless an engine is given)."""
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return ScenarioResult(path, path.stem, [f"JSON không hợp lệ (not valid JSON): {exc}"])
    name = spec.get("name") if isinstance(spec, dict) else None
    result = ScenarioResult(path, name if isinstance(name, str) and name else path.stem)
    result.problems = shape_problems(spec)
    if result.problems:
        return result
    clock = FixedClock(datetime.fromisoformat(spec["start"]))
    services = services_factory(clock)
    engine = engine or make_engine("sqlite://", poolclass=StaticPool)
    state: dict[str, Any] = {
        "agency": spec.get("agency", "H29.12.3"),
        "procedure": spec.get("procedure") or _folder_code(path.parent.parent),
        "applicant": spec["applicant"],
        "form": spec.get("form", {}),
    }
    _prepare_db(engine, services, path.parent.parent, state["agency"])
    for number, step in enumerate(spec["steps"], start=1):
        if "at" in step:
            clock.set(to_utc(datetime.fromisoformat(step["at"])))
        label = f"bước {number} ({step.get('action')}, {to_local(clock.now()):%d/%m/%Y %H:%M})"
        expected_error = step.get("expect", {}).get("error")
        try:
            _act(services, engine, step, state)
        except ScenarioFault as fault:
            result.problems.append(f"{label}: {fault}")
            return result
        except DomainError as exc:
            if exc.code != expected_error:
                fields = "; ".join(f"{k}: {v.message}" for k, v in exc.fields.items())
                result.problems.append(f"{label}: lỗi {exc.code}: {exc.message} {fields}".rstrip())
                return result
        else:
            if expected_error:
                result.problems.append(f"{label}: expected error {expected_error!r}, none raised")
        if "expect" in step and "code" in state:
            with unit_of_work(engine) as uow:
                detail = dossier_detail(
                    services, uow, actor_for("officer", state["agency"], {}), state["code"]
                )
            result.problems.extend(f"{label}: {p}" for p in _check(detail, step["expect"]))
    return result
