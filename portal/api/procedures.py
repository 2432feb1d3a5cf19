"""Catalogue of procedures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from engine.usecases.catalogue import CatalogueQuery, search_catalogue
from engine.usecases.queries import procedure_view, procedure_views
from portal.api.deps import ContainerDep

router = APIRouter(tags=["procedures"])


@router.get("/procedures")
def list_procedures(c: ContainerDep, q: str = "", agency: str = "", field: str = "") -> list[dict[str, Any]]:
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


@router.get("/procedures/{code}")
def get_procedure(code: str, c: ContainerDep) -> dict[str, Any]:
    """One procedure with its e-form JSON Schema."""
    with c.transaction() as uow:
        return procedure_view(c.services, uow, code)
