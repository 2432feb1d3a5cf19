"""The procedure workshop (/quan-tri/thu-tuc): administrators author, check, publish and retire procedures.

Handlers parse the form and call engine/usecases/workshop.py; every save of a draft runs every check of
`motcua procedures check` on it and the draft page shows each problem on its BPMN element or its field
(docs/portal.md). The BPMN XML is edited in a plain textarea (`data-bpmn-modeler`: the modeler script enhances
it when JavaScript runs) and the problems are listed as `<ul data-bpmn-problems>` items carrying the element
id, which the modeler overlays on the diagram.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from engine.actor import Actor, Role
from engine.checks import Problem
from engine.clock import FixedClock
from engine.errors import Conflict, DomainError, FieldError, InvalidInput
from engine.services import Services
from engine.upload import UploadTooLarge
from engine.usecases import workshop as uc
from engine.usecases import workshop_scenarios as scenarios
from integrations.bpmnlint import BpmnRefused, LinterUnavailable, lint_bpmn
from portal import eform
from portal.api.deps import ContainerDep
from portal.errors import status_of
from portal.i18n import N_
from portal.i18n import gettext as _
from portal.web import CsrfForm, FormErrors, render, require
from portal.wiring import Container, build_services

router = APIRouter(include_in_schema=False)

Admin = Annotated[Actor, Depends(require(Role.ADMIN))]
BASE = "/quan-tri/thu-tuc"
TEXT_CAP = uc.MAX_FILE_BYTES  # one file typed in a textarea

STATE_LABELS = {
    "published": N_("Đang áp dụng"),
    "superseded": N_("Phiên bản cũ"),
    "retired": N_("Đã ngừng áp dụng"),
    "open": N_("Bản nháp"),
}
UNIT_LABELS = {
    "working_days": N_("ngày làm việc"),
    "working_hours": N_("giờ làm việc"),
    "same_day": N_("trong ngày"),
    "calendar_days": N_("ngày"),
}
CLOCK_LABELS = {
    "pause": N_("Tạm dừng khi yêu cầu bổ sung, tính tiếp khi nhận đủ"),
    "restart": N_("Tính lại từ đầu khi nhận đủ hồ sơ bổ sung"),
    "none": N_("Không dừng"),
}
LEVEL_LABELS = {
    "commune": N_("Cấp xã"),
    "district": N_("Cấp huyện"),
    "province": N_("Cấp tỉnh"),
    "department": N_("Sở, ban, ngành"),
    "ministry": N_("Cấp bộ"),
}
COPIES_LABELS = {
    "original": N_("Bản chính"),
    "certified_copy": N_("Bản sao chứng thực"),
    "copy": N_("Bản sao"),
    "original_or_copy": N_("Bản chính hoặc bản sao"),
}
DONE_NOTICES = {
    "luu": N_("Đã lưu bản nháp và kiểm tra lại."),
    "nhap": N_("Đã tạo bản nháp."),
    "cong-bo": N_(
        "Đã công bố phiên bản mới. Hồ sơ nộp mới dùng phiên bản này; hồ sơ đang giải quyết giữ phiên bản cũ."
    ),
    "ngung": N_("Đã ngừng áp dụng phiên bản."),
    "huy": N_("Đã hủy bản nháp."),
    "kich-ban": N_("Đã lưu kịch bản và kiểm tra lại."),
    "kich-ban-them": N_("Đã thêm kịch bản và kiểm tra lại; sửa nó bên dưới."),
    "kich-ban-xoa": N_("Đã xóa kịch bản và kiểm tra lại."),
}


def tools_of(c: Container) -> uc.Tools:
    """The workshop's runtime, forms and scenario services (scenarios run on the draft's forms folder)."""
    settings = c.settings

    def factory(clock: FixedClock, forms_dir: Path) -> Services:
        return build_services(settings.model_copy(update={"forms_dir": forms_dir}), clock)

    return uc.Tools(c.services.runtime, c.services.forms, factory, lint=lint_errors)


def lint_errors(bpmn_xml: str) -> list[Problem]:
    """bpmnlint's errors (MotCua's rules) as problems on their elements; warnings stay in the modeler.

    A document the linter refuses is already reported by the checks (they parse it first); a missing Node or
    linter bundle is a setup fault the checks cannot see, so it is said as a problem rather than skipped.
    """
    try:
        found = lint_bpmn(bpmn_xml.encode("utf-8"))
    except LinterUnavailable:
        return [
            Problem(
                "Không chạy được bộ kiểm tra sơ đồ (bpmnlint): thiếu Node hoặc gói đã build "
                "— chạy «make assets».",
                "The diagram linter (bpmnlint) could not run: Node or its bundle is missing "
                "— run `make assets`.",
            )
        ]
    except BpmnRefused:
        return []
    return [
        Problem(p.message_vi, p.message_en, element_id=p.element_id or None, file="process.bpmn")
        for p in found
        if p.severity == "error"
    ]


def posted_text(posted: FormData, key: str, limit: int = 400) -> str:
    """A text field of a posted form, kept to one character past `limit` (the check then refuses it)."""
    value = posted.get(key)
    return value[: limit + 1] if isinstance(value, str) else ""


def posted_token(posted: FormData) -> str | None:
    """The token of the file the editor showed (uc.file_token); None when the form sent none."""
    return posted_text(posted, "token", 20) or None


def _labels() -> dict[str, Any]:
    return {
        "state_labels": STATE_LABELS,
        "unit_labels": UNIT_LABELS,
        "clock_options": [(k, _(v)) for k, v in CLOCK_LABELS.items()],
        "level_options": [(k, _(v)) for k, v in LEVEL_LABELS.items()],
        "unit_options": [(k, _(v)) for k, v in UNIT_LABELS.items()],
        "copies_options": [(k, _(v)) for k, v in COPIES_LABELS.items()],
        "copies_labels": COPIES_LABELS,
    }


def _notice(request: Request) -> str | None:
    done = request.query_params.get("xong")
    return _(DONE_NOTICES[done]) if done in DONE_NOTICES else None


# --- landing and list -------------------------------------------------------------------------------------


@router.get("/quan-tri", response_class=HTMLResponse)
def admin_home(request: Request, actor: Admin) -> HTMLResponse:
    """The administrators' landing page."""
    return render(request, "admin/procedures/home.html")


