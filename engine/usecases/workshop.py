"""The procedure workshop (/quan-tri/thu-tuc): administrators author procedures in the browser.

A draft is the files of a procedure folder (procedure.yaml, process.bpmn, scenarios/*.json and the e-form
forms/<form>.schema.json) kept in the database. Saving a draft runs every check of `motcua procedures check`
(engine/checks.py, scenarios and the script sandbox included) on the draft written out to a temporary folder,
and keeps the structured problems. Publishing a draft with no problem makes a new immutable version keyed by
content hash (engine/catalog.py), its files kept with it, the e-form too: new filings take it and its e-form
(engine.catalog.form_key), running dossiers stay on theirs and their version's e-form. A version can be
retired (no new filings on it) and exported as a folder `.zip` that passes `motcua procedures check` as is.

Imports (a `.bpmn` from Camunda Modeler, bpmn.io or spiff-arena, or a whole folder as `.zip`) are bounded
(size, file count, paths inside the folder) and parsed with entities, DTDs and the network off: a file with
a DOCTYPE or entity declaration (XXE, "billion laughs") is refused with a clear message.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from lxml import etree  # type: ignore[import-untyped]
from sqlalchemy import func
from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.calendar import DeadlineUnit
from engine.catalog import PublishFiles, publish_version
from engine.checks import FolderReport, Problem, check_folder
from engine.clock import FixedClock, to_local
from engine.dossier.status import OPEN
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from engine.forms import FormRegistry
from engine.procedure import ProcedureFileError, read_folder
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import (
    AdminChangeRow,
    BpmnSpecRow,
    DossierRow,
    ProcedureDraftFileRow,
    ProcedureDraftRow,
    ProcedureVersionFileRow,
    ProcedureVersionRow,
)
from engine.upload import UploadTooLarge
from engine.workflow.types import WorkflowRuntime

MAX_FILE_BYTES = 1024 * 1024  # one .bpmn, .yaml or .json: procedures are tens of kilobytes
MAX_ZIP_BYTES = 2 * 1024 * 1024
MAX_UNZIPPED_BYTES = 4 * 1024 * 1024
MAX_FILES = 60
PATH_RE = re.compile(
    r"^(procedure\.yaml|process\.bpmn|scenarios/[A-Za-z0-9._-]{1,80}\.json|forms/[a-z0-9-]{1,60}\.schema\.json)$"
)
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
HHMM_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
STEP_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PAPER_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
COPIES = ("original", "certified_copy", "copy", "original_or_copy")
LEVELS = ("commune", "district", "province", "department", "ministry")
MAX_ROWS = 30
BLANK = Path(__file__).resolve().parents[1] / "blank"
"""The blank template's data: process.bpmn (routes every decision its task forms offer) and scenarios/."""
BLANK_BPMN = (BLANK / "process.bpmn").read_text(encoding="utf-8")

ServicesFactory = Callable[[FixedClock, Path], Services]
"""Services for running scenarios on a given forms folder (the draft's e-form overlaid on the real ones)."""


@dataclass(frozen=True)
class Tools:
    """What checking and publishing need besides the database: the BPMN runtime, the real forms, services."""

    runtime: WorkflowRuntime
    forms: FormRegistry
    services_factory: ServicesFactory
    # The BPMN linter's errors as problems on their elements (bpmnlint with MotCua's rules, wired by the
    # portal); None: the checks of `procedures check` only.
    lint: Callable[[str], list[Problem]] | None = None


def require_admin(actor: Actor) -> None:
    """Only administrators author procedures."""
    if not actor.has(Role.ADMIN):
        raise Forbidden(
            "Chỉ quản trị hệ thống được soạn và công bố thủ tục.",
            "Only administrators author and publish procedures.",
            code="AdminRequired",
        )


# --- the list of procedures -------------------------------------------------------------------------------


@dataclass
class VersionLine:
    """One version of a procedure as the workshop lists it."""

    row: ProcedureVersionRow
    open_dossiers: int

    @property
    def state(self) -> str:
        """published (new filings take it) | retired | superseded (older, still serving its dossiers)."""
        if self.row.retired_at is not None:
            return "retired"
        return "published" if self.row.is_current else "superseded"


@dataclass
class ProcedureLine:
    """A procedure with its versions (newest first) and open drafts."""

    code: str
    name: str
    slug: str
    versions: list[VersionLine] = field(default_factory=list)
    drafts: list[ProcedureDraftRow] = field(default_factory=list)


def list_procedures(uow: UnitOfWork, actor: Actor) -> list[ProcedureLine]:
    """Every procedure, its versions with who published each and their open dossiers, and its drafts.

    Open dossiers are counted in one grouped query over (procedure_version_id, status).
    """
    require_admin(actor)
    session = uow.session
    counts: dict[int, int] = dict(
        session.exec(
            select(DossierRow.procedure_version_id, func.count())
            .where(col(DossierRow.status).in_([int(s) for s in OPEN]))
            .group_by(col(DossierRow.procedure_version_id))
        ).all()
    )
    lines: dict[str, ProcedureLine] = {}
    versions = session.exec(
        select(ProcedureVersionRow).order_by(
            col(ProcedureVersionRow.code), col(ProcedureVersionRow.version).desc()
        )
    ).all()
    for row in versions:
        line = lines.setdefault(row.code, ProcedureLine(row.code, row.name, row.slug))
        line.versions.append(VersionLine(row, int(counts.get(row.id or 0, 0))))
    drafts = session.exec(
        select(ProcedureDraftRow).where(ProcedureDraftRow.state == "open").order_by(col(ProcedureDraftRow.id))
    ).all()
    for draft in drafts:
        line = lines.setdefault(draft.code, ProcedureLine(draft.code, draft.name, draft.slug))
        line.drafts.append(draft)
    for line in lines.values():
        current = next((v for v in line.versions if v.row.is_current), None)
        if current is not None:
            line.name = current.row.name
    return sorted(lines.values(), key=lambda p: p.code)


