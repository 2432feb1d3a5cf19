"""Issue documents when a change calls for them (docs/domain.md §4, §7), in the change's own unit of work.

Reception → receipt (Mẫu 01) and a register line (Mẫu 06); a supplement request → Mẫu 02; refusal at
reception → Mẫu 03; an apology with a new appointment → Mẫu 04; approval (status 9) → the result;
withdrawal or a stop → the stop notice; return → the register line is completed. The control sheet (Mẫu 05)
and the register (Mẫu 06) are issued on demand. A row records what is due and the data it prints; it is
rendered to PDF outside the engine (engine/document/rendering.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import defer
from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.catalog import definition_of
from engine.clock import to_local
from engine.document.kinds import (
    GENERIC_RESULT,
    REGISTER_SERIES,
    DocumentKind,
    DocumentStatus,
    content_hash,
    result_template,
)
from engine.document.snapshot import (
    agency_view,
    applicant_view,
    contact_of,
    dossier_view,
    extension_view,
    handover_view,
    local_iso,
    missing_papers,
    papers_view,
    procedure_view,
)
from engine.dossier.status import CITIZEN_HOLDS, Status
from engine.errors import Forbidden
from engine.procedure import ProcedureDefinition
from engine.store.db import UnitOfWork
from engine.store.models import (
    AgencyRow,
    DocumentRow,
    DossierRow,
    ExtensionRow,
    HandoverRow,
    ProcedureVersionRow,
    RegisterEntryRow,
    row_id,
)
from engine.store.sequence import next_number
from engine.usecases.access import load_for

if TYPE_CHECKING:
    from engine.usecases.progress import DossierContext

STOP_REASONS = {
    Status.WITHDRAWN: "Người nộp hồ sơ đề nghị rút hồ sơ",
    Status.STOPPED: "Quá thời hạn bổ sung, hoàn thiện hồ sơ theo yêu cầu mà người nộp chưa bổ sung",
}


def record(
    uow: UnitOfWork,
    kind: DocumentKind,
    *,
    agency: AgencyRow | None,
    agency_code: str,
    at: datetime,
    issued_by: str,
    body: dict[str, Any],
    dossier: DossierRow | None = None,
    template: str | None = None,
    number: int | None = None,
    series: str | None = None,
    year: int | None = None,
) -> DocumentRow:
    """Add a pending document: its number (from `series`), its data snapshot and the content hash.

    `year` (the year it belongs to, numbering included) defaults to the local year of `at`.
    """
    year = year or to_local(at).year
    if number is None and series is not None:
        number = next_number(uow, agency_code, year, series)
    data = {
        "document": {
            "kind": kind.value,
            "title": kind.heading,
            "number": number,
            "year": year,
            "issued_at": local_iso(at),
            "issued_by": issued_by,
        },
        "agency": agency_view(agency, agency_code),
        **body,
    }
    row = DocumentRow(
        dossier_id=row_id(dossier) if dossier else None,
        agency_code=agency_code,
        kind=kind.value,
        year=year,
        number=number,
        template=template or f"{kind.value}.html",
        data=data,
        content_hash=content_hash(data),
        status=DocumentStatus.PENDING.value,
        issued_at=at,
        issued_by=issued_by,
    )
    uow.session.add(row)
    return row


def about(dossier: DossierRow, definition: ProcedureDefinition) -> dict[str, Any]:
    """What every document about a dossier prints: the dossier, its procedure and the applicant."""
    return {
        "dossier": dossier_view(dossier),
        "procedure": procedure_view(definition),
        "applicant": applicant_view(dossier),
    }


def _issue(
    ctx: DossierContext,
    kind: DocumentKind,
    actor: Actor,
    at: datetime,
    body: dict[str, Any],
    *,
    template: str | None = None,
    number: int | None = None,
) -> DocumentRow:
    """A document about the dossier of `ctx`, numbered in its kind's series unless `number` is given."""
    d = ctx.dossier
    return record(
        ctx.uow,
        kind,
        agency=ctx.uow.session.get(AgencyRow, d.agency_code),
        agency_code=d.agency_code,
        at=at,
        issued_by=actor.display,
        dossier=d,
        template=template,
        number=number,
        series=None if number is not None else kind.value,
        body={**about(d, ctx.definition), **body},
    )


