"""Procedure versions: publish from processes/, look up the current one, load any stored BPMN version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from engine.errors import NotFound
from engine.forms import FormRegistry
from engine.procedure import ProcedureDefinition, parse_definition, procedure_folders, read_folder
from engine.store.db import UnitOfWork
from engine.store.models import BpmnSpecRow, DossierRow, ProcedureVersionFileRow, ProcedureVersionRow
from engine.workflow.types import SpecInfo, WorkflowRuntime


@dataclass(frozen=True)
class PublishFiles:
    """What a version keeps besides its definition: its folder's files, who published it, what changed."""

    files: dict[str, str]
    by: str | None = None
    by_name: str | None = None
    summary: dict[str, Any] | None = field(default=None)


def folder_files(path: Path) -> dict[str, str]:
    """The files of a procedure folder a version keeps: procedure.yaml, process.bpmn, scenarios/*.json."""
    files = {}
    for name in ("procedure.yaml", "process.bpmn"):
        if (path / name).is_file():
            files[name] = (path / name).read_text(encoding="utf-8")
    scenarios = path / "scenarios"
    if scenarios.is_dir():
        for scenario in sorted(scenarios.glob("*.json")):
            files[f"scenarios/{scenario.name}"] = scenario.read_text(encoding="utf-8")
    return files


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
        published = publish_version(
            uow,
            folder.definition,
            xml=folder.bpmn_xml,
            content_hash=folder.content_hash,
            info=info,
            now=now,
            files=PublishFiles(folder_files(path)),
        )
        results.append(published)
    return results


def publish_version(  # noqa: PLR0913 — the version's parts
    uow: UnitOfWork,
    definition: ProcedureDefinition,
    *,
    xml: str,
    content_hash: str,
    info: SpecInfo,
    now: datetime,
    files: PublishFiles | None = None,
) -> Published:
    """A new current version for this content, or the one already published with it (created=False).

    The version's folder files are kept with it (and added to a version published before they were kept).
    """
    session = uow.session
    existing = session.exec(
        select(ProcedureVersionRow).where(ProcedureVersionRow.content_hash == content_hash)
    ).first()
    if existing is not None:
        if files is not None and existing.id is not None:
            _keep_files(uow, existing.id, files.files, only_if_none=True)
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
    row = ProcedureVersionRow(
        code=definition.code,
        slug=definition.slug,
        version=version,
        name=definition.name,
        content_hash=content_hash,
        spec_hash=info.spec_hash,
        definition=definition.raw,
        published_at=now,
        is_current=True,
        published_by=files.by if files else None,
        published_by_name=files.by_name if files else None,
        change_summary=files.summary if files else None,
    )
    session.add(row)
    uow.flush()
    if files is not None and row.id is not None:
        _keep_files(uow, row.id, files.files, only_if_none=False)
    return Published(definition.code, version, created=True)


def _keep_files(uow: UnitOfWork, version_id: int, files: dict[str, str], *, only_if_none: bool) -> None:
    session = uow.session
    if only_if_none:
        found = session.exec(
            select(ProcedureVersionFileRow.id).where(ProcedureVersionFileRow.version_id == version_id)
        ).first()
        if found is not None:
            return
    for path, content in sorted(files.items()):
        session.add(ProcedureVersionFileRow(version_id=version_id, path=path, content=content))
    uow.flush()


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


def form_file(row: ProcedureVersionRow) -> str:
    """Where a version keeps its own e-form, if it kept one: `forms/<definition.form>.schema.json`."""
    return f"forms/{row.definition.get('form') or ''}.schema.json"


def form_key(uow: UnitOfWork, forms: FormRegistry, row: ProcedureVersionRow) -> str:
    """The key of the e-form a version's dossiers are filed, validated, shown and checked with.

    The version's own e-form when it kept one (published from the workshop), else the file in forms/ (a
    version published from a processes/ folder keeps none): the plain form name. Looked up once per version
    and registry; versions never change once published, so the content hash is the cache key.
    """
    found = forms.version_key(row.content_hash)
    if found is not None:
        return found
    name = str(row.definition.get("form") or "")
    text = uow.session.exec(
        select(ProcedureVersionFileRow.content).where(
            ProcedureVersionFileRow.version_id == row.id, ProcedureVersionFileRow.path == form_file(row)
        )
    ).first()
    key = name if text is None else forms.learn(name, text)
    forms.remember_version(row.content_hash, key)
    return key


def current_form(uow: UnitOfWork, forms: FormRegistry, code: str) -> str:
    """The e-form key new filings of a procedure use: its current version's (`form_key`)."""
    return form_key(uow, forms, current_version(uow, code))


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
