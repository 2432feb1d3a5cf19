"""What a person follows in the portal: their list of dossiers, one dossier with its time left and actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import select

from engine.actor import Actor
from engine.calendar import WorkingCalendar
from engine.catalog import definition_of
from engine.dossier.status import OPEN, Status
from engine.dossier.timeliness import TimeLeft, time_left
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import AgencyRow, DossierRow, ProcedureVersionRow, RatingRow
from engine.usecases.access import is_owner, load_for
from engine.usecases.calendars import calendar_for
from engine.usecases.queries import dossier_detail, status_view, visible_dossiers

PAGE_SIZE = 20


@dataclass(frozen=True)
class DossierLine:
    """One row of "Hồ sơ của tôi" (or of an agency's list)."""

    code: str
    procedure: str
    procedure_en: str
    agency: str
    status: dict[str, Any]  # code, label, label_en (queries.status_view)
    current_step: str | None
    current_holder: str | None
    filed_at: datetime
    due_at: datetime | None
    time_left: TimeLeft


@dataclass(frozen=True)
class DossierPage:
    """A page of dossiers, newest first; `next_before` continues the list (keyset on id), None at the end."""

    lines: list[DossierLine]
    next_before: int | None


@dataclass(frozen=True)
class Actions:
    """What the signed-in person may do with the dossier now, from its status and their relation to it."""

    supplement: bool = False  # bổ sung hồ sơ (status 5: the agency asked for papers)
    withdraw: bool = False  # rút hồ sơ (until a result exists)

    @property
    def any(self) -> bool:
        """At least one action is offered."""
        return self.supplement or self.withdraw


def dossier_time_left(calendar: WorkingCalendar, now: datetime, dossier: DossierRow) -> TimeLeft:
    """The time left of a dossier on its agency's calendar (engine/dossier/timeliness.py)."""
    return time_left(
        calendar,
        now,
        is_open=Status(dossier.status) in OPEN,
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        paused_at=dossier.paused_at,
        near_due_at=dossier.near_due_at,
    )


def dossier_page(
    services: Services, uow: UnitOfWork, actor: Actor, *, before: int | None = None, limit: int = PAGE_SIZE
) -> DossierPage:
    """The actor's dossiers (citizen: their own; staff and supervisors: their agencies'), newest first."""
    limit = max(1, min(limit, 100))
    rows = visible_dossiers(uow, actor, limit=limit + 1, before_id=before)
    more = len(rows) > limit
    rows = rows[:limit]
    now = services.clock.now()
    calendars: dict[str, WorkingCalendar] = {}
    lines = []
    for row in rows:
        calendar = calendars.get(row.agency_code)
        if calendar is None:
            calendar = calendars[row.agency_code] = calendar_for(uow, row.agency_code)
        version = uow.session.get(ProcedureVersionRow, row.procedure_version_id)
        agency = uow.session.get(AgencyRow, row.agency_code)
        lines.append(
            DossierLine(
                code=row.code,
                procedure=version.name if version else row.procedure_code,
                procedure_en=definition_of(version).name_en if version else row.procedure_code,
                agency=agency.name if agency else row.agency_code,
                status=status_view(row.status),
                current_step=row.current_step,
                current_holder=row.current_holder,
                filed_at=row.filed_at,
                due_at=row.due_at,
                time_left=dossier_time_left(calendar, now, row),
            )
        )
    return DossierPage(lines, rows[-1].id if more and rows else None)


def allowed_actions(actor: Actor, dossier: DossierRow) -> Actions:
    """The citizen's actions the dossier's status allows (the owner only; staff act from their own pages)."""
    if not is_owner(actor, dossier):
        return Actions()
    status = Status(dossier.status)
    return Actions(supplement=status is Status.SUPPLEMENT, withdraw=status in OPEN)


def dossier_overview(services: Services, uow: UnitOfWork, actor: Actor, code: str) -> dict[str, Any]:
    """The dossier's detail (as the API shows it) with its time left, actions and clock policy."""
    dossier = load_for(uow, actor, code)
    detail = dossier_detail(services, uow, actor, code)
    version = uow.session.get(ProcedureVersionRow, dossier.procedure_version_id)
    assert version is not None
    definition = definition_of(version)
    calendar = calendar_for(uow, dossier.agency_code)
    return {
        **detail,
        "procedure": {**detail["procedure"], "name_en": definition.name_en},
        "time_left": dossier_time_left(calendar, services.clock.now(), dossier),
        "actions": allowed_actions(actor, dossier),
        "clock_policy": definition.clock.value,
        "deadline_rule": definition.public()["deadline"],  # amount, unit, cut-off: worded by the page
        "status_code": Status(dossier.status),
        "rating": _rating_link(uow, actor, dossier),
    }


def _rating_link(uow: UnitOfWork, actor: Actor, dossier: DossierRow) -> dict[str, bool]:
    """Whether the page offers the satisfaction rating (applicant, status 10) or says it was given."""
    if dossier.status != Status.RETURNED or not is_owner(actor, dossier):
        return {"ratable": False, "rated": False}
    given = uow.session.exec(select(RatingRow.id).where(RatingRow.dossier_id == dossier.id)).first()
    rated = given is not None
    return {"ratable": not rated, "rated": rated}
