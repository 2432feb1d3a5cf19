"""Citizens' pages: my dossiers (and drafts), one dossier with its deadline explained, withdrawal, documents.

Staff and supervisors open the same list and detail for their agencies (the engine decides what each sees).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from engine.actor import Actor
from engine.document import rendering
from engine.errors import Conflict, InvalidInput
from engine.usecases import dossiers as uc
from engine.usecases.catalogue import procedure_names
from engine.usecases.drafts import list_drafts
from engine.usecases.overview import dossier_overview, dossier_page
from portal.api.deps import ContainerDep
from portal.api.documents import pdf_response
from portal.api.params import row_id
from portal.web import CsrfForm, FormErrors, render, require
from portal.wiring import Container

router = APIRouter(include_in_schema=False)

SignedIn = Annotated[Actor, Depends(require())]


@router.get("/ho-so", response_class=HTMLResponse)
def my_dossiers(request: Request, c: ContainerDep, actor: SignedIn, truoc: str = "") -> HTMLResponse:
    """The dossiers the signed-in person may see (their own, or their agency's), newest first, by pages.

    `truoc` is the keyset cursor of "Trang sau"; one that is not a row id simply starts from the first page.
    """
    before = row_id(truoc)
    with c.transaction() as uow:
        page = dossier_page(c.services, uow, actor, before=before)
        drafts = list_drafts(uow, actor)  # hồ sơ đang soạn (engine/usecases/drafts.py), resumed by the filing
        names = procedure_names(uow) if drafts else {}
    context = {
        "page": page,
        "drafts": drafts,
        "procedure_names": names,
        "staff": actor.is_staff or bool(actor.supervised),
        "first_page": before is not None,
    }
    return render(request, "citizen/dossiers.html", context)


def _dossier(
    request: Request,
    c: Container,
    actor: Actor,
    code: str,
    *,
    template: str = "citizen/dossier.html",
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    with c.transaction() as uow:
        view = dossier_overview(c.services, uow, actor, code)
    return render(request, template, {"d": view, **extra}, status_code=status_code)


@router.get("/ho-so/{code}", response_class=HTMLResponse)
def dossier_page_view(code: str, request: Request, c: ContainerDep, actor: SignedIn) -> HTMLResponse:
    """One dossier: status, holder, deadline explained, timeline, documents, and what the person may do."""
    withdrawn = request.query_params.get("da-rut") == "1"
    return _dossier(request, c, actor, code, withdrawn=withdrawn)


@router.get("/ho-so/{code}/rut-ho-so", response_class=HTMLResponse)
def withdraw_form(code: str, request: Request, c: ContainerDep, actor: SignedIn) -> HTMLResponse:
    """The withdrawal's first step: the reason."""
    return _dossier(request, c, actor, code, template="citizen/withdraw.html", confirm=False)


def _version(form: CsrfForm) -> int | None:
    raw = form.get("version")
    return row_id(raw) if isinstance(raw, str) else None


@router.post("/ho-so/{code}/rut-ho-so", response_class=HTMLResponse)
def withdraw(code: str, request: Request, c: ContainerDep, actor: SignedIn, form: CsrfForm) -> Response:
    """Withdraw in two steps: the reason is checked, then "Bạn có chắc…?"; only the confirmation writes.

    A dossier that changed in between (or can no longer be withdrawn) shows its current state and a notice.
    """
    reason = str(form.get("reason") or "")  # the engine refuses one over its limit (engine/limits.py)
    payload = {"reason": reason}
    expected = _version(form)
    confirmed = form.get("xac-nhan") == "1"
    try:
        with c.transaction() as uow:
            if confirmed:
                uc.withdraw(c.services, uow, actor, code, payload, expected_version=expected)
            else:
                uc.check_withdrawal(uow, actor, code, payload, expected_version=expected)
    except InvalidInput as exc:
        return _dossier(
            request,
            c,
            actor,
            code,
            template="citizen/withdraw.html",
            status_code=422,
            confirm=False,
            errors=FormErrors.of(exc),
            values=payload,
        )
    except Conflict as exc:
        notice = {"message": exc.message, "message_en": exc.message_en}
        return _dossier(request, c, actor, code, status_code=409, notice=notice)
    if confirmed:
        return RedirectResponse(f"/ho-so/{code}?da-rut=1", 303)
    return _dossier(
        request, c, actor, code, template="citizen/withdraw.html", confirm=True, reason=reason.strip()
    )


@router.get("/van-ban/{document_id}", response_class=Response)
async def document(document_id: str, c: ContainerDep, actor: SignedIn) -> Response:
    """A document's PDF for whoever may see its dossier (the Vietnamese 404 page for anyone else)."""
    number = row_id(document_id)
    if number is None:
        raise rendering.not_found(0)
    return await pdf_response(c, actor, number)
