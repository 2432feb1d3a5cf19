"""The one-stop counter (Bộ phận Một cửa): the reception queue, the paper checklist, counter filing, returns.

Everything here is for a one-stop officer of one agency, on the dossiers of that agency only. The lists are
keyset pages over the index `(agency_code, status, id)`: a page costs the same however many dossiers the
agency holds. The decisions call the same use cases as the API (`receive`, `file_verified`, `complete`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.catalog import current_version, definition_of, form_key
from engine.document.kinds import DocumentKind
from engine.dossier.checklist import (
    ACCEPT,
    ChecklistVerdict,
    PaperCheck,
    judge_checklist,
    reception_payload,
)
from engine.dossier.status import Status
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput
from engine.procedure import Paper, ProcedureDefinition
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import (
    AgencyRow,
    DossierRow,
    ProcedureVersionRow,
    RegistryCheckRow,
    WorkTaskRow,
)
from engine.usecases.access import load_for, require_staff
from engine.usecases.documents import latest_of
from engine.usecases.dossiers import FileDossier, receive
from engine.usecases.queries import dossier_detail
from engine.usecases.residents import Transaction, file_verified
from engine.usecases.tasks import complete
from engine.usecases.verification import OUTCOME_LABELS, Outcome
from engine.usecases.version_migration import moved_answers_gaps

T = TypeVar("T")
MAX_PAGE = 100

# What the registry check said, as the queue shows it.
MATCHED, MISMATCH, UNCHECKED = "matched", "mismatch", "unchecked"
CHECK_LABELS = {
    MATCHED: ("Khớp CSDL dân cư", "Matches the population database"),
    MISMATCH: ("Không khớp CSDL dân cư", "Does not match the population database"),
    UNCHECKED: ("Chưa kiểm tra", "Not checked"),
}
_CHECK_STATE = {
    Outcome.VERIFIED: MATCHED,
    Outcome.IN_PERSON: MATCHED,
    Outcome.MISMATCH: MISMATCH,
    Outcome.UNVERIFIED: UNCHECKED,
}


def require_counter_officer(uow: UnitOfWork, actor: Actor) -> AgencyRow:
    """The officer's agency, which must host a one-stop counter; Forbidden for anyone else."""
    agency = uow.session.get(AgencyRow, actor.agency) if actor.agency else None
    if not actor.has(Role.OFFICER) or agency is None or not agency.has_counter:
        raise Forbidden(
            "Chỉ cán bộ Bộ phận Một cửa của cơ quan có Bộ phận Một cửa mới dùng được chức năng này.",
            "Only a one-stop officer of an agency with a one-stop counter may do this.",
        )
    return agency


@dataclass(frozen=True)
class RegistryState:
    """What the population-database check said about the applicant."""

    state: str  # matched | mismatch | unchecked
    outcome: str | None  # registry_check.outcome of the latest check, None when never checked
    at: datetime | None

    @property
    def label(self) -> str:
        """Vietnamese label of the state."""
        return CHECK_LABELS[self.state][0]

    @property
    def detail(self) -> str | None:
        """The latest check's own wording (e.g. why it could not be done)."""
        return OUTCOME_LABELS.get(self.outcome) if self.outcome else None


NOT_CHECKED = RegistryState(UNCHECKED, None, None)


@dataclass(frozen=True)
class QueueRow:
    """A dossier of a counter list, with its procedure and the registry check."""

    dossier: DossierRow
    procedure_name: str
    check: RegistryState
    task_id: str | None = None  # the ready return task (results to return)


@dataclass(frozen=True)
class QueuePage:
    """One keyset page: the rows and the cursor of the next page (None on the last)."""

    rows: list[QueueRow]
    next_after: int | None


def _page(uow: UnitOfWork, actor: Actor, status: Status, after: int | None, limit: int) -> QueuePage:
    agency = require_counter_officer(uow, actor)
    limit = max(1, min(limit, MAX_PAGE))
    query = select(DossierRow).where(DossierRow.agency_code == agency.code, DossierRow.status == int(status))
    if after is not None:
        query = query.where(col(DossierRow.id) > after)
    found = list(uow.session.exec(query.order_by(col(DossierRow.id)).limit(limit + 1)).all())
    dossiers = found[:limit]
    checks = _latest_checks(uow, [d.id for d in dossiers if d.id is not None])
    names = {
        d.procedure_version_id: _procedure_name(uow, d.procedure_version_id, d.procedure_code)
        for d in dossiers
    }
    rows = [
        QueueRow(
            d, names[d.procedure_version_id], checks.get(d.id or 0, RegistryState(UNCHECKED, None, None))
        )
        for d in dossiers
    ]
    return QueuePage(rows, dossiers[-1].id if len(found) > limit else None)


def reception_queue(uow: UnitOfWork, actor: Actor, *, after: int | None = None, limit: int = 50) -> QueuePage:
    """Online dossiers of the officer's agency waiting for reception (status 1), oldest first."""
    return _page(uow, actor, Status.NEW, after, limit)


