"""Pages for everyone: home, the procedure catalogue, public tracking and document verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from engine import limits
from engine.dossier.code import is_dossier_code, normalise_access_key
from engine.errors import FieldError, InvalidInput, NotFound
from engine.usecases.catalogue import CatalogueQuery, most_used, procedure_page, search_catalogue
from portal.api.deps import ContainerDep
from portal.api.documents import verification
from portal.i18n import current_locale
from portal.tracking import public_status
from portal.web import FormErrors, environment, page_actor, render

router = APIRouter(include_in_schema=False)


def decimal(value: float) -> str:
    """A number as the reader writes it: "1,5" in Vietnamese, "1.5" in English; no trailing zeros."""
    text = f"{value:g}"
    return text if current_locale() == "en" else text.replace(".", ",")


environment.filters["decimal"] = decimal  # deadlines and time left (public and citizen pages)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, c: ContainerDep) -> HTMLResponse:
    """The catalogue's search box, the most used procedures, and tracking."""
    with c.transaction() as uow:
        procedures = most_used(uow)
    return render(request, "public/home.html", {"most_used": procedures})


@router.get("/thu-tuc", response_class=HTMLResponse)
def catalogue(
    request: Request,
    c: ContainerDep,
    q: str = "",
    agency: Annotated[str, Query(alias="co-quan")] = "",
    field: Annotated[str, Query(alias="linh-vuc")] = "",
) -> HTMLResponse:
    """The procedure catalogue: search ignoring diacritics and case, filters by agency and field.

    A plain GET form; with htmx (`HX-Request`) only the results are sent back, to replace them in place.
    """
    error = too_long(
        {"q": (q, limits.SEARCH), "co-quan": (agency, limits.CODE), "linh-vuc": (field, limits.NAME)}
    )
    # A query past its length is refused on its field (422), as the API refuses it, never cut short.
    query = CatalogueQuery() if error else CatalogueQuery(text=q, agency=agency, field=field)
    with c.transaction() as uow:
        found = search_catalogue(uow, query)
    fragment = request.headers.get("HX-Request") == "true"
    template = "public/_catalogue_results.html" if fragment else "public/catalogue.html"
    return render(
        request,
        template,
        {"catalogue": found, "error": error, "typed": q[: limits.SEARCH]},
        headers={"Vary": "HX-Request"},
        status_code=422 if error else 200,
    )


def too_long(values: dict[str, tuple[str, int]]) -> FormErrors | None:
    """The fields of a GET form longer than they may be (each with its limit), or None."""
    fields = limits.check_lengths(values)
    return FormErrors(fields) if fields else None


@router.get("/thu-tuc/{code}", response_class=HTMLResponse)
def procedure_detail(code: str, request: Request, c: ContainerDep) -> HTMLResponse:
    """One procedure: deadline explained, fee and exemptions, papers, legal basis, steps, agencies, result."""
    with c.transaction() as uow:
        procedure = procedure_page(c.services, uow, code)
    return render(request, "public/procedure.html", {"p": procedure})


@router.get("/tra-cuu", response_class=HTMLResponse)
def tracking(request: Request, c: ContainerDep, ma: str | None = None, k: str | None = None) -> HTMLResponse:
    """Public tracking by dossier code and access key (the receipt's QR carries both): no personal data.

    Signed in, the dossier's owner and its agency's staff need no key. A wrong or missing key is answered as
    an unknown code; anonymous lookups are rate-limited per client address (429 page past the limit).
    """
    result, status = None, 200
    code = (ma or "").strip().upper()
    key = normalise_access_key(k or "")
    error = too_long({"ma": (code, limits.DOSSIER_CODE), "k": (key, limits.ACCESS_KEY)})
    if error:  # what was typed is shown back in the fields, not looked up
        status, code, key = 422, code[: limits.DOSSIER_CODE], key[: limits.ACCESS_KEY]
    elif code and not is_dossier_code(code):
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
            result = public_status(c, request, code, key or None, page_actor(request))
        except NotFound:
            error, status = (
                FormErrors.one(
                    "k",
                    "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này; hãy kiểm tra lại giấy tiếp nhận.",
                    "No dossier matches this code and access key; check the receipt.",
                ),
                404,
            )
    return render(
        request,
        "public/track.html",
        {"code": code, "key": key, "result": result, "error": error},
        status_code=status,
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
    result, status = None, 200
    error = too_long(
        {"ma": (code, limits.DOSSIER_CODE), "h": (content_hash, 128), "sha256": (file_sha or "", 128)}
    )
    if error:
        status, code, content_hash, file_sha = 422, code[: limits.DOSSIER_CODE], content_hash[:128], None
    elif code or content_hash:
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
