"""The one-stop counter (`/mot-cua`): reception queue, the paper checklist, counter filing, results to return.

For one-stop officers of their own agency. Each handler parses the form, calls the use case of
engine/usecases/counter.py (or residents.py for the audited look-up), and renders. A decision another officer
beat us to re-renders the dossier as it now stands, with a notice, instead of a raw 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from engine.actor import Actor, Role
from engine.document import rendering
from engine.dossier.checklist import CHOICE_LABELS, CHOICES, PaperCheck
from engine.errors import Conflict, InvalidInput, NotFound, Unavailable
from engine.procedure import Paper
from engine.usecases import counter as uc
from engine.usecases.queries import procedure_view, procedure_views
from engine.usecases.residents import prefill_at_counter, verify_dossier
from portal import eform
from portal.api.deps import ContainerDep
from portal.api.documents import pdf_response
from portal.api.params import row_id
from portal.i18n import N_
from portal.i18n import gettext as _
from portal.web import CsrfForm, FormErrors, localized, render, require
from portal.wiring import Container

router = APIRouter(include_in_schema=False)

Officer = Annotated[Actor, Depends(require(Role.OFFICER))]
APPLICANT_FIELDS = ("full_name", "identity_number", "phone", "email", "address")
RETURN_FORM = "tasks/return"
DONE_NOTICES = {
    "tiep-nhan": N_("Đã tiếp nhận hồ sơ. Giấy tiếp nhận và hẹn trả kết quả (Mẫu 01) đã sẵn sàng để in."),
    "bo-sung": N_("Đã gửi Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02) cho người nộp."),
    "tu-choi": N_("Đã từ chối tiếp nhận hồ sơ (Mẫu 03)."),
    "tra-ket-qua": N_("Đã trả kết quả cho người nộp."),
    "xac-minh": N_("Đã ghi nhận kết quả xác minh thông tin người nộp."),
}
DECISION_DONE = {"accept": "tiep-nhan", "supplement": "bo-sung", "refuse": "tu-choi"}


def _choices() -> list[tuple[str, str]]:
    return [(choice, localized(*CHOICE_LABELS[choice])) for choice in CHOICES]


# --- lists --------------------------------------------------------------------------------------------


@router.get("/mot-cua", response_class=HTMLResponse)
def queue(request: Request, c: ContainerDep, actor: Officer, sau: str | None = None) -> HTMLResponse:
    """Online dossiers waiting for reception, oldest first, with what the registry check said."""
    with c.transaction() as uow:
        page = uc.reception_queue(uow, actor, after=row_id(sau))
    return render(
        request,
        "counter/queue.html",
        {
            "page": page,
            "next_url": f"/mot-cua?sau={page.next_after}" if page.next_after else None,
            "first_url": "/mot-cua" if sau else None,
        },
    )


@router.get("/mot-cua/tra-ket-qua", response_class=HTMLResponse)
def results(
    request: Request, c: ContainerDep, actor: Officer, sau: str | None = None, xong: str | None = None
) -> HTMLResponse:
    """Dossiers whose result is ready (status 9), to return at the counter or online."""
    with c.transaction() as uow:
        page = uc.results_queue(uow, actor, after=row_id(sau))
    return render(
        request,
        "counter/results.html",
        {
            "page": page,
            "next_url": f"/mot-cua/tra-ket-qua?sau={page.next_after}" if page.next_after else None,
            "first_url": "/mot-cua/tra-ket-qua" if sau else None,
            "done": _(DONE_NOTICES[xong]) if xong in DONE_NOTICES else None,
        },
    )


# --- counter filing for a walk-in citizen -------------------------------------------------------------


def _procedures(c: Container) -> list[tuple[str, str]]:
    with c.transaction() as uow:
        return [(p["code"], f"{p['name']} ({p['code']})") for p in procedure_views(uow)]


def _filing_page(
    request: Request,
    c: ContainerDep,
    *,
    procedure: str | None = None,
    identity_number: str = "",
    applicant: Mapping[str, Any] | None = None,
    form: Mapping[str, Any] | None = None,
    registry: list[str] | None = None,
    checklist: Mapping[str, PaperCheck] | None = None,
    errors: FormErrors | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Step 1 (procedure and identity number) or, once a procedure is chosen, step 2 (the whole dossier)."""
    context: dict[str, Any] = {
        "procedures": _procedures(c),
        "procedure": procedure,
        "identity_number": identity_number,
        "errors": errors or FormErrors({}),
        "notice": notice,
        "choices": _choices(),
    }
    if procedure and applicant is not None:
        with c.transaction() as uow:
            view = procedure_view(c.services, uow, procedure)
        papers = [
            Paper(**{k: p[k] for k in ("key", "name", "copies", "count", "required")}) for p in view["papers"]
        ]
        context.update(
            {
                "step": 2,
                "procedure_view": view,
                "applicant": applicant,
                "sections": eform.build(
                    view["form_schema"],
                    form,
                    errors,
                    registry=registry or [],
                    choices={"papers": [(p.name, p.name) for p in papers]},
                ),
                "registry": registry or [],
                "papers": papers,
                "checklist": checklist or {},
            }
        )
    return render(request, "counter/file.html", context, status_code=status_code)


