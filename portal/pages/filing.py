"""The citizen's online filing (/thu-tuc/{code}/nop) and the answer to a supplement (/ho-so/{code}/bo-sung).

One thing per page: the receiving agency, one page per section of the e-form (its `x-ui.group`s), the papers,
"Kiểm tra lại thông tin", then the confirmation with the dossier code and the tracking QR. Every step is saved
in the citizen's draft ("Lưu và tiếp tục"); the draft id in the URL is random and carries no personal data.
Handlers only parse, call the engine's use cases (engine/usecases/drafts.py, uploads.py, supplements.py) and
render; everything works without JavaScript.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData, UploadFile

from engine.actor import Actor, Role
from engine.catalog import current_version, definition_of
from engine.errors import Conflict, FieldError, InvalidInput, NotFound
from engine.store.db import UnitOfWork
from engine.store.models import DossierRow, DraftRow
from engine.upload import UploadTooLarge
from engine.usecases import drafts, supplements, uploads
from engine.usecases.queries import dossier_detail, procedure_view
from portal import eform
from portal.api.deps import ContainerDep
from portal.api.idempotency import Recorder, idempotent
from portal.i18n import gettext as _
from portal.web import MAX_FORM_FILES, CsrfForm, FormErrors, field_id, render, require, vn_datetime
from portal.wiring import Container

router = APIRouter(include_in_schema=False)

BODY_OVERHEAD = 256 * 1024
PAPERS = "giay-to"
CHECK = "kiem-tra"


async def upload_body_limit(request: Request) -> None:
    """Refuse a posted body larger than the files a form may carry, before anything is read (413)."""
    limit = request.app.state.container.services.upload_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit * MAX_FORM_FILES + BODY_OVERHEAD:
        raise UploadTooLarge(limit)


Citizen = Annotated[Actor, Depends(require(Role.CITIZEN))]
BodyLimit = Annotated[None, Depends(upload_body_limit)]


def base(code: str, draft_id: str) -> str:
    """The address of a draft's steps."""
    return f"/thu-tuc/{code}/nop/{draft_id}"


def see_other(url: str) -> RedirectResponse:
    """After a successful POST: go to the next page (303)."""
    return RedirectResponse(url, status_code=303)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# --- the procedure, the draft, its sections ------------------------------------------------------------


class Filing:
    """A draft as its pages see it: the procedure, the e-form schema, its sections."""

    def __init__(self, c: Container, uow: UnitOfWork, actor: Actor, code: str, draft_id: str) -> None:
        self.draft: DraftRow = drafts.get_draft(uow, actor, draft_id)
        if self.draft.procedure_code != code:
            raise drafts_not_found()
        self.definition = definition_of(current_version(uow, code))
        self.procedure = procedure_view(c.services, uow, code)
        self.schema: Mapping[str, Any] = self.procedure["form_schema"]
        self.marks = drafts.registry_marks(self.draft)
        self.base = base(code, self.draft.id)

    def sections(self, errors: FormErrors | None = None) -> list[eform.Section]:
        """The e-form's sections filled from the draft."""
        choices = {"papers": [(p.name, p.name) for p in self.definition.papers]}
        return eform.build(self.schema, self.draft.form, errors, registry=self.marks, choices=choices)


def drafts_not_found() -> NotFound:
    """The answer for a draft that is not this procedure's (as for one that is not the citizen's)."""
    return NotFound(
        "Không tìm thấy hồ sơ nháp (có thể đã được nộp hoặc xoá).",
        "The draft was not found (it may have been filed or deleted).",
        code="DraftNotFound",
    )


def page_errors(fields: Mapping[str, FieldError], prefix: str = "form.") -> FormErrors:
    """Engine field errors as the page's errors (keys prefixed to the fields' names)."""
    return FormErrors(
        {k if k.startswith(prefix) else f"{prefix}{k}": v for k, v in fields.items()},
        "Vui lòng sửa các mục được đánh dấu.",
        "Please correct the marked answers.",
    )


def field_keys(nodes: list[eform.Node]) -> list[str]:
    """The error keys of a section's fields and groups, top to bottom."""
    keys: list[str] = []
    for node in nodes:
        keys.append(node.key)
        if isinstance(node, eform.Group):
            keys.extend(field_keys(list(node.children)))
        elif isinstance(node, eform.Repeater):
            keys.extend(field_keys(list(node.items)))
    return keys


