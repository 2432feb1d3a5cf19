"""Pages for everyone: home, the procedure catalogue, public tracking and document verification."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from engine.dossier.code import is_dossier_code
from engine.errors import FieldError, InvalidInput, NotFound
from engine.usecases.queries import procedure_view, procedure_views, track
from portal.api.deps import ContainerDep
from portal.api.documents import verification
from portal.web import FormErrors, render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, c: ContainerDep) -> HTMLResponse:
    """Search box, tracking, and the published procedures."""
    with c.transaction() as uow:
        procedures = procedure_views(uow)
    return render(request, "public/home.html", {"procedures": procedures})


@router.get("/thu-tuc", response_class=HTMLResponse)
def catalogue(request: Request, c: ContainerDep) -> HTMLResponse:
    """The procedure catalogue."""
    with c.transaction() as uow:
        procedures = procedure_views(uow)
    return render(request, "public/home.html", {"procedures": procedures})


@router.get("/thu-tuc/{code}", response_class=HTMLResponse)
def procedure_page(code: str, request: Request, c: ContainerDep) -> HTMLResponse:
    """One procedure: legal basis, deadline, fee, papers, and the way to file online."""
    with c.transaction() as uow:
        procedure = procedure_view(c.services, uow, code)
    return render(request, "public/procedure.html", {"p": procedure})


@router.get("/tra-cuu", response_class=HTMLResponse)
def tracking(request: Request, c: ContainerDep, ma: str | None = None) -> HTMLResponse:
    """Public tracking by dossier code (the receipt's QR points here): no personal data."""
    result, error, status = None, None, 200
    code = (ma or "").strip().upper()[:60]
    if code and not is_dossier_code(code):
        error, status = (
            FormErrors.one(
                "ma",
                "Mã hồ sơ không đúng định dạng, ví dụ H29.12.3-260302-0001.",
                "The dossier code is not in the right format, e.g. H29.12.3-260302-0001.",
            ),
            422,
        )
    elif code:
        try:
            with c.transaction() as uow:
                result = track(uow, code)
        except NotFound as exc:
            error, status = FormErrors.one("ma", exc.message, exc.message_en), 404
    return render(
        request, "public/track.html", {"code": code, "result": result, "error": error}, status_code=status
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
    code, content_hash = (ma or "").strip().upper()[:60], (h or "").strip().lower()[:128]
    file_sha = (sha256 or "").strip().lower()[:128] or None
    result, error, status = None, None, 200
    if code or content_hash:
        try:
            result = verification(c, code, content_hash, file_sha)
        except InvalidInput as exc:
            fields = {_VERIFY_FIELDS.get(k, "ma"): v for k, v in exc.fields.items()}
            error, status = FormErrors(fields or {"ma": FieldError(exc.message, exc.message_en)}), 422
        except NotFound as exc:
            error, status = FormErrors.one("ma", exc.message, exc.message_en), 404
    return render(
        request,
        "public/verify.html",
        {"code": code, "content_hash": content_hash, "sha256": file_sha, "result": result, "error": error},
        status_code=status,
    )


_VERIFY_FIELDS = {"code": "ma", "ma": "ma", "hash": "h", "h": "h", "sha256": "sha256"}
