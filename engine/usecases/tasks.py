"""Work lists: the ready user tasks an actor may work; claim and complete them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.errors import Conflict, DomainError, Forbidden, NotFound
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import DossierRow, HandoverRow, RegistryCheckRow, WorkTaskRow
from engine.usecases.access import can_see, is_owner, owned_by
from engine.usecases.dossiers import complete_step, receive, supplement
from engine.usecases.progress import open_context

MAX_PAGE = 200


@dataclass(frozen=True)
class TaskView:
    """A work-list row with the dossier it belongs to."""

    task: WorkTaskRow
    dossier: DossierRow


def list_tasks(
    uow: UnitOfWork, actor: Actor, *, limit: int = 50, after: datetime | None = None, mine: bool = False
) -> list[TaskView]:
    """Ready tasks whose lane matches the actor's roles, in the actor's agency (citizens: own dossiers).

    Keyset-paginated on ready time so a page costs the same however long the queue is.
    """
    limit = max(1, min(limit, MAX_PAGE))
    query = select(WorkTaskRow, DossierRow).join(DossierRow, col(DossierRow.id) == WorkTaskRow.dossier_id)
    staff_roles = [r.value for r in actor.roles if r in (Role.OFFICER, Role.SPECIALIST, Role.LEADER)]
    if actor.has(Role.CITIZEN) and not staff_roles:
        query = query.where(WorkTaskRow.role == Role.CITIZEN.value, owned_by(actor))
    elif staff_roles and actor.agency:
        query = query.where(WorkTaskRow.agency_code == actor.agency, col(WorkTaskRow.role).in_(staff_roles))
    else:
        return []
    if mine:
        query = query.where(WorkTaskRow.assignee == actor.subject)
    if after is not None:
        query = query.where(WorkTaskRow.ready_at > after)
    query = query.order_by(col(WorkTaskRow.ready_at), col(WorkTaskRow.id)).limit(limit)
    return [TaskView(task, dossier) for task, dossier in uow.session.exec(query).all()]


def _task_for(uow: UnitOfWork, actor: Actor, task_id: str) -> tuple[WorkTaskRow, DossierRow]:
    task = uow.session.get(WorkTaskRow, task_id)
    if task is None:
        raise _gone_or_unknown(uow, actor, task_id)
    dossier = uow.session.get(DossierRow, task.dossier_id)
    if dossier is None or not _may_see_task(actor, task, dossier):
        raise _task_not_found()
    if not _may_work(actor, task, dossier):
        raise Forbidden(
            "Công việc này thuộc vai trò khác; bạn không có quyền xử lý.",
            f"This task belongs to role '{task.role}'; you may not work it.",
        )
    return task, dossier


def find_task(uow: UnitOfWork, actor: Actor, task_id: str) -> tuple[WorkTaskRow | None, DossierRow]:
    """A task the actor may see and its dossier; (None, dossier) once done, for those who may see the dossier.

    NotFound for a task that never was, or whose dossier the actor may not see (same answer for both).
    """
    task = uow.session.get(WorkTaskRow, task_id)
    if task is None:
        handover = uow.session.exec(select(HandoverRow).where(HandoverRow.task_id == task_id)).first()
        check = uow.session.exec(select(RegistryCheckRow).where(RegistryCheckRow.task_id == task_id)).first()
        done = handover or check
        gone = uow.session.get(DossierRow, done.dossier_id) if done else None
        if gone is None or not can_see(actor, gone):
            raise _task_not_found()
        return None, gone
    dossier = uow.session.get(DossierRow, task.dossier_id)
    if dossier is None or not _may_see_task(actor, task, dossier):
        raise _task_not_found()
    return task, dossier


def may_work(actor: Actor, task: WorkTaskRow, dossier: DossierRow) -> bool:
    """Whether the actor's role and agency (or ownership) let them complete the task."""
    return _may_work(actor, task, dossier)


def _task_not_found() -> NotFound:
    return NotFound("Không tìm thấy công việc.", "Task not found.", code="TaskNotFound")


def _gone_or_unknown(uow: UnitOfWork, actor: Actor, task_id: str) -> DomainError:
    """A task that was ready once (its hand-over is logged) is a conflict for those who may see it.

    The work-list row is deleted when the task completes, so a second "complete" (double click, a colleague
    a moment late, a concurrent request that lost) must still be told the task is done, not that it never was.
    """
    handover = uow.session.exec(select(HandoverRow).where(HandoverRow.task_id == task_id)).first()
    check = uow.session.exec(select(RegistryCheckRow).where(RegistryCheckRow.task_id == task_id)).first()
    done = handover or check  # a BPMN step, or a verification task (engine/usecases/verification.py)
    dossier = uow.session.get(DossierRow, done.dossier_id) if done else None
    if dossier is None or not can_see(actor, dossier):
        return _task_not_found()
    return Conflict(
        "Công việc này đã được xử lý hoặc không còn hiệu lực. Vui lòng tải lại hồ sơ.",
        "This task was already completed or is no longer active. Reload the dossier.",
        code="TaskNotReady",
    )


def _may_see_task(actor: Actor, task: WorkTaskRow, dossier: DossierRow) -> bool:
    if is_owner(actor, dossier):
        return True
    return actor.is_staff and actor.agency == task.agency_code


def _may_work(actor: Actor, task: WorkTaskRow, dossier: DossierRow) -> bool:
    if task.role == Role.CITIZEN.value:
        return is_owner(actor, dossier)
    return actor.agency == task.agency_code and actor.has(Role(task.role))


def claim(services: Services, uow: UnitOfWork, actor: Actor, task_id: str) -> WorkTaskRow:
    """Take a task so colleagues see who works it; another holder's claim is a conflict."""
    task, dossier = _task_for(uow, actor, task_id)
    if task.assignee and task.assignee != actor.subject:
        raise Conflict(
            f"Công việc đã được {task.assignee_name or task.assignee} nhận xử lý.",
            f"The task is already claimed by {task.assignee_name or task.assignee}.",
            code="TaskClaimed",
        )
    task.assignee = actor.subject
    task.assignee_name = actor.display
    task.claimed_at = services.clock.now()
    uow.session.add(task)
    dossier.updated_at = task.claimed_at
    dossier.current_holder = actor.display
    uow.session.add(dossier)  # bumps the version: a concurrent claim on the same dossier conflicts
    uow.flush()
    return task


def complete(
    services: Services, uow: UnitOfWork, actor: Actor, task_id: str, payload: dict[str, Any]
) -> DossierRow:
    """Complete a task with its form data; the workflow decides what comes next."""
    task, dossier = _task_for(uow, actor, task_id)
    if task.assignee and task.assignee != actor.subject:
        raise Conflict(
            f"Công việc đang do {task.assignee_name or task.assignee} xử lý.",
            f"The task is claimed by {task.assignee_name or task.assignee}.",
            code="TaskClaimed",
        )
    if task.step == "reception":
        return receive(services, uow, actor, dossier.code, payload)
    if task.step == "supplement":
        return supplement(services, uow, actor, dossier.code, payload)
    ctx = open_context(services, uow, dossier)
    complete_step(services, uow, actor, ctx, task_id=task_id, payload=payload)
    return dossier