@router.get("/mot-cua/nop-truc-tiep", response_class=HTMLResponse)
def filing_start(request: Request, c: ContainerDep, actor: Officer) -> HTMLResponse:
    """Choose the procedure and find the citizen by identity number (sent by POST, never in the URL)."""
    del actor
    return _filing_page(request, c)


@router.post("/mot-cua/nop-truc-tiep", response_class=HTMLResponse, response_model=None)
def filing_post(request: Request, c: ContainerDep, actor: Officer, posted: CsrfForm) -> Response:
    """Look the citizen up and prefill (action `lookup`), start blank (`manual`), or file (`file`)."""
    data = {k: v for k, v in posted.items() if isinstance(v, str)}
    action = data.get("action", "lookup")
    procedure = data.get("procedure", "").strip()
    if not procedure:
        errors = FormErrors.one("procedure", "Chọn thủ tục hành chính.", "Choose the procedure.")
        return _filing_page(request, c, errors=errors, status_code=422)
    try:
        with c.transaction() as uow:
            procedure_view(c.services, uow, procedure)
    except NotFound as exc:
        errors = FormErrors.one("procedure", exc.message, exc.message_en)
        return _filing_page(request, c, errors=errors, status_code=422)
    if action == "file":
        return _file(request, c, actor, procedure, posted)
    if action == "manual":
        return _filing_page(request, c, procedure=procedure, applicant={})
    return _lookup(request, c, actor, procedure, data.get("identity_number", "").strip())


def _lookup(request: Request, c: Container, actor: Actor, procedure: str, number: str) -> HTMLResponse:
    try:
        found = prefill_at_counter(c.services, c.transaction, actor, procedure, number)
    except InvalidInput as exc:
        return _filing_page(
            request,
            c,
            procedure=procedure,
            identity_number=number,
            errors=FormErrors.of(exc),
            status_code=422,
        )
    except NotFound as exc:
        errors = FormErrors.one("identity_number", exc.message, exc.message_en)
        return _filing_page(
            request, c, procedure=procedure, identity_number=number, errors=errors, status_code=422
        )
    except (Unavailable, Conflict) as exc:  # the registry did not answer, or the form takes nothing from it
        return _filing_page(
            request, c, procedure=procedure, applicant={"identity_number": number}, notice=exc.message
        )
    return _filing_page(
        request,
        c,
        procedure=procedure,
        identity_number=number,
        applicant=found["applicant"],
        form=found["form"],
        registry=found["prefilled"],
        notice=_("Đã điền sẵn thông tin từ Cơ sở dữ liệu quốc gia về dân cư; kiểm tra lại với công dân."),
    )