def registry_fields(nodes: list[eform.Node]) -> bool:
    """True when a field of these nodes holds a value from the population database."""
    for node in nodes:
        if isinstance(node, eform.Field) and node.registry:
            return True
        if isinstance(node, eform.Group) and registry_fields(list(node.children)):
            return True
    return False


def in_page_order(section: eform.Section, errors: Mapping[str, FieldError]) -> dict[str, FieldError]:
    """Errors in the order their fields appear, so the summary reads like the page."""
    order = {key: i for i, key in enumerate(field_keys(section.nodes))}
    return dict(sorted(errors.items(), key=lambda item: order.get(item[0], len(order))))


# --- start ---------------------------------------------------------------------------------------------


def _start_context(c: Container, uow: UnitOfWork, actor: Actor, code: str) -> dict[str, Any]:
    procedure = procedure_view(c.services, uow, code)
    mine = [d for d in drafts.list_drafts(uow, actor) if d.procedure_code == code]
    agencies = [(a.code, a.name) for a in drafts.receiving_agencies(uow)]
    return {"procedure": procedure, "drafts": mine, "agencies": agencies, "code": code}


@router.get("/thu-tuc/{code}/nop", response_class=HTMLResponse)
def start(request: Request, code: str, c: ContainerDep, actor: Citizen) -> HTMLResponse:
    """Before starting: what the filing asks, where it is received, the drafts already begun."""
    with c.transaction() as uow:
        context = _start_context(c, uow, actor, code)
    return render(request, "filing/start.html", context)


@router.post("/thu-tuc/{code}/nop", response_class=HTMLResponse)
def begin(request: Request, code: str, c: ContainerDep, actor: Citizen, form: CsrfForm) -> Response:
    """Start a draft at the chosen agency, pre-filled from the population database; go to its first step."""
    agency = _text(form, "agency")
    try:
        if not agency:
            raise InvalidInput(
                "Vui lòng chọn cơ quan tiếp nhận hồ sơ.",
                "Choose the agency that receives the dossier.",
                {
                    "agency": FieldError(
                        "Vui lòng chọn cơ quan tiếp nhận hồ sơ.", "Choose the receiving agency."
                    )
                },
            )
        draft_id, problem = drafts.begin_filing(c.services, c.transaction, actor, code, agency)
    except (InvalidInput, Conflict) as exc:
        with c.transaction() as uow:
            context = _start_context(c, uow, actor, code)
        errors = FormErrors.of(exc) if exc.fields else FormErrors({}, exc.message, exc.message_en)
        return render(
            request, "filing/start.html", {**context, "errors": errors, "chosen": agency}, status_code=422
        )
    suffix = "?dien-san=khong" if problem is not None else ""
    return see_other(f"{base(code, draft_id)}/buoc/1{suffix}")


@router.get("/thu-tuc/{code}/nop/{draft_id}", response_class=HTMLResponse)
def resume(code: str, draft_id: str, c: ContainerDep, actor: Citizen) -> RedirectResponse:
    """Resume a draft where the citizen left it (the link "Hồ sơ của tôi" shows for each draft)."""
    with c.transaction() as uow:
        filing = Filing(c, uow, actor, code, draft_id)
    step = filing.draft.last_step or "buoc-1"
    if step.startswith("buoc-"):
        return see_other(f"{filing.base}/buoc/{step.removeprefix('buoc-')}")
    return see_other(f"{filing.base}/{step if step in (PAPERS, CHECK, 'co-quan') else 'buoc/1'}")


# --- the receiving agency ------------------------------------------------------------------------------


@router.get("/thu-tuc/{code}/nop/{draft_id}/co-quan", response_class=HTMLResponse)
def agency_page(request: Request, code: str, draft_id: str, c: ContainerDep, actor: Citizen) -> HTMLResponse:
    """Change the agency that receives the dossier."""
    with c.transaction() as uow:
        filing = Filing(c, uow, actor, code, draft_id)
        agencies = [(a.code, a.name) for a in drafts.receiving_agencies(uow)]
    return render(request, "filing/agency.html", {"filing": filing, "agencies": agencies})


