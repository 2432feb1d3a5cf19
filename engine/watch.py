"""The worker's periodic jobs: wake due BPMN timers and report deadline transitions, through indexes only.

Each job reads a bounded batch of rows whose indexed time has passed (never every open dossier), claims them
with `FOR UPDATE SKIP LOCKED` on PostgreSQL so that any number of workers can run side by side, and changes
the reported level with a conditional UPDATE, so every transition is reported exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, defer
from sqlmodel import col, select

from engine.actor import SYSTEM
from engine.outbox import EventType, emit
from engine.services import Services
from engine.store.db import unit_of_work
from engine.store.models import BpmnTimerRow, DossierRow, WorkTaskRow
from engine.usecases.calendars import calendar_for
from engine.usecases.progress import advance, open_context
from engine.usecases.worklist import rerank


@dataclass
class CycleReport:
    """What one cycle did."""

    timers_fired: int = 0
    near_due: int = 0
    overdue: int = 0
    steps_overdue: int = 0


# What an event never reads: the instance document and the filing's data stay on disk (TOAST on PostgreSQL).
LIGHT = tuple(defer(getattr(DossierRow, name)) for name in ("workflow_state", "form", "applicant", "papers"))


def _mark(
    engine: Engine,
    services: Services,
    *,
    level: str,
    crossed: ColumnElement[bool],
    order: Mapped[Any],
    new: str,
    event: EventType,
    batch: int,
) -> int:
    """Move a batch of dossiers from one reported level to the next and emit one event each.

    The rows are read through the index (deadline_state, <threshold>) in threshold order: the planner walks
    only the rows that crossed, however many open dossiers did not. (Ordering by id instead lets PostgreSQL
    walk the primary key and filter: it then reads every dossier when nothing crossed.)
    """
    now = services.clock.now()
    with unit_of_work(engine) as uow:
        rows = uow.session.exec(
            select(DossierRow)
            .where(DossierRow.deadline_state == level, crossed)
            .options(*LIGHT)
            .order_by(order)
            .limit(batch)
            # FOR NO KEY UPDATE: another worker's step-overrun event (an outbox row referencing the dossier)
            # takes a key-share lock on it while holding its work_task rows, which rerank() below updates —
            # a FOR UPDATE here would make the two wait on each other (PostgreSQL reported the deadlock).
            .with_for_update(skip_locked=True, key_share=True)
        ).all()
        if not rows:
            return 0
        # One conditional UPDATE for the batch, through Core: the level is the worker's own column, so a
        # user's concurrent step on the same dossier must not get a version conflict because of it.
        changed = set(
            uow.session.execute(
                update(DossierRow)
                .where(col(DossierRow.id).in_([r.id for r in rows]), col(DossierRow.deadline_state) == level)
                .values(deadline_state=new, updated_at=now)  # the statistics date the move (0015)
                .returning(col(DossierRow.id))
                .execution_options(synchronize_session=False)
            ).scalars()
        )
        rerank(uow, sorted(changed), new)  # their tasks move up the work list
        for dossier in rows:
            if dossier.id in changed:
                emit(uow, event, dossier, {"deadline_state": new}, now)
        return len(changed)


def report_near_due(engine: Engine, services: Services, batch: int = 200) -> int:
    """Open dossiers whose near-due moment passed and that are not yet reported near due."""
    now = services.clock.now()
    return _mark(
        engine,
        services,
        level="on_track",
        crossed=and_(col(DossierRow.near_due_at) <= now, col(DossierRow.due_at) > now),
        order=col(DossierRow.near_due_at),
        new="near_due",
        event=EventType.NEAR_DUE,
        batch=batch,
    )


def report_overdue(engine: Engine, services: Services, batch: int = 200) -> int:
    """Open dossiers whose due time has passed (strictly: at the due minute it is still on time), once.

    One indexed range per level (on track, near due): an IN list over both levels makes PostgreSQL give up
    the index and read every dossier.
    """
    now = services.clock.now()
    done = 0
    for level in ("near_due", "on_track"):
        done += _mark(
            engine,
            services,
            level=level,
            crossed=col(DossierRow.due_at) < now,
            order=col(DossierRow.due_at),
            new="overdue",
            event=EventType.OVERDUE,
            batch=batch,
        )
    return done


def report_step_overruns(engine: Engine, services: Services, batch: int = 200) -> int:
    """Waiting steps past their budget: reported once each, with the agency and who holds the step."""
    now = services.clock.now()
    done = 0
    with unit_of_work(engine) as uow:
        tasks = uow.session.exec(
            select(WorkTaskRow)
            .where(col(WorkTaskRow.overdue_reported).is_(False), col(WorkTaskRow.due_at) <= now)
            .order_by(col(WorkTaskRow.due_at))
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        for task in tasks:
            changed = uow.session.execute(
                update(WorkTaskRow)
                .where(col(WorkTaskRow.id) == task.id, col(WorkTaskRow.overdue_reported).is_(False))
                .values(overdue_reported=True)
                .execution_options(synchronize_session=False)
            )
            dossier = uow.session.get(DossierRow, task.dossier_id)
            if changed.rowcount != 1 or dossier is None:  # type: ignore[attr-defined]
                continue
            late = calendar_for(uow, task.agency_code).working_time_between(task.due_at or now, now)
            emit(
                uow,
                EventType.STEP_OVERDUE,
                dossier,
                {
                    "step": task.step,
                    "step_title": task.title,
                    "step_due_at": task.due_at.isoformat() if task.due_at else None,
                    "holder": task.assignee_name or task.role,
                    "holder_role": task.role,
                    "step_overdue_working_hours": round(late.total_seconds() / 3600, 2),
                },
                now,
            )
            done += 1
    return done


def wake_timers(engine: Engine, services: Services, batch: int = 100) -> int:
    """Load only the dossiers whose indexed BPMN timer is due, fire it, and move the dossier on."""
    now = services.clock.now()
    with unit_of_work(engine) as uow:
        ids = list(
            uow.session.exec(
                select(BpmnTimerRow.dossier_id)
                .where(col(BpmnTimerRow.due_at) <= now)
                .order_by(col(BpmnTimerRow.due_at))
                .limit(batch)
            ).all()
        )
    fired = 0
    for dossier_id in dict.fromkeys(ids):
        with unit_of_work(engine) as uow:
            dossier = uow.session.exec(
                select(DossierRow)
                .where(col(DossierRow.id) == dossier_id)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            ).first()
            if dossier is None:
                continue  # another worker holds it, or it is gone
            ctx = open_context(services, uow, dossier)
            if services.runtime.fire_due_timers(ctx.instance, now):
                advance(ctx, SYSTEM, now, note="Hết thời hạn chờ (sự kiện hẹn giờ của quy trình)")
                fired += 1
    return fired


def run_watch(engine: Engine, services: Services) -> CycleReport:
    """One pass of the time-driven jobs, in the order that keeps reports truthful."""
    report = CycleReport()
    report.timers_fired = wake_timers(engine, services)
    report.overdue = report_overdue(engine, services)
    report.near_due = report_near_due(engine, services)
    report.steps_overdue = report_step_overruns(engine, services)
    return report
