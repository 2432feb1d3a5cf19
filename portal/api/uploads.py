"""Uploaded papers: store a file (multipart), download it after an authorization check."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from engine.errors import FieldError, InvalidInput
from engine.upload import UploadTooLarge
from engine.usecases import uploads as uc
from engine.usecases.queries import iso
from portal.api.deps import ContainerDep
from portal.api.models import UPLOADED, UploadOut, errors
from portal.api.params import UploadId
from portal.auth import CurrentActor
from portal.wiring import Container

router = APIRouter(tags=["uploads"])

MULTIPART_OVERHEAD = 64 * 1024
CHUNK = 256 * 1024
# A file opened in the browser runs nothing: no script, no form, no plugin, nothing fetched.
CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


async def read_limited(file: UploadFile, limit: int) -> bytes:
    """The file's bytes, refusing (UploadTooLarge) as soon as more than `limit` arrive."""
    parts: list[bytes] = []
    size = 0
    while chunk := await file.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise UploadTooLarge(limit)
        parts.append(chunk)
    return b"".join(parts)


def too_large_body(request: Request, limit: int) -> bool:
    """The declared body is bigger than a file at the limit could make it."""
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD


def upload_view(row: Any) -> dict[str, Any]:
    """The JSON of an upload (no hash, no owner)."""
    return {
        "id": row.id,
        "name": row.display_name,
        "mime": row.mime,
        "size": row.size,
        "created_at": iso(row.created_at),
        "href": f"/api/v1/uploads/{row.id}",
    }


def store(c: Container, actor: Any, name: str | None, data: bytes) -> Any:
    """Store one file in its own unit of work."""
    with c.transaction() as uow:
        return uc.store_upload(c.services, uow, actor, name, data)


@router.post(
    "/uploads",
    status_code=201,
    response_model=UploadOut,
    responses=errors(401, 403, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def upload(request: Request, actor: CurrentActor, c: ContainerDep) -> JSONResponse:
    """Tải lên một tệp giấy tờ (multipart field `file`): PDF, JPEG or PNG by content; 413 over the limit.

    Citizens and one-stop officers only. Reference the returned `id` in a paper's `uploads` when filing or
    supplementing.
    """
    uc.require_uploader(actor)
    limit = c.services.upload_max_bytes
    if too_large_body(request, limit):
        raise UploadTooLarge(limit)
    try:
        form = await request.form(max_files=1, max_fields=5)
    except HTTPException as exc:  # Starlette's 400 for a malformed body or too many parts
        message = (
            "Nội dung gửi lên không đúng dạng multipart (một trường «file», tối đa 5 trường).",
            "The body is not a valid multipart form (one field 'file', at most 5 fields).",
        )
        raise InvalidInput(*message, {"file": FieldError(*message)}) from exc
    file = form.get("file")
    if not isinstance(file, UploadFile):
        message = ("Vui lòng chọn tệp để tải lên (trường «file»).", "Choose a file to upload (field 'file').")
        raise InvalidInput(*message, {"file": FieldError(*message)})
    data = await read_limited(file, limit)
    row = await run_in_threadpool(store, c, actor, file.filename, data)
    return JSONResponse(upload_view(row), status_code=201)


@router.get(
    "/uploads/{upload_id}", response_class=Response, responses={**UPLOADED, **errors(401, 403, 404, 422)}
)
async def download(upload_id: UploadId, actor: CurrentActor, c: ContainerDep) -> Response:
    """The file, for its uploader and for whoever works on a dossier that references it; else 404."""
    content = await run_in_threadpool(read, c, actor, upload_id)
    return file_response(content)


def read(c: Container, actor: Any, upload_id: str) -> uc.UploadContent:
    """Read one upload in its own unit of work."""
    with c.transaction() as uow:
        return uc.read_upload(c.services, uow, actor, upload_id)


def file_response(content: uc.UploadContent) -> Response:
    """The bytes with headers that keep a browser from running or re-typing them."""
    row = content.row
    ascii_name = row.display_name.encode("ascii", "ignore").decode() or "tep"
    ascii_name = ascii_name.replace('"', "")
    # Images open in the tab; a PDF is downloaded: browsers refuse their PDF viewer in a sandboxed document.
    how = "inline" if row.mime.startswith("image/") else "attachment"
    disposition = f"{how}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row.display_name)}"
    return Response(
        content.data,
        media_type=row.mime,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": CSP,
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
