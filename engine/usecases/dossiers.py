"""Commands on dossiers: file, receive, supplement, extend, withdraw."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlmodel import select

from engine import limits, notify
from engine.actor import Actor, Role
from engine.catalog import current_version, definition_of, ensure_spec, form_key
from engine.clock import to_local, to_utc
from engine.dossier.applicant import check_applicant
from engine.dossier.code import filing_day, format_code
from engine.dossier.status import OPEN, Status
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput
from engine.forms import RegistryGroup
from engine.outbox import EventType, emit, iso
from engine.procedure import ProcedureDefinition
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import (
    AgencyRow,
    DossierRow,
    ExtensionRow,
    ProcedureVersionRow,
    StatusChangeRow,
    SubmissionRow,
    row_id,
)
from engine.store.sequence import next_sequence
from engine.usecases.access import load_for, require_owner_or_officer, require_staff
from engine.usecases.calendars import calendar_for
from engine.usecases.documents import issue_apology
from engine.usecases.progress import (
    DossierContext,
    advance,
    arm_watch,
    cancel_workflow,
    move_status,
    open_context,
    ready_task,
    save_instance,
)
from engine.usecases.uploads import link_uploads, owned_uploads
from engine.usecases.verification import (
    Lookup,
    LookupPlan,
    filer_problems,
    judge_lookup,
    plan_for_form,
    record_check,
)

CHANNELS = ("online", "counter", "postal")


@dataclass
class FileDossier:
    """Nộp hồ sơ: online by a citizen, or at the counter by a one-stop officer."""

    procedure: str
    agency: str
    channel: str = "online"
    applicant: dict[str, Any] = field(default_factory=dict)
    form: dict[str, Any] = field(default_factory=dict)
    papers: list[dict[str, Any]] = field(default_factory=list)


def record_submission(
    uow: UnitOfWork,
    dossier: DossierRow,
    actor: Actor,
    action: str,
    payload: dict[str, Any],
    *,
    at: datetime,
    task_id: str | None = None,
) -> None:
    """Keep our own append-only record of who submitted what."""
    uow.session.add(
        SubmissionRow(
            dossier_id=row_id(dossier),
            action=action,
            task_id=task_id,
            actor_subject=actor.subject,
            actor_name=actor.display,
            at=at,
            payload=copy.deepcopy(payload),
        )
    )


def _check_channel_and_actor(cmd: FileDossier, actor: Actor, errors: dict[str, FieldError]) -> None:
    if cmd.channel not in CHANNELS:
        errors["channel"] = FieldError(
            "Hình thức nộp phải là trực tuyến (online), trực tiếp (counter) hoặc bưu chính (postal).",
            "Channel must be online, counter or postal.",
        )
        return
    if cmd.channel == "online" and not actor.has(Role.CITIZEN):
        raise Forbidden(
            "Chỉ công dân đăng nhập mới nộp hồ sơ trực tuyến.", "Only a signed-in citizen files online."
        )
    if cmd.channel != "online" and not (actor.has(Role.OFFICER) and actor.agency == cmd.agency):
        raise Forbidden(
            "Chỉ cán bộ Bộ phận Một cửa của cơ quan tiếp nhận mới nộp hồ sơ trực tiếp/bưu chính "
            "thay công dân.",
            "Only a one-stop officer of the receiving agency files counter or postal dossiers.",
        )


def _check_papers(
    uow: UnitOfWork, actor: Actor, papers: Any, known: set[str], errors: dict[str, FieldError]
) -> list[dict[str, Any]]:
    """The papers of a filing; a paper may carry `uploads` (ids of files the filer uploaded)."""
    if not isinstance(papers, list):
        errors["papers"] = FieldError("Danh sách giấy tờ phải là một mảng.", "Papers must be a list.")
        return []
    clean = []
    for i, paper in enumerate(papers):
        if not isinstance(paper, dict) or paper.get("key") not in known:
            errors[f"papers[{i}].key"] = FieldError(
                "Giấy tờ không có trong thành phần hồ sơ của thủ tục.",
                "Paper is not in the procedure's list.",
            )
            continue
        entry = {k: paper[k] for k in ("key", "copies", "count", "ref", "note") if k in paper}
        for name, limit in (("note", limits.NOTE), ("ref", limits.REFERENCE)):
            errors |= limits.check_lengths({f"papers[{i}].{name}": (entry.get(name), limit)})
        if "uploads" in paper:
            rows = owned_uploads(uow, actor, paper["uploads"], f"papers[{i}].uploads", errors)
            entry["uploads"] = [r.id for r in rows]
        clean.append(entry)
    return clean


@dataclass
class _Filing:
    """A filing as checked: the procedure version, and the cleaned applicant, papers and form."""

    version: ProcedureVersionRow
    definition: ProcedureDefinition
    agency: AgencyRow | None
    applicant: dict[str, Any]
    papers: list[dict[str, Any]]
    form: dict[str, Any]
    group: RegistryGroup | None


def _check_filing(
    services: Services, uow: UnitOfWork, actor: Actor, cmd: FileDossier, now: datetime
) -> tuple[_Filing, dict[str, FieldError]]:
    """Every check a filing passes before anything is written (or looked up); the field errors found."""
    version = current_version(uow, cmd.procedure)
    definition = definition_of(version)
    errors: dict[str, FieldError] = {}
    _check_channel_and_actor(cmd, actor, errors)
    agency = uow.session.get(AgencyRow, cmd.agency)
    if agency is None or not agency.has_counter:
        errors["agency"] = FieldError(
            f"Cơ quan tiếp nhận «{cmd.agency}» không tồn tại hoặc không có Bộ phận Một cửa.",
            f"Receiving agency '{cmd.agency}' does not exist or has no one-stop counter.",
        )
    applicant, applicant_errors = check_applicant(cmd.applicant, to_local(now).date())
    errors.update(applicant_errors)
    if cmd.channel == "online" and actor.identity_number:
        declared = applicant.setdefault("identity_number", actor.identity_number)
        # A malformed number already has its own, more precise message.
        if declared != actor.identity_number and "applicant.identity_number" not in errors:
            errors["applicant.identity_number"] = FieldError(
                "Số định danh của người nộp phải trùng với tài khoản đang đăng nhập.",
                "The applicant's identification number must match the signed-in account.",
            )
    papers = _check_papers(uow, actor, cmd.papers, {p.key for p in definition.papers}, errors)
    form_name = form_key(uow, services.forms, version)
    group = services.forms.registry_group(form_name)
    try:
        form = services.forms.validate(form_name, cmd.form)
    except InvalidInput as exc:
        errors.update({f"form.{k}": v for k, v in exc.fields.items()})
        form = {}
    else:
        errors.update(filer_problems(group, form, actor, cmd.channel))
    return _Filing(version, definition, agency, applicant, papers, form, group), errors


def _invalid_dossier(errors: dict[str, FieldError], code: str = "DossierInvalid") -> InvalidInput:
    return InvalidInput(
        "Hồ sơ chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu.",
        "The dossier is invalid; see the marked fields.",
        errors,
        code=code,
    )


def plan_filing(services: Services, uow: UnitOfWork, actor: Actor, cmd: FileDossier) -> LookupPlan | None:
    """Check a filing without writing; the population-database lookup it needs, if its form has one.

    A filing that would be refused anyway is refused here, before anyone's record is looked up.
    """
    filing, errors = _check_filing(services, uow, actor, cmd, services.clock.now())
    if errors:
        raise _invalid_dossier(errors)
    purpose = f"Nộp hồ sơ thủ tục «{filing.definition.name}» tại {cmd.agency} ({_channel_label(cmd.channel)})"
    return plan_for_form(filing.group, filing.form, filing.definition, purpose, actor)


def file_dossier(
    services: Services, uow: UnitOfWork, actor: Actor, cmd: FileDossier, lookup: Lookup | None = None
) -> DossierRow:
    """File a dossier; online → status 1, counter/postal → received at once (2 then 4).

    With a `lookup` of the person who files (engine/usecases/residents.py), the form is held against the
    registry: a number it does not know, or that names someone else, is refused; a registry that did not
    answer leaves the dossier filed, unverified, with a verification task for the one-stop officer.
    """
    now = services.clock.now()
    filing, errors = _check_filing(services, uow, actor, cmd, now)
    if errors:
        raise _invalid_dossier(errors)
    verdict = judge_lookup(filing.group, filing.form, lookup)
    if verdict is not None and verdict.errors:
        raise _invalid_dossier(verdict.errors, code="IdentityMismatch")
    version, definition, agency = filing.version, filing.definition, filing.agency
    applicant, papers, form = filing.applicant, filing.papers, filing.form

    sequence = next_sequence(uow, cmd.agency, filing_day(now))
    code = format_code(cmd.agency, filing_day(now), sequence)
    ensure_spec(uow, services.runtime, version.spec_hash)
    instance = services.runtime.start(
        version.spec_hash,
        {
            "dossier": {
                "code": code,
                "procedure": definition.code,
                "channel": cmd.channel,
                "agency": cmd.agency,
            },
            "form": form,
        },
    )
    dossier = DossierRow(
        code=code,
        procedure_code=definition.code,
        procedure_version_id=version.id,  # type: ignore[arg-type]
        agency_code=cmd.agency,
        channel=cmd.channel,
        status=int(Status.NEW),
        owner_subject=actor.subject if cmd.channel == "online" else None,
        applicant_name=str(applicant["full_name"]),
        # Whose dossier it is (engine/usecases/access.py): online, the filer's number as the identity provider
        # verified it (a number merely typed by an account without one proves nothing); at the counter or by
        # post, the applicant's number as the officer checked it against their papers.
        applicant_id_number=(
            actor.identity_number if cmd.channel == "online" else applicant.get("identity_number")
        ),
        applicant=applicant,
        form=form,
        papers=papers,
        filed_at=now,
        filed_by=actor.display,
        spec_hash=version.spec_hash,
        workflow_state=services.runtime.dumps(instance),
        updated_at=now,
    )
    uow.session.add(dossier)
    uow.flush()
    link_uploads(uow, dossier, papers)
    uow.session.add(
        StatusChangeRow(
            dossier_id=row_id(dossier),
            from_status=None,
            to_status=int(Status.NEW),
            at=now,
            actor_subject=actor.subject,
            actor_name=actor.display,
            note=f"Nộp hồ sơ ({_channel_label(cmd.channel)})",
        )
    )
    record_submission(
        uow, dossier, actor, "file", {"applicant": applicant, "form": form, "papers": papers}, at=now
    )
    ctx = DossierContext(
        services,
        uow,
        dossier,
        definition,
        calendar_for(uow, cmd.agency),
        instance,
        agency.name if agency else cmd.agency,
    )
    advance(ctx, actor, now)
    if lookup is not None:
        record_check(uow, dossier, actor, lookup, verdict, at=now)
    if cmd.channel != "online":
        _decide_reception(
            ctx, actor, {"decision": "accept", "note": "Tiếp nhận trực tiếp tại Bộ phận Một cửa"}, now
        )
    return dossier


def _channel_label(channel: str) -> str:
    return {"online": "trực tuyến", "counter": "trực tiếp", "postal": "bưu chính công ích"}.get(
        channel, channel
    )


def _decide_reception(ctx: DossierContext, actor: Actor, payload: dict[str, Any], at: datetime) -> None:
    task = ready_task(ctx, "reception")
    data = ctx.services.forms.validate("tasks/reception", payload)
    if data["decision"] == "supplement":
        _check_supplement_limit(ctx, "reception")
        ctx.dossier.supplements_at_reception += 1
    record_submission(ctx.uow, ctx.dossier, actor, "receive", data, at=at, task_id=task.id)
    ctx.services.runtime.complete(ctx.instance, task.id, {"reception": data})
    advance(ctx, actor, at, completed=task, note=_decision_note(data))


def _decision_note(data: dict[str, Any]) -> str | None:
    parts = [str(data[k]) for k in ("refusal_reason", "reason", "opinion", "note") if data.get(k)]
    missing = data.get("missing_papers") or []
    if missing:
        parts.append(
            "; ".join(f"{m.get('paper')}: {m.get('reason')}" for m in missing if isinstance(m, dict))
        )
    return " — ".join(parts) or None


def _check_supplement_limit(ctx: DossierContext, stage: str) -> None:
    used = (
        ctx.dossier.supplements_at_reception
        if stage == "reception"
        else ctx.dossier.supplements_in_processing
    )
    if used >= ctx.definition.supplement_limit:
        raise Conflict(
            "Chỉ được yêu cầu bổ sung hồ sơ một lần, đầy đủ (Nghị định 118/2025/NĐ-CP). "
            "Hồ sơ này đã được yêu cầu bổ sung ở giai đoạn này.",
            "A supplement may be requested only once and completely; "
            "this dossier already had one at this stage.",
            code="SupplementLimit",
        )


def receive(
    services: Services, uow: UnitOfWork, actor: Actor, code: str, payload: dict[str, Any]
) -> DossierRow:
    """Officer decides at reception: accept (receipt + deadline), supplement (Mẫu 02) or refuse (Mẫu 03)."""
    dossier = load_for(uow, actor, code, lock=True)
    require_staff(actor, dossier, Role.OFFICER)
    if Status(dossier.status) is not Status.NEW:
        raise Conflict(
            f"Hồ sơ đang ở trạng thái «{Status(dossier.status).label}», không thể tiếp nhận.",
            f"The dossier is '{Status(dossier.status).label_en}' and cannot be received.",
            code="NotAtStep",
        )
    ctx = open_context(services, uow, dossier)
    _decide_reception(ctx, actor, payload, services.clock.now())
    return dossier


def complete_step(
    services: Services,
    uow: UnitOfWork,
    actor: Actor,
    ctx: DossierContext,
    *,
    task_id: str,
    payload: dict[str, Any],
) -> None:
    """Complete a generic BPMN user task (appraisal, approval, return) with its form data."""
    now = services.clock.now()
    task = next((t for t in services.runtime.ready_tasks(ctx.instance) if t.id == task_id), None)
    if task is None:
        raise Conflict(
            "Công việc này đã được xử lý hoặc không còn hiệu lực.",
            "This task was already completed or is no longer active.",
            code="TaskNotReady",
        )
    step = task.properties.get("step") or task.spec_name
    data = (
        services.forms.validate(f"tasks/{task.properties['form']}", payload)
        if task.properties.get("form")
        else dict(payload)
    )
    allowed = [d for d in (task.properties.get("decisions") or "").split(",") if d]
    if allowed and data.get("decision") not in allowed:
        raise InvalidInput(
            "Quyết định không hợp lệ.",
            "Invalid decision.",
            {
                "decision": FieldError(
                    f"Quyết định phải là một trong: {', '.join(allowed)}.",
                    f"Decision must be one of: {', '.join(allowed)}.",
                )
            },
        )
    if data.get("decision") == "supplement" and step != "reception":
        _check_supplement_limit(ctx, "processing")
        ctx.dossier.supplements_in_processing += 1
    if step == "approval":
        ctx.dossier.outcome = "approved" if data.get("decision") == "approve" else "refused"
    record_submission(uow, ctx.dossier, actor, f"complete:{step}", data, at=now, task_id=task.id)
    services.runtime.complete(ctx.instance, task.id, {step: data})
    advance(ctx, actor, now, completed=task, note=_decision_note(data))


def supplement(
    services: Services, uow: UnitOfWork, actor: Actor, code: str, payload: dict[str, Any]
) -> DossierRow:
    """The citizen (or an officer at the counter) hands in what was asked; the clock resumes."""
    dossier = load_for(uow, actor, code, lock=True)
    require_owner_or_officer(actor, dossier)
    if Status(dossier.status) is not Status.SUPPLEMENT:
        raise Conflict(
            "Hồ sơ không ở trạng thái chờ bổ sung.",
            "The dossier is not waiting for a supplement.",
            code="NotAtStep",
        )
    ctx = open_context(services, uow, dossier)
    task = ready_task(ctx, "supplement")
    now = services.clock.now()
    data = services.forms.validate("tasks/supplement", payload)
    _check_supplement_uploads(uow, actor, data)
    link_uploads(uow, dossier, data.get("papers") or [])
    record_submission(uow, dossier, actor, "supplement", data, at=now, task_id=task.id)
    services.runtime.complete(ctx.instance, task.id, {"supplement": data})
    advance(ctx, actor, now, completed=task, note=data.get("note"))
    return dossier


def _check_supplement_uploads(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> None:
    """Files handed in with a supplement must be the supplier's own uploads."""
    errors: dict[str, FieldError] = {}
    for i, paper in enumerate(data.get("papers") or []):
        if paper.get("uploads"):
            owned_uploads(uow, actor, paper["uploads"], f"papers[{i}].uploads", errors)
    if errors:
        raise InvalidInput("Tệp bổ sung không hợp lệ.", "The supplied files are invalid.", errors)