def procedure_detail(uow: UnitOfWork, actor: Actor, code: str) -> ProcedureLine:
    """One procedure of the list; NotFound when it has neither a version nor an open draft."""
    for line in list_procedures(uow, actor):
        if line.code == code:
            return line
    raise NotFound(
        f"Không tìm thấy thủ tục có mã «{code[:40]}».",
        f"No procedure with code '{code[:40]}'.",
        "ProcedureNotFound",
    )


def get_version(uow: UnitOfWork, actor: Actor, version_id: int) -> ProcedureVersionRow:
    """One published version, or NotFound."""
    require_admin(actor)
    row = uow.session.get(ProcedureVersionRow, version_id)
    if row is None:
        raise NotFound("Không tìm thấy phiên bản thủ tục.", "Procedure version not found.", "VersionNotFound")
    return row


# --- files of versions and drafts -------------------------------------------------------------------------


def version_files(uow: UnitOfWork, row: ProcedureVersionRow) -> dict[str, str]:
    """The folder files of a version (stored at publication; older versions: rebuilt from their rows)."""
    stored = uow.session.exec(
        select(ProcedureVersionFileRow).where(ProcedureVersionFileRow.version_id == row.id)
    ).all()
    files = {f.path: f.content for f in stored}
    if "procedure.yaml" not in files:
        files["procedure.yaml"] = yaml.safe_dump(row.definition, sort_keys=False, allow_unicode=True)
    if "process.bpmn" not in files:
        spec = uow.session.get(BpmnSpecRow, row.spec_hash)
        files["process.bpmn"] = spec.xml if spec is not None else ""
    return dict(sorted(files.items()))


def draft_files(uow: UnitOfWork, draft_id: int) -> dict[str, str]:
    """A draft's files by path."""
    rows = uow.session.exec(
        select(ProcedureDraftFileRow)
        .where(ProcedureDraftFileRow.draft_id == draft_id)
        .order_by(col(ProcedureDraftFileRow.path))
    ).all()
    return {r.path: r.content for r in rows}


def write_files(uow: UnitOfWork, draft_id: int, files: dict[str, str]) -> None:
    """Make the draft's files exactly `files` (rows added, changed and dropped)."""
    session = uow.session
    existing = {
        r.path: r
        for r in session.exec(
            select(ProcedureDraftFileRow).where(ProcedureDraftFileRow.draft_id == draft_id)
        ).all()
    }
    for path, stale in existing.items():
        if path not in files:
            session.delete(stale)
    for path, content in files.items():
        row = existing.get(path)
        if row is None:
            session.add(ProcedureDraftFileRow(draft_id=draft_id, path=path, content=content))
        elif row.content != content:
            row.content = content
            session.add(row)
    uow.flush()


def get_draft(uow: UnitOfWork, actor: Actor, draft_id: int, *, lock: bool = False) -> ProcedureDraftRow:
    """One draft, or NotFound; `lock` holds its row to the end of the transaction (saves take turns)."""
    require_admin(actor)
    row = uow.session.get(ProcedureDraftRow, draft_id, with_for_update=lock)
    if row is None:
        raise NotFound("Không tìm thấy bản nháp thủ tục.", "Procedure draft not found.", "DraftNotFound")
    return row


def open_draft(uow: UnitOfWork, actor: Actor, draft_id: int) -> ProcedureDraftRow:
    """A draft that may still be edited, its row locked; Conflict (DraftClosed) once published/discarded."""
    draft = get_draft(uow, actor, draft_id, lock=True)
    if draft.state != "open":
        raise Conflict(
            "Bản nháp này đã được công bố hoặc đã hủy; hãy tạo bản nháp mới.",
            "This draft was published or discarded; start a new draft.",
            code="DraftClosed",
        )
    return draft


NO_FILE = "none"


def file_token(files: dict[str, str], path: str | None) -> str:
    """What an editor was opened on: a short hash of one file's content (`none` when there is no such file).

    Each editor posts the token of the file it shows; a save whose token no longer matches would overwrite
    what someone else saved meanwhile, and is refused (`unchanged_since`).
    """
    content = files.get(path) if path else None
    return NO_FILE if content is None else hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


def unchanged_since(
    draft: ProcedureDraftRow, files: dict[str, str], path: str | None, expected: str | None, field_name: str
) -> None:
    """Conflict (DraftChanged, on the editor's field) when the file is no longer what the editor showed.

    `expected` None (a client that sends no token) saves as before: the last write wins.
    """
    if expected is None or file_token(files, path) == expected:
        return
    when = f"{to_local(draft.updated_at):%H:%M %d/%m/%Y}"
    vi = (
        f"Tệp này đã được lưu lúc {when}, sau khi bạn mở trang (có thể bởi một quản trị viên khác). "
        "Nội dung bạn nhập vẫn ở đây: mở lại bản nháp để xem thay đổi đó, hoặc lưu lần nữa để ghi đè."
    )
    en = (
        f"This file was saved at {when}, after you opened the page (perhaps by another administrator). "
        "What you typed is kept here: reopen the draft to see that change, or save again to overwrite it."
    )
    raise Conflict(vi, en, code="DraftChanged", fields={field_name: FieldError(vi, en)})