def _file(
    request: Request, c: Container, actor: Actor, procedure: str, posted: Mapping[str, Any]
) -> Response:
    with c.transaction() as uow:
        view = procedure_view(c.services, uow, procedure)
    data = {k: v for k, v in posted.items() if isinstance(v, str)}
    parsed = eform.parse(view["form_schema"], posted)
    applicant = {k: data.get(f"applicant.{k}", "").strip() for k in APPLICANT_FIELDS}
    checklist = parse_checklist(data, [p["key"] for p in view["papers"]])
    registry = [p for p in data.get("registry", "").split(",") if p]
    cmd = uc.CounterFiling(procedure, {k: v for k, v in applicant.items() if v}, parsed.data, checklist)
    try:
        if parsed.errors:
            raise InvalidInput(
                "Hồ sơ chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu.",
                "The dossier is invalid; see the marked fields.",
                {f"form.{k}" if not k.startswith("form.") else k: v for k, v in parsed.errors.items()},
            )
        code = uc.file_at_counter(c.services, c.transaction, actor, cmd, lambda _uow, d: d.code)
    except (InvalidInput, Unavailable) as exc:
        return _filing_page(
            request,
            c,
            procedure=procedure,
            applicant=applicant,
            form=parsed.data,
            registry=registry,
            checklist=checklist,
            errors=FormErrors.of(exc),
            status_code=422 if isinstance(exc, InvalidInput) else 503,
        )
    return RedirectResponse(f"/mot-cua/{code}?xong=tiep-nhan", status_code=303)


# --- the checklist, from a posted form ---------------------------------------------------------------


def posted_papers(data: Mapping[str, str]) -> list[str]:
    """The paper keys a posted checklist answers (the engine says which papers are missing or unknown)."""
    keys = [name.split(".")[1] for name in data if name.startswith("checklist.") and name.count(".") == 2]
    return list(dict.fromkeys(keys))


def parse_checklist(data: Mapping[str, str], keys: list[str]) -> dict[str, PaperCheck]:
    """Each paper's answer: `checklist.<key>.received` (original, copy, …, missing) and its note."""
    return {
        key: PaperCheck(data.get(f"checklist.{key}.received") or None, data.get(f"checklist.{key}.note", ""))
        for key in keys
    }


# --- a document, inline for printing ------------------------------------------------------------------


@router.get("/mot-cua/van-ban/{document_id}", response_class=Response)
async def document(document_id: str, c: ContainerDep, actor: Officer) -> Response:
    """A dossier's document (the receipt, Mẫu 02, …) opened in the browser to print (/van-ban/… downloads it).

    Authorized as the API's download: whoever may see the dossier, here an officer of its agency.
    """
    number = row_id(document_id)
    if number is None:
        raise rendering.not_found(0)
    return await pdf_response(c, actor, number, inline=True)


# --- one dossier: reception or return -----------------------------------------------------------------