EXTENSION_NOTICE = timedelta(hours=8)  # docs/domain.md §4.4: at least one working day before the due time


def extend(
    services: Services, uow: UnitOfWork, actor: Actor, code: str, payload: dict[str, Any]
) -> ExtensionRow:
    """Apology with a new appointment (Mẫu 04): leader only, once, ≥ 1 working day before the due time."""
    dossier = load_for(uow, actor, code, lock=True)
    require_staff(actor, dossier, Role.LEADER)
    now = services.clock.now()
    reason = payload.get("reason")
    new_due = _parse_new_due(payload.get("new_due_at"))
    errors: dict[str, FieldError] = {}
    if not isinstance(reason, str) or len(reason.strip()) < 5:
        errors["reason"] = FieldError(
            "Vui lòng nêu rõ lý do chậm trễ (bắt buộc).", "A reason for the delay is required."
        )
    errors |= limits.check_lengths({"reason": (reason, limits.REASON)})
    if new_due is None:
        errors["new_due_at"] = FieldError(
            "Thời hạn mới phải là thời điểm ISO 8601, ví dụ 2026-03-10T16:00.",
            "The new due time must be an ISO 8601 moment, e.g. 2026-03-10T16:00.",
        )
    if errors:
        raise InvalidInput("Phiếu xin lỗi và hẹn lại chưa hợp lệ.", "The apology is invalid.", errors)
    assert new_due is not None
    assert isinstance(reason, str)
    if Status(dossier.status) not in OPEN or dossier.due_at is None or dossier.received_at is None:
        raise Conflict(
            "Chỉ gia hạn được hồ sơ đang xử lý.",
            "Only a dossier in progress can be extended.",
            code="NotExtendable",
        )
    if dossier.paused_at is not None:
        # The due time is recomputed from the remaining working time on resume, which would drop a new
        # appointment set now; and "one working day before the due time" means nothing while the clock stands.
        raise Conflict(
            "Hồ sơ đang tạm dừng tính thời gian (chờ công dân bổ sung); "
            "chỉ xin lỗi và hẹn lại khi hồ sơ đã được tiếp tục xử lý.",
            "The clock is paused while the citizen holds the dossier; apologise once processing resumes.",
            code="NotExtendable",
        )
    if uow.session.exec(select(ExtensionRow).where(ExtensionRow.dossier_id == dossier.id)).first():
        raise Conflict(
            "Hồ sơ đã được xin lỗi và hẹn lại một lần; không được gia hạn lần thứ hai.",
            "An apology was already issued for this dossier; it may be issued only once.",
            code="ExtensionAlreadyIssued",
        )
    ctx = open_context(services, uow, dossier)
    if ctx.calendar.working_time_between(now, dossier.due_at) < EXTENSION_NOTICE:
        too_late = FieldError(
            "Phải xin lỗi và hẹn lại chậm nhất 01 ngày làm việc trước thời hạn trả kết quả "
            f"({to_local(dossier.due_at):%H:%M %d/%m/%Y}).",
            "The apology must be issued at least one working day before the due time.",
        )
        raise Conflict(too_late.message, too_late.message_en, "ExtensionTooLate", {"new_due_at": too_late})
    _check_new_due(ctx, dossier.due_at, new_due)
    row = ExtensionRow(
        dossier_id=row_id(dossier),
        old_due_at=dossier.due_at,
        new_due_at=new_due,
        reason=reason.strip(),
        issued_by=actor.subject,
        issued_by_name=actor.display,
        issued_at=now,
    )
    uow.session.add(row)
    record_submission(
        uow, dossier, actor, "extension", {"reason": reason, "new_due_at": new_due.isoformat()}, at=now
    )
    dossier.due_at = new_due
    arm_watch(ctx)  # a new appointment: near-due and overdue are reported again against it
    issue_apology(ctx, row, actor, now)  # Mẫu 04
    emit(uow, EventType.EXTENDED, dossier, {"extension": _extension_view(row)}, now)
    notify.tell(
        uow,
        dossier,
        notify.Notice.EXTENDED,
        now,
        {"reason": row.reason, "old_due_at": iso(row.old_due_at), "new_due_at": iso(row.new_due_at)},
    )
    save_instance(ctx, now)
    return row


