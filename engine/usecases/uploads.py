"""Uploaded papers: store a file (checked by content), read it back after an authorization check.

Who may read an upload: the person who uploaded it; the citizen who owns a dossier whose papers reference
it; staff (officer, specialist, leader) of the agency of such a dossier. Anyone else gets the same answer
as for an id that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlmodel import col, func, select

from engine.actor import Actor, Role
from engine.errors import Conflict, FieldError, Forbidden, NotFound, Unavailable
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import DossierRow, DossierUploadRow, UploadRow, row_id
from engine.upload import check_content, safe_name
from engine.usecases.access import is_owner

MAX_PER_PAPER = 10
DAILY_CAP = 200  # uploads per owner in 24 hours
RECENT = 50
UPLOAD_ID = 24  # characters of a new id (18 random bytes, URL-safe)


def new_id() -> str:
    """A random, non-sequential, URL-safe id (also used for drafts)."""
    return secrets.token_urlsafe(18)


def owner_columns(actor: Actor) -> tuple[str, str | None]:
    """What a new upload or draft records as its owner: the subject and the verified identity number."""
    return actor.subject, actor.identity_number


def owned(actor: Actor, subject: str, number: str | None) -> bool:
    """The actor owns a row: same identity number, or same subject when neither side has a number."""
    if actor.identity_number:
        return number == actor.identity_number
    return number is None and subject == actor.subject


def owned_where(subject_col: Any, number_col: Any, actor: Actor) -> ColumnElement[bool]:
    """SQL for `owned`: the rows of a table (upload, draft) that belong to the actor."""
    if actor.identity_number:
        return col(number_col) == actor.identity_number
    return and_(col(number_col).is_(None), col(subject_col) == actor.subject)


def _not_found(upload_id: str) -> NotFound:
    return NotFound(
        f"Không tìm thấy tệp «{upload_id[:40]}».",
        f"Upload '{upload_id[:40]}' was not found.",
        "UploadNotFound",
    )


def require_uploader(actor: Actor) -> None:
    """Citizens upload for their own filings; one-stop officers for the walk-in citizen at the counter."""
    if not (actor.has(Role.CITIZEN) or actor.has(Role.OFFICER)):
        raise Forbidden(
            "Chỉ công dân hoặc cán bộ Bộ phận Một cửa được tải lên giấy tờ.",
            "Only citizens and one-stop officers upload papers.",
        )


def store_upload(
    services: Services, uow: UnitOfWork, actor: Actor, name: str | None, data: bytes
) -> UploadRow:
    """Keep a file for a paper: type sniffed, size capped, images re-encoded; stored before its row."""
    require_uploader(actor)
    if services.files is None:
        raise Unavailable("Kho lưu tệp chưa được cấu hình.", "No file store is configured.")
    _check_daily_cap(services, uow, actor)
    checked = check_content(data, services.upload_max_bytes)
    sha256 = services.files.put(checked.data)  # the file first: a row never points at nothing
    subject, number = owner_columns(actor)
    row = UploadRow(
        id=new_id(),
        sha256=sha256,
        mime=checked.mime,
        size=len(checked.data),
        display_name=safe_name(name, checked.mime),
        owner_subject=subject,
        owner_identity_number=number,
        created_at=services.clock.now(),
    )
    uow.session.add(row)
    uow.flush()
    return row


def _check_daily_cap(services: Services, uow: UnitOfWork, actor: Actor) -> None:
    """At most DAILY_CAP files per owner in 24 hours: a filing needs a handful, a script would need more."""
    since = services.clock.now() - timedelta(days=1)
    count = uow.session.exec(
        select(func.count())
        .select_from(UploadRow)
        .where(owned_where(UploadRow.owner_subject, UploadRow.owner_identity_number, actor))
        .where(col(UploadRow.created_at) >= since)
    ).one()
    if count >= DAILY_CAP:
        raise Conflict(
            f"Bạn đã tải lên {DAILY_CAP} tệp trong 24 giờ qua; vui lòng thử lại sau.",
            f"You uploaded {DAILY_CAP} files in the last 24 hours; please try again later.",
            code="UploadLimit",
        )


@dataclass(frozen=True)
class UploadContent:
    """An upload the actor may read, with its bytes."""

    row: UploadRow
    data: bytes


def read_upload(services: Services, uow: UnitOfWork, actor: Actor, upload_id: str) -> UploadContent:
    """The file, if the actor uploaded it or may see a dossier of theirs that references it; else NotFound."""
    row = uow.session.get(UploadRow, upload_id) if len(upload_id) <= 64 else None
    if row is None or not may_read(uow, actor, row):
        raise _not_found(upload_id)
    if services.files is None:
        raise Unavailable("Kho lưu tệp chưa được cấu hình.", "No file store is configured.")
    try:
        data = services.files.read(row.sha256)
    except FileNotFoundError as exc:
        raise _not_found(upload_id) from exc
    return UploadContent(row, data)


def may_read(uow: UnitOfWork, actor: Actor, row: UploadRow) -> bool:
    """Uploader, owner of a referencing dossier, or staff of a referencing dossier's agency."""
    if owned(actor, row.owner_subject, row.owner_identity_number):
        return True
    dossiers = uow.session.exec(
        select(DossierRow)
        .join(DossierUploadRow, col(DossierUploadRow.dossier_id) == DossierRow.id)
        .where(DossierUploadRow.upload_id == row.id)
        .limit(50)
    ).all()
    return any(is_owner(actor, d) or (actor.is_staff and actor.agency == d.agency_code) for d in dossiers)