@router.get(BASE, response_class=HTMLResponse)
def procedure_list(request: Request, c: ContainerDep, actor: Admin) -> HTMLResponse:
    """Every procedure with its versions (who published each, open dossiers) and drafts."""
    with c.transaction() as uow:
        lines = uc.list_procedures(uow, actor)
    context = {"procedures": lines, "notice": _notice(request), "errors": FormErrors({}), **_labels()}
    return render(request, "admin/procedures/list.html", context)


async def _upload(posted: FormData, key: str = "file") -> bytes | None:
    item = posted.get(key)
    if not isinstance(item, UploadFile) or not item.filename:
        return None
    data = await item.read(uc.MAX_ZIP_BYTES + 1)
    return data


def _list_with_error(request: Request, c: Container, actor: Actor, exc: DomainError) -> HTMLResponse:
    with c.transaction() as uow:
        lines = uc.list_procedures(uow, actor)
    status = 413 if isinstance(exc, UploadTooLarge) else 422
    context = {"procedures": lines, "errors": FormErrors.of(exc), **_labels()}
    return render(request, "admin/procedures/list.html", context, status_code=status)


@router.post(f"{BASE}/nhap/moi", response_class=HTMLResponse, response_model=None)
def draft_new(request: Request, c: ContainerDep, actor: Admin, posted: CsrfForm) -> Response:
    """A draft from the blank template."""
    with c.transaction() as uow:
        draft = uc.draft_blank(uow, actor, c.services.clock.now())
    run_check(c, actor, draft.id)
    return RedirectResponse(f"{BASE}/nhap/{draft.id}?xong=nhap", status_code=303)


@router.post(f"{BASE}/nhap/tu-zip", response_class=HTMLResponse, response_model=None)
async def draft_from_zip(request: Request, c: ContainerDep, actor: Admin, posted: CsrfForm) -> Response:
    """A draft from a zipped procedure folder (bounded, paths kept inside, no XML entities)."""
    data = await _upload(posted)
    try:
        if data is None:
            raise InvalidInput(
                "Chưa chọn tệp .zip.",
                "No .zip file chosen.",
                {
                    "file": FieldError(
                        "Chọn tệp .zip của thư mục thủ tục.", "Choose the procedure folder's .zip."
                    )
                },
            )
        with c.transaction() as uow:
            draft = uc.import_zip(uow, actor, data, c.services.clock.now())
    except InvalidInput as exc:
        return _list_with_error(request, c, actor, exc)
    run_check(c, actor, draft.id)
    return RedirectResponse(f"{BASE}/nhap/{draft.id}?xong=nhap", status_code=303)