def _extension_view(row: ExtensionRow) -> dict[str, Any]:
    return {
        "old_due_at": iso(row.old_due_at),
        "new_due_at": iso(row.new_due_at),
        "reason": row.reason,
        "issued_by": row.issued_by_name,
        "issued_at": iso(row.issued_at),
    }


def _parse_new_due(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return to_utc(parsed)


def _check_new_due(ctx: DossierContext, current_due: datetime, new_due: datetime) -> None:
    problem = None
    local = to_local(new_due)
    if new_due <= current_due:
        problem = (
            "Thời hạn mới phải sau thời hạn hiện tại.",
            "The new due time must be after the current one.",
        )
    elif not ctx.calendar.is_working_day(local.date()) or not _in_office(ctx, local.time()):
        problem = (
            "Thời hạn mới phải rơi vào giờ làm việc của một ngày làm việc.",
            "The new due time must fall within office hours of a working day.",
        )
    if problem:
        raise InvalidInput(problem[0], problem[1], {"new_due_at": FieldError(*problem)})


def _in_office(ctx: DossierContext, moment: time) -> bool:
    return any(start <= moment <= end for start, end in ctx.calendar.office_hours.periods)


def check_withdrawal(
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    payload: dict[str, Any],
    *,
    expected_version: int | None = None,
    lock: bool = False,
) -> tuple[DossierRow, str]:
    """Every check a withdrawal passes, without writing: the dossier and the reason.

    With `expected_version` (the version the citizen saw when they confirmed), a dossier that changed
    meanwhile is a conflict: they confirmed something that no longer stands.
    """
    dossier = load_for(uow, actor, code, lock=lock)
    require_owner_or_officer(actor, dossier)
    if Status(dossier.status) not in OPEN:
        raise Conflict(
            f"Không thể rút hồ sơ ở trạng thái «{Status(dossier.status).label}».",
            f"A dossier in status '{Status(dossier.status).label_en}' cannot be withdrawn.",
            code="NotWithdrawable",
        )
    if expected_version is not None and dossier.version != expected_version:
        raise Conflict(
            "Hồ sơ vừa được cập nhật. Vui lòng xem lại trạng thái hiện tại trước khi rút hồ sơ.",
            "The dossier has just changed. Review its current state before withdrawing it.",
            code="DossierChanged",
        )
    reason = payload.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(
            "Vui lòng nêu lý do rút hồ sơ.",
            "A reason is required.",
            {"reason": FieldError("Vui lòng nêu lý do rút hồ sơ.", "A reason is required.")},
        )
    limits.require_lengths({"reason": (reason, limits.REASON)})
    return dossier, reason


def withdraw(
    services: Services,
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    payload: dict[str, Any],
    *,
    expected_version: int | None = None,
) -> DossierRow:
    """The citizen stops the procedure before a result exists (status 7, stop notice)."""
    dossier, reason = check_withdrawal(
        uow, actor, code, payload, expected_version=expected_version, lock=True
    )
    now = services.clock.now()
    ctx = open_context(services, uow, dossier)
    record_submission(uow, dossier, actor, "withdraw", {"reason": reason}, at=now)
    cancel_workflow(ctx, actor, now, reason)
    move_status(ctx, Status.WITHDRAWN, actor, now, reason.strip())
    save_instance(ctx, now)
    return dossier