def status_moved(
    ctx: DossierContext, current: Status, target: Status, actor: Actor, at: datetime, *, note: str | None
) -> None:
    """Issue what a status change calls for (the hook of `move_status`, after the clock effects).

    `current` is the status the change left: RECEIVED when the dossier was just received from NEW.
    """
    if target is Status.PROCESSING and (
        current is Status.RECEIVED or (current in CITIZEN_HOLDS and not _has_receipt(ctx))
    ):
        issue_receipt(ctx, actor, at)
    elif target is Status.SUPPLEMENT:
        _issue_supplement_request(ctx, current, actor, at)
    elif target is Status.NOT_RECEIVED:
        reason = _decision(ctx, "reception").get("refusal_reason") or note
        _issue(ctx, DocumentKind.REFUSAL, actor, at, {"reason": reason, "officer": actor.display})
    elif target is Status.DONE:
        _issue_result(ctx, actor, at)
    elif target in STOP_REASONS:
        _issue(
            ctx,
            DocumentKind.STOP_NOTICE,
            actor,
            at,
            {"cause": target.name.lower(), "reason": STOP_REASONS[target], "note": note},
        )
    elif target is Status.RETURNED:
        _register_return(ctx, at)


def _has_receipt(ctx: DossierContext) -> bool:
    found = ctx.uow.session.exec(
        select(DocumentRow.id).where(
            DocumentRow.dossier_id == ctx.dossier.id, DocumentRow.kind == DocumentKind.RECEIPT.value
        )
    ).first()
    return found is not None


def _decision(ctx: DossierContext, step: str) -> dict[str, Any]:
    value = ctx.services.runtime.data(ctx.instance).get(step)
    return value if isinstance(value, dict) else {}


def issue_receipt(ctx: DossierContext, actor: Actor, at: datetime) -> DocumentRow:
    """Mẫu 01 with the appointment, and the dossier's line in the agency's register of the year."""
    d = ctx.dossier
    assert d.received_at is not None
    year = to_local(d.received_at).year
    number = next_number(ctx.uow, d.agency_code, year, REGISTER_SERIES)
    ctx.uow.session.add(
        RegisterEntryRow(
            agency_code=d.agency_code,
            year=year,
            number=number,
            dossier_id=row_id(d),
            received_at=d.received_at,
        )
    )
    agency = ctx.uow.session.get(AgencyRow, d.agency_code)
    return _issue(
        ctx,
        DocumentKind.RECEIPT,
        actor,
        at,
        {
            "papers": papers_view(d, ctx.definition),
            "sets": 1,
            "register": {"year": year, "number": number},
            "result_place": contact_of(agency),
            "officer": actor.display,
        },
        number=number,
    )


def _issue_supplement_request(ctx: DossierContext, current: Status, actor: Actor, at: datetime) -> None:
    """Mẫu 02 from the decision that asked for it (at reception, or later during processing)."""
    if current is Status.NEW:
        stage, decision = "reception", _decision(ctx, "reception")
    else:
        data = ctx.services.runtime.data(ctx.instance)
        found = [
            (key, value)
            for key, value in data.items()
            if key != "reception" and isinstance(value, dict) and value.get("decision") == "supplement"
        ]
        stage, decision = found[-1] if found else ("processing", {})
    agency = ctx.uow.session.get(AgencyRow, ctx.dossier.agency_code)
    _issue(
        ctx,
        DocumentKind.SUPPLEMENT_REQUEST,
        actor,
        at,
        {
            "stage": stage,
            "items": missing_papers(decision),
            "note": decision.get("opinion") or decision.get("note"),
            "contact": contact_of(agency),
            "officer": actor.display,
        },
    )


def _issue_result(ctx: DossierContext, actor: Actor, at: datetime) -> None:
    """The result at approval (status 9): the procedure's own result, or the reasoned refusal."""
    approved = ctx.dossier.outcome != "refused"
    own = result_template(ctx.services.forms.root / "documents", ctx.definition.slug) or GENERIC_RESULT
    template = own if approved else "results/refusal.html"
    _issue(
        ctx,
        DocumentKind.RESULT,
        actor,
        at,
        {
            "outcome": "approved" if approved else "refused",
            "reason": None if approved else _decision(ctx, "approval").get("reason"),
            "form": ctx.dossier.form,
            "signer": actor.display,
        },
        template=template,
    )


