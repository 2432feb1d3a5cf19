"""After the workflow moves: derive the status, project work-list rows, keep the hand-over log and timers.

BPMN decides which task is next; the dossier status follows the `status` property of what now waits
(or of the end event reached), through the declared transition table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, delete, select

from engine import notify
from engine.actor import Actor, Role
from engine.calendar import WorkingCalendar
from engine.catalog import definition_of, ensure_spec
from engine.dossier.status import CITIZEN_HOLDS, Status, check_transition
from engine.dossier.timeliness import Timeliness, judge_finish, judge_step
from engine.errors import Conflict, WorkflowError
from engine.outbox import status_changed
from engine.procedure import ClockPolicy, ProcedureDefinition
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import (
    AgencyRow,
    BpmnTimerRow,
    ClockPauseRow,
    DossierRow,
    HandoverRow,
    ProcedureVersionRow,
    StatusChangeRow,
    WorkTaskRow,
    row_id,
)
from engine.usecases import documents
from engine.usecases.calendars import calendar_for
from engine.usecases.worklist import list_fields, restamp, sort_keys
from engine.workflow.types import Instance, ReadyTask, WaitingTimer

ROLE_LABELS = {
    Role.CITIZEN: "Công dân",
    Role.OFFICER: "Bộ phận Một cửa",
    Role.SPECIALIST: "Chuyên viên",
    Role.LEADER: "Lãnh đạo",
    Role.SUPERVISOR: "Lãnh đạo giám sát",
    Role.ADMIN: "Quản trị",
}


@dataclass
class DossierContext:
    """A dossier loaded for change, with everything needed to move it."""

    services: Services
    uow: UnitOfWork
    dossier: DossierRow
    definition: ProcedureDefinition
    calendar: WorkingCalendar
    instance: Instance
    agency_name: str
    timers_before: tuple[WaitingTimer, ...] = ()
    list_keys: tuple[int, datetime | None] | None = None  # what the dossier's work-list rows carry
    tasks_added: bool = False  # this change created work-list rows
    # The version whose legal term the clock counts when a version move kept the old term (else: definition).
    term: ProcedureDefinition | None = None

    @property
    def legal(self) -> ProcedureDefinition:
        """The definition whose deadline and clock policy the dossier's clock follows."""
        return self.term or self.definition

    @property
    def status(self) -> Status:
        """Current status."""
        return Status(self.dossier.status)


def open_context(services: Services, uow: UnitOfWork, dossier: DossierRow) -> DossierContext:
    """Load the procedure version, calendar and workflow instance of a dossier."""
    version = uow.session.get(ProcedureVersionRow, dossier.procedure_version_id)
    assert version is not None
    ensure_spec(uow, services.runtime, dossier.spec_hash)
    instance = services.runtime.loads(dossier.spec_hash, dossier.workflow_state)
    agency = uow.session.get(AgencyRow, dossier.agency_code)
    term = None
    if dossier.term_version_id is not None and dossier.term_version_id != dossier.procedure_version_id:
        term_row = uow.session.get(ProcedureVersionRow, dossier.term_version_id)
        term = definition_of(term_row) if term_row is not None else None
    return DossierContext(
        services=services,
        uow=uow,
        dossier=dossier,
        definition=definition_of(version),
        calendar=calendar_for(uow, dossier.agency_code),
        instance=instance,
        agency_name=agency.name if agency else dossier.agency_code,
        timers_before=tuple(services.runtime.waiting_timers(instance)),
        list_keys=sort_keys(dossier),
        term=term,
    )


def role_of(ctx: DossierContext, task: ReadyTask) -> Role:
    """The realm role that works a task, from its lane."""
    role = ctx.definition.lanes.get(task.lane or "")
    if role is None:
        raise WorkflowError(
            f"Bước «{task.title}» nằm trong lane «{task.lane}» chưa được gán vai trò.",
            f"Task '{task.spec_name}' is in lane '{task.lane}' which maps to no role.",
        )
    return role


def holder_label(ctx: DossierContext, role: Role) -> str:
    """Who holds a step, for timelines: role and agency."""
    if role is Role.CITIZEN:
        return f"Công dân ({ctx.dossier.applicant_name})"
    return f"{ROLE_LABELS[role]} — {ctx.agency_name}"


def advance(
    ctx: DossierContext,
    actor: Actor,
    at: datetime,
    completed: ReadyTask | None = None,
    note: str | None = None,
) -> None:
    """Bring status, work list, hand-over log, timers and the stored instance in line with the workflow."""
    runtime = ctx.services.runtime
    # Every earlier step ended with a flush, so the queries below see all they need; without autoflush the
    # dossier row is written once per step (one version bump) instead of before each query.
    with ctx.uow.session.no_autoflush:
        if completed is not None:
            _close_handover(ctx, completed.id, actor, at, note)
        ready = runtime.ready_tasks(ctx.instance)
        move_status(ctx, _target_status(ctx, ready), actor, at, note)
        _project_tasks(ctx, ready, actor, at)
        _project_timers(ctx)
    save_instance(ctx, at)