def results_queue(uow: UnitOfWork, actor: Actor, *, after: int | None = None, limit: int = 50) -> QueuePage:
    """Dossiers of the officer's agency whose result is ready to return (status 9), oldest first."""
    page = _page(uow, actor, Status.DONE, after, limit)
    ids = [row.dossier.id for row in page.rows]
    tasks = uow.session.exec(
        select(WorkTaskRow).where(col(WorkTaskRow.dossier_id).in_(ids), WorkTaskRow.step == "return")
    ).all()
    by_dossier = {t.dossier_id: t.id for t in tasks}
    rows = [
        QueueRow(r.dossier, r.procedure_name, r.check, by_dossier.get(r.dossier.id or 0)) for r in page.rows
    ]
    return QueuePage(rows, page.next_after)


def _procedure_name(uow: UnitOfWork, version_id: int, fallback: str) -> str:
    version = uow.session.get(ProcedureVersionRow, version_id)  # the identity map: one read per version
    return version.name if version else fallback


def _latest_checks(uow: UnitOfWork, dossier_ids: list[int]) -> dict[int, RegistryState]:
    if not dossier_ids:
        return {}
    checks = uow.session.exec(
        select(RegistryCheckRow)
        .where(col(RegistryCheckRow.dossier_id).in_(dossier_ids))
        .order_by(col(RegistryCheckRow.id))
    ).all()
    latest = {c.dossier_id: c for c in checks}
    return {
        dossier_id: RegistryState(_CHECK_STATE.get(c.outcome, UNCHECKED), c.outcome, c.at)
        for dossier_id, c in latest.items()
    }


def registry_state(uow: UnitOfWork, dossier: DossierRow) -> RegistryState:
    """What the latest registry check of one dossier said."""
    return _latest_checks(uow, [dossier.id or 0]).get(dossier.id or 0, NOT_CHECKED)


def definition_for(uow: UnitOfWork, dossier: DossierRow) -> ProcedureDefinition:
    """The procedure version the dossier was filed under."""
    version = uow.session.get(ProcedureVersionRow, dossier.procedure_version_id)
    assert version is not None
    return definition_of(version)


def counter_dossier(uow: UnitOfWork, actor: Actor, code: str) -> DossierRow:
    """A dossier of the officer's own agency (404 for another agency's, as for an unknown code)."""
    require_counter_officer(uow, actor)
    dossier = load_for(uow, actor, code)
    require_staff(actor, dossier, Role.OFFICER)
    return dossier


def checklist_defaults(definition: ProcedureDefinition, dossier: DossierRow | None) -> dict[str, PaperCheck]:
    """What the checklist starts from: the kind declared for each paper in the dossier, else nothing."""
    listed = {p.get("key"): p for p in (dossier.papers if dossier else []) if isinstance(p, dict)}
    answers = {}
    for paper in definition.papers:
        entry = listed.get(paper.key)
        if entry is not None:
            answers[paper.key] = PaperCheck(
                str(entry.get("copies") or paper.copies), str(entry.get("note") or "")
            )
    return answers


@dataclass(frozen=True)
class CounterView:
    """One dossier as the counter sees it: its detail, the procedure's papers, the checklist to start from."""

    detail: dict[str, Any]  # engine/usecases/queries.py dossier_detail
    papers: list[Paper]
    checklist: dict[str, PaperCheck]
    check: RegistryState
    version: int
    receipt_id: int | None  # Mẫu 01, once received
    form_schema: dict[str, Any]  # the e-form of the dossier's own procedure version
    # Moved to another version: what its answers lack in that version's e-form (field path → error).
    answers_gaps: dict[str, FieldError] = field(default_factory=dict)


def counter_view(services: Services, uow: UnitOfWork, actor: Actor, code: str) -> CounterView:
    """What the officer needs to receive (or return) one dossier of their agency."""
    dossier = counter_dossier(uow, actor, code)
    row = uow.session.get(ProcedureVersionRow, dossier.procedure_version_id)
    assert row is not None
    definition = definition_of(row)
    receipt = latest_of(uow, DocumentKind.RECEIPT, dossier_id=dossier.id)
    form = form_key(uow, services.forms, row)
    return CounterView(
        detail=dossier_detail(services, uow, actor, code),
        papers=list(definition.papers),
        checklist=checklist_defaults(definition, dossier),
        check=registry_state(uow, dossier),
        version=dossier.version,
        receipt_id=receipt.id if receipt else None,
        form_schema=services.forms.schema(form),
        answers_gaps=moved_answers_gaps(services, uow, dossier, form),
    )


def receipt_id(uow: UnitOfWork, actor: Actor, code: str) -> int | None:
    """The id of the dossier's receipt (Mẫu 01), for the officer of its agency."""
    dossier = counter_dossier(uow, actor, code)
    receipt = latest_of(uow, DocumentKind.RECEIPT, dossier_id=dossier.id)
    return receipt.id if receipt else None