def issue_apology(ctx: DossierContext, extension: ExtensionRow, actor: Actor, at: datetime) -> DocumentRow:
    """Mẫu 04: the apology with the new appointment, signed by the head of the agency."""
    return _issue(ctx, DocumentKind.APOLOGY, actor, at, {"extension": extension_view(extension)})


def _register_return(ctx: DossierContext, at: datetime) -> None:
    entry = ctx.uow.session.exec(
        select(RegisterEntryRow).where(RegisterEntryRow.dossier_id == ctx.dossier.id)
    ).first()
    if entry is None:
        return
    entry.returned_at = at
    entry.return_method = _decision(ctx, "return").get("method")
    ctx.uow.session.add(entry)


def dossier_documents(uow: UnitOfWork, dossier: DossierRow) -> list[DocumentRow]:
    """The documents of a dossier, oldest first (the PDF bytes are not loaded)."""
    query = (
        select(DocumentRow)
        .where(DocumentRow.dossier_id == dossier.id)
        .options(defer(DocumentRow.content))  # type: ignore[arg-type]
        .order_by(col(DocumentRow.id))
    )
    return list(uow.session.exec(query).all())


def document_view(row: DocumentRow) -> dict[str, Any]:
    """What the API shows of a document (its PDF is downloaded from `href`)."""
    return {
        "id": row.id,
        "kind": row.kind,
        "title": DocumentKind(row.kind).heading,
        "number": row.number,
        "year": row.year,
        "issued_at": local_iso(row.issued_at),
        "issued_by": row.issued_by,
        "status": row.status,
        "content_hash": row.content_hash,
        "sha256": row.sha256,
        "size": row.size,
        "href": f"/api/v1/documents/{row.id}",
    }


def latest_of(uow: UnitOfWork, kind: DocumentKind, **where: Any) -> DocumentRow | None:
    """The newest document of a kind matching column values (e.g. dossier_id, or agency_code and year)."""
    query = select(DocumentRow).where(DocumentRow.kind == kind.value)
    for name, value in where.items():
        query = query.where(getattr(DocumentRow, name) == value)
    return uow.session.exec(
        query.options(defer(DocumentRow.content)).order_by(col(DocumentRow.id).desc())  # type: ignore[arg-type]
    ).first()


def issue_control_sheet(uow: UnitOfWork, actor: Actor, code: str, at: datetime) -> tuple[DocumentRow, bool]:
    """Mẫu 05 from the hand-over log as it stands; the same log again gives back the same document.

    Returns the document and whether it is new. Staff and supervisors of the dossier's agency only.
    """
    dossier = load_for(uow, actor, code)
    if actor.agency != dossier.agency_code or not (actor.is_staff or actor.has(Role.SUPERVISOR)):
        raise Forbidden(
            "Chỉ cán bộ của cơ quan giải quyết mới lập phiếu kiểm soát quá trình giải quyết hồ sơ.",
            "Only staff of the dossier's agency issue the control sheet.",
        )
    rows = uow.session.exec(
        select(HandoverRow).where(HandoverRow.dossier_id == dossier.id).order_by(col(HandoverRow.id))
    ).all()
    handovers = [handover_view(row) for row in rows]
    latest = latest_of(uow, DocumentKind.CONTROL_SHEET, dossier_id=dossier.id)
    if latest is not None and latest.data.get("handovers") == handovers:
        return latest, False
    version = uow.session.get(ProcedureVersionRow, dossier.procedure_version_id)
    assert version is not None
    row = record(
        uow,
        DocumentKind.CONTROL_SHEET,
        agency=uow.session.get(AgencyRow, dossier.agency_code),
        agency_code=dossier.agency_code,
        at=at,
        issued_by=actor.display,
        dossier=dossier,
        series=DocumentKind.CONTROL_SHEET.value,
        body={**about(dossier, definition_of(version)), "handovers": handovers},
    )
    uow.flush()
    return row, True
