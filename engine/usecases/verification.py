"""The dossier's applicant against the population database, inside one unit of work.

What a lookup is for (`LookupPlan`), what came of it (`Lookup`, audited by engine/usecases/residents.py in a
transaction of its own), and what the dossier keeps: a `registry_check` row per check (which form fields were
verified, when, by which request id — or why they could not be) and, while unverified, a verification task for
the one-stop officer of its agency.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import col, delete, select, update

from engine.actor import Actor, Role
from engine.clock import to_local
from engine.errors import FieldError
from engine.forms import RegistryGroup
from engine.procedure import ProcedureDefinition
from engine.residents.prefill import Verdict, declared, group_path, judge
from engine.residents.registry import (
    LookupRequest,
    LookupResult,
    RegistryUnavailable,
    Requester,
    UnavailableReason,
)
from engine.store.db import UnitOfWork
from engine.store.models import DossierRow, RegistryCheckRow, ResidentLookupRow, WorkTaskRow, row_id
from engine.usecases.worklist import list_fields

VERIFICATION = "verification"  # WorkTaskRow.kind and step of the officer's verification task
VERIFICATION_TITLE = "Xác minh thông tin người nộp với Cơ sở dữ liệu quốc gia về dân cư"
VERIFY_METHODS = ("registry", "in_person")


class Outcome:
    """Values of `registry_check.outcome`."""

    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    MISMATCH = "mismatch"
    IN_PERSON = "verified_in_person"


OUTCOME_LABELS = {
    Outcome.VERIFIED: "Đã xác minh với CSDL quốc gia về dân cư",
    Outcome.UNVERIFIED: "Chưa xác minh được với CSDL quốc gia về dân cư",
    Outcome.MISMATCH: "Thông tin không khớp với CSDL quốc gia về dân cư",
    Outcome.IN_PERSON: "Cán bộ đã đối chiếu giấy tờ tùy thân bản gốc",
}


@dataclass(frozen=True)
class LookupPlan:
    """A lookup that was authorized: the request to send, and the dossier it is made for."""

    request: LookupRequest
    dossier_id: int | None = None


def plan_lookup(
    actor: Actor,
    definition: ProcedureDefinition,
    purpose: str,
    number: str,
    *,
    full_name: str | None = None,
    date_of_birth: date | None = None,
    dossier_id: int | None = None,
) -> LookupPlan:
    """The request for one person, with a fresh request id, on behalf of the actor and the procedure."""
    request = LookupRequest(
        request_id=str(uuid.uuid4()),
        identity_number=number,
        requester=requester(actor),
        service_code=definition.code,
        service_name=definition.name,
        purpose=purpose,
        full_name=full_name,
        date_of_birth=date_of_birth,
    )
    return LookupPlan(request, dossier_id)


@dataclass(frozen=True)
class Lookup:
    """An audited lookup: the request as sent, when, and the answer or why there was none."""

    request: LookupRequest
    at: datetime
    result: LookupResult | None = None
    unavailable: RegistryUnavailable | None = None


def requester(actor: Actor) -> Requester:
    """The requesting officer or citizen, as the platform's audit names them."""
    order = (Role.OFFICER, Role.SPECIALIST, Role.LEADER, Role.SUPERVISOR, Role.ADMIN, Role.CITIZEN)
    role = next((r.value for r in order if actor.has(r)), "system")
    return Requester(subject=actor.subject, name=actor.display, role=role, agency=actor.agency)


def audit_row(lookup: Lookup) -> ResidentLookupRow:
    """The audit row of a lookup: who, which dossier, why, request id, outcome — nothing the registry said."""
    request = lookup.request
    return ResidentLookupRow(
        request_id=request.request_id,
        at=lookup.at,
        actor_subject=request.requester.subject,
        actor_name=request.requester.name,
        actor_role=request.requester.role,
        actor_agency=request.requester.agency,
        subject_number=request.identity_number,
        procedure_code=request.service_code,
        purpose=request.purpose,
        outcome=lookup.result.status.value if lookup.result else "unavailable",
        reason=lookup.unavailable.reason.value if lookup.unavailable else None,
        cached=bool(lookup.result and lookup.result.cached),
    )


def plan_for_form(
    group: RegistryGroup | None,
    form: object,
    definition: ProcedureDefinition,
    purpose: str,
    actor: Actor,
    *,
    dossier_id: int | None = None,
) -> LookupPlan | None:
    """The lookup of the person who files, with the name and birth date the form declares (None: no one)."""
    person = declared(group, form) if group is not None else None
    if person is None or person.identity_number is None:
        return None
    return plan_lookup(
        actor,
        definition,
        purpose,
        person.identity_number,
        full_name=person.full_name,
        date_of_birth=person.date_of_birth,
        dossier_id=dossier_id,
    )