# --- versions -----------------------------------------------------------------------------------------------


@router.get(BASE + "/{code}", response_class=HTMLResponse)
def procedure_page(request: Request, c: ContainerDep, actor: Admin, code: str) -> HTMLResponse:
    """One procedure: its versions (state, who published, when, what changed, open dossiers) and drafts."""
    with c.transaction() as uow:
        line = uc.procedure_detail(uow, actor, code[:40])
    context = {"p": line, "notice": _notice(request), **_labels()}
    return render(request, "admin/procedures/procedure.html", context)


@router.post(BASE + "/phien-ban/{version_id}/nhap", response_class=HTMLResponse, response_model=None)
def draft_from_version(
    request: Request, c: ContainerDep, actor: Admin, version_id: int, posted: CsrfForm
) -> Response:
    """A draft copying a published version's folder."""
    with c.transaction() as uow:
        draft = uc.draft_from_version(uow, actor, c.services.forms, version_id, c.services.clock.now())
    run_check(c, actor, draft.id)
    return RedirectResponse(f"{BASE}/nhap/{draft.id}?xong=nhap", status_code=303)


@router.post(BASE + "/phien-ban/{version_id}/ngung", response_class=HTMLResponse, response_model=None)
def version_retire(
    request: Request, c: ContainerDep, actor: Admin, version_id: int, posted: CsrfForm
) -> Response:
    """Retire a version: no new filings on it (running dossiers keep it)."""
    try:
        with c.transaction() as uow:
            row = uc.retire_version(uow, actor, version_id, c.services.clock.now())
    except Conflict as exc:
        with c.transaction() as uow:
            row = uc.get_version(uow, actor, version_id)
            line = uc.procedure_detail(uow, actor, row.code)
        context = {"p": line, "errors": FormErrors.of(exc), **_labels()}
        return render(request, "admin/procedures/procedure.html", context, status_code=409)
    return RedirectResponse(f"{BASE}/{row.code}?xong=ngung", status_code=303)


@router.get(BASE + "/phien-ban/{version_id}/tai-ve", response_model=None)
def version_export(request: Request, c: ContainerDep, actor: Admin, version_id: int) -> Response:
    """A version as a zipped procedure folder that `motcua procedures check` accepts as is."""
    with c.transaction() as uow:
        name, data = uc.export_zip(uow, actor, version_id)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- a draft ------------------------------------------------------------------------------------------------


def run_check(c: Container, actor: Actor, draft_id: int | None) -> uc.CheckOutcome:
    """Run every check on the draft (after the edit's own transaction committed) and keep its problems."""
    assert draft_id is not None
    with c.transaction() as uow:
        return uc.check_draft(uow, actor, draft_id, tools_of(c), c.services.clock.now())


def _form_name(files: dict[str, str]) -> str | None:
    raw = uc._yaml_of(files)  # noqa: SLF001 — the page reads the same mapping the use case writes
    form = raw.get("form")
    return str(form) if isinstance(form, str) else None


def _preview(schema_text: str) -> tuple[list[eform.Section] | None, str | None]:
    """The e-form as the citizen sees it, or the reason it cannot be drawn."""
    try:
        schema = json.loads(schema_text)
    except json.JSONDecodeError as exc:
        return None, f"JSON: {exc}"
    if not isinstance(schema, dict):
        return None, _("Biểu mẫu phải là một đối tượng JSON.")
    try:
        return eform.build(schema, {}), None
    except Exception as exc:  # noqa: BLE001 — any schema the renderer cannot draw is reported, not raised
        return None, str(exc)[:300]