def _dossier_page(
    request: Request,
    c: Container,
    actor: Actor,
    code: str,
    *,
    errors: FormErrors | None = None,
    posted: Mapping[str, str] | None = None,
    checklist: Mapping[str, PaperCheck] | None = None,
    return_data: Mapping[str, Any] | None = None,
    notice: str | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with c.transaction() as uow:
        view = uc.counter_view(c.services, uow, actor, code)
        schema = view.form_schema
        return_schema = c.services.forms.schema(RETURN_FORM)
    gaps = FormErrors({f"form.{path}": gap for path, gap in view.answers_gaps.items()})
    answers = eform.answers(eform.build(schema, view.detail["form"], gaps))
    names = {p.key: p for p in view.papers}
    context = {
        "view": view,
        "d": view.detail,
        "answers": answers,
        "papers": view.papers,
        "paper_names": names,
        "checklist": checklist if checklist is not None else view.checklist,
        "choices": _choices(),
        "posted": posted or {},
        "errors": errors or FormErrors({}),
        "notice": notice,
        "done": _(DONE_NOTICES[done]) if done in DONE_NOTICES else None,
        "return_sections": eform.build(return_schema, return_data or {}, errors, prefix="data"),
    }
    return render(request, "counter/dossier.html", context, status_code=status_code)


@router.get("/mot-cua/{code}", response_class=HTMLResponse)
def dossier(
    request: Request, c: ContainerDep, actor: Officer, code: str, xong: str | None = None
) -> HTMLResponse:
    """One dossier of the agency: reception with the checklist (status 1), or its result to return (9)."""
    return _dossier_page(request, c, actor, code, done=xong)


@router.post("/mot-cua/{code}/tiep-nhan", response_class=HTMLResponse, response_model=None)
def receive(request: Request, c: ContainerDep, actor: Officer, code: str, posted: CsrfForm) -> Response:
    """Accept, ask for a supplement or refuse, from the checklist; the engine says which follows from it."""
    data = {k: v for k, v in posted.items() if isinstance(v, str)}
    checklist = parse_checklist(data, posted_papers(data))
    decision = data.get("decision", "")
    cmd = uc.Reception(
        decision=decision,
        checklist=checklist,
        refusal_reason=data.get("refusal_reason", ""),
        note=data.get("note", ""),
        version=row_id(data.get("version")),
    )
    try:
        with c.transaction() as uow:
            uc.receive_checked(c.services, uow, actor, code, cmd)
    except Conflict as exc:
        return _dossier_page(request, c, actor, code, notice=exc.message, status_code=409)
    except InvalidInput as exc:
        return _dossier_page(
            request,
            c,
            actor,
            code,
            errors=FormErrors.of(exc),
            posted=data,
            checklist=checklist,
            status_code=422,
        )
    return RedirectResponse(f"/mot-cua/{code}?xong={DECISION_DONE[decision]}", status_code=303)


@router.post("/mot-cua/{code}/tra-ket-qua", response_class=HTMLResponse, response_model=None)
def return_result(request: Request, c: ContainerDep, actor: Officer, code: str, posted: CsrfForm) -> Response:
    """Hand the result over (at the counter, by post or online): the return task completes, status 10."""
    data = {k: v for k, v in posted.items() if isinstance(v, str)}
    parsed = eform.parse(c.services.forms.schema(RETURN_FORM), posted, prefix="data")
    try:
        with c.transaction() as uow:
            uc.return_result(c.services, uow, actor, code, parsed.data)
    except Conflict as exc:
        return _dossier_page(request, c, actor, code, notice=exc.message, status_code=409)
    except InvalidInput as exc:
        errors = FormErrors.of(exc, prefix="data.")
        return _dossier_page(request, c, actor, code, errors=errors, return_data=parsed.data, status_code=422)
    back = "/mot-cua/tra-ket-qua" if data.get("back") == "list" else f"/mot-cua/{code}"
    return RedirectResponse(f"{back}?xong=tra-ket-qua", status_code=303)


@router.post("/mot-cua/{code}/xac-minh", response_class=HTMLResponse, response_model=None)
def verify(request: Request, c: ContainerDep, actor: Officer, code: str, posted: CsrfForm) -> Response:
    """Check the applicant again: look the registry up once more, or record the original ID card seen."""
    data = {k: v for k, v in posted.items() if isinstance(v, str)}
    payload = {"method": data.get("method", "registry"), "note": data.get("verify_note", "").strip() or None}
    try:
        verify_dossier(c.services, c.transaction, actor, code, payload, view=lambda _uow, d: d.code)
    except Conflict as exc:
        return _dossier_page(request, c, actor, code, notice=exc.message, status_code=409)
    except Unavailable as exc:
        return _dossier_page(request, c, actor, code, notice=exc.message, status_code=503)
    except InvalidInput as exc:
        errors = FormErrors.of(exc)
        if "note" in errors.fields:
            errors = FormErrors({"verify_note": errors.fields["note"]}, exc.message, exc.message_en)
        return _dossier_page(request, c, actor, code, errors=errors, posted=data, status_code=422)
    return RedirectResponse(f"/mot-cua/{code}?xong=xac-minh", status_code=303)
