"""From recorded data to stored PDF: the worker's rendering round, downloads, and public verification.

Rendering never holds a transaction open: a round leases pending rows in one short transaction
(`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), renders outside any transaction, and
stores each PDF in its own short transaction with a conditional UPDATE. A download that finds its document
still pending renders it the same way. The same data always gives the same bytes, so a document rendered
twice (a worker and a download racing) is stored once and is the same either way.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, or_, update
from sqlalchemy.orm import defer
from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.clock import Clock
from engine.document.kinds import (
    DocumentKind,
    DocumentRenderer,
    DocumentSigner,
    DocumentStatus,
    RenderSource,
    Signature,
)
from engine.document.snapshot import local_iso
from engine.errors import NotFound
from engine.store.db import UnitOfWork
from engine.store.models import AgencyRow, DocumentRow, DossierRow
from engine.usecases.access import can_see

log = logging.getLogger("motcua.documents")

UowFactory = Callable[[], AbstractContextManager[UnitOfWork]]


@dataclass(frozen=True)
class RenderPolicy:
    """How many documents a round takes, how long a lease lasts, and when to give up."""

    batch: int = 20
    lease_seconds: float = 300.0
    max_attempts: int = 5


def source_of(row: DocumentRow) -> RenderSource:
    """What the renderer gets from a document row."""
    return RenderSource(
        kind=DocumentKind(row.kind), template=row.template, data=row.data, content_hash=row.content_hash
    )


def not_found(document_id: int) -> NotFound:
    """Missing and not-yours look the same."""
    return NotFound(
        f"Không tìm thấy văn bản số {document_id}.",
        f"Document {document_id} was not found.",
        code="DocumentNotFound",
    )


def may_read(uow: UnitOfWork, actor: Actor, row: DocumentRow) -> bool:
    """Whoever may see the dossier; for the register, staff and supervisors of its agency."""
    if row.dossier_id is not None:
        dossier = uow.session.get(DossierRow, row.dossier_id)
        return dossier is not None and can_see(actor, dossier)
    return actor.agency == row.agency_code and (actor.is_staff or actor.has(Role.SUPERVISOR))


def store(
    uow: UnitOfWork, document_id: int, pdf: bytes, at: datetime, signer: DocumentSigner | None = None
) -> bool:
    """Store a rendered PDF with its SHA-256 (and the agency's signature); False if already stored."""
    digest = hashlib.sha256(pdf).hexdigest()
    values: dict[str, Any] = {
        "content": pdf,
        "sha256": digest,
        "size": len(pdf),
        "status": DocumentStatus.RENDERED.value,
        "rendered_at": at,
        "lease_until": None,
        "last_error": None,
    }
    row = uow.session.get(DocumentRow, document_id, options=[defer(DocumentRow.content)])  # type: ignore[arg-type]
    if row is not None and signer is not None and DocumentKind(row.kind) is DocumentKind.RESULT:
        signature = signer.sign(row.agency_code, digest)
        if signature is not None:
            values["signature"] = f"{signature.algorithm}:{signature.value}"
            values["signature_key"] = signature.key_id
    result = uow.session.execute(
        update(DocumentRow)
        .where(col(DocumentRow.id) == document_id, col(DocumentRow.status) != DocumentStatus.RENDERED.value)
        .values(**values)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def claim(transaction: UowFactory, now: datetime, policy: RenderPolicy) -> list[int]:
    """Lease the pending documents this worker renders now, oldest first."""
    with transaction() as uow:
        ids = list(
            uow.session.exec(
                select(DocumentRow.id)
                .where(
                    DocumentRow.status == DocumentStatus.PENDING.value,
                    or_(col(DocumentRow.lease_until).is_(None), col(DocumentRow.lease_until) <= now),
                )
                .order_by(col(DocumentRow.id))
                .limit(policy.batch)
                .with_for_update(skip_locked=True)
            ).all()
        )
        if ids:
            uow.session.execute(
                update(DocumentRow)
                .where(col(DocumentRow.id).in_(ids))
                .values(lease_until=now + timedelta(seconds=policy.lease_seconds))
            )
    return [i for i in ids if i is not None]


def _failed(transaction: UowFactory, document_id: int, reason: str, policy: RenderPolicy) -> None:
    with transaction() as uow:
        row = uow.session.get(DocumentRow, document_id, options=[defer(DocumentRow.content)])  # type: ignore[arg-type]
        if row is None or row.status == DocumentStatus.RENDERED.value:
            return
        row.attempts += 1
        row.last_error = reason[:2000]
        row.lease_until = None
        if row.attempts >= policy.max_attempts:
            row.status = DocumentStatus.FAILED.value
        uow.session.add(row)


def render_pending(
    transaction: UowFactory,
    renderer: DocumentRenderer,
    clock: Clock,
    signer: DocumentSigner | None = None,
    policy: RenderPolicy | None = None,
) -> int:
    """One round of the worker: render the pending documents it leased; return how many it stored."""
    policy = policy or RenderPolicy()
    done = 0
    ids = claim(transaction, clock.now(), policy)
    if not ids:
        return 0
    with transaction() as uow:  # every leased document's data in one read
        sources = {
            row.id: source_of(row)
            for row in uow.session.exec(
                select(DocumentRow)
                .where(col(DocumentRow.id).in_(ids), DocumentRow.status == DocumentStatus.PENDING.value)
                .options(defer(DocumentRow.content))  # type: ignore[arg-type]
            ).all()
        }
    for document_id in ids:
        source = sources.get(document_id)
        if source is None:
            continue
        try:
            pdf = renderer.render(source)
        except Exception as exc:  # noqa: BLE001 — a template error must not stop the other documents
            log.exception("rendering document %s failed", document_id)
            _failed(transaction, document_id, f"{type(exc).__name__}: {exc}", policy)
            continue
        with transaction() as uow:
            done += store(uow, document_id, pdf, clock.now(), signer)
    return done


@dataclass(frozen=True)
class Download:
    """A document's PDF with what the response names it by."""

    id: int
    kind: str
    filename: str
    sha256: str
    content: bytes


def _filename(row: DocumentRow, dossier_code: str | None) -> str:
    subject = dossier_code or f"{row.agency_code}-{row.year}"
    return f"{row.kind}-{subject}.pdf"


def download(
    transaction: UowFactory,
    actor: Actor,
    document_id: int,
    renderer: DocumentRenderer,
    clock: Clock,
    *,
    signer: DocumentSigner | None = None,
) -> Download:
    """The PDF of a document the actor may read (rendered now if still pending); NotFound otherwise."""
    with transaction() as uow:
        row = uow.session.get(DocumentRow, document_id)
        if row is None or not may_read(uow, actor, row):
            raise not_found(document_id)
        dossier = uow.session.get(DossierRow, row.dossier_id) if row.dossier_id else None
        filename = _filename(row, dossier.code if dossier else None)
        if row.status == DocumentStatus.RENDERED.value and row.content is not None and row.sha256:
            return Download(document_id, row.kind, filename, row.sha256, row.content)
        source = source_of(row)
    pdf = renderer.render(source)  # outside any transaction: nothing waits on this row meanwhile
    with transaction() as uow:
        store(uow, document_id, pdf, clock.now(), signer)
        stored = uow.session.get(DocumentRow, document_id, populate_existing=True)
        assert stored is not None
        assert stored.content is not None
        assert stored.sha256 is not None
        return Download(document_id, stored.kind, filename, stored.sha256, stored.content)


def parse_signature(row: DocumentRow) -> Signature | None:
    """The stored signature of a document, if it was signed."""
    if not row.signature or not row.signature_key or ":" not in row.signature:
        return None
    algorithm, value = row.signature.split(":", 1)
    return Signature(algorithm=algorithm, key_id=row.signature_key, value=value)


def verify(
    uow: UnitOfWork,
    code: str,
    content_hash: str,
    *,
    file_sha256: str | None = None,
    signer: DocumentSigner | None = None,
) -> dict[str, Any]:
    """Public: was a document with this content hash issued for this dossier code, and by which agency?

    With `file_sha256` (of a PDF someone holds), also whether that file is the one issued. No personal data.
    """
    found = uow.session.exec(
        select(DocumentRow, DossierRow.code)
        .join(DossierRow, col(DossierRow.id) == col(DocumentRow.dossier_id))
        .where(DocumentRow.content_hash == content_hash.lower(), DossierRow.code == code)
        .options(defer(DocumentRow.content))  # type: ignore[arg-type]
    ).first()
    if found is None:
        return {"found": False, "code": code, "content_hash": content_hash}
    row, dossier_code = found
    agency = uow.session.get(AgencyRow, row.agency_code)
    view: dict[str, Any] = {
        "found": True,
        "code": dossier_code,
        "content_hash": row.content_hash,
        "kind": row.kind,
        "title": DocumentKind(row.kind).heading,
        "number": row.number,
        "year": row.year,
        "issued_at": local_iso(row.issued_at),
        "agency": {"code": row.agency_code, "name": agency.name if agency else row.agency_code},
        "procedure": (row.data.get("procedure") or {}).get("name"),
        "sha256": row.sha256,
        "signature": _signature_view(row, signer),
    }
    if file_sha256 is not None:
        view["file"] = {"sha256": file_sha256.lower(), "match": file_sha256.lower() == row.sha256}
    return view


def _signature_view(row: DocumentRow, signer: DocumentSigner | None) -> dict[str, Any] | None:
    signature = parse_signature(row)
    if signature is None or row.sha256 is None:
        return None
    valid = signer is not None and signer.verify(row.agency_code, row.sha256, signature)
    return {
        "algorithm": signature.algorithm,
        "key_id": signature.key_id,
        "value": signature.value,
        "valid": valid,
    }