def my_uploads(uow: UnitOfWork, actor: Actor, limit: int = RECENT) -> list[UploadRow]:
    """The actor's own uploads, newest first (to reuse a file in another filing)."""
    query = (
        select(UploadRow)
        .where(owned_where(UploadRow.owner_subject, UploadRow.owner_identity_number, actor))
        .order_by(col(UploadRow.created_at).desc(), col(UploadRow.id))
        .limit(max(1, min(limit, RECENT)))
    )
    return list(uow.session.exec(query).all())


def owned_uploads(
    uow: UnitOfWork, actor: Actor, ids: object, field: str, errors: dict[str, FieldError]
) -> list[UploadRow]:
    """The uploads named by `ids` when each belongs to the actor; problems go into `errors[field]`."""
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        errors[field] = FieldError("Danh sách tệp không hợp lệ.", "Uploads must be a list of ids.")
        return []
    if len(ids) > MAX_PER_PAPER:
        errors[field] = FieldError(
            f"Mỗi giấy tờ tối đa {MAX_PER_PAPER} tệp.", f"At most {MAX_PER_PAPER} files per paper."
        )
        return []
    unique = list(dict.fromkeys(ids))
    rows = uow.session.exec(select(UploadRow).where(col(UploadRow.id).in_(unique))).all() if unique else []
    mine = {r.id: r for r in rows if owned(actor, r.owner_subject, r.owner_identity_number)}
    if len(mine) != len(unique):
        errors[field] = FieldError(
            "Tệp đính kèm không tồn tại hoặc không phải do bạn tải lên.",
            "An attached file does not exist or was not uploaded by you.",
        )
        return []
    return [mine[i] for i in unique]


def link_uploads(uow: UnitOfWork, dossier: DossierRow, papers: Iterable[dict[str, Any]]) -> None:
    """Record which uploads the dossier's papers reference (its staff may then read them)."""
    linked = set(
        uow.session.exec(
            select(DossierUploadRow.upload_id).where(DossierUploadRow.dossier_id == row_id(dossier))
        ).all()
    )
    for paper in papers:
        for upload_id in paper.get("uploads") or []:
            if upload_id not in linked:
                linked.add(upload_id)
                key = str(paper.get("key") or paper.get("paper") or "")[:255]
                uow.session.add(
                    DossierUploadRow(dossier_id=row_id(dossier), upload_id=upload_id, paper_key=key)
                )
