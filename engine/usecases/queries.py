"""Read models: dossier detail with its deadline explained, public tracking, catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.calendar import DeadlineUnit, Due, WorkingCalendar
from engine.catalog import current_version, current_versions, definition_of, form_key, term_of
from engine.clock import to_local
from engine.dossier.code import access_key_matches
from engine.dossier.status import OPEN, Status
from engine.dossier.timeliness import OpenState, Timeliness, judge_open
from engine.procedure import ProcedureDefinition
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import (
    AgencyRow,
    ClockPauseRow,
    DeadlineShiftRow,
    DossierRow,
    ExtensionRow,
    HandoverRow,
    ProcedureVersionRow,
    StatusChangeRow,
    VersionMoveRow,
    WorkTaskRow,
)
from engine.usecases.access import can_see, load_for, not_found, owned_by
from engine.usecases.calendars import calendar_for
from engine.usecases.documents import document_view, dossier_documents
from engine.usecases.verification import verification_view


def iso(moment: datetime | None) -> str | None:
    """Local ISO 8601 with offset, as the API shows every time."""
    return to_local(moment).isoformat() if moment else None


def vn(moment: datetime) -> str:
    """HH:MM dd/mm/yyyy in local time, as Vietnamese documents write it."""
    return f"{to_local(moment):%H:%M ngày %d/%m/%Y}"


def status_view(code: int) -> dict[str, Any]:
    """Status code with its catalogue labels."""
    status = Status(code)
    return {"code": int(status), "label": status.label, "label_en": status.label_en}


def deadline_view(
    services: Services, uow: UnitOfWork, dossier: DossierRow, definition: ProcedureDefinition
) -> dict[str, Any]:
    """The deadline with its explanation: start and why, skipped days, pauses, extension, where it stands."""
    definition = term_of(uow, dossier, definition)
    view: dict[str, Any] = {"legal": definition.deadline.label, "state": OpenState.NOT_STARTED.value}
    if dossier.received_at is None or dossier.due_at is None:
        view["explanation"] = ["Thời hạn giải quyết được tính từ khi hồ sơ được tiếp nhận đầy đủ, hợp lệ."]
        return view
    calendar = calendar_for(uow, dossier.agency_code)
    deadline = definition.deadline
    base = calendar.due(dossier.received_at, deadline.amount, deadline.unit, deadline.cutoff)
    lines = base.explanation()
    pauses = uow.session.exec(
        select(ClockPauseRow).where(ClockPauseRow.dossier_id == dossier.id).order_by(col(ClockPauseRow.id))
    ).all()
    for pause in pauses:
        hours = (pause.remaining_seconds or 0) / 3600
        if pause.ended_at is None:
            lines.append(
                f"Tạm dừng tính thời gian từ {vn(pause.started_at)} ({pause.reason}); "
                f"còn lại {hours:g} giờ làm việc khi tiếp tục."
            )
        elif pause.policy == "restart":
            lines.append(
                f"Tạm dừng từ {vn(pause.started_at)} đến {vn(pause.ended_at)} ({pause.reason}); "
                "thời hạn được tính lại từ đầu khi nhận đủ hồ sơ: "
                f"hạn mới {vn(pause.due_after or pause.ended_at)}."
            )
        else:
            lines.append(
                f"Tạm dừng từ {vn(pause.started_at)} đến {vn(pause.ended_at)} ({pause.reason}); "
                f"{hours:g} giờ làm việc còn lại được tính tiếp, "
                f"hạn mới {vn(pause.due_after or pause.ended_at)}."
            )
    extension = uow.session.exec(select(ExtensionRow).where(ExtensionRow.dossier_id == dossier.id)).first()
    if extension:
        lines.append(
            f"Cơ quan đã xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04): từ {vn(extension.old_due_at)} "
            f"sang {vn(extension.new_due_at)}. Lý do: {extension.reason}. "
            "Hồ sơ vẫn được tính quá hạn so với hạn ban đầu nếu trả sau hạn đó."
        )
    shifts = uow.session.exec(
        select(DeadlineShiftRow)
        .where(DeadlineShiftRow.dossier_id == dossier.id)
        .order_by(col(DeadlineShiftRow.id))
    ).all()
    for shift in shifts:
        lines.append(
            f"Hạn giải quyết dời từ {vn(shift.old_due_at)} sang {vn(shift.new_due_at)} do {shift.reason}."
        )
    lines.extend(move_line(move, version) for move, version in _moves(uow, dossier))
    now = services.clock.now()
    status = Status(dossier.status)
    remaining = calendar.working_time_between(now, dossier.due_at)
    if status in OPEN:
        state = (
            OpenState.PAUSED
            if dossier.paused_at
            else judge_open(
                now,
                dossier.due_at,
                remaining,
                calendar.working_time_between(base.start, base.due),  # the legal budget
                services.near_due_share,
            )
        )
        view["remaining_working_hours"] = round(remaining.total_seconds() / 3600, 2)
        if state is OpenState.OVERDUE:
            late = calendar.working_time_between(dossier.due_at, now)
            view["overdue_working_hours"] = round(late.total_seconds() / 3600, 2)
            lines.append(f"Hồ sơ đã quá hạn {late.total_seconds() / 3600:g} giờ làm việc.")
        elif state is not OpenState.PAUSED:
            lines.append(f"Còn {remaining.total_seconds() / 3600:g} giờ làm việc đến hạn trả kết quả.")
        view["state"] = state.value
        view["state_label"] = state.label
    elif dossier.timeliness:
        view["state"] = dossier.timeliness
        view["state_label"] = Timeliness(dossier.timeliness).label
    view["skipped"] = _skipped(calendar, base, dossier)
    view.update(
        {
            "received_at": iso(dossier.received_at),
            "start": iso(base.start),
            "start_reason": base.start_reason,
            "due_at": iso(dossier.due_at),
            "original_due_at": iso(dossier.original_due_at),
            "pauses": [
                {
                    "started_at": iso(p.started_at),
                    "ended_at": iso(p.ended_at),
                    "reason": p.reason,
                    "policy": p.policy,
                    "due_before": iso(p.due_before),
                    "due_after": iso(p.due_after),
                }
                for p in pauses
            ],
            "shifts": [
                {
                    "old_due_at": iso(s.old_due_at),
                    "new_due_at": iso(s.new_due_at),
                    "reason": s.reason,
                    "at": iso(s.at),
                }
                for s in shifts
            ],
            "extension": None
            if extension is None
            else {
                "old_due_at": iso(extension.old_due_at),
                "new_due_at": iso(extension.new_due_at),
                "reason": extension.reason,
                "issued_by": extension.issued_by_name,
                "issued_at": iso(extension.issued_at),
            },
            "explanation": lines,
        }
    )
    return view


def _skipped(calendar: WorkingCalendar, base: Due, dossier: DossierRow) -> list[dict[str, str]]:
    """Days not counted from receipt to the due time now in force, each with its reason."""
    assert dossier.received_at is not None
    assert dossier.due_at is not None
    if base.unit is DeadlineUnit.CALENDAR_DAYS:
        days = list(base.skipped)  # calendar days count weekends; only the roll-over days were skipped
    else:
        end = max(dossier.due_at, base.due)
        days = calendar.skipped_days(to_local(dossier.received_at).date(), to_local(end).date())
    return [{"date": s.day.isoformat(), "reason": s.reason} for s in days]


def _moves(uow: UnitOfWork, dossier: DossierRow) -> list[tuple[VersionMoveRow, int]]:
    """The dossier's moves to other versions of its procedure, oldest first, with the target's number."""
    rows = uow.session.exec(
        select(VersionMoveRow, ProcedureVersionRow.version)
        .join(ProcedureVersionRow, col(ProcedureVersionRow.id) == col(VersionMoveRow.to_version_id))
        .where(VersionMoveRow.dossier_id == dossier.id)
        .order_by(col(VersionMoveRow.id))
    ).all()
    return [(move, version) for move, version in rows]


def move_line(move: VersionMoveRow, version: int) -> str:
    """One sentence of the deadline explanation for a move to another version (Vietnamese)."""
    kept = move.policy == "keep"
    term = (
        "giữ thời hạn luật định đã áp dụng khi tiếp nhận"
        if kept
        else "áp dụng thời hạn mới tính từ lúc chuyển"
    )
    text = f"Ngày {vn(move.at)} hồ sơ được chuyển sang phiên bản {version} của quy trình ({term})"
    if move.old_due_at and move.new_due_at and move.old_due_at != move.new_due_at:
        text += f": hạn giải quyết từ {vn(move.old_due_at)} thành {vn(move.new_due_at)}"
    elif move.new_due_at:
        text += f": hạn giải quyết giữ nguyên {vn(move.new_due_at)}"
    return text + "."


def _timeline(uow: UnitOfWork, dossier: DossierRow) -> dict[str, list[dict[str, Any]]]:
    changes = uow.session.exec(
        select(StatusChangeRow)
        .where(StatusChangeRow.dossier_id == dossier.id)
        .order_by(col(StatusChangeRow.id))
    ).all()
    handovers = uow.session.exec(
        select(HandoverRow).where(HandoverRow.dossier_id == dossier.id).order_by(col(HandoverRow.id))
    ).all()
    return {
        "timeline": [
            {
                "at": iso(c.at),
                "from": c.from_status,
                "to": c.to_status,
                "label": Status(c.to_status).label,
                "label_en": Status(c.to_status).label_en,
                "by": c.actor_name,
                "note": c.note,
            }
            for c in changes
        ],
        "version_moves": [
            {
                "at": iso(m.at),
                "label": f"Chuyển sang phiên bản {version} của quy trình",
                "label_en": f"Moved to version {version} of the procedure",
                "version": version,
                "by": m.actor_name,
                "audit_note": m.note,  # the administrator's reason: staff see it, the citizen's page does not
                "old_due_at": iso(m.old_due_at),
                "new_due_at": iso(m.new_due_at),
            }
            for m, version in _moves(uow, dossier)
        ],
        "handovers": [
            {
                "step": h.step,
                "title": h.title,
                "giver": h.giver,
                "receiver": h.receiver,
                "started_at": iso(h.started_at),
                "due_at": iso(h.due_at),
                "finished_at": iso(h.finished_at),
                "finished_by": h.finished_by,
                "timeliness": h.timeliness,
                "timeliness_label": Timeliness(h.timeliness).label if h.timeliness else None,
                "note": h.note,
            }
            for h in handovers
        ],
    }


def dossier_detail(services: Services, uow: UnitOfWork, actor: Actor, code: str) -> dict[str, Any]:
    """Everything the citizen or the agency's staff may see of one dossier."""
    dossier = load_for(uow, actor, code)
    version = uow.session.get(ProcedureVersionRow, dossier.procedure_version_id)
    assert version is not None
    definition = definition_of(version)
    agency = uow.session.get(AgencyRow, dossier.agency_code)
    tasks = uow.session.exec(select(WorkTaskRow).where(WorkTaskRow.dossier_id == dossier.id)).all()
    return {
        "code": dossier.code,
        "access_key": dossier.access_key,  # mã tra cứu: what the public lookup needs beside the code
        "procedure": {"code": definition.code, "name": definition.name, "version": version.version},
        "agency": {"code": dossier.agency_code, "name": agency.name if agency else None},
        "channel": dossier.channel,
        "status": status_view(dossier.status),
        "current_step": dossier.current_step,
        "current_holder": dossier.current_holder,
        "applicant": dossier.applicant,
        "form": dossier.form,
        "papers": dossier.papers,
        "filed_at": iso(dossier.filed_at),
        "finished_at": iso(dossier.finished_at),
        "returned_at": iso(dossier.returned_at),
        "outcome": dossier.outcome,
        "tasks": [
            {
                "id": t.id,
                "title": t.title,
                "step": t.step,
                "role": t.role,
                "assignee": t.assignee_name,
                "ready_at": iso(t.ready_at),
                "due_at": iso(t.due_at),
                "decisions": t.decisions.split(",") if t.decisions else [],
            }
            for t in tasks
        ],
        "deadline": deadline_view(services, uow, dossier, definition),
        "verification": verification_view(uow, dossier),
        **_timeline(uow, dossier),
        "documents": [document_view(row) for row in dossier_documents(uow, dossier)],
        "version": dossier.version,
    }