@router.post("/thu-tuc/{code}/nop/{draft_id}/co-quan", response_class=HTMLResponse)
def agency_save(
    request: Request, code: str, draft_id: str, c: ContainerDep, actor: Citizen, form: CsrfForm
) -> Response:
    """Save the chosen agency and go back to the check page."""
    agency = _text(form, "agency")
    try:
        with c.transaction() as uow:
            drafts.save_draft(c.services, uow, actor, draft_id, agency=agency or "-", last_step="co-quan")
    except InvalidInput as exc:
        with c.transaction() as uow:
            filing = Filing(c, uow, actor, code, draft_id)
            agencies = [(a.code, a.name) for a in drafts.receiving_agencies(uow)]
        context = {"filing": filing, "agencies": agencies, "errors": FormErrors.of(exc)}
        return render(request, "filing/agency.html", context, status_code=422)
    return see_other(f"{base(code, draft_id)}/{CHECK}")


# --- one page per section ------------------------------------------------------------------------------


def step_number(text: str) -> int:
    """The step number of an address; anything else is a step that does not exist (the 404 page)."""
    return int(text) if text.isdigit() and len(text) <= 3 else 0


def _section(filing: Filing, number: int, errors: FormErrors | None = None) -> tuple[eform.Section, int]:
    sections = filing.sections(errors)
    if not 1 <= number <= len(sections):
        raise NotFound("Không tìm thấy bước này của tờ khai.", "This step of the form does not exist.")
    return sections[number - 1], len(sections)


def _step_page(
    request: Request, filing: Filing, number: int, errors: FormErrors | None, status_code: int = 200
) -> HTMLResponse:
    section, total = _section(filing, number, errors)
    back = f"{filing.base}/buoc/{number - 1}" if number > 1 else f"/thu-tuc/{filing.procedure['code']}/nop"
    context = {
        "filing": filing,
        "section": section,
        "number": number,
        "total": total,
        "back": back,
        "errors": errors or FormErrors({}),
        "prefill_failed": request.query_params.get("dien-san") == "khong",
        "registry_note": registry_fields(section.nodes),
    }
    return render(request, "filing/step.html", context, status_code=status_code)


@router.get("/thu-tuc/{code}/nop/{draft_id}/buoc/{number}", response_class=HTMLResponse)
def step(
    request: Request, code: str, draft_id: str, number: str, c: ContainerDep, actor: Citizen
) -> HTMLResponse:
    """One section of the e-form; with `?kiem-tra=1` (from the check page) its problems are shown."""
    n = step_number(number)
    with c.transaction() as uow:
        filing = Filing(c, uow, actor, code, draft_id)
        errors = None
        if request.query_params.get("kiem-tra"):
            section, _total = _section(filing, n)
            found = drafts.section_errors(c.services, uow, filing.draft, section.properties)
            errors = page_errors(found) if found else None
    return _step_page(request, filing, n, errors)


@router.post("/thu-tuc/{code}/nop/{draft_id}/buoc/{number}", response_class=HTMLResponse)
def step_save(
    request: Request, code: str, draft_id: str, number: str, c: ContainerDep, actor: Citizen, form: CsrfForm
) -> Response:
    """Lưu và tiếp tục: keep the section's answers; on to the next step, or back with what is wrong."""
    n = step_number(number)
    with c.transaction() as uow:
        filing = Filing(c, uow, actor, code, draft_id)
        section, total = _section(filing, n)
        parsed = eform.parse(filing.schema, form, only=section.properties)
        merged = eform.merge(filing.draft.form, parsed.data, section.properties)
        filing.draft, found = drafts.save_step(
            c.services,
            uow,
            actor,
            draft_id,
            form=merged,
            properties=section.properties,
            step=f"buoc-{n}",
        )
        filing.marks = drafts.registry_marks(filing.draft)  # a changed answer is no longer the registry's
    problems = in_page_order(section, {**page_errors(found).fields, **parsed.errors})
    if problems and _text(form, "action") != "later":
        return _step_page(request, filing, n, page_errors(problems), status_code=422)
    if _text(form, "action") == "later":
        return see_other("/ho-so")
    return see_other(f"{filing.base}/buoc/{n + 1}" if n < total else f"{filing.base}/{PAPERS}")


