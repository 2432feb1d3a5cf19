"""The register (Sổ theo dõi hồ sơ, Mẫu 06): per agency and year, one line per received dossier, from 01.

Lines are written at reception (with the receipt, in the same unit of work) and completed at return; reading
a page walks the (agency, year, number) primary key, never the dossiers of other agencies or years.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from engine import limits
from engine.actor import Actor, Role
from engine.document.kinds import DocumentKind
from engine.document.snapshot import RETURN_METHODS, applicant_view, local_iso
from engine.errors import FieldError, Forbidden, InvalidInput, NotFound
from engine.store.db import UnitOfWork
from engine.store.models import AgencyRow, DocumentRow, DossierRow, ProcedureVersionRow, RegisterEntryRow
from engine.usecases.documents import latest_of, record

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_PAGE = limits.PAGE_MAX  # rows per page, 1–200 like every list


def _check_reader(uow: UnitOfWork, actor: Actor, agency_code: str, year: int) -> AgencyRow:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            "Năm của sổ theo dõi không hợp lệ.",
            "Invalid register year.",
            {
                "year": FieldError(
                    f"Năm phải từ {FIRST_YEAR} đến {LAST_YEAR}.", f"Year must be {FIRST_YEAR}–{LAST_YEAR}."
                )
            },
        )
    agency = uow.session.get(AgencyRow, agency_code)
    if agency is None:
        raise NotFound(
            f"Không tìm thấy cơ quan «{agency_code}».",
            f"Agency '{agency_code}' was not found.",
            "AgencyNotFound",
        )
    if actor.agency != agency_code or not (actor.is_staff or actor.has(Role.SUPERVISOR)):
        raise Forbidden(
            "Chỉ cán bộ, lãnh đạo của cơ quan mới xem sổ theo dõi hồ sơ của cơ quan đó.",
            "Only staff and supervisors of the agency read its register.",
        )
    return agency


def _lines(
    uow: UnitOfWork, agency: AgencyRow, year: int, after: int, limit: int | None
) -> list[dict[str, Any]]:
    query = (
        select(RegisterEntryRow, DossierRow, ProcedureVersionRow.name)
        .join(DossierRow, col(DossierRow.id) == col(RegisterEntryRow.dossier_id))
        .join(ProcedureVersionRow, col(ProcedureVersionRow.id) == col(DossierRow.procedure_version_id))
        .where(
            RegisterEntryRow.agency_code == agency.code,
            RegisterEntryRow.year == year,
            col(RegisterEntryRow.number) > after,
        )
        .order_by(col(RegisterEntryRow.number))
    )
    if limit is not None:
        query = query.limit(limit)
    lines = []
    for entry, dossier, procedure_name in uow.session.exec(query).all():
        applicant = applicant_view(dossier)
        lines.append(
            {
                "number": entry.number,
                "code": dossier.code,
                "procedure": procedure_name,
                "applicant": applicant["full_name"],
                "address": applicant["address"],
                "phone": applicant["phone"],
                "handling_agency": agency.name,
                "received_at": local_iso(entry.received_at),
                "due_at": local_iso(dossier.due_at),
                "returned_at": local_iso(entry.returned_at),
                "return_method": RETURN_METHODS.get(entry.return_method or "", entry.return_method),
            }
        )
    return lines


def register_page(
    uow: UnitOfWork, actor: Actor, agency_code: str, year: int, *, after: int = 0, limit: int = 100
) -> dict[str, Any]:
    """A page of the register, by entry number (keyset: pass the last `number` as `after`)."""
    agency = _check_reader(uow, actor, agency_code, year)
    limit = max(1, min(limit, MAX_PAGE))
    lines = _lines(uow, agency, year, max(after, 0), limit)
    return {
        "agency": {"code": agency.code, "name": agency.name},
        "year": year,
        "entries": lines,
        "next": lines[-1]["number"] if len(lines) == limit else None,
    }


def issue_register(
    uow: UnitOfWork, actor: Actor, agency_code: str, year: int, at: datetime
) -> tuple[DocumentRow, bool]:
    """Mẫu 06 of an agency and year as it stands; the same lines again give back the same document."""
    agency = _check_reader(uow, actor, agency_code, year)
    lines = _lines(uow, agency, year, 0, None)
    latest = latest_of(uow, DocumentKind.REGISTER, agency_code=agency_code, year=year)
    if latest is not None and latest.data.get("lines") == lines:
        return latest, False
    row = record(
        uow,
        DocumentKind.REGISTER,
        agency=agency,
        agency_code=agency_code,
        at=at,
        issued_by=actor.display,
        body={"lines": lines},
        year=year,
    )
    uow.flush()
    return row, True
