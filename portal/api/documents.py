"""Printed documents: download (PDF), control sheet on demand, the register, public verification."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from engine import limits
from engine.actor import Actor
from engine.document import rendering
from engine.dossier.code import is_dossier_code
from engine.errors import FieldError, InvalidInput, NotFound
from engine.usecases import documents as uc
from engine.usecases import register
from integrations.pdf.signing import KeyDirSigner, public_pem
from portal.api.deps import ContainerDep
from portal.api.models import PDF, PEM, READ, DocumentOut, RegisterOut, VerificationOut, errors
from portal.api.params import SHA256_PATTERN, AgencyCode, Cursor, DossierCode, RowId, Year
from portal.auth import CurrentActor
from portal.wiring import Container

router = APIRouter(tags=["documents"])

SHA256 = re.compile(SHA256_PATTERN)
# A dossier code as typed from a printed document: letter case and surrounding spaces do not matter.
CODE_QUERY = r"^\s*[0-9A-Za-z]+(\.[0-9A-Za-z]+)*-[0-9]{6}-[0-9]{4,10}\s*$"
MAX_UPLOAD = 20 * 1024 * 1024  # a PDF to verify


def _created(document: dict[str, Any], new: bool) -> JSONResponse:
    return JSONResponse(document, status_code=201 if new else 200)


@router.get("/documents/{document_id}", response_class=Response, responses={**PDF, **READ})
async def download(document_id: RowId, actor: CurrentActor, c: ContainerDep) -> Response:
    """The PDF, for whoever may see its dossier (404 for anyone else); rendered now if still pending.

    Rendering and database work run in the thread pool: the event loop never waits on WeasyPrint.
    """
    return await pdf_response(c, actor, document_id, integrity=True)


async def pdf_response(
    c: Container, actor: Actor, document_id: int, *, inline: bool = False, integrity: bool = False
) -> Response:
    """A document's PDF for whoever may see its dossier (API and pages alike), rendered off the event loop.

    `inline` opens it in the browser (to print) instead of downloading it; `integrity` adds its SHA-256.
    """
    pdf = await run_in_threadpool(
        rendering.download,
        c.transaction,
        actor,
        document_id,
        c.document_renderer(),
        c.services.clock,
        signer=c.document_signer(),
    )
    headers = {
        "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="{pdf.filename}"',
        "Cache-Control": "private, no-store",
    }
    if integrity:
        headers |= {"ETag": f'"{pdf.sha256}"', "X-Content-SHA256": pdf.sha256}
    return Response(pdf.content, media_type="application/pdf", headers=headers)


@router.post(
    "/dossiers/{code}/control-sheet",
    response_model=DocumentOut,
    responses={
        **errors(401, 403, 404, 409, 413, 422),
        201: {"model": DocumentOut, "description": "Văn bản mới"},
    },
)
def control_sheet(code: DossierCode, actor: CurrentActor, c: ContainerDep) -> JSONResponse:
    """Mẫu 05 from the hand-over log as it stands (201; 200 with the same document when nothing changed)."""
    with c.transaction() as uow:
        row, new = uc.issue_control_sheet(uow, actor, code, c.services.clock.now())
        return _created(uc.document_view(row), new)


@router.get("/agencies/{agency}/register/{year}", response_model=RegisterOut, responses=READ)
def register_page(
    agency: AgencyCode,
    year: Year,
    actor: CurrentActor,
    c: ContainerDep,
    after: Cursor = 0,
    limit: Annotated[int, Query(ge=1, le=register.MAX_PAGE)] = 100,
) -> dict[str, Any]:
    """The register (Sổ theo dõi hồ sơ) of an agency for a year, by entry number from 01."""
    with c.transaction() as uow:
        return register.register_page(uow, actor, agency, year, after=after, limit=limit)


@router.post(
    "/agencies/{agency}/register/{year}/document",
    response_model=DocumentOut,
    responses={
        **errors(401, 403, 404, 409, 413, 422),
        201: {"model": DocumentOut, "description": "Văn bản mới"},
    },
)
def register_document(agency: AgencyCode, year: Year, actor: CurrentActor, c: ContainerDep) -> JSONResponse:
    """Mẫu 06 of the register as it stands (A4 landscape; 201, or 200 when nothing changed)."""
    with c.transaction() as uow:
        row, new = register.issue_register(uow, actor, agency, year, c.services.clock.now())
        return _created(uc.document_view(row), new)


def _check_query(code: str, content_hash: str, sha256: str | None = None) -> None:
    fields: dict[str, FieldError] = {}
    if not is_dossier_code(code):
        fields["ma"] = FieldError(
            "Mã hồ sơ không đúng định dạng, ví dụ H29.12.3-260302-0001.", "Malformed dossier code."
        )
    if not SHA256.match(content_hash):
        fields["h"] = FieldError("Mã xác thực phải gồm 64 ký tự thập lục phân.", "h must be 64 hex digits.")
    if sha256 is not None and not SHA256.match(sha256):
        fields["sha256"] = FieldError(
            "SHA-256 phải gồm 64 ký tự thập lục phân.", "sha256 must be 64 hex digits."
        )
    if fields:
        raise InvalidInput("Thông tin xác thực chưa hợp lệ.", "Invalid verification request.", fields)


def verification(c: Container, code: str, content_hash: str, file_sha256: str | None) -> dict[str, Any]:
    """Look the document up (public; no personal data); NotFound when no such document was issued."""
    _check_query(code, content_hash, file_sha256)
    with c.transaction() as uow:
        view = rendering.verify(uow, code, content_hash, file_sha256=file_sha256, signer=c.document_signer())
    if not view["found"]:
        raise NotFound(
            f"Không có văn bản nào với mã xác thực này được cấp cho hồ sơ «{code}».",
            f"No document with this hash was issued for dossier '{code}'.",
            code="DocumentNotIssued",
        )
    return view


Ma = Annotated[str, Query(max_length=limits.DOSSIER_CODE, pattern=CODE_QUERY, description="Mã hồ sơ")]
H = Annotated[
    str,
    Query(
        min_length=64,
        max_length=64,
        pattern=SHA256_PATTERN,
        description="Mã xác thực (SHA-256 nội dung, 64 ký tự thập lục phân) in trên văn bản",
    ),
]


@router.get("/verify", response_model=VerificationOut, responses=errors(404, 422))
def verify(
    c: ContainerDep,
    ma: Ma,
    h: H,
    sha256: Annotated[
        str | None,
        Query(
            min_length=64,
            max_length=64,
            pattern=SHA256_PATTERN,
            description="SHA-256 của tệp PDF cần kiểm tra",
        ),
    ] = None,
) -> dict[str, Any]:
    """Public: was this document issued for this dossier, by which agency; optionally, is this file it."""
    return verification(c, ma.strip().upper(), h.strip(), sha256.strip() if sha256 else None)


@router.post(
    "/verify",
    response_model=VerificationOut,
    responses=errors(404, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def verify_file(request: Request, c: ContainerDep, ma: Ma, h: H) -> Response:
    """Public: send the PDF itself as the body; `file.match` says whether it is the one issued."""
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD:
            return JSONResponse(
                {
                    "error": "PayloadTooLarge",
                    "message": "Tệp quá lớn (tối đa 20 MB).",
                    "message_en": "The file is too large (20 MB at most).",
                    "fields": {},
                },
                status_code=413,
            )
        digest.update(chunk)
    if size == 0:
        raise InvalidInput(
            "Chưa gửi tệp PDF cần kiểm tra.",
            "No PDF was sent.",
            {"body": FieldError("Gửi nội dung tệp PDF trong thân yêu cầu.", "Send the PDF as the body.")},
        )
    view = await run_in_threadpool(verification, c, ma.strip().upper(), h.strip(), digest.hexdigest())
    return JSONResponse(view)


@router.get("/agencies/{agency}/signing-key", response_class=Response, responses={**PEM, **errors(404, 422)})
def signing_key(agency: AgencyCode, c: ContainerDep) -> Response:
    """Public: the agency's Ed25519 public key (PEM) that signs its result documents."""
    signer = c.document_signer()
    public = signer.public_key(agency) if isinstance(signer, KeyDirSigner) else None
    if public is None:
        raise NotFound(
            f"Cơ quan «{agency}» chưa cấu hình khóa ký số văn bản.",
            f"Agency '{agency}' has no signing key configured.",
            code="SigningKeyNotFound",
        )
    return Response(public_pem(public), media_type="application/x-pem-file")