# --- papers --------------------------------------------------------------------------------------------


def _papers_context(c: Container, uow: UnitOfWork, actor: Actor, filing: Filing) -> dict[str, Any]:
    attached: dict[str, list[Any]] = {}
    for key, ids in filing.draft.papers.items():
        attached[key] = uploads.owned_uploads(uow, actor, list(ids), key, {})
    in_use = {i for ids in filing.draft.papers.values() for i in ids}
    earlier = [u for u in uploads.my_uploads(uow, actor) if u.id not in in_use]
    return {
        "filing": filing,
        "papers": filing.procedure["papers"],
        "attached": attached,
        "earlier": earlier,
        "earlier_options": [(u.id, f"{u.display_name} ({vn_datetime(u.created_at)})") for u in earlier],
        "max_mb": f"{c.services.upload_max_bytes / (1024 * 1024):g}",
        "last_step": len(filing.sections()),
    }


@router.get("/thu-tuc/{code}/nop/{draft_id}/giay-to", response_class=HTMLResponse)
def papers(request: Request, code: str, draft_id: str, c: ContainerDep, actor: Citizen) -> HTMLResponse:
    """The procedure's papers: upload one or more files for each, see them back, reuse earlier files."""
    with c.transaction() as uow:
        filing = Filing(c, uow, actor, code, draft_id)
        context = _papers_context(c, uow, actor, filing)
    return render(request, "filing/papers.html", context)


def _files(form: FormData, name: str) -> list[UploadFile]:
    return [f for f in form.getlist(name) if isinstance(f, UploadFile) and f.filename]


def _read(file: UploadFile, limit: int) -> bytes:
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(limit)
    return data


@router.post("/thu-tuc/{code}/nop/{draft_id}/giay-to/{key}", response_class=HTMLResponse)
def paper_upload(
    request: Request,
    code: str,
    draft_id: str,
    key: str,
    c: ContainerDep,
    _limit: BodyLimit,
    actor: Citizen,
    form: CsrfForm,
) -> Response:
    """Attach files to one paper: new uploads (checked by content) or a file uploaded before."""
    field = f"papers.{key[:40]}"
    try:
        with c.transaction() as uow:
            filing = Filing(c, uow, actor, code, draft_id)
            if key not in {p.key for p in filing.definition.papers}:
                raise NotFound("Thủ tục không có giấy tờ này.", "The procedure lists no such paper.")
            ids = list(filing.draft.papers.get(key, []))
            files = _files(form, "files")
            reuse = _text(form, "reuse")
            if not files and not reuse:
                message = ("Vui lòng chọn tệp để tải lên.", "Choose a file to upload.")
                raise InvalidInput(*message, {field: FieldError(*message)})
            if len(ids) + len(files) > uploads.MAX_PER_PAPER:
                n = uploads.MAX_PER_PAPER
                message = (f"Mỗi giấy tờ tối đa {n} tệp.", f"At most {n} files per paper.")
                raise InvalidInput(*message, {field: FieldError(*message)})
            for file in files:
                data = _read(file, c.services.upload_max_bytes)
                ids.append(uploads.store_upload(c.services, uow, actor, file.filename, data).id)
            if reuse:
                ids.append(reuse)
            changed = {**filing.draft.papers, key: list(dict.fromkeys(ids))}
            drafts.save_draft(c.services, uow, actor, draft_id, papers=changed, last_step=PAPERS)
    except (InvalidInput, Conflict) as exc:
        if isinstance(exc, Conflict) and exc.code != "UploadLimit":
            raise
        fields = {field: next(iter(exc.fields.values()), FieldError(exc.message, exc.message_en))}
        errors = FormErrors(fields, exc.message, exc.message_en)
        with c.transaction() as uow:
            filing = Filing(c, uow, actor, code, draft_id)
            context = {**_papers_context(c, uow, actor, filing), "errors": errors}
        status = 413 if isinstance(exc, UploadTooLarge) else 422
        return render(request, "filing/papers.html", context, status_code=status)
    return see_other(f"{base(code, draft_id)}/{PAPERS}#{field_id(field)}")


