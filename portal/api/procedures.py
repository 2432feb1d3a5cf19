"""Catalogue of procedures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from engine import limits
from engine.usecases.catalogue import CatalogueQuery, search_catalogue
from engine.usecases.queries import procedure_view, procedure_views
from portal.api.deps import ContainerDep
from portal.api.models import ProcedureDetail, ProcedureOut, errors
from portal.api.params import AGENCY_PATTERN, ProcedureCode

router = APIRouter(tags=["procedures"])


@router.get("/procedures", response_model=list[ProcedureOut], responses=errors(422))
def list_procedures(
    c: ContainerDep,
    q: str = Query("", max_length=limits.SEARCH, description="Tìm theo tên, mã, lĩnh vực"),
    agency: str = Query(
        "", max_length=limits.CODE, pattern=f"^$|{AGENCY_PATTERN}", description="Mã cơ quan tiếp nhận"
    ),
    field: str = Query("", max_length=limits.NAME, description="Lĩnh vực"),
) -> list[dict[str, Any]]:
    """Published procedures (current version): deadline, fee, papers, legal basis.

    `q` matches every word of the name, code or field ignoring case and diacritics; `agency` keeps those that
    agency receives; `field` those of one field (lĩnh vực). Without them, the whole catalogue by code.
    """
    with c.transaction() as uow:
        everything = procedure_views(uow)
        query = CatalogueQuery(text=q, agency=agency, field=field)
        if query.is_empty:
            return everything
        by_code = {p["code"]: p for p in everything}
        return [by_code[p["code"]] for p in search_catalogue(uow, query).procedures if p["code"] in by_code]


@router.get("/procedures/{code}", response_model=ProcedureDetail, responses=errors(404, 422))
def get_procedure(code: ProcedureCode, c: ContainerDep) -> dict[str, Any]:
    """One procedure with its e-form JSON Schema."""
    with c.transaction() as uow:
        return procedure_view(c.services, uow, code)
