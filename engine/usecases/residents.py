"""Population-database lookups: pre-fill a form, file with the applicant verified, verify a dossier later.

A lookup is a network call, so it never runs inside a database transaction (on SQLite every transaction holds
the write lock; on PostgreSQL it would hold row locks across the call). Each flow here is therefore three
steps: authorize and plan in one unit of work, look up (and write the audit row in a transaction of its own,
so it survives whatever happens next), then apply the answer in a second unit of work.

Who may look up whom: a citizen only themselves (the identity number of their account); staff only the
applicant of a dossier of their own agency (at the counter, the dossier being filed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from sqlmodel import col, select

from engine import limits
from engine.actor import Actor, Role
from engine.catalog import current_version, definition_of, form_key
from engine.clock import to_local
from engine.dossier.status import OPEN, Status
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, Unavailable
from engine.outbox import iso
from engine.residents.identity import identity_problem
from engine.residents.prefill import SOURCE, prefill
from engine.residents.registry import (
    LookupResult,
    LookupStatus,
    RegistryUnavailable,
    UnavailableReason,
)
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import (
    DossierRow,
    ProcedureVersionRow,
    RegistryCheckRow,
    ResidentLookupRow,
    WorkTaskRow,
    row_id,
)
from engine.usecases.access import can_see, load_for, require_staff
from engine.usecases.dossiers import FileDossier, file_dossier, plan_filing, record_submission
from engine.usecases.verification import (
    VERIFICATION,
    VERIFY_METHODS,
    Lookup,
    LookupPlan,
    Outcome,
    audit_row,
    close_verification_tasks,
    judge_lookup,
    plan_for_form,
    plan_lookup,
    record_check,
)

log = logging.getLogger("motcua.residents")

Transaction = Callable[[], AbstractContextManager[UnitOfWork]]
T = TypeVar("T")
AUDIT_PAGE = 200


def audited_lookup(services: Services, transaction: Transaction, plan: LookupPlan) -> Lookup:
    """Ask the registry (outside any transaction), then record the audit row in a transaction of its own."""
    request = plan.request
    at = services.clock.now()
    try:
        if services.registry is None:
            raise RegistryUnavailable(UnavailableReason.UNREACHABLE, "no population database configured")
        lookup = Lookup(request, at, result=services.registry.lookup(request))
    except RegistryUnavailable as exc:
        # Only the request id and the reason: no number, no name, nothing the registry holds.
        log.warning("population database unavailable (request %s): %s", request.request_id, exc.reason.value)
        lookup = Lookup(request, at, unavailable=exc)
    with transaction() as uow:
        row = audit_row(lookup)
        row.dossier_id = plan.dossier_id
        uow.session.add(row)
    return lookup


def file_verified(
    services: Services,
    transaction: Transaction,
    actor: Actor,
    cmd: FileDossier,
    view: Callable[[UnitOfWork, DossierRow], T],
) -> T:
    """File a dossier with the person who files looked up first; `view` renders it inside the last unit.

    Refused before any lookup when the filing is invalid; refused after it when the registry does not know
    the number or it names someone else; filed unverified (with the officer's verification task) when the
    registry does not answer.
    """
    with transaction() as uow:
        plan = plan_filing(services, uow, actor, cmd)
    lookup = audited_lookup(services, transaction, plan) if plan else None
    with transaction() as uow:
        dossier = file_dossier(services, uow, actor, cmd, lookup)
        return view(uow, dossier)


def prefill_form(
    services: Services,
    transaction: Transaction,
    actor: Actor,
    procedure: str,
    form: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The procedure's e-form with the citizen's own record filled in (điền sẵn từ CSDL dân cư)."""
    with transaction() as uow:
        version = current_version(uow, procedure)
        definition = definition_of(version)
        group = services.forms.registry_group(form_key(uow, services.forms, version))
        if group is None:
            raise Conflict(
                f"Biểu mẫu của thủ tục «{definition.name}» không khai thác thông tin từ {SOURCE}.",
                "This procedure's e-form takes nothing from the population database.",
                code="NoRegistryFields",
            )
        if not actor.has(Role.CITIZEN) or not actor.identity_number:
            raise Forbidden(
                "Chỉ công dân đăng nhập bằng tài khoản định danh mới được điền sẵn thông tin của chính mình; "
                "cán bộ chỉ tra cứu trong hồ sơ của cơ quan mình.",
                "Only a citizen signed in with an identity number may pre-fill their own data; "
                "staff look people up only within a dossier of their agency.",
            )
        purpose = f"Điền sẵn tờ khai thủ tục «{definition.name}» cho chính công dân"
        plan = plan_lookup(actor, definition, purpose, actor.identity_number)
    lookup = audited_lookup(services, transaction, plan)
    result = _answer_or_raise(lookup)
    assert result.resident is not None
    filled, paths = prefill(group, form, result.resident)
    return {
        "procedure": definition.code,
        "form": filled,
        "prefilled": paths,
        "source": SOURCE,
        "request_id": lookup.request.request_id,
        "looked_up_at": iso(lookup.at),
    }


def prefill_at_counter(
    services: Services,
    transaction: Transaction,
    actor: Actor,
    procedure: str,
    identity_number: str,
    *,
    form: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One-stop officer, for a walk-in citizen: the e-form and the applicant filled from their record.

    The citizen stands at the counter with the dossier being filed: the lookup is made on the officer's
    behalf, for that procedure at the officer's agency, and audited like every other.
    """
    number = identity_number.strip()
    with transaction() as uow:
        version = current_version(uow, procedure)
        definition = definition_of(version)
        group = services.forms.registry_group(form_key(uow, services.forms, version))
        if not actor.has(Role.OFFICER) or not actor.agency:
            raise Forbidden(
                "Chỉ cán bộ Bộ phận Một cửa mới tra cứu thông tin công dân đến nộp hồ sơ trực tiếp.",
                "Only a one-stop officer looks up a citizen filing at the counter.",
            )
        problem = identity_problem(number, today=to_local(services.clock.now()).date())
        if problem is not None:
            raise InvalidInput(
                "Số định danh cá nhân chưa hợp lệ.",
                "Invalid identification number.",
                {"identity_number": problem},
            )
        if group is None:
            raise Conflict(
                f"Biểu mẫu của thủ tục «{definition.name}» không khai thác thông tin từ {SOURCE}.",
                "This procedure's e-form takes nothing from the population database.",
                code="NoRegistryFields",
            )
        purpose = f"Tiếp nhận trực tiếp hồ sơ thủ tục «{definition.name}» tại Bộ phận Một cửa {actor.agency}"
        plan = plan_lookup(actor, definition, purpose, number)
    lookup = audited_lookup(services, transaction, plan)
    result = _answer_or_raise(lookup)
    resident = result.resident
    assert resident is not None
    filled, paths = prefill(group, form, resident)
    return {
        "procedure": definition.code,
        "form": filled,
        "prefilled": paths,
        "applicant": {
            "full_name": resident.full_name,
            "identity_number": resident.identity_number,
            "date_of_birth": resident.date_of_birth.isoformat(),
            "sex": resident.sex,
            "address": resident.current_address.one_line(),
        },
        "source": SOURCE,
        "request_id": lookup.request.request_id,
        "looked_up_at": iso(lookup.at),
    }


def _answer_or_raise(lookup: Lookup) -> LookupResult:
    if lookup.unavailable is not None:
        raise Unavailable(
            f"Chưa tra cứu được {SOURCE} ({lookup.unavailable.reason.label}). "
            "Vui lòng thử lại sau hoặc tự nhập thông tin; hồ sơ vẫn nộp được.",
            f"The population database did not answer ({lookup.unavailable.reason.value}); "
            "try again later or type the data in — filing still works.",
            code="RegistryUnavailable",
        )
    assert lookup.result is not None
    if lookup.result.status is not LookupStatus.FOUND:
        raise NotFound(
            f"Không tìm thấy thông tin của số định danh này trong {SOURCE}.",
            "The population database holds no record for this identification number.",
            code="ResidentNotFound",
        )
    return lookup.result


def verify_dossier(
    services: Services,
    transaction: Transaction,
    actor: Actor,
    code: str,
    payload: dict[str, Any],
    *,
    view: Callable[[UnitOfWork, DossierRow], T],
    task_id: str | None = None,
) -> T:
    """One-stop officer: verify the applicant again with the registry, or record an in-person check."""
    method, note = _verify_payload(payload)
    with transaction() as uow:
        dossier = _verifiable(uow, actor, code)
        version = uow.session.get(ProcedureVersionRow, dossier.procedure_version_id)
        assert version is not None
        definition = definition_of(version)
        group = services.forms.registry_group(form_key(uow, services.forms, version))
        if method == "in_person":
            _record_in_person(uow, dossier, actor, services, note=note, task_id=task_id)
            return view(uow, dossier)
        purpose = f"Xác minh người nộp hồ sơ {dossier.code}"
        plan = plan_for_form(group, dossier.form, definition, purpose, actor, dossier_id=row_id(dossier))
        if plan is None:
            raise Conflict(
                f"Hồ sơ không có số định danh của người nộp để tra cứu {SOURCE}.",
                "The dossier names no identification number to look up.",
                code="NoRegistryFields",
            )
    lookup = audited_lookup(services, transaction, plan)
    if lookup.unavailable is not None:
        _answer_or_raise(lookup)  # 503: nothing changed, the task stays with the officer
    with transaction() as uow:
        dossier = _verifiable(uow, actor, code, lock=True)
        verdict = judge_lookup(group, dossier.form, lookup)
        record_check(uow, dossier, actor, lookup, verdict, at=services.clock.now(), task_id=task_id)
        _touch(uow, dossier, services)
        return view(uow, dossier)


def _verify_payload(payload: dict[str, Any]) -> tuple[str, str | None]:
    method = payload.get("method") or payload.get("decision") or "registry"  # a task's form says "decision"
    note = payload.get("note")
    errors: dict[str, FieldError] = {}
    if method not in VERIFY_METHODS:
        errors["method"] = FieldError(
            "Cách xác minh phải là «registry» (tra cứu lại CSDL dân cư) "
            "hoặc «in_person» (đối chiếu giấy tờ bản gốc).",
            "Method must be registry (look up again) or in_person (original ID card checked).",
        )
    if method == "in_person" and (not isinstance(note, str) or len(note.strip()) < 5):
        errors["note"] = FieldError(
            "Vui lòng ghi rõ giấy tờ đã đối chiếu (ví dụ: thẻ Căn cước bản gốc số ...).",
            "Say which original paper was checked.",
        )
    errors |= limits.check_lengths({"note": (note, limits.NOTE)})
    if errors:
        raise InvalidInput("Yêu cầu xác minh chưa hợp lệ.", "The verification request is invalid.", errors)
    return str(method), note.strip() if isinstance(note, str) else None


def _verifiable(uow: UnitOfWork, actor: Actor, code: str, *, lock: bool = False) -> DossierRow:
    dossier = load_for(uow, actor, code, lock=lock)
    require_staff(actor, dossier, Role.OFFICER)
    if Status(dossier.status) not in OPEN:
        raise Conflict(
            f"Hồ sơ đã ở trạng thái «{Status(dossier.status).label}», không cần xác minh thêm.",
            f"The dossier is '{Status(dossier.status).label_en}'; there is nothing left to verify.",
            code="NotVerifiable",
        )
    return dossier


def _record_in_person(
    uow: UnitOfWork,
    dossier: DossierRow,
    actor: Actor,
    services: Services,
    *,
    note: str | None,
    task_id: str | None,
) -> None:
    now = services.clock.now()
    uow.session.add(
        RegistryCheckRow(
            dossier_id=row_id(dossier),
            task_id=task_id,
            at=now,
            outcome=Outcome.IN_PERSON,
            actor_subject=actor.subject,
            actor_name=actor.display,
            note=note,
        )
    )
    record_submission(uow, dossier, actor, "verify:in_person", {"note": note}, at=now, task_id=task_id)
    close_verification_tasks(uow, dossier)
    _touch(uow, dossier, services)


def _touch(uow: UnitOfWork, dossier: DossierRow, services: Services) -> None:
    """Bump the dossier's version: two officers verifying at once get a conflict, not two checks."""
    dossier.updated_at = services.clock.now()
    uow.session.add(dossier)
    uow.flush()


def verification_task_dossier(uow: UnitOfWork, actor: Actor, task_id: str) -> str | None:
    """The dossier code when `task_id` is a verification task the actor may work; None for any other task."""
    task = uow.session.get(WorkTaskRow, task_id)
    if task is None or task.kind != VERIFICATION:
        return None
    dossier = uow.session.get(DossierRow, task.dossier_id)
    if dossier is None or not can_see(actor, dossier):
        return None  # the ordinary task path answers 404, as for any task one may not see
    if task.assignee and task.assignee != actor.subject:
        raise Conflict(
            f"Công việc đang do {task.assignee_name or task.assignee} xử lý.",
            f"The task is claimed by {task.assignee_name or task.assignee}.",
            code="TaskClaimed",
        )
    return dossier.code


def lookups(
    uow: UnitOfWork, actor: Actor, *, limit: int = 50, before_id: int | None = None
) -> list[dict[str, Any]]:
    """The audit of lookups the actor may read, newest first.

    A citizen sees who looked them up; staff and supervisors the lookups made by their agency; an
    administrator all of them.
    """
    query = select(ResidentLookupRow, DossierRow.code).join(
        DossierRow, col(DossierRow.id) == ResidentLookupRow.dossier_id, isouter=True
    )
    if actor.has(Role.ADMIN):
        pass
    elif (actor.is_staff or actor.has(Role.SUPERVISOR)) and actor.agency:
        query = query.where(ResidentLookupRow.actor_agency == actor.agency)
    elif actor.has(Role.CITIZEN) and actor.identity_number:
        query = query.where(ResidentLookupRow.subject_number == actor.identity_number)
    else:
        raise Forbidden(
            "Bạn không có quyền xem nhật ký tra cứu dân cư.", "You may not read the lookup audit."
        )
    if before_id is not None:
        query = query.where(col(ResidentLookupRow.id) < before_id)
    rows = uow.session.exec(
        query.order_by(col(ResidentLookupRow.id).desc()).limit(max(1, min(limit, AUDIT_PAGE)))
    )
    return [
        {
            "id": row.id,
            "request_id": row.request_id,
            "at": iso(row.at),
            "by": {"name": row.actor_name, "role": row.actor_role, "agency": row.actor_agency},
            "identity_number": row.subject_number,
            "dossier": dossier_code,
            "procedure": row.procedure_code,
            "purpose": row.purpose,
            "outcome": row.outcome,
            "reason": row.reason,
        }
        for row, dossier_code in rows.all()
    ]