@router.post("/thu-tuc/{code}/nop/{draft_id}/giay-to/{key}/bo", response_class=HTMLResponse)
def paper_remove(
    code: str, draft_id: str, key: str, c: ContainerDep, actor: Citizen, form: CsrfForm
) -> RedirectResponse:
    """Take a file off a paper (the file itself stays among the citizen's uploads)."""
    upload_id = _text(form, "upload")
    with c.transaction() as uow:
        draft = drafts.get_draft(uow, actor, draft_id)
        changed = {k: [i for i in v if not (k == key and i == upload_id)] for k, v in draft.papers.items()}
        drafts.save_draft(c.services, uow, actor, draft_id, papers=changed, last_step=PAPERS)
    return see_other(f"{base(code, draft_id)}/{PAPERS}")


# --- check your answers, file --------------------------------------------------------------------------


def _check_context(
    c: Container, uow: UnitOfWork, actor: Actor, filing: Filing, errors: FormErrors | None
) -> dict[str, Any]:
    sections = filing.sections(errors)
    rows = eform.answers(sections)
    section_of_key = {}
    for s in sections:
        for prop in s.properties:
            section_of_key[f"form.{prop}"] = s.number
    links = []
    for key, error in (errors.fields if errors else {}).items():
        top = key.split("[")[0].split(".")[:2]
        number = section_of_key.get(".".join(top))
        if key == "agency":
            href = f"{filing.base}/co-quan"
        elif number is not None:
            href = f"{filing.base}/buoc/{number}?kiem-tra=1#{field_id(key)}"
        else:
            href = f"{filing.base}/{PAPERS}"
        links.append({"href": href, "error": error})
    agencies = {a.code: a.name for a in drafts.receiving_agencies(uow)}
    return {
        # A fresh key per rendering of the page: its submits are one filing (portal/api/idempotency.py).
        "idempotency_key": secrets.token_urlsafe(18),
        **_papers_context(c, uow, actor, filing),
        "sections": sections,
        "rows": rows,
        "agency": agencies.get(filing.draft.agency_code or ""),
        "error_links": links,
        "change_url": lambda row: f"{filing.base}/buoc/{row['section']}#{row['id']}",
        "errors": errors or FormErrors({}),
    }


@router.get("/thu-tuc/{code}/nop/{draft_id}/kiem-tra", response_class=HTMLResponse)
def check(request: Request, code: str, draft_id: str, c: ContainerDep, actor: Citizen) -> HTMLResponse:
    """ "Kiểm tra lại thông tin": every answer with a change link, the papers, the agency; then file."""
    with c.transaction() as uow:
        filing = Filing(c, uow, actor, code, draft_id)
        context = _check_context(c, uow, actor, filing, None)
    return render(request, "filing/check.html", context)


@router.post("/thu-tuc/{code}/nop/{draft_id}/kiem-tra", response_class=HTMLResponse)
def file(
    request: Request, code: str, draft_id: str, c: ContainerDep, actor: Citizen, form: CsrfForm
) -> Response:
    """Nộp hồ sơ: file the draft (deleted in the same transaction); then the confirmation page.

    The check page carries an idempotency key: a second submit of the same page (double click, a retry after
    a lost answer) lands on the same confirmation instead of "draft not found".
    """
    key = _text(form, "idempotency_key")[:100] or None

    def work(record: Recorder) -> Response:
        with c.transaction() as uow:
            Filing(c, uow, actor, code, draft_id)  # this procedure's draft, the citizen's own

        def filed_code(uow: UnitOfWork, dossier: DossierRow) -> str:
            record(uow, {"location": f"/thu-tuc/{code}/nop/da-nop/{dossier.code}"})
            return dossier.code

        try:
            dossier_code = drafts.file_draft(c.services, c.transaction, actor, draft_id, filed_code)
        except InvalidInput as exc:
            errors = FormErrors(dict(exc.fields), exc.message, exc.message_en)
            with c.transaction() as uow:
                filing = Filing(c, uow, actor, code, draft_id)
                context = _check_context(c, uow, actor, filing, errors)
            return render(request, "filing/check.html", context, status_code=422)
        return see_other(f"/thu-tuc/{code}/nop/da-nop/{dossier_code}")

    scope = f"POST /thu-tuc/{code}/nop/{draft_id}/kiem-tra"
    response: Response = idempotent(
        c, actor, key, scope, None, 303, work, replay_as=lambda first: see_other(first.body["location"])
    )
    return response