def _yaml_of(files: dict[str, str]) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(files.get("procedure.yaml", "")) or {}
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _new_draft(
    uow: UnitOfWork, actor: Actor, files: dict[str, str], now: datetime, base: ProcedureVersionRow | None
) -> ProcedureDraftRow:
    raw = _yaml_of(files)
    code = str(raw.get("code") or (base.code if base else "moi"))[:40]
    slug = base.slug if base else _slug_of(raw, code)
    draft = ProcedureDraftRow(
        code=code,
        slug=slug,
        name=str(raw.get("name") or code)[:300],
        base_version_id=base.id if base else None,
        created_by=actor.subject,
        created_by_name=actor.display,
        created_at=now,
        updated_by=actor.subject,
        updated_at=now,
    )
    uow.session.add(draft)
    uow.flush()
    assert draft.id is not None
    write_files(uow, draft.id, files)
    return draft


def _slug_of(raw: dict[str, Any], code: str) -> str:
    """A new procedure's folder name (its result template is forms/documents/results/<slug>.html)."""
    slug = str(raw.get("slug") or "").strip()
    if SLUG_RE.fullmatch(slug):
        return slug
    cleaned = re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")
    return f"thu-tuc-{cleaned}"[:80]


def draft_from_version(
    uow: UnitOfWork, actor: Actor, forms: FormRegistry, version_id: int, now: datetime
) -> ProcedureDraftRow:
    """A draft holding a copy of a published version's folder (its e-form too)."""
    base = get_version(uow, actor, version_id)
    return _new_draft(uow, actor, with_form(version_files(uow, base), base, forms), now, base)


def with_form(files: dict[str, str], row: ProcedureVersionRow, forms: FormRegistry) -> dict[str, str]:
    """A version's files with its e-form: its own when it kept one, else the one in forms/."""
    form = str(row.definition.get("form") or "")
    form_path = f"forms/{form}.schema.json"
    if form and form_path not in files:
        try:
            files = {**files, form_path: json.dumps(forms.schema(form), ensure_ascii=False, indent=2) + "\n"}
        except NotFound:  # a version whose e-form is gone still opens; the check says so
            pass
    return dict(sorted(files.items()))


def draft_blank(uow: UnitOfWork, actor: Actor, now: datetime) -> ProcedureDraftRow:
    """A draft from the blank template: a minimal procedure with one reception and one approval step."""
    require_admin(actor)
    return _new_draft(uow, actor, blank_template(), now, None)


def blank_template() -> dict[str, str]:
    """The files of a new procedure: it fails the check until its code and names are written.

    Its BPMN routes every decision its task forms offer (reception: accept, supplement, refuse; approval:
    approve, refuse — the result, or the reasoned refusal, is then returned) and its scenarios drive a
    dossier down each route; they name no procedure code, so they run on whatever code the admin writes.
    """
    definition = {
        "code": "",
        "name": "",
        "name_en": "",
        "field": "",
        "level": "commune",
        "process_id": "new_procedure",
        "form": "permanent-residence",
        "legal_basis": [],
        "deadline": {"amount": 3, "unit": "working_days", "cutoff": None},
        "clock": "pause",
        "supplement_limit": 1,
        "fee": {"amount": 0, "currency": "VND", "description": "", "exemptions": []},
        "online_level": "full",
        "result": {"kind": "", "description": ""},
        "papers": [],
        "lanes": {"citizen": "citizen", "officer": "officer", "leader": "leader"},
        "budgets": {"reception": 4, "approval": 16, "return": 4},
    }
    scenarios = {
        f"scenarios/{path.name}": path.read_text(encoding="utf-8")
        for path in sorted((BLANK / "scenarios").glob("*.json"))
    }
    return {
        "procedure.yaml": yaml.safe_dump(definition, sort_keys=False, allow_unicode=True),
        "process.bpmn": BLANK_BPMN,
        **scenarios,
    }


# --- imports: bounded, no entities, paths inside the folder -----------------------------------------------

_DTD_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _import_error(field_name: str, vi: str, en: str) -> InvalidInput:
    return InvalidInput(
        "Tệp nhập vào không dùng được.", "The imported file cannot be used.", {field_name: FieldError(vi, en)}
    )


