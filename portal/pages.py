"""HTML pages (Vietnamese first): the procedure catalogue, public tracking and document verification."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from engine.dossier.code import is_dossier_code
from engine.errors import InvalidInput, NotFound
from engine.usecases.queries import procedure_view, procedure_views, track
from portal.api.deps import ContainerDep
from portal.api.documents import verification

# Autoescape everything: data shown on pages comes from citizens and uploaded procedures.
TEMPLATES = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)
)


def vn_datetime(value: str | None) -> str:
    """ISO local time → 'HH:MM dd/mm/yyyy' as Vietnamese documents write it."""
    if not value:
        return "—"
    return f"{datetime.fromisoformat(value):%H:%M %d/%m/%Y}"


TEMPLATES.env.filters["vn_datetime"] = vn_datetime

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, c: ContainerDep) -> HTMLResponse:
    """Catalogue of procedures with deadline, fee and papers."""
    with c.transaction() as uow:
        procedures = procedure_views(uow)
    return TEMPLATES.TemplateResponse(request, "index.html", {"procedures": procedures})


@router.get("/thu-tuc/{code}", response_class=HTMLResponse)
def procedure_page(code: str, request: Request, c: ContainerDep) -> HTMLResponse:
    """One procedure: legal basis, deadline, fee, papers, e-form fields."""
    with c.transaction() as uow:
        procedure = procedure_view(c.services, uow, code)
    return TEMPLATES.TemplateResponse(request, "procedure.html", {"p": procedure})


@router.get("/tra-cuu", response_class=HTMLResponse)
def tracking(request: Request, c: ContainerDep, ma: str | None = None) -> HTMLResponse:
    """Public tracking by dossier code (the receipt's QR points here): no personal data."""
    result, error, status = None, None, 200
    code = (ma or "").strip().upper()
    if code and not is_dossier_code(code):
        error, status = "Mã hồ sơ không đúng định dạng, ví dụ H29.12.3-260302-0001.", 422
    elif code:
        try:
            with c.transaction() as uow:
                result = track(uow, code)
        except NotFound as exc:
            error, status = exc.message, 404
    return TEMPLATES.TemplateResponse(
        request, "track.html", {"code": code, "result": result, "error": error}, status_code=status
    )


@router.get("/xac-minh", response_class=HTMLResponse)
def verify_page(
    request: Request,
    c: ContainerDep,
    ma: str | None = None,
    h: str | None = None,
    sha256: str | None = None,
) -> HTMLResponse:
    """Public verification (the QR of results and stop notices): issued by which agency, for which dossier.

    With `sha256` (computed in the browser from a PDF the visitor holds; the file never leaves their
    machine) it also says whether that file is the one issued. No personal data is shown.
    """
    code, content_hash = (ma or "").strip().upper(), (h or "").strip().lower()
    file_sha = (sha256 or "").strip().lower() or None
    result, error, status = None, None, 200
    if code or content_hash:
        try:
            result = verification(c, code, content_hash, file_sha)
        except InvalidInput as exc:
            error, status = " ".join(f.message for f in exc.fields.values()) or exc.message, 422
        except NotFound as exc:
            error, status = exc.message, 404
    return TEMPLATES.TemplateResponse(
        request,
        "verify.html",
        {"code": code, "content_hash": content_hash, "sha256": file_sha, "result": result, "error": error},
        status_code=status,
    )