def save_instance(ctx: DossierContext, at: datetime) -> None:
    """Store the instance document and bump the dossier version (optimistic concurrency)."""
    ctx.dossier.workflow_state = ctx.services.runtime.dumps(ctx.instance)
    ctx.dossier.updated_at = at
    ctx.uow.session.add(ctx.dossier)
    ctx.uow.flush()
    # The work list's copy of the deadline: after a step (new tasks), or when the deadline moved.
    keys = sort_keys(ctx.dossier)
    if keys != ctx.list_keys or ctx.tasks_added:
        restamp(ctx.uow, ctx.dossier)
        ctx.list_keys, ctx.tasks_added = keys, False


def _target_status(ctx: DossierContext, ready: list[ReadyTask]) -> Status:
    runtime = ctx.services.runtime
    if runtime.is_completed(ctx.instance):
        end = runtime.end_event(ctx.instance)
        props = runtime.spec_info(ctx.dossier.spec_hash).end_events.get(end or "", {})
        if "status" not in props:
            raise WorkflowError(
                f"Sự kiện kết thúc «{end}» không khai báo trạng thái hồ sơ.",
                f"End event '{end}' declares no dossier status.",
            )
        return Status(int(props["status"]))
    statuses = [Status(int(t.properties["status"])) for t in ready if "status" in t.properties]
    if not statuses:
        return ctx.status
    held = [s for s in statuses if s in CITIZEN_HOLDS]
    return held[0] if held else statuses[0]


def record_status(ctx: DossierContext, target: Status, actor: Actor, at: datetime, note: str | None) -> None:
    """Append to the timeline and set the status, through the transition table."""
    current = ctx.status
    check_transition(current, target)
    status_changed(ctx.uow, ctx.dossier, current, target, at)  # the IOC event, written in this transaction
    notify.status_changed(ctx.uow, ctx.dossier, current, target, at, note=note)  # and the applicant's message
    ctx.uow.session.add(
        StatusChangeRow(
            dossier_id=row_id(ctx.dossier),
            from_status=int(current),
            to_status=int(target),
            at=at,
            actor_subject=actor.subject,
            actor_name=actor.display,
            note=note,
        )
    )
    ctx.dossier.status = int(target)


def move_status(ctx: DossierContext, target: Status, actor: Actor, at: datetime, note: str | None) -> None:
    """Apply a status change with its clock effects (receipt, pause, resume, finish, close)."""
    current = ctx.status
    if target == current:
        return  # 4 → 4: a hand-over, recorded in the hand-over log rather than the status timeline
    if current is Status.NEW and target is Status.PROCESSING:
        record_status(ctx, Status.RECEIVED, actor, at, note)
        _start_clock(ctx, at)
        current = Status.RECEIVED
    record_status(ctx, target, actor, at, note)
    d = ctx.dossier
    if target in CITIZEN_HOLDS:
        _pause_clock(ctx, at, target)
    elif current in CITIZEN_HOLDS and target is Status.PROCESSING:
        if d.received_at is None:
            _start_clock(ctx, at)  # supplemented at reception: complete now, so received now
        else:
            _resume_clock(ctx, at)
    elif target is Status.DONE:
        d.deadline_state = "closed"
        d.finished_at = at
        if d.original_due_at is not None:
            d.timeliness = judge_finish(at, d.original_due_at, ctx.services.timeliness_by_date).value
        d.processing_days = _processing_days(ctx, at)
    elif target is Status.RETURNED:
        d.returned_at = at
        d.closed_at = at
    elif target in (Status.NOT_RECEIVED, Status.STOPPED, Status.WITHDRAWN):
        _close(ctx, at, target)
    documents.status_moved(ctx, current, target, actor, at, note=note)  # Mẫu 01/02/03, result, stop notice


def _processing_days(ctx: DossierContext, at: datetime) -> float | None:
    """Working days from receipt to `at`, the citizen's time left out (docs/domain.md §6)."""
    d = ctx.dossier
    if d.received_at is None:
        return None
    worked = ctx.calendar.working_time_between(d.received_at, at)
    pauses = ctx.uow.session.exec(select(ClockPauseRow).where(ClockPauseRow.dossier_id == d.id)).all()
    for pause in pauses:
        worked -= ctx.calendar.working_time_between(pause.started_at, pause.ended_at or at)
    per_day = ctx.calendar.office_hours.seconds_per_day
    return round(max(worked.total_seconds(), 0.0) / per_day, 2) if per_day else None