def visible_dossiers(
    uow: UnitOfWork, actor: Actor, *, status: int | None = None, limit: int = 50, before_id: int | None = None
) -> list[DossierRow]:
    """A page of the dossiers the actor may see, newest first (keyset on id; index-backed)."""
    query = select(DossierRow)
    if actor.is_staff:
        query = query.where(DossierRow.agency_code == actor.agency)
    elif actor.supervised:
        query = query.where(col(DossierRow.agency_code).in_(sorted(actor.supervised)))
    elif actor.has(Role.CITIZEN):
        query = query.where(owned_by(actor))
    else:
        return []
    if status is not None:
        query = query.where(DossierRow.status == status)
    if before_id is not None:
        query = query.where(col(DossierRow.id) < before_id)
    query = query.order_by(col(DossierRow.id).desc()).limit(max(1, min(limit, 200)))
    return list(uow.session.exec(query).all())


def track(uow: UnitOfWork, code: str, key: str | None, actor: Actor | None = None) -> dict[str, Any]:
    """Public, minimal status for the receipt's QR: no personal data.

    The code is sequential (guessable), so it takes the access key printed beside it, or a signed-in actor
    who may see the dossier (its owner, its agency's staff). A wrong or missing key is answered exactly as an
    unknown code: nothing tells a probe which codes exist.
    """
    dossier = uow.session.exec(select(DossierRow).where(DossierRow.code == code)).first()
    allowed = dossier is not None and (
        access_key_matches(dossier.access_key, key) or (actor is not None and can_see(actor, dossier))
    )
    if dossier is None or not allowed:
        raise not_found(code)
    version = uow.session.get(ProcedureVersionRow, dossier.procedure_version_id)
    agency = uow.session.get(AgencyRow, dossier.agency_code)
    return {
        "code": dossier.code,
        "procedure": version.name if version else dossier.procedure_code,
        "agency": agency.name if agency else dossier.agency_code,
        "status": status_view(dossier.status),
        "current_step": dossier.current_step,
        "received_at": iso(dossier.received_at),
        "due_at": iso(dossier.due_at),
        "returned_at": iso(dossier.returned_at),
    }


def procedure_views(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The catalogue: current version of every procedure."""
    return [{**definition_of(v).public(), "version": v.version} for v in current_versions(uow)]


def procedure_view(services: Services, uow: UnitOfWork, code: str) -> dict[str, Any]:
    """One procedure with its e-form schema."""
    version = current_version(uow, code)
    definition = definition_of(version)
    return {
        **definition.public(),
        "version": version.version,
        "form_schema": services.forms.schema(form_key(uow, services.forms, version)),
    }