def safe_bpmn(data: bytes, field_name: str = "file") -> str:
    """The text of an uploaded BPMN file, parsed with entities, DTDs and the network off.

    A DOCTYPE or ENTITY declaration (the way XXE and "billion laughs" files work) is refused outright, and so
    is a file that is not BPMN 2.0 XML with at least one process.
    """
    if len(data) > MAX_FILE_BYTES:
        raise UploadTooLarge(MAX_FILE_BYTES)
    if _DTD_RE.search(data):
        raise _import_error(
            field_name,
            "Tệp có khai báo DOCTYPE/ENTITY (thực thể XML) — bị từ chối để chống tấn công XXE "
            "và «billion laughs».",
            "The file declares a DOCTYPE/ENTITY (XML entities) — refused to prevent XXE "
            "and billion-laughs attacks.",
        )
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise _import_error(
            field_name, f"Tệp không phải XML hợp lệ: {exc}", f"The file is not well-formed XML: {exc}"
        ) from None
    if etree.QName(root).localname != "definitions" or not root.findall("{*}process"):
        raise _import_error(
            field_name,
            "Tệp không phải mô hình BPMN 2.0 (thiếu bpmn:definitions hoặc bpmn:process).",
            "The file is not a BPMN 2.0 model (no bpmn:definitions or bpmn:process).",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _import_error(field_name, "Tệp phải mã hóa UTF-8.", "The file must be UTF-8 encoded.") from None


def process_ids(bpmn_xml: str) -> list[str]:
    """The executable process ids a BPMN file declares."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(bpmn_xml.encode("utf-8"), parser=parser)
    return [str(p.get("id")) for p in root.findall("{*}process") if p.get("id")]


def import_bpmn(
    uow: UnitOfWork, actor: Actor, draft_id: int, data: bytes, now: datetime
) -> ProcedureDraftRow:
    """Replace a draft's process.bpmn with an uploaded one; procedure.yaml's process_id follows it."""
    draft = open_draft(uow, actor, draft_id)
    xml = safe_bpmn(data)
    files = draft_files(uow, draft_id)
    files["process.bpmn"] = xml
    raw = _yaml_of(files)
    ids = process_ids(xml)
    if raw and ids and raw.get("process_id") not in ids:
        raw["process_id"] = ids[0]
        files["procedure.yaml"] = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    write_files(uow, draft_id, files)
    touch(uow, draft, actor, now)
    return draft


def read_zip(data: bytes) -> dict[str, str]:  # noqa: C901, PLR0912 — one check per way a zip can be bad
    """The files of a procedure folder zipped (at the top or under one folder), checked and bounded."""
    if len(data) > MAX_ZIP_BYTES:
        raise UploadTooLarge(MAX_ZIP_BYTES)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError):
        raise _import_error("file", "Tệp không phải .zip hợp lệ.", "The file is not a valid .zip.") from None
    if len(infos) > MAX_FILES:
        raise _import_error(
            "file",
            f"Tệp .zip có {len(infos)} tệp, tối đa {MAX_FILES}.",
            f"The .zip holds {len(infos)} files, at most {MAX_FILES} are allowed.",
        )
    names = [i.filename for i in infos]
    for name in names:
        pure = PurePosixPath(name.replace("\\", "/"))
        if (
            name.startswith(("/", "\\"))
            or pure.is_absolute()
            or ".." in pure.parts
            or re.match(r"^[A-Za-z]:", name)
        ):
            raise _import_error(
                "file",
                f"Tệp .zip có đường dẫn ra ngoài thư mục thủ tục: «{name[:120]}».",
                f"The .zip has a path leading outside the procedure folder: '{name[:120]}'.",
            )
    if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
        raise UploadTooLarge(MAX_UNZIPPED_BYTES)
    prefix = _common_folder(names)
    files: dict[str, str] = {}
    for info in infos:
        path = info.filename[len(prefix) :]
        if not PATH_RE.fullmatch(path):
            raise _import_error(
                "file",
                f"Tệp «{info.filename[:120]}» không thuộc thư mục thủ tục (procedure.yaml, process.bpmn, "
                "scenarios/*.json, forms/*.schema.json).",
                f"'{info.filename[:120]}' is not a procedure folder file (procedure.yaml, process.bpmn, "
                "scenarios/*.json, forms/*.schema.json).",
            )
        if info.file_size > MAX_FILE_BYTES:
            raise UploadTooLarge(MAX_FILE_BYTES)
        try:
            with archive.open(info) as member:
                content = member.read(
                    MAX_FILE_BYTES + 1
                )  # a header that lies about the size reads no further
        except (zipfile.BadZipFile, ValueError, OSError):
            raise _import_error("file", "Tệp .zip bị hỏng.", "The .zip is damaged.") from None
        if len(content) > MAX_FILE_BYTES:
            raise UploadTooLarge(MAX_FILE_BYTES)
        if path == "process.bpmn":
            files[path] = safe_bpmn(content)
            continue
        try:
            files[path] = content.decode("utf-8")
        except UnicodeDecodeError:
            raise _import_error(
                "file", f"«{path}» phải mã hóa UTF-8.", f"'{path}' must be UTF-8 encoded."
            ) from None
    for required in ("procedure.yaml", "process.bpmn"):
        if required not in files:
            raise _import_error("file", f"Tệp .zip thiếu {required}.", f"The .zip has no {required}.")
    return files


def _common_folder(names: list[str]) -> str:
    """`folder/` when every entry sits under the same top folder (a zipped folder), else ''."""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1 and all("/" in n for n in names):
        return tops.pop() + "/"
    return ""


def import_zip(uow: UnitOfWork, actor: Actor, data: bytes, now: datetime) -> ProcedureDraftRow:
    """A new draft from a zipped procedure folder."""
    require_admin(actor)
    files = read_zip(data)
    raw = _yaml_of(files)
    base = None
    code = raw.get("code")
    if isinstance(code, str) and code:
        base = uow.session.exec(
            select(ProcedureVersionRow).where(
                ProcedureVersionRow.code == code, col(ProcedureVersionRow.is_current).is_(True)
            )
        ).first()
    return _new_draft(uow, actor, files, now, base)


# --- editing ----------------------------------------------------------------------------------------------


def too_large_on(field_name: str) -> UploadTooLarge:
    """A file typed past MAX_FILE_BYTES, refused on the editor (form field) that holds it."""
    too_large = UploadTooLarge(MAX_FILE_BYTES)
    too_large.fields = {field_name: too_large.fields["file"]}
    return too_large


def touch(uow: UnitOfWork, draft: ProcedureDraftRow, actor: Actor, now: datetime) -> None:
    """Record who edited the draft last, and when (the draft is saved with the transaction)."""
    draft.updated_by, draft.updated_at = actor.subject, now
    uow.session.add(draft)


def save_file(  # noqa: PLR0913, PLR0917 — who, which draft, which file, what, when, over what
    uow: UnitOfWork,
    actor: Actor,
    draft_id: int,
    path: str,
    content: str,
    now: datetime,
    expected: str | None = None,
) -> ProcedureDraftRow:
    """Replace one file of a draft (BPMN XML is checked like an import: no entities, BPMN 2.0); with
    `expected` (file_token of what the editor showed) refused when someone saved the file meanwhile."""
    draft = open_draft(uow, actor, draft_id)
    if not PATH_RE.fullmatch(path):
        raise _import_error("path", "Đường dẫn tệp không hợp lệ.", "The file path is not valid.")
    field_name = {"process.bpmn": "bpmn_xml", "procedure.yaml": "yaml"}.get(path, "form_schema")
    if len(content.encode("utf-8")) > MAX_FILE_BYTES:
        raise too_large_on(field_name)
    if path == "process.bpmn":
        content = safe_bpmn(content.encode("utf-8"), field_name)
    elif path.endswith(".json"):
        try:
            loaded = json.loads(content)
        except json.JSONDecodeError as exc:
            raise _import_error(
                field_name, f"JSON không hợp lệ: {exc}", f"The JSON is not valid: {exc}"
            ) from None
        if not isinstance(loaded, dict):
            raise _import_error(field_name, "Phải là một đối tượng JSON.", "Must be a JSON object.")
    files = draft_files(uow, draft_id)
    unchanged_since(draft, files, path, expected, field_name)
    files[path] = content
    write_files(uow, draft_id, files)
    touch(uow, draft, actor, now)
    return draft


def discard(uow: UnitOfWork, actor: Actor, draft_id: int, now: datetime) -> None:
    """Drop an open draft."""
    draft = open_draft(uow, actor, draft_id)
    draft.state = "discarded"
    touch(uow, draft, actor, now)


@dataclass
class PaperInput:
    """One row of the papers table as typed."""

    key: str = ""
    name: str = ""
    copies: str = "original"
    count: str = "1"
    required: bool = True


@dataclass
class BudgetInput:
    """One step budget as typed."""

    step: str = ""
    hours: str = ""


@dataclass
class MetadataInput:
    """procedure.yaml's metadata as typed in the form (strings, unchecked)."""

    code: str = ""
    name: str = ""
    name_en: str = ""
    field: str = ""
    level: str = "commune"
    agencies: str = ""
    deadline_amount: str = ""
    deadline_unit: str = "working_days"
    cutoff: str = ""
    clock: str = "pause"
    supplement_limit: str = "1"
    fee_amount: str = "0"
    fee_description: str = ""
    fee_exemptions: str = ""
    legal_basis: str = ""
    papers: list[PaperInput] = dataclasses.field(default_factory=list)
    budgets: list[BudgetInput] = dataclasses.field(default_factory=list)

    @classmethod
    def of(cls, raw: dict[str, Any]) -> MetadataInput:
        """The form's values of a procedure.yaml mapping."""
        deadline = raw.get("deadline") if isinstance(raw.get("deadline"), dict) else {}
        fee = raw.get("fee") if isinstance(raw.get("fee"), dict) else {}
        assert isinstance(deadline, dict)
        assert isinstance(fee, dict)
        papers = [p for p in raw.get("papers") or [] if isinstance(p, dict)]
        budgets = raw.get("budgets") if isinstance(raw.get("budgets"), dict) else {}
        assert isinstance(budgets, dict)
        return cls(
            code=str(raw.get("code") or ""),
            name=str(raw.get("name") or ""),
            name_en=str(raw.get("name_en") or ""),
            field=str(raw.get("field") or ""),
            level=str(raw.get("level") or "commune"),
            agencies="\n".join(str(a) for a in raw.get("agencies") or []),
            deadline_amount=f"{deadline.get('amount', '')}".removesuffix(".0"),
            deadline_unit=str(deadline.get("unit") or "working_days"),
            cutoff=str(deadline.get("cutoff") or ""),
            clock=str(raw.get("clock") or "pause"),
            supplement_limit=str(raw.get("supplement_limit", 1)),
            fee_amount=str(fee.get("amount", 0)),
            fee_description=str(fee.get("description") or ""),
            fee_exemptions="\n".join(str(e) for e in fee.get("exemptions") or []),
            legal_basis="\n".join(str(b) for b in raw.get("legal_basis") or []),
            papers=[
                PaperInput(
                    key=str(p.get("key") or ""),
                    name=str(p.get("name") or ""),
                    copies=str(p.get("copies") or "original"),
                    count=str(p.get("count", 1)),
                    required=bool(p.get("required", True)),
                )
                for p in papers
            ],
            budgets=[BudgetInput(str(k), f"{v}".removesuffix(".0")) for k, v in budgets.items()],
        )


def _number(text: str, problems: dict[str, FieldError], key: str, *, low: float, high: float) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        problems[key] = FieldError("Nhập một số.", "Enter a number.")
        return None
    if not low <= value <= high:
        problems[key] = FieldError(
            f"Nhập số từ {low:g} đến {high:g}.", f"Enter a number from {low:g} to {high:g}."
        )
        return None
    return value


def _lines(text: str, limit: int = 20, width: int = 400) -> list[str]:
    return [" ".join(line.split())[:width] for line in text.splitlines() if line.strip()][:limit]


def _check_metadata(  # noqa: C901, PLR0912, PLR0915 — one rule per field of the form
    data: MetadataInput,
) -> tuple[dict[str, Any], dict[str, FieldError]]:
    """The procedure.yaml keys the form sets, and a field error per bad field."""
    problems: dict[str, FieldError] = {}
    out: dict[str, Any] = {}
    code = data.code.strip()
    if not CODE_RE.fullmatch(code):
        problems["code"] = FieldError(
            "Nhập mã thủ tục (chữ, số, dấu chấm), ví dụ 1.004222.", "Enter the procedure code, e.g. 1.004222."
        )
    out["code"] = code
    for key, label, label_en in (
        ("name", "tên thủ tục", "the procedure's name"),
        ("name_en", "tên tiếng Anh", "the English name"),
    ):
        value = " ".join(getattr(data, key).split())
        if not 3 <= len(value) <= 300:
            problems[key] = FieldError(
                f"Nhập {label} (3–300 ký tự).", f"Enter {label_en} (3–300 characters)."
            )
        out[key] = value
    out["field"] = " ".join(data.field.split())[:200]
    if data.level not in LEVELS:
        problems["level"] = FieldError("Chọn cấp thực hiện.", "Choose the level that performs it.")
    out["level"] = data.level
    out["agencies"] = _lines(data.agencies, 50, 200)
    unit = data.deadline_unit
    if unit not in {u.value for u in DeadlineUnit}:
        problems["deadline_unit"] = FieldError("Chọn đơn vị thời hạn.", "Choose the deadline's unit.")
    amount = _number(data.deadline_amount or "0", problems, "deadline_amount", low=0, high=365)
    if amount is not None and amount == 0 and unit != DeadlineUnit.SAME_DAY.value:
        problems["deadline_amount"] = FieldError(
            "Thời hạn phải lớn hơn 0 (hoặc chọn «Trong ngày»).",
            "The deadline must be above 0 (or choose same day).",
        )
    cutoff = data.cutoff.strip()
    if cutoff and not HHMM_RE.fullmatch(cutoff):
        problems["cutoff"] = FieldError(
            "Nhập giờ dạng HH:MM, ví dụ 15:00.", "Enter a time as HH:MM, e.g. 15:00."
        )
    out["deadline"] = {
        "amount": (int(amount) if amount is not None and amount.is_integer() else amount)
        if amount is not None
        else 0,
        "unit": unit,
        "cutoff": cutoff or None,
    }
    if data.clock not in ("pause", "restart", "none"):
        problems["clock"] = FieldError("Chọn cách tính thời hạn khi bổ sung.", "Choose the clock policy.")
    out["clock"] = data.clock
    limit = _number(data.supplement_limit or "1", problems, "supplement_limit", low=0, high=5)
    out["supplement_limit"] = int(limit) if limit is not None else 1
    fee = _number(data.fee_amount or "0", problems, "fee_amount", low=0, high=100_000_000)
    if fee is not None and not fee.is_integer():
        problems["fee_amount"] = FieldError("Lệ phí là số đồng nguyên.", "The fee is a whole number of đồng.")
    out["fee"] = {
        "amount": int(fee or 0),
        "currency": "VND",
        "description": " ".join(data.fee_description.split())[:500],
        "exemptions": _lines(data.fee_exemptions),
    }
    out["legal_basis"] = _lines(data.legal_basis)
    papers = []
    keys: set[str] = set()
    for i, paper in enumerate(data.papers[:MAX_ROWS]):
        if not (paper.key.strip() or paper.name.strip()):
            continue
        key = paper.key.strip()
        if not PAPER_KEY_RE.fullmatch(key) or key in keys:
            problems[f"papers-{i}-key"] = FieldError(
                "Mã giấy tờ: chữ thường, số, gạch dưới; không trùng.",
                "Paper key: lower-case letters, digits, _; unique.",
            )
        keys.add(key)
        name = " ".join(paper.name.split())
        if not 3 <= len(name) <= 300:
            problems[f"papers-{i}-name"] = FieldError(
                "Nhập tên giấy tờ (3–300 ký tự).", "Enter the paper's name."
            )
        if paper.copies not in COPIES:
            problems[f"papers-{i}-copies"] = FieldError("Chọn loại bản.", "Choose original or copy.")
        count = _number(paper.count or "1", problems, f"papers-{i}-count", low=1, high=20)
        papers.append(
            {
                "key": key,
                "name": name,
                "copies": paper.copies,
                "count": int(count or 1),
                "required": paper.required,
            }
        )
    out["papers"] = papers
    budgets: dict[str, float | int] = {}
    for i, budget in enumerate(data.budgets[:MAX_ROWS]):
        if not (budget.step.strip() or budget.hours.strip()):
            continue
        step = budget.step.strip()
        if not STEP_RE.fullmatch(step) or step in budgets:
            problems[f"budgets-{i}-step"] = FieldError(
                "Mã bước: chữ thường, số, gạch dưới; không trùng.",
                "Step: lower-case letters, digits, _; unique.",
            )
        hours = _number(budget.hours, problems, f"budgets-{i}-hours", low=0.25, high=2000)
        if hours is not None:
            budgets[step] = int(hours) if hours.is_integer() else hours
    out["budgets"] = budgets
    return out, problems


def save_metadata(  # noqa: PLR0913, PLR0917 — who, which draft, what, when, over what
    uow: UnitOfWork,
    actor: Actor,
    draft_id: int,
    data: MetadataInput,
    now: datetime,
    expected: str | None = None,
) -> ProcedureDraftRow:
    """Write the form's metadata into the draft's procedure.yaml (other keys kept); InvalidInput per field."""
    draft = open_draft(uow, actor, draft_id)
    values, problems = _check_metadata(data)
    if problems:
        raise InvalidInput(
            "Thông tin thủ tục chưa hợp lệ.", "The procedure's details are not valid.", problems
        )
    files = draft_files(uow, draft_id)
    unchanged_since(draft, files, "procedure.yaml", expected, "code")
    raw = _yaml_of(files)
    if not values["agencies"]:
        values.pop("agencies")
        raw.pop("agencies", None)
    raw.update(values)
    files["procedure.yaml"] = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    write_files(uow, draft_id, files)
    draft.code, draft.name = values["code"], values["name"]
    touch(uow, draft, actor, now)
    return draft


# --- checking ---------------------------------------------------------------------------------------------


@contextmanager
def materialised(files: dict[str, str], slug: str, forms_root: Path) -> Iterator[tuple[Path, Path]]:
    """The draft written out: (procedure folder, forms folder with the draft's e-form over the real ones)."""
    with tempfile.TemporaryDirectory(prefix="motcua-draft-") as tmp:
        root = Path(tmp)
        forms = root / "forms"
        if forms_root.is_dir():
            shutil.copytree(forms_root, forms)
        folder = root / "processes" / slug
        folder.mkdir(parents=True)
        for path, content in files.items():
            target = (forms / path.removeprefix("forms/")) if path.startswith("forms/") else folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        yield folder, forms


def content_hash(files: dict[str, str], slug: str, forms_root: Path) -> str | None:
    """The version hash these files would publish as (engine/procedure.py's, plus an e-form that differs)."""
    with materialised(files, slug, forms_root) as (folder, _forms):
        try:
            base = read_folder(folder).content_hash
        except ProcedureFileError:
            return None
    extra = _own_form(files, forms_root)
    if extra is None:
        return base
    return hashlib.sha256((base + extra).encode()).hexdigest()


def _own_form(files: dict[str, str], forms_root: Path) -> str | None:
    """The draft's e-form text when it differs from the one in forms/ (compared as JSON)."""
    for path, content in files.items():
        if not path.startswith("forms/"):
            continue
        real = forms_root / path.removeprefix("forms/")
        try:
            same = real.is_file() and json.loads(real.read_text(encoding="utf-8")) == json.loads(content)
        except json.JSONDecodeError:
            same = False
        if not same:
            return content
    return None


def run_checks(files: dict[str, str], slug: str, tools: Tools) -> FolderReport:
    """Every check of `motcua procedures check` on the files, in a temporary folder."""
    with materialised(files, slug, tools.forms.root) as (folder, forms_dir):
        forms = FormRegistry(forms_dir)
        report = check_folder(
            folder, tools.runtime, forms, lambda clock: tools.services_factory(clock, forms_dir)
        )
    # Problems about files are named relative to the folder (not the temporary path).
    report.path = Path(slug)
    bpmn = files.get("process.bpmn")
    if tools.lint is not None and bpmn:
        known = {(p.element_id, p.message) for p in report.details}
        report.add(*(p for p in tools.lint(bpmn) if (p.element_id, p.message) not in known))
    return report


@dataclass
class CheckOutcome:
    """What a check found, and whether the draft can be published."""

    problems: list[Problem]
    scenarios: int

    @property
    def passed(self) -> bool:
        """No problem stands."""
        return not self.problems


def check_draft(uow: UnitOfWork, actor: Actor, draft_id: int, tools: Tools, now: datetime) -> CheckOutcome:
    """Run the checks on a draft and keep the problems with it."""
    draft = get_draft(uow, actor, draft_id)
    files = draft_files(uow, draft_id)
    report = run_checks(files, draft.slug, tools)
    draft.problems = [p.as_dict() for p in report.details]
    draft.checked_hash = content_hash(files, draft.slug, tools.forms.root) if not report.details else None
    draft.checked_at = now
    draft.scenarios_run = report.scenarios
    uow.session.add(draft)
    return CheckOutcome(report.details, report.scenarios)


def stored_problems(draft: ProcedureDraftRow) -> list[Problem]:
    """The problems of the draft's last check."""
    return [Problem.of(p) for p in draft.problems or []]


# --- publishing, retiring, exporting ----------------------------------------------------------------------


def change_summary(old: dict[str, str] | None, new: dict[str, str]) -> dict[str, Any]:
    """Files added, removed and changed, and the deadline, fee, budgets and papers before → after."""
    old = old or {}
    summary: dict[str, Any] = {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": sorted(p for p in set(old) & set(new) if old[p] != new[p]),
    }
    before, after = _yaml_of(old), _yaml_of(new)
    for key in ("deadline", "fee", "budgets", "clock"):
        if before.get(key) != after.get(key):
            summary[key] = {"before": before.get(key), "after": after.get(key)}
    if before.get("papers") != after.get("papers"):
        summary["papers"] = {
            "before": len(before.get("papers") or []),
            "after": len(after.get("papers") or []),
        }
    return summary


def publish_draft(
    uow: UnitOfWork, actor: Actor, draft_id: int, tools: Tools, now: datetime
) -> ProcedureVersionRow:
    """Publish a checked draft as a new version (checked again if it changed since).

    Conflict (DraftHasProblems) while any problem stands; Conflict (AlreadyPublished) for known content.
    """
    draft = open_draft(uow, actor, draft_id)
    files = draft_files(uow, draft_id)
    digest = content_hash(files, draft.slug, tools.forms.root)
    if digest is None or draft.checked_hash != digest:
        outcome = check_draft(uow, actor, draft_id, tools, now)
        digest = draft.checked_hash
        if not outcome.passed or digest is None:
            raise Conflict(
                f"Chưa công bố được: bản nháp còn {len(outcome.problems)} lỗi.",
                f"Cannot publish: the draft has {len(outcome.problems)} problem(s).",
                code="DraftHasProblems",
            )
    with materialised(files, draft.slug, tools.forms.root) as (folder, _forms):
        read = read_folder(folder)
    previous = uow.session.exec(
        select(ProcedureVersionRow).where(
            ProcedureVersionRow.code == read.definition.code, col(ProcedureVersionRow.is_current).is_(True)
        )
    ).first()
    old_files = with_form(version_files(uow, previous), previous, tools.forms) if previous else None
    info = tools.runtime.register(read.bpmn_xml, read.definition.process_id)
    published = publish_version(
        uow,
        read.definition,
        xml=read.bpmn_xml,
        content_hash=digest,
        info=info,
        now=now,
        files=PublishFiles(
            files=files,
            by=actor.subject,
            by_name=actor.display,
            summary=change_summary(old_files, files),
        ),
    )
    if not published.created:
        raise Conflict(
            f"Nội dung này đã được công bố (phiên bản {published.version}); không có gì mới để công bố.",
            f"This content is already published (version {published.version}); nothing new to publish.",
            code="AlreadyPublished",
        )
    row = uow.session.exec(
        select(ProcedureVersionRow).where(ProcedureVersionRow.content_hash == digest)
    ).one()
    draft.state, draft.published_version_id = "published", row.id
    touch(uow, draft, actor, now)
    _audit(uow, actor, "procedure_publish", f"Công bố {row.code} phiên bản {row.version}", row, now)
    return row


def _audit(  # noqa: PLR0917 — the admin_change row's parts
    uow: UnitOfWork, actor: Actor, kind: str, summary: str, row: ProcedureVersionRow, now: datetime
) -> None:
    uow.session.add(
        AdminChangeRow(
            kind=kind,
            state="done",
            summary=summary[:500],
            payload={"code": row.code, "version": row.version, "content_hash": row.content_hash},
            target_id=row.id,
            created_by=actor.subject,
            created_by_name=actor.display,
            created_at=now,
            applied_by=actor.subject,
            applied_by_name=actor.display,
            applied_at=now,
            finished_at=now,
        )
    )


def retire_version(uow: UnitOfWork, actor: Actor, version_id: int, now: datetime) -> ProcedureVersionRow:
    """No new filings on this version; if it was the current one, the newest other live version takes over."""
    row = get_version(uow, actor, version_id)
    if row.retired_at is not None:
        raise Conflict(
            "Phiên bản này đã ngừng áp dụng.", "This version is already retired.", code="AlreadyRetired"
        )
    row.retired_at, row.retired_by = now, actor.subject
    if row.is_current:
        row.is_current = False
        successor = uow.session.exec(
            select(ProcedureVersionRow)
            .where(
                ProcedureVersionRow.code == row.code,
                ProcedureVersionRow.id != row.id,
                col(ProcedureVersionRow.retired_at).is_(None),
            )
            .order_by(col(ProcedureVersionRow.version).desc())
        ).first()
        if successor is not None:
            successor.is_current = True
            uow.session.add(successor)
    uow.session.add(row)
    uow.flush()
    _audit(uow, actor, "procedure_retire", f"Ngừng áp dụng {row.code} phiên bản {row.version}", row, now)
    return row


def export_zip(uow: UnitOfWork, actor: Actor, version_id: int) -> tuple[str, bytes]:
    """A version as a zipped procedure folder (`<slug>/procedure.yaml`, ...): (file name, bytes)."""
    row = get_version(uow, actor, version_id)
    files = version_files(uow, row)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(f"{row.slug}/{path}", content)
    return f"{row.slug}-v{row.version}.zip", buffer.getvalue()


def parse_time(text: str) -> time | None:
    """HH:MM → time (None when empty or malformed)."""
    return time.fromisoformat(text) if HHMM_RE.fullmatch(text) else None