def filer_problems(
    group: RegistryGroup | None, form: object, actor: Actor, channel: str
) -> dict[str, FieldError]:
    """Online, the person who files is the signed-in citizen: nobody looks up someone else's record."""
    if group is None or channel != "online" or not actor.identity_number or group.key is None:
        return {}
    number = declared(group, form).identity_number
    if number is None or number == actor.identity_number:
        return {}
    return {
        group_path(group, group.key, "form"): FieldError(
            "Số định danh của người kê khai phải trùng với tài khoản đang đăng nhập: "
            "chỉ được khai thác thông tin dân cư của chính mình.",
            "The declarant's identification number must match the signed-in account: "
            "a citizen may look up only their own record.",
        )
    }


def judge_lookup(group: RegistryGroup | None, form: object, lookup: Lookup | None) -> Verdict | None:
    """Hold the form against the registry's answer; None when there was no answer to hold it against."""
    if group is None or lookup is None or lookup.result is None:
        return None
    return judge(group, form, lookup.result)


def record_check(
    uow: UnitOfWork,
    dossier: DossierRow,
    actor: Actor,
    lookup: Lookup,
    verdict: Verdict | None,
    *,
    at: datetime,
    task_id: str | None = None,
) -> RegistryCheckRow:
    """Keep what a lookup established; unverified or disagreeing → a task for the one-stop officer."""
    dossier_id = row_id(dossier)
    uow.session.exec(
        update(ResidentLookupRow)
        .where(col(ResidentLookupRow.request_id) == lookup.request.request_id)
        .values(dossier_id=dossier_id)
    )
    fields: list[str] = []
    if lookup.unavailable is not None:
        outcome, reason = Outcome.UNVERIFIED, lookup.unavailable.reason.value
    elif verdict is not None and verdict.errors:
        outcome, reason = Outcome.MISMATCH, ", ".join(sorted(verdict.errors))
    else:
        outcome, reason, fields = Outcome.VERIFIED, None, list(verdict.verified if verdict else [])
    row = RegistryCheckRow(
        dossier_id=dossier_id,
        task_id=task_id if outcome == Outcome.VERIFIED else None,
        request_id=lookup.request.request_id,
        at=at,
        outcome=outcome,
        reason=reason,
        fields=fields,
        actor_subject=actor.subject,
        actor_name=actor.display,
    )
    uow.session.add(row)
    if outcome == Outcome.VERIFIED:
        close_verification_tasks(uow, dossier)
    else:
        open_verification_task(uow, dossier, at)
    return row


def open_verification_task(uow: UnitOfWork, dossier: DossierRow, at: datetime) -> WorkTaskRow:
    """The one-stop officer's task to verify the applicant (one at a time per dossier)."""
    existing = uow.session.exec(
        select(WorkTaskRow).where(WorkTaskRow.dossier_id == dossier.id, WorkTaskRow.kind == VERIFICATION)
    ).first()
    if existing is not None:
        return existing
    task = WorkTaskRow(
        id=f"verify-{uuid.uuid4()}",
        dossier_id=row_id(dossier),
        kind=VERIFICATION,
        spec_name="registry_verification",
        title=VERIFICATION_TITLE,
        role=Role.OFFICER.value,
        agency_code=dossier.agency_code,
        step=VERIFICATION,
        decisions=",".join(VERIFY_METHODS),
        ready_at=at,
        **list_fields(dossier, at),
    )
    uow.session.add(task)
    return task


def close_verification_tasks(uow: UnitOfWork, dossier: DossierRow) -> None:
    """The applicant is verified: nothing is left to check."""
    uow.session.exec(
        delete(WorkTaskRow).where(
            col(WorkTaskRow.dossier_id) == dossier.id, col(WorkTaskRow.kind) == VERIFICATION
        )
    )


def verification_view(uow: UnitOfWork, dossier: DossierRow) -> dict[str, Any] | None:
    """Where the applicant stands against the registry, with every check; None when never checked."""
    checks = uow.session.exec(
        select(RegistryCheckRow)
        .where(RegistryCheckRow.dossier_id == dossier.id)
        .order_by(col(RegistryCheckRow.id))
    ).all()
    if not checks:
        return None
    history = [
        {
            "outcome": c.outcome,
            "label": OUTCOME_LABELS.get(c.outcome, c.outcome),
            "at": to_local(c.at).isoformat(),
            "request_id": c.request_id,
            "fields": list(c.fields),
            "reason": c.reason,
            "reason_label": _reason_label(c),
            "by": c.actor_name,
            "note": c.note,
        }
        for c in checks
    ]
    return {**history[-1], "state": history[-1]["outcome"], "history": history}


def _reason_label(check: RegistryCheckRow) -> str | None:
    reason = check.reason or ""
    if check.outcome == Outcome.UNVERIFIED and reason in UnavailableReason._value2member_map_:
        return UnavailableReason(reason).label
    if check.outcome == Outcome.MISMATCH:
        return (
            "Thông tin người nộp trong hồ sơ khác với CSDL quốc gia về dân cư; cần đối chiếu giấy tờ bản gốc"
        )
    return None
