"""What a specialist or leader sees of a task (/cong-viec/{task_id}): the dossier, earlier opinions, the form.

A task already done (a colleague completed it first) is not an error here: the view says so and shows the
dossier as it now stands, for whoever may see the dossier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.catalog import definition_of, form_key
from engine.clock import to_local
from engine.dossier.status import OPEN, Status
from engine.errors import DomainError, FieldError
from engine.procedure import ProcedureDefinition
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import (
    DossierRow,
    ExtensionRow,
    HandoverRow,
    ProcedureVersionRow,
    SubmissionRow,
    WorkTaskRow,
)
from engine.usecases.queries import dossier_detail
from engine.usecases.tasks import find_task, may_work
from engine.usecases.version_migration import moved_answers_gaps

COPIES = {"original": "Bản chính", "certified_copy": "Bản sao chứng thực", "copy": "Bản sao"}

# What each recorded action was, for the list of earlier opinions (Vietnamese, as the timeline shows it).
ACTIONS = {
    "receive": "Tiếp nhận hồ sơ",
    "supplement": "Bổ sung hồ sơ",
    "extension": "Xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)",
    "withdraw": "Rút hồ sơ",
    "verify": "Xác minh thông tin người nộp",
}
TEXTS = ("opinion", "reason", "refusal_reason", "note")


@dataclass(frozen=True)
class Opinion:
    """One earlier submission on the dossier: who, when, which step, what they decided and wrote."""

    at: str
    by: str
    step: str
    decision: str | None
    text: str | None
    missing_papers: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class TaskPage:
    """A task with its dossier; `task` is None when it was completed already."""

    task: WorkTaskRow | None
    dossier: dict[str, Any]
    procedure: ProcedureDefinition
    papers: list[dict[str, Any]]
    opinions: list[Opinion]
    form: str | None  # forms/<form>.schema.json, e.g. "tasks/approval"
    dossier_form: str  # the e-form of the dossier's own version (engine.catalog.form_key)
    can_work: bool
    claimed_by: str | None  # a colleague who holds the task
    mine: bool
    can_extend: bool
    extension: ExtensionRow | None
    # Moved to another version: what its answers lack in that version's e-form (field path → error).
    answers_gaps: dict[str, FieldError] = field(default_factory=dict)


def task_page(services: Services, uow: UnitOfWork, actor: Actor, task_id: str) -> TaskPage:
    """The task page's content; NotFound for a task of another agency or one that never existed."""
    task, dossier = find_task(uow, actor, task_id)
    version = uow.session.get(ProcedureVersionRow, dossier.procedure_version_id)
    assert version is not None
    definition = definition_of(version)
    extension = uow.session.exec(select(ExtensionRow).where(ExtensionRow.dossier_id == dossier.id)).first()
    can_work = task is not None and may_work(actor, task, dossier)
    holder = task.assignee if task is not None else None
    dossier_form = form_key(uow, services.forms, version)
    return TaskPage(
        task=task,
        dossier=dossier_detail(services, uow, actor, dossier.code),
        procedure=definition,
        papers=papers_of(dossier, definition),
        opinions=opinions(services, uow, dossier),
        form=f"tasks/{task.form}" if task is not None and task.form else None,
        dossier_form=dossier_form,
        can_work=can_work,
        claimed_by=task.assignee_name or holder if task and holder and holder != actor.subject else None,
        mine=holder == actor.subject,
        can_extend=may_extend(actor, dossier, extension),
        extension=extension,
        answers_gaps=moved_answers_gaps(services, uow, dossier, dossier_form),
    )


def may_extend(actor: Actor, dossier: DossierRow, extension: ExtensionRow | None) -> bool:
    """Whether the apology form is offered: a leader of the agency, a running clock, none issued yet.

    The engine's `extend` checks the rest (one working day before the due time, the new appointment).
    """
    return (
        actor.has(Role.LEADER)
        and actor.agency == dossier.agency_code
        and Status(dossier.status) in OPEN
        and dossier.received_at is not None
        and dossier.due_at is not None
        and dossier.paused_at is None
        and extension is None
    )


def papers_of(dossier: DossierRow, definition: ProcedureDefinition) -> list[dict[str, Any]]:
    """The papers handed in, named as the procedure lists them, with the kind of copy and the stored file."""
    names = {p.key: p for p in definition.papers}
    out = []
    for paper in dossier.papers:
        listed = names.get(str(paper.get("key")))
        copies = str(paper.get("copies") or (listed.copies if listed else ""))
        out.append(
            {
                "key": paper.get("key"),
                "name": listed.name if listed else str(paper.get("key")),
                "copies": COPIES.get(copies, copies),
                "count": paper.get("count") or (listed.count if listed else 1),
                "files": [str(f) for f in [paper.get("ref"), *(paper.get("uploads") or [])] if f],
                "note": paper.get("note"),
            }
        )
    return out


def opinions(services: Services, uow: UnitOfWork, dossier: DossierRow) -> list[Opinion]:
    """Every decision recorded on the dossier after filing, oldest first, with the step it ended."""
    titles = {
        h.task_id: h.title
        for h in uow.session.exec(select(HandoverRow).where(HandoverRow.dossier_id == dossier.id)).all()
        if h.task_id
    }
    rows = uow.session.exec(
        select(SubmissionRow)
        .where(SubmissionRow.dossier_id == dossier.id, SubmissionRow.action != "file")
        .order_by(col(SubmissionRow.id))
    ).all()
    out = []
    for row in rows:
        step = row.action.removeprefix("complete:") if row.action.startswith("complete:") else None
        form = step or {"receive": "reception", "supplement": "supplement"}.get(row.action)
        title = titles.get(row.task_id or "") or ACTIONS.get(row.action) or row.action
        payload = row.payload
        text = " — ".join(str(payload[k]) for k in TEXTS if isinstance(payload.get(k), str) and payload[k])
        decision = payload.get("decision") or payload.get("method")
        out.append(
            Opinion(
                at=to_local(row.at).isoformat(),
                by=row.actor_name,
                step=title,
                decision=_label(services, form, decision) if decision else None,
                text=text or None,
                missing_papers=[m for m in payload.get("missing_papers") or [] if isinstance(m, dict)],
            )
        )
    return out


def _label(services: Services, form: str | None, value: object) -> str:
    """The x-ui label of a decision in its task form (the value itself when the form has none)."""
    if form is None:
        return str(value)
    try:
        schema = services.forms.schema(f"tasks/{form}")
    except DomainError:  # a task form that is not in forms/tasks
        return str(value)
    for name in ("decision", "method"):
        labels = schema.get("properties", {}).get(name, {}).get("x-ui", {}).get("labels", {})
        if value in labels:
            return str(labels[value])
    return str(value)


def current_task(uow: UnitOfWork, dossier_id: int, step: str) -> WorkTaskRow | None:
    """The dossier's ready task at a step, if any (after a stale form: where the dossier went)."""
    return uow.session.exec(
        select(WorkTaskRow).where(WorkTaskRow.dossier_id == dossier_id, WorkTaskRow.step == step)
    ).first()
