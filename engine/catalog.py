"""Procedure versions: publish from processes/, look up the current one, load any stored BPMN version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import col, select

from engine.errors import NotFound
from engine.procedure import ProcedureDefinition, parse_definition, procedure_folders, read_folder
from engine.store.db import UnitOfWork
from engine.store.models import BpmnSpecRow, DossierRow, ProcedureVersionRow
from engine.workflow.types import SpecInfo, WorkflowRuntime


@dataclass(frozen=True)
class Published:
    """Outcome of publishing one folder."""

    code: str
    version: int
    created: bool


def is_published(uow: UnitOfWork, content_hash: str) -> bool:
    """True when a version with this content was published already."""
    found = uow.session.exec(
        select(ProcedureVersionRow.id).where(ProcedureVersionRow.content_hash == content_hash)
    ).first()
    return found is not None


def publish_folders(uow: UnitOfWork, runtime: WorkflowRuntime, root: Path, now: datetime) -> list[Published]:
    """Publish every procedure folder whose content changed; running dossiers keep their version.

    Unchecked: servers publish through `engine.checks.publish_checked`, which runs `procedures check` first;
    this is for folders already checked (and for the scenario runner, which publishes the folder it checks).
    """
    results = []
    for path in procedure_folders(root):
        folder = read_folder(path)
        info = runtime.register(folder.bpmn_xml, folder.definition.process_id)
        published = _publish(
            uow, folder.definition, xml=folder.bpmn_xml, content_hash=folder.content_hash, info=info, now=now
        )
        results.append(published)
    return results


def _publish(
    uow: UnitOfWork,
    definition: ProcedureDefinition,
    *,
    xml: str,
    content_hash: str,
    info: SpecInfo,
    now: datetime,
) -> Published:
    session = uow.session
    existing = session.exec(
        select(ProcedureVersionRow).where(ProcedureVersionRow.content_hash == content_hash)
    ).first()
    if existing is not None:
        return Published(existing.code, existing.version, created=False)
    if session.get(BpmnSpecRow, info.spec_hash) is None:
        session.add(BpmnSpecRow(spec_hash=info.spec_hash, process_id=info.process_id, xml=xml))
    previous = session.exec(
        select(ProcedureVersionRow)
        .where(ProcedureVersionRow.code == definition.code)
        .order_by(col(ProcedureVersionRow.version).desc())
    ).all()
    for row in previous:
        row.is_current = False
        session.add(row)
    version = (previous[0].version + 1) if previous else 1
    session.add(
        ProcedureVersionRow(
            code=definition.code,
            slug=definition.slug,
            version=version,
            name=definition.name,
            content_hash=content_hash,
            spec_hash=info.spec_hash,
            definition=definition.raw,
            published_at=now,
            is_current=True,
        )
    )
    uow.flush()
    return Published(definition.code, version, created=True)


def current_versions(uow: UnitOfWork) -> list[ProcedureVersionRow]:
    """The current version of every procedure, by code."""
    rows = uow.session.exec(
        select(ProcedureVersionRow)
        .where(col(ProcedureVersionRow.is_current).is_(True))
        .order_by(ProcedureVersionRow.code)
    ).all()
    return list(rows)


def current_version(uow: UnitOfWork, code: str) -> ProcedureVersionRow:
    """The version new dossiers of this procedure start on; NotFound if unknown."""
    row = uow.session.exec(
        select(ProcedureVersionRow).where(
            ProcedureVersionRow.code == code, col(ProcedureVersionRow.is_current).is_(True)
        )
    ).first()
    if row is None:
        raise NotFound(
            f"Không tìm thấy thủ tục hành chính có mã «{code}».",
            f"No administrative procedure with code '{code}'.",
            code="ProcedureNotFound",
        )
    return row


# A version's content never changes once published, so its parsed definition is cached by content hash
# (not by row id: ids repeat across databases, e.g. scenario runs).
_DEFINITIONS: dict[str, ProcedureDefinition] = {}


def definition_of(row: ProcedureVersionRow) -> ProcedureDefinition:
    """The parsed definition of a stored version."""
    found = _DEFINITIONS.get(row.content_hash)
    if found is None:
        found = parse_definition(
            row.slug, row.definition, Path(f"procedure_version/{row.code}/{row.version}")
        )
        _DEFINITIONS[row.content_hash] = found
    return found


def term_of(uow: UnitOfWork, dossier: DossierRow, definition: ProcedureDefinition) -> ProcedureDefinition:
    """The definition whose legal term a dossier's clock counts: its own version's, or the one a move kept."""
    if dossier.term_version_id is None or dossier.term_version_id == dossier.procedure_version_id:
        return definition
    row = uow.session.get(ProcedureVersionRow, dossier.term_version_id)
    return definition if row is None else definition_of(row)


def ensure_spec(uow: UnitOfWork, runtime: WorkflowRuntime, spec_hash: str) -> None:
    """Make a stored BPMN version known to this process's runtime (any process may serve any dossier)."""
    if runtime.is_registered(spec_hash):
        return
    row = uow.session.get(BpmnSpecRow, spec_hash)
    if row is None:
        raise NotFound(
            "Không tìm thấy phiên bản quy trình BPMN.", "BPMN version not found.", code="SpecNotFound"
        )
    runtime.register(row.xml, row.process_id)
