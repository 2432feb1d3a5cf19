"""Catalogue of procedures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from engine.usecases.queries import procedure_view, procedure_views
from portal.api.deps import ContainerDep

router = APIRouter(tags=["procedures"])


@router.get("/procedures")
def list_procedures(c: ContainerDep) -> list[dict[str, Any]]:
    """Every published procedure (current version): deadline, fee, papers, legal basis."""
    with c.transaction() as uow:
        return procedure_views(uow)


@router.get("/procedures/{code}")
def get_procedure(code: str, c: ContainerDep) -> dict[str, Any]:
    """One procedure with its e-form JSON Schema."""
    with c.transaction() as uow:
        return procedure_view(c.services, uow, code)
