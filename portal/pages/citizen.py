"""Citizens' pages: my dossiers (the citizen engineer's slice grows this module)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from engine.actor import Actor
from engine.usecases.queries import status_view, visible_dossiers
from portal.api.deps import ContainerDep
from portal.web import render, require

router = APIRouter(include_in_schema=False)


@router.get("/ho-so", response_class=HTMLResponse)
def my_dossiers(
    request: Request, c: ContainerDep, actor: Annotated[Actor, Depends(require())]
) -> HTMLResponse:
    """The dossiers the signed-in person may see (their own, or their agency's)."""
    with c.transaction() as uow:
        dossiers = visible_dossiers(uow, actor, limit=50)
    rows = [{"row": d, "status": status_view(d.status)} for d in dossiers]
    return render(request, "citizen/my_dossiers.html", {"dossiers": rows})