@router.post("/thu-tuc/{code}/nop/{draft_id}/xoa", response_class=HTMLResponse)
def discard(code: str, draft_id: str, c: ContainerDep, actor: Citizen, _form: CsrfForm) -> RedirectResponse:
    """Delete the draft (from the check page); back to "Hồ sơ của tôi"."""
    with c.transaction() as uow:
        drafts.delete_draft(uow, actor, draft_id)
    return see_other("/ho-so")


# --- confirmation --------------------------------------------------------------------------------------


def track_path(dossier_code: str, access_key: str) -> str:
    """The public tracking page of a dossier with its access key (what the receipt's QR also carries)."""
    return f"/tra-cuu?{urlencode({'ma': dossier_code, 'k': access_key})}"


def tracking_qr(public_url: str, dossier_code: str, access_key: str) -> Markup:
    """The tracking QR as inline SVG, pointing at the public /tra-cuu page of the dossier with its key."""
    url = f"{public_url.rstrip('/')}{track_path(dossier_code, access_key)}"
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(
        scale=4, title=_("Mã QR tra cứu hồ sơ %(code)s", code=dossier_code), svgclass="motcua-qr"
    )
    return Markup(svg)  # noqa: S704 — segno's own SVG of a URL we built from a dossier code the citizen may see


@router.get("/thu-tuc/{code}/nop/da-nop/{dossier_code}", response_class=HTMLResponse)
def filed(request: Request, code: str, dossier_code: str, c: ContainerDep, actor: Citizen) -> HTMLResponse:
    """Đã nộp hồ sơ: the dossier code, what happens next, the tracking QR."""
    with c.transaction() as uow:
        detail = dossier_detail(c.services, uow, actor, dossier_code)  # its own version's term
    context = {
        "detail": detail,
        "qr": tracking_qr(c.settings.public_url, detail["code"], detail["access_key"]),
        "track_url": track_path(detail["code"], detail["access_key"]),
    }
    return render(request, "filing/filed.html", context)


# --- the supplement (Mẫu 02) ---------------------------------------------------------------------------


def _supplement_page(
    request: Request,
    c: Container,
    actor: Actor,
    code: str,
    errors: FormErrors | None = None,
    posted: FormData | None = None,
) -> HTMLResponse:
    with c.transaction() as uow:
        asked = supplements.supplement_request(uow, actor, code)
    typed = {name: _text(posted, name) for name in posted.keys() if name != "csrf"} if posted else {}  # noqa: SIM118
    context = {"asked": asked, "code": asked.dossier.code, "errors": errors or FormErrors({}), "typed": typed}
    return render(request, "filing/supplement.html", context, status_code=422 if errors else 200)


@router.get("/ho-so/{code}/bo-sung", response_class=HTMLResponse)
def supplement_form(request: Request, code: str, c: ContainerDep, actor: Citizen) -> HTMLResponse:
    """Exactly the items the supplement request asked for, each to answer or upload."""
    return _supplement_page(request, c, actor, code)


@router.post("/ho-so/{code}/bo-sung", response_class=HTMLResponse)
def supplement_send(
    request: Request, code: str, c: ContainerDep, _limit: BodyLimit, actor: Citizen, form: CsrfForm
) -> Response:
    """Hand the answers in; the dossier goes back to the agency and the clock resumes."""
    try:
        with c.transaction() as uow:
            asked = supplements.supplement_request(uow, actor, code)
            answers = []
            for i in range(len(asked.items)):
                ids = []
                for file in _files(form, f"items.{i}.files"):
                    try:
                        data = _read(file, c.services.upload_max_bytes)
                        ids.append(uploads.store_upload(c.services, uow, actor, file.filename, data).id)
                    except InvalidInput as exc:
                        raise InvalidInput(
                            exc.message, exc.message_en, {f"items[{i}]": next(iter(exc.fields.values()))}
                        ) from exc
                answers.append(supplements.SupplementAnswer(_text(form, f"items.{i}.text"), tuple(ids)))
            supplements.answer_supplement(c.services, uow, actor, code, answers, note=_text(form, "note"))
    except InvalidInput as exc:
        return _supplement_page(request, c, actor, code, FormErrors.of(exc), form)
    return see_other(f"/ho-so/{code}")