def _start_clock(ctx: DossierContext, at: datetime) -> None:
    d, deadline = ctx.dossier, ctx.legal.deadline
    due = ctx.calendar.due(at, deadline.amount, deadline.unit, deadline.cutoff)
    d.received_at = at
    d.due_at = due.due
    d.original_due_at = due.due
    arm_watch(ctx)


def legal_budget(ctx: DossierContext) -> timedelta:
    """The working time the legal deadline gives, counted from the receipt."""
    assert ctx.dossier.received_at is not None
    deadline = ctx.legal.deadline
    due = ctx.calendar.due(ctx.dossier.received_at, deadline.amount, deadline.unit, deadline.cutoff)
    return ctx.calendar.working_time_between(due.start, due.due)


def near_due_moment(ctx: DossierContext, due_at: datetime) -> datetime:
    """When a dossier due at `due_at` enters its near-due window (≤ share of its budget left)."""
    return ctx.calendar.subtract_working_time(due_at, legal_budget(ctx) * ctx.services.near_due_share)


def arm_watch(ctx: DossierContext, level: str = "on_track") -> None:
    """Index when the dossier becomes near due, for the deadline scan, after its due time changed.

    `level` is what the operations center was already told (a resumed dossier keeps the level it had
    reached when it paused, so nothing is reported twice); the scan moves it forward as time passes.
    """
    d = ctx.dossier
    if d.due_at is None:
        return
    d.near_due_at = near_due_moment(ctx, d.due_at)
    d.deadline_state = level


def _pause_clock(ctx: DossierContext, at: datetime, target: Status) -> None:
    d = ctx.dossier
    if d.received_at is None or d.due_at is None or ctx.legal.clock is ClockPolicy.NONE:
        return
    if target is Status.SUPPLEMENT:
        reason = "Chờ công dân bổ sung, hoàn thiện hồ sơ"
    else:
        reason = "Chờ công dân thực hiện nghĩa vụ tài chính"
    remaining = ctx.calendar.working_time_between(at, d.due_at)
    original = d.original_due_at or d.due_at
    ctx.uow.session.add(
        ClockPauseRow(
            dossier_id=row_id(d),
            policy=ctx.legal.clock.value,
            reason=reason,
            started_at=at,
            remaining_seconds=int(remaining.total_seconds()),
            remaining_original_seconds=int(ctx.calendar.working_time_between(at, original).total_seconds()),
            due_before=d.due_at,
        )
    )
    d.paused_at = at
    d.deadline_state = "paused"  # the scan passes over it until the clock resumes


def _open_pause(ctx: DossierContext) -> ClockPauseRow | None:
    return ctx.uow.session.exec(
        select(ClockPauseRow).where(
            ClockPauseRow.dossier_id == ctx.dossier.id, col(ClockPauseRow.ended_at).is_(None)
        )
    ).first()


def _resume_clock(ctx: DossierContext, at: datetime) -> None:
    d = ctx.dossier
    pause = _open_pause(ctx)
    d.paused_at = None
    if pause is None:
        return
    if pause.policy == ClockPolicy.RESTART.value:
        deadline = ctx.legal.deadline
        due = ctx.calendar.due(at, deadline.amount, deadline.unit, deadline.cutoff).due
        d.due_at, d.original_due_at = due, due
    else:
        start, _ = ctx.calendar.start_of_count(at)
        d.due_at = ctx.calendar.add_working_time(start, timedelta(seconds=pause.remaining_seconds or 0))
        d.original_due_at = ctx.calendar.add_working_time(
            start, timedelta(seconds=pause.remaining_original_seconds or 0)
        )
    level = "on_track"
    if pause.due_before is not None and pause.policy != ClockPolicy.RESTART.value:
        # The level the deadline had reached when the citizen got the dossier: reported then, not again.
        if pause.due_before <= pause.started_at:
            level = "overdue"
        elif near_due_moment(ctx, pause.due_before) <= pause.started_at:
            level = "near_due"
    pause.ended_at = at
    pause.due_after = d.due_at
    ctx.uow.session.add(pause)
    arm_watch(ctx, level)


def _close(ctx: DossierContext, at: datetime, target: Status) -> None:
    d = ctx.dossier
    d.closed_at = at
    d.deadline_state = "closed"
    pause = _open_pause(ctx)
    if pause is not None:
        pause.ended_at = at
        ctx.uow.session.add(pause)
    d.paused_at = None
    if target is Status.WITHDRAWN and d.received_at is not None:
        d.timeliness = Timeliness.ON_TIME.value  # docs/domain.md §6: withdrawn dossiers count with on time