@dataclass
class Reception:
    """The officer's reception of one dossier: the checklist and the decision taken from it."""

    decision: str
    checklist: Mapping[str, PaperCheck] = field(default_factory=dict)
    refusal_reason: str = ""
    note: str = ""
    version: int | None = None  # the dossier version the officer's form was built on


def stale_form(dossier: DossierRow) -> Conflict:
    """Another officer acted on the dossier since the form was shown."""
    status = Status(dossier.status)
    return Conflict(
        f"Hồ sơ vừa được cán bộ khác xử lý, hiện ở trạng thái «{status.label}». "
        "Vui lòng xem lại thông tin hiện tại của hồ sơ.",
        f"Another officer acted on this dossier first; it is now '{status.label_en}'.",
        code="StaleForm",
    )


def receive_checked(
    services: Services, uow: UnitOfWork, actor: Actor, code: str, cmd: Reception
) -> tuple[DossierRow, ChecklistVerdict]:
    """Receive a dossier from the paper checklist: accept, supplement (Mẫu 02 from it) or refuse.

    The decision must follow from the checklist (engine/dossier/checklist.py). On acceptance the dossier's
    papers become what was handed in, so that the receipt (Mẫu 01) prints them as checked.
    """
    require_counter_officer(uow, actor)
    dossier = load_for(uow, actor, code, lock=True)
    require_staff(actor, dossier, Role.OFFICER)
    if Status(dossier.status) is not Status.NEW or (
        cmd.version is not None and cmd.version != dossier.version
    ):
        raise stale_form(dossier)
    verdict = judge_checklist(definition_for(uow, dossier).papers, cmd.checklist)
    payload = reception_payload(verdict, cmd.decision, reason=cmd.refusal_reason, note=cmd.note)
    if cmd.decision == ACCEPT:
        dossier.papers = _merge_papers(dossier.papers, verdict.handed_in())
        uow.session.add(dossier)
        uow.flush()
    return receive(services, uow, actor, code, payload), verdict


def _merge_papers(filed: list[dict[str, Any]], checked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The papers as checked, keeping what the filing recorded about each (e.g. the upload's reference)."""
    by_key = {p.get("key"): p for p in filed if isinstance(p, dict)}
    return [{**by_key.get(p["key"], {}), **p} for p in checked]


@dataclass
class CounterFiling:
    """A walk-in citizen's dossier as the officer enters it at the counter."""

    procedure: str
    applicant: dict[str, Any]
    form: dict[str, Any]
    checklist: Mapping[str, PaperCheck] = field(default_factory=dict)


def file_at_counter(
    services: Services,
    transaction: Transaction,
    actor: Actor,
    cmd: CounterFiling,
    view: Callable[[UnitOfWork, DossierRow], T],
) -> T:
    """File for a walk-in citizen (channel counter): received at once (status 2 then 4), receipt issued.

    A counter dossier is received only complete: with a paper missing, the officer guides the citizen
    instead (nothing is filed).
    """
    with transaction() as uow:
        agency = require_counter_officer(uow, actor)
        definition = definition_of(current_version(uow, cmd.procedure))
        verdict = judge_checklist(definition.papers, cmd.checklist)
        errors: dict[str, FieldError] = dict(verdict.errors)
        if not errors:
            for item in verdict.deficient:
                errors[f"checklist.{item.paper.key}.received"] = FieldError(
                    f"Hồ sơ nộp trực tiếp chỉ được tiếp nhận khi đủ giấy tờ: «{item.paper.name}» còn thiếu "
                    "hoặc chưa đúng. Hướng dẫn công dân bổ sung rồi nộp lại.",
                    f"A counter dossier is received only complete: '{item.paper.key}' is missing or wrong.",
                )
        if errors:
            raise InvalidInput(
                "Hồ sơ chưa đủ giấy tờ để tiếp nhận trực tiếp.",
                "The dossier's papers are not complete enough to receive it at the counter.",
                errors,
                code="ChecklistInvalid",
            )
    filing = FileDossier(
        procedure=cmd.procedure,
        agency=agency.code,
        channel="counter",
        applicant=cmd.applicant,
        form=cmd.form,
        papers=verdict.handed_in(),
    )
    return file_verified(services, transaction, actor, filing, view)


def return_result(
    services: Services, uow: UnitOfWork, actor: Actor, code: str, payload: dict[str, Any]
) -> DossierRow:
    """Trả kết quả: complete the dossier's return task (at the counter, by post or online) → status 10."""
    dossier = counter_dossier(uow, actor, code)
    task = uow.session.exec(
        select(WorkTaskRow).where(WorkTaskRow.dossier_id == dossier.id, WorkTaskRow.step == "return")
    ).first()
    if Status(dossier.status) is not Status.DONE or task is None:
        raise stale_form(dossier)
    return complete(services, uow, actor, task.id, payload)