def draft_page(  # noqa: PLR0913 — the page's parts, each may come from a refused post
    request: Request,
    c: Container,
    actor: Actor,
    draft_id: int,
    *,
    errors: FormErrors | None = None,
    meta: uc.MetadataInput | None = None,
    typed: dict[str, str] | None = None,
    scenario: ScenarioForm | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The draft page; a refused post passes what was typed (`meta`, `typed`, `scenario`) and its errors."""
    with c.transaction() as uow:
        draft = uc.get_draft(uow, actor, draft_id)
        files = uc.draft_files(uow, draft_id)
        base = (
            uow.session.get(uc.ProcedureVersionRow, draft.base_version_id) if draft.base_version_id else None
        )
    problems = uc.stored_problems(draft)
    typed = typed or {}
    form_name = _form_name(files)
    form_path = f"forms/{form_name}.schema.json" if form_name else None
    schema_text = typed.get("form_schema", files.get(form_path, "") if form_path else "")
    sections, preview_error = _preview(schema_text) if schema_text else (None, None)
    metadata = meta or uc.MetadataInput.of(uc._yaml_of(files))  # noqa: SLF001
    metadata.papers = metadata.papers + [uc.PaperInput(required=False)] * (
        2 if len(metadata.papers) < uc.MAX_ROWS else 0
    )
    metadata.budgets = metadata.budgets + [uc.BudgetInput()] * 2
    context = {
        "draft": draft,
        "base": base,
        "files": files,
        # What each editor shows, posted back with it: a save over someone else's newer save is refused.
        "tokens": {path: uc.file_token(files, path) for path in files},
        "problems": problems,
        "element_problems": [p for p in problems if p.element_id],
        "field_problems": _by_field(problems),
        "other_problems": [p for p in problems if not p.element_id and not p.field],
        "bpmn_xml": typed.get("bpmn_xml", files.get("process.bpmn", "")),
        "form_path": form_path,
        "form_schema": schema_text,
        "sections": sections,
        "preview_error": preview_error,
        "meta": metadata,
        "errors": errors or FormErrors({}),
        "notice": _notice(request),
        "closed": draft.state != "open",
        **_scenario_context(request, draft, files, scenario),
        **_labels(),
    }
    return render(request, "admin/procedures/draft.html", context, status_code=status_code)


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


@dataclass
class ScenarioForm:
    """The scenario editor as typed: the file it edits ('' for none), its (new) file name and its JSON."""

    original: str = ""
    name: str = ""
    text: str = ""
    source: str = ""
    new_name: str = ""


def _scenario_context(
    request: Request, draft: uc.ProcedureDraftRow, files: dict[str, str], typed: ScenarioForm | None
) -> dict[str, Any]:
    """The scenarios with their last check result; the one being edited (`?kich-ban=<file>` or refused)."""
    lines = scenarios.scenario_lines(draft, files)
    editing = typed or ScenarioForm()
    asked = request.query_params.get("kich-ban", "")
    if typed is None and f"{scenarios.PREFIX}{asked}" in files:
        editing = ScenarioForm(asked, asked, files[f"{scenarios.PREFIX}{asked}"])
    if not editing.new_name:
        editing.new_name = scenarios.next_file_name(files)
    if not editing.source and lines:
        editing.source = lines[0].file
    return {
        "scenarios": lines,
        "scenario": editing,
        "scenario_open": bool(editing.original or editing.name or editing.text),
        "scenario_sources": [(s.file, f"{s.file} — {_short(s.name)}") for s in lines]
        + [("", _("Khung trống (tối thiểu)"))],
    }


def _by_field(problems: list[Problem]) -> dict[str, list[Problem]]:
    """Problems by the form area (`budgets.appraisal` → budgets, `deadline.unit` → deadline)."""
    out: dict[str, list[Problem]] = {}
    for p in problems:
        if p.field:
            out.setdefault(p.field.split(".")[0], []).append(p)
    return out


@router.get(BASE + "/nhap/{draft_id}", response_class=HTMLResponse)
def draft_view(request: Request, c: ContainerDep, actor: Admin, draft_id: int) -> HTMLResponse:
    """A draft: its problems, the metadata form, the e-form with preview, the BPMN."""
    return draft_page(request, c, actor, draft_id)


def _metadata_input(posted: FormData) -> uc.MetadataInput:
    papers = []
    for i in range(uc.MAX_ROWS):
        if f"papers-{i}-key" not in posted:
            break
        papers.append(
            uc.PaperInput(
                key=posted_text(posted, f"papers-{i}-key", 40),
                name=posted_text(posted, f"papers-{i}-name", 300),
                copies=posted_text(posted, f"papers-{i}-copies", 30),
                count=posted_text(posted, f"papers-{i}-count", 4),
                required=posted.get(f"papers-{i}-required") == "1",
            )
        )
    budgets = []
    for i in range(uc.MAX_ROWS):
        if f"budgets-{i}-step" not in posted:
            break
        budgets.append(
            uc.BudgetInput(
                step=posted_text(posted, f"budgets-{i}-step", 40),
                hours=posted_text(posted, f"budgets-{i}-hours", 10),
            )
        )
    return uc.MetadataInput(
        code=posted_text(posted, "code", 40),
        name=posted_text(posted, "name", 300),
        name_en=posted_text(posted, "name_en", 300),
        field=posted_text(posted, "field", 200),
        level=posted_text(posted, "level", 20),
        agencies=posted_text(posted, "agencies", 4000),
        deadline_amount=posted_text(posted, "deadline_amount", 10),
        deadline_unit=posted_text(posted, "deadline_unit", 20),
        cutoff=posted_text(posted, "cutoff", 5),
        clock=posted_text(posted, "clock", 10),
        supplement_limit=posted_text(posted, "supplement_limit", 4),
        fee_amount=posted_text(posted, "fee_amount", 12),
        fee_description=posted_text(posted, "fee_description", 500),
        fee_exemptions=posted_text(posted, "fee_exemptions", 4000),
        legal_basis=posted_text(posted, "legal_basis", 6000),
        papers=[p for p in papers if p.key or p.name],
        budgets=[b for b in budgets if b.step or b.hours],
    )


@router.post(BASE + "/nhap/{draft_id}/thong-tin", response_class=HTMLResponse, response_model=None)
def draft_save_metadata(
    request: Request, c: ContainerDep, actor: Admin, draft_id: int, posted: CsrfForm
) -> Response:
    """Save the metadata into procedure.yaml, then check the draft; a bad field re-renders with its error."""
    with c.transaction() as uow:
        uc.get_draft(uow, actor, draft_id)  # 404 before reading the form
    data = _metadata_input(posted)
    try:
        with c.transaction() as uow:
            uc.save_metadata(uow, actor, draft_id, data, c.services.clock.now(), posted_token(posted))
    except (InvalidInput, Conflict) as exc:
        status = status_of(exc)
        return draft_page(
            request, c, actor, draft_id, errors=FormErrors.of(exc), meta=data, status_code=status
        )
    run_check(c, actor, draft_id)
    return RedirectResponse(f"{BASE}/nhap/{draft_id}?xong=luu#kiem-tra", status_code=303)


def _save_text(  # noqa: PLR0913
    request: Request, c: Container, actor: Actor, draft_id: int, path: str, key: str, posted: FormData
) -> Response:
    content = posted_text(posted, key, TEXT_CAP)
    try:
        with c.transaction() as uow:
            uc.save_file(uow, actor, draft_id, path, content, c.services.clock.now(), posted_token(posted))
    except (InvalidInput, Conflict) as exc:
        status = status_of(exc)
        return draft_page(
            request, c, actor, draft_id, errors=FormErrors.of(exc), typed={key: content}, status_code=status
        )
    run_check(c, actor, draft_id)
    return RedirectResponse(f"{BASE}/nhap/{draft_id}?xong=luu#kiem-tra", status_code=303)


@router.post(BASE + "/nhap/{draft_id}/bpmn", response_class=HTMLResponse, response_model=None)
def draft_save_bpmn(
    request: Request, c: ContainerDep, actor: Admin, draft_id: int, posted: CsrfForm
) -> Response:
    """Save the BPMN XML (no entities, BPMN 2.0), then check the draft."""
    return _save_text(request, c, actor, draft_id, "process.bpmn", "bpmn_xml", posted)


@router.post(BASE + "/nhap/{draft_id}/bieu-mau", response_class=HTMLResponse, response_model=None)
def draft_save_form(
    request: Request, c: ContainerDep, actor: Admin, draft_id: int, posted: CsrfForm
) -> Response:
    """Save the e-form schema (or, with «Xem trước», only draw the preview of what is typed)."""
    with c.transaction() as uow:
        files = uc.draft_files(uow, uc.get_draft(uow, actor, draft_id).id or 0)
    form_name = _form_name(files)
    if not form_name:
        exc = InvalidInput(
            "Thủ tục chưa khai báo biểu mẫu (form) trong procedure.yaml.",
            "The procedure declares no e-form (form) in procedure.yaml.",
            {"form_schema": FieldError("Khai báo «form» trước.", "Declare «form» first.")},
        )
        return draft_page(request, c, actor, draft_id, errors=FormErrors.of(exc), status_code=422)
    if posted.get("action") == "preview":
        typed = {"form_schema": posted_text(posted, "form_schema", TEXT_CAP)}
        return draft_page(request, c, actor, draft_id, typed=typed)
    return _save_text(request, c, actor, draft_id, f"forms/{form_name}.schema.json", "form_schema", posted)


@router.post(BASE + "/nhap/{draft_id}/bieu-mau/xem-truoc", response_class=HTMLResponse)
def draft_form_preview(
    request: Request, c: ContainerDep, actor: Admin, draft_id: int, posted: CsrfForm
) -> HTMLResponse:
    """The preview fragment (htmx refreshes it as the schema is typed; nothing is saved)."""
    with c.transaction() as uow:
        uc.get_draft(uow, actor, draft_id)
    sections, problem = _preview(posted_text(posted, "form_schema", TEXT_CAP))
    return render(request, "admin/procedures/_preview.html", {"sections": sections, "preview_error": problem})


@router.post(BASE + "/nhap/{draft_id}/nhap-bpmn", response_class=HTMLResponse, response_model=None)
async def draft_import_bpmn(
    request: Request, c: ContainerDep, actor: Admin, draft_id: int, posted: CsrfForm
) -> Response:
    """Replace the draft's BPMN with an uploaded .bpmn (Camunda Modeler, bpmn.io, spiff-arena)."""
    data = await _upload(posted)
    try:
        if data is None:
            raise InvalidInput(
                "Chưa chọn tệp .bpmn.",
                "No .bpmn file chosen.",
                {"file": FieldError("Chọn tệp .bpmn.", "Choose a .bpmn file.")},
            )
        with c.transaction() as uow:
            uc.import_bpmn(uow, actor, draft_id, data, c.services.clock.now())
    except (InvalidInput, Conflict) as exc:
        status = status_of(exc)
        return draft_page(request, c, actor, draft_id, errors=FormErrors.of(exc), status_code=status)
    run_check(c, actor, draft_id)
    return RedirectResponse(f"{BASE}/nhap/{draft_id}?xong=luu#kiem-tra", status_code=303)


@router.post(BASE + "/nhap/{draft_id}/kiem-tra", response_class=HTMLResponse, response_model=None)
def draft_recheck(
    request: Request, c: ContainerDep, actor: Admin, draft_id: int, posted: CsrfForm
) -> Response:
    """Run the checks again."""
    run_check(c, actor, draft_id)
    return RedirectResponse(f"{BASE}/nhap/{draft_id}#kiem-tra", status_code=303)


@router.post(BASE + "/nhap/{draft_id}/cong-bo", response_class=HTMLResponse, response_model=None)
def draft_publish(
    request: Request, c: ContainerDep, actor: Admin, draft_id: int, posted: CsrfForm
) -> Response:
    """Publish the draft as a new version; refused (409) while any problem stands."""
    try:
        with c.transaction() as uow:
            row = uc.publish_draft(uow, actor, draft_id, tools_of(c), c.services.clock.now())
    except Conflict as exc:
        if exc.code == "DraftHasProblems":
            run_check(c, actor, draft_id)  # keep the problems the refusal found
        return draft_page(request, c, actor, draft_id, errors=FormErrors.of(exc), status_code=409)
    return RedirectResponse(f"{BASE}/{row.code}?xong=cong-bo", status_code=303)


@router.post(BASE + "/nhap/{draft_id}/huy", response_class=HTMLResponse, response_model=None)
def draft_discard(
    request: Request, c: ContainerDep, actor: Admin, draft_id: int, posted: CsrfForm
) -> Response:
    """Drop the draft."""
    try:
        with c.transaction() as uow:
            uc.discard(uow, actor, draft_id, c.services.clock.now())
    except Conflict as exc:
        return draft_page(request, c, actor, draft_id, errors=FormErrors.of(exc), status_code=409)
    return RedirectResponse(f"{BASE}?xong=huy", status_code=303)