def _close_handover(ctx: DossierContext, task_id: str, actor: Actor, at: datetime, note: str | None) -> None:
    row = ctx.uow.session.exec(
        select(HandoverRow).where(
            HandoverRow.dossier_id == ctx.dossier.id,
            HandoverRow.task_id == task_id,
            col(HandoverRow.finished_at).is_(None),
        )
    ).first()
    if row is None:
        return
    row.finished_at = at
    row.finished_by = actor.display
    row.note = note
    if row.due_at is not None:
        row.timeliness = judge_step(at, row.due_at).value
    ctx.uow.session.add(row)


def _step_due(ctx: DossierContext, step: str | None, at: datetime) -> datetime | None:
    hours = ctx.definition.budgets.get(step or "")
    if hours is None:
        return None
    start, _ = ctx.calendar.start_of_count(at)
    return ctx.calendar.add_working_time(start, timedelta(hours=hours))


def _project_tasks(ctx: DossierContext, ready: list[ReadyTask], actor: Actor, at: datetime) -> None:
    session = ctx.uow.session
    existing = {
        row.id: row
        for row in session.exec(
            select(WorkTaskRow).where(WorkTaskRow.dossier_id == ctx.dossier.id, WorkTaskRow.kind == "bpmn")
        ).all()
    }
    ready_ids = {t.id for t in ready}
    for task_id, row in existing.items():
        if task_id not in ready_ids:
            session.delete(row)
    for task in ready:
        if task.id in existing:
            continue
        role = role_of(ctx, task)
        step = task.properties.get("step")
        due = _step_due(ctx, step, at)
        receiver = holder_label(ctx, role)
        session.add(
            WorkTaskRow(
                id=task.id,
                dossier_id=row_id(ctx.dossier),
                spec_name=task.spec_name,
                title=task.title,
                lane=task.lane,
                role=role.value,
                agency_code=ctx.dossier.agency_code,
                step=step,
                form=task.properties.get("form"),
                decisions=task.properties.get("decisions"),
                status_code=int(task.properties["status"]) if "status" in task.properties else None,
                ready_at=at,
                due_at=due,
                **list_fields(ctx.dossier, at),
            )
        )
        ctx.tasks_added = True
        session.add(
            HandoverRow(
                dossier_id=row_id(ctx.dossier),
                task_id=task.id,
                step=step or task.spec_name,
                title=task.title,
                giver=actor.display,
                receiver=receiver,
                agency_code=ctx.dossier.agency_code,
                started_at=at,
                due_at=due,
            )
        )
    if ready:
        ctx.dossier.current_step = ready[0].title
        ctx.dossier.current_holder = holder_label(ctx, role_of(ctx, ready[0]))
    else:
        ctx.dossier.current_step = None
        ctx.dossier.current_holder = None


def _project_timers(ctx: DossierContext) -> None:
    timers = tuple(ctx.services.runtime.waiting_timers(ctx.instance))
    if timers == ctx.timers_before:
        return  # the index already holds exactly these (most steps have no timer at all)
    session = ctx.uow.session
    session.exec(delete(BpmnTimerRow).where(col(BpmnTimerRow.dossier_id) == ctx.dossier.id))
    for timer in timers:
        session.add(
            BpmnTimerRow(
                dossier_id=row_id(ctx.dossier),
                task_id=timer.task_id,
                spec_name=timer.spec_name,
                due_at=timer.due_at,
            )
        )


def cancel_workflow(ctx: DossierContext, actor: Actor, at: datetime, note: str | None) -> None:
    """Stop the instance: no task waits any more, open hand-overs close, timers go."""
    session = ctx.uow.session
    ctx.services.runtime.cancel(ctx.instance)
    for row in session.exec(
        select(HandoverRow).where(
            HandoverRow.dossier_id == ctx.dossier.id, col(HandoverRow.finished_at).is_(None)
        )
    ).all():
        row.finished_at = at
        row.finished_by = actor.display
        row.note = note
        session.add(row)
    session.exec(delete(WorkTaskRow).where(col(WorkTaskRow.dossier_id) == ctx.dossier.id))
    session.exec(delete(BpmnTimerRow).where(col(BpmnTimerRow.dossier_id) == ctx.dossier.id))
    ctx.dossier.current_step = None
    ctx.dossier.current_holder = None


def ready_task(ctx: DossierContext, step: str) -> ReadyTask:
    """The waiting task of a step, or Conflict when the dossier is not at that step."""
    for task in ctx.services.runtime.ready_tasks(ctx.instance):
        if task.properties.get("step") == step:
            return task
    raise Conflict(
        f"Hồ sơ {ctx.dossier.code} hiện không ở bước này (trạng thái: {ctx.status.label}).",
        f"Dossier {ctx.dossier.code} is not at this step (status: {ctx.status.label_en}).",
        code="NotAtStep",
    )
