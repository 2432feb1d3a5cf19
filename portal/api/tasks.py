"""Work lists: ready user tasks, claim, complete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from engine.usecases import residents
from engine.usecases import tasks as uc
from engine.usecases.queries import dossier_detail, iso, status_view
from portal.api.deps import ContainerDep
from portal.api.idempotency import IdempotencyKey, Recorder, idempotent
from portal.api.models import WRITE, ClaimOut, DossierOut, TaskOut, errors
from portal.api.params import Limit, Moment, TaskId, moment
from portal.auth import CurrentActor

router = APIRouter(tags=["tasks"])


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any] = Field(default_factory=dict, description="Dữ liệu biểu mẫu của bước xử lý")


def _view(v: uc.TaskView) -> dict[str, Any]:
    t, d = v.task, v.dossier
    return {
        "id": t.id,
        "title": t.title,
        "step": t.step,
        "role": t.role,
        "lane": t.lane,
        "form": t.form,
        "decisions": t.decisions.split(",") if t.decisions else [],
        "assignee": t.assignee_name,
        "ready_at": iso(t.ready_at),
        "due_at": iso(t.due_at),
        "dossier": {
            "code": d.code,
            "procedure": d.procedure_code,
            "applicant_name": d.applicant_name,
            "status": status_view(d.status),
            "due_at": iso(d.due_at),
        },
    }


@router.get("/tasks", response_model=list[TaskOut], responses=errors(401, 403, 422))
def list_tasks(
    actor: CurrentActor, c: ContainerDep, limit: Limit = 50, after: Moment = None, mine: bool = False
) -> list[dict[str, Any]]:
    """Ready tasks the actor may work, oldest first; pass the last `ready_at` as `after` for the next page."""
    since = moment(after, "after")
    with c.transaction() as uow:
        return [_view(v) for v in uc.list_tasks(uow, actor, limit=limit, after=since, mine=mine)]


@router.post("/tasks/{task_id}/claim", response_model=ClaimOut, responses=WRITE)
def claim(
    task_id: TaskId, actor: CurrentActor, c: ContainerDep, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Take the task; someone else's claim is a 409."""

    def work(record: Recorder) -> Any:
        with c.transaction() as uow:
            task = uc.claim(c.services, uow, actor, task_id)
            answer = {"id": task.id, "assignee": task.assignee_name, "claimed_at": iso(task.claimed_at)}
            return record(uow, answer)

    return idempotent(c, actor, key, f"POST /tasks/{task_id}/claim", None, 200, work)


@router.post("/tasks/{task_id}/complete", response_model=DossierOut, responses=WRITE)
def complete(
    task_id: TaskId, body: CompleteIn, actor: CurrentActor, c: ContainerDep, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Complete the task with its form data; returns the dossier as it now stands.

    A verification task (`step: verification`) takes `{"method": "registry" | "in_person", "note"}`, as
    `POST /dossiers/{code}/verify` does.
    """

    def work(record: Recorder) -> Any:
        with c.transaction() as uow:
            code = residents.verification_task_dossier(uow, actor, task_id)
        if code is not None:
            return residents.verify_dossier(
                c.services,
                c.transaction,
                actor,
                code,
                body.data,
                view=lambda uow, d: record(uow, dossier_detail(c.services, uow, actor, d.code)),
                task_id=task_id,
            )
        with c.transaction() as uow:
            dossier = uc.complete(c.services, uow, actor, task_id, body.data)
            return record(uow, dossier_detail(c.services, uow, actor, dossier.code))

    return idempotent(c, actor, key, f"POST /tasks/{task_id}/complete", body, 200, work)
