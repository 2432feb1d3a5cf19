"""Specialists' and leaders' pages (/cong-viec): the work list, a task with its dossier and form, the apology.

Handlers parse the form, call the engine's use case and render (docs/portal.md). The list is the engine's
keyset-paged work list (engine/usecases/worklist.py); a task's form is its `forms/tasks/<form>.schema.json`
through the one e-form renderer; completing it is the same `complete` use case as `POST /api/v1/tasks/{id}`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from engine.actor import Actor, Role
from engine.clock import LOCAL_TZ as LOCAL
from engine.dossier.code import is_dossier_code
from engine.errors import Conflict, DomainError, FieldError, InvalidInput
from engine.usecases import documents, register, taskview, worklist
from engine.usecases import tasks as uc
from engine.usecases.dossiers import extend
from engine.usecases.queries import procedure_views
from portal import eform
from portal.api.deps import ContainerDep
from portal.i18n import gettext as _
from portal.web import NO_ERRORS, FormErrors, field_id, localized, read_form, render, require
from portal.wiring import Container

router = APIRouter(include_in_schema=False)

Worker = Annotated[Actor, Depends(require(Role.SPECIALIST, Role.LEADER))]

SCOPES = {
    "tat-ca": worklist.Scope.ALL,
    "cua-toi": worklist.Scope.MINE,
    "chua-nhan": worklist.Scope.UNCLAIMED,
    "toan-co-quan": worklist.Scope.AGENCY,  # leaders: every lane, to see what is late before it is
}
STATES = {r.value: r for r in worklist.DeadlineRank}
PREFIX = "form"  # HTML names of a task form: form.decision, form.missing_papers.0.paper
WORKING_DAY = timedelta(hours=8)


# --- the list -----------------------------------------------------------------------------------------


def _filters(params: dict[str, str]) -> dict[str, str]:
    """The list's filters as they appear in its URL (unknown values dropped)."""
    out = {}
    if params.get("thu-tuc"):
        out["thu-tuc"] = params["thu-tuc"][:40]
    if params.get("trang-thai") in STATES:
        out["trang-thai"] = params["trang-thai"]
    if params.get("pham-vi") in SCOPES and params["pham-vi"] != "tat-ca":
        out["pham-vi"] = params["pham-vi"]
    return out


def _url(filters: dict[str, str], **extra: str | None) -> str:
    query = {**filters, **{k: v for k, v in extra.items() if v}}
    return "/cong-viec" + (f"?{urlencode(query)}" if query else "")


def time_left(remaining: timedelta | None) -> str:
    """Working time left as officers say it: «còn 1 ngày 3 giờ làm việc», «quá hạn 2 giờ làm việc»."""
    if remaining is None:
        return ""
    late = remaining < timedelta(0)
    hours = abs(remaining).total_seconds() / 3600
    days, rest = divmod(hours, WORKING_DAY.total_seconds() / 3600)
    parts = []
    if days:
        parts.append(_("%(n)s ngày", n=int(days)))
    if rest or not days:
        parts.append(_("%(n)s giờ", n=f"{rest:.1f}".rstrip("0").rstrip(".").replace(".", ",")))
    amount = " ".join(parts)
    return _("quá hạn %(t)s làm việc", t=amount) if late else _("còn %(t)s làm việc", t=amount)


def _list_context(c: Container, actor: Actor, params: dict[str, str]) -> dict[str, Any]:
    filters = _filters(params)
    state = STATES.get(filters.get("trang-thai", ""))
    query = worklist.WorkListQuery(
        procedure=filters.get("thu-tuc"),
        state=state,
        scope=SCOPES[filters.get("pham-vi", "tat-ca")],
        after=params.get("sau") or None,
        before=params.get("truoc") or None,
    )
    with c.transaction() as uow:
        page = worklist.work_list(uow, actor, query, c.services.clock.now())
        procedures = procedure_views(uow)
    names = {p["code"]: localized(p["name"], p.get("name_en")) for p in procedures}
    done = params.get("xong", "")
    return {
        "items": page.items,
        "names": names,
        "procedures": list(names.items()),
        "states": [(r.value, _(r.label)) for r in worklist.DeadlineRank],
        "filters": filters,
        "scope": filters.get("pham-vi", "tat-ca"),
        "next_url": _url(filters, sau=page.next_cursor) if page.next_cursor else None,
        "prev_url": _url(filters, truoc=page.prev_cursor) if page.prev_cursor else None,
        "first_url": _url(filters) if page.prev_cursor else None,
        "scope_urls": {
            k: _url({**filters, "pham-vi": k} if k != "tat-ca" else _drop(filters, "pham-vi")) for k in SCOPES
        },
        "list_url": _url(filters, sau=params.get("sau"), truoc=params.get("truoc")),
        "done_code": done if is_dossier_code(done) else None,
        "lanes": worklist.lane_roles(actor),
        "is_leader": actor.has(Role.LEADER),
        "time_left": time_left,
    }


def _drop(filters: dict[str, str], key: str) -> dict[str, str]:
    return {k: v for k, v in filters.items() if k != key}


@router.get("/cong-viec", response_class=HTMLResponse)
def work_list(request: Request, c: ContainerDep, actor: Worker) -> HTMLResponse:
    """The ready tasks of my agency and lane, overdue and near due first; filters; keyset pages."""
    params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    context = _list_context(c, actor, params)
    if request.headers.get("hx-request"):
        return render(request, "work/_results.html", context)
    return render(request, "work/list.html", context)


@router.post("/cong-viec/{task_id}/nhan", response_class=HTMLResponse)
async def claim(task_id: str, request: Request, c: ContainerDep, actor: Worker) -> Response:
    """Take a task from the list; a colleague's claim is said on the list, not as a raw 409."""
    form = await read_form(request)
    back = _local_list_url(form)
    try:
        await run_in_threadpool(_claim, c, actor, task_id)
    except Conflict as exc:
        params = dict(_params_of(back))
        context = _list_context(c, actor, params) | {"conflict": exc}
        return render(request, "work/list.html", context, status_code=409)
    return RedirectResponse(f"/cong-viec/{task_id}", status_code=303)


def _claim(c: Container, actor: Actor, task_id: str) -> None:
    with c.transaction() as uow:
        uc.claim(c.services, uow, actor, task_id)


def _local_list_url(form: FormData) -> str:
    """The list URL a form came from (only ever a /cong-viec address, never another site)."""
    back = form.get("back")
    if (
        isinstance(back, str)
        and (back == "/cong-viec" or back.startswith("/cong-viec?"))
        and "//" not in back
    ):
        return back
    return "/cong-viec"


def _params_of(url: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl  # noqa: PLC0415

    return parse_qsl(url.partition("?")[2])


# The register's route comes before /cong-viec/{task_id}: a fixed path must win over the task id.
@router.post("/cong-viec/so-theo-doi")
async def register_document(request: Request, c: ContainerDep, actor: Worker) -> Response:
    """Issue the agency's register (Mẫu 06) of a year as it stands, then download it."""
    form = await read_form(request)
    year_text = str(form.get("year") or "")
    year = (
        int(year_text)
        if year_text.isdigit() and len(year_text) == 4
        else c.services.clock.now().astimezone(LOCAL).year
    )
    document_id = await run_in_threadpool(_register, c, actor, year)
    return RedirectResponse(f"/van-ban/{document_id}", status_code=303)


def _register(c: Container, actor: Actor, year: int) -> int:
    with c.transaction() as uow:
        row, _new = register.issue_register(uow, actor, actor.agency or "", year, c.services.clock.now())
        assert row.id is not None
        return row.id


# --- one task -----------------------------------------------------------------------------------------


def _load(c: Container, actor: Actor, task_id: str) -> taskview.TaskPage:
    with c.transaction() as uow:
        return taskview.task_page(c.services, uow, actor, task_id)


def _task_context(
    c: Container,
    page: taskview.TaskPage,
    *,
    data: dict[str, Any] | None = None,
    errors: FormErrors = NO_ERRORS,
    extension: dict[str, str] | None = None,
    extension_errors: FormErrors = NO_ERRORS,
) -> dict[str, Any]:
    dossier = page.dossier
    sections: list[eform.Section] = []
    if page.form and page.can_work:
        schema = c.services.forms.schema(page.form)
        papers = [(p.name, p.name) for p in page.procedure.papers]
        sections = eform.build(schema, data or {}, errors, prefix=PREFIX, choices={"papers": papers})
    answers: list[dict[str, Any]] = []
    try:
        form_schema = c.services.forms.schema(page.dossier_form)
        gaps = FormErrors({f"form.{path}": gap for path, gap in page.answers_gaps.items()})
        answers = eform.answers(eform.build(form_schema, dossier["form"], gaps, prefix="form"))
    except DomainError:
        answers = []
    labels = {row["id"]: row["label"] for row in answers}
    checked = (dossier.get("verification") or {}).get("fields") or []
    deadline = dossier["deadline"]
    hours = deadline.get("remaining_working_hours")
    late = deadline.get("overdue_working_hours")
    remaining = None
    if late is not None:
        remaining = -timedelta(hours=late)
    elif hours is not None:
        remaining = timedelta(hours=hours)
    return {
        "page": page,
        "task": page.task,
        "d": dossier,
        "sections": sections,
        "errors": errors,
        "answers": answers,
        "checked_fields": [labels.get(field_id(path), path) for path in checked],
        "deadline": deadline,
        "time_left": time_left(remaining)
        if deadline.get("state") in ("overdue", "near_due", "on_track")
        else "",
        "extension_form": extension or {},
        "extension_errors": extension_errors,
        "year": c.services.clock.now().astimezone(LOCAL).year,  # the register of this year (Mẫu 06)
    }


@router.get("/cong-viec/{task_id}", response_class=HTMLResponse)
def task_page(task_id: str, request: Request, c: ContainerDep, actor: Worker) -> HTMLResponse:
    """The dossier with its papers, registry check and earlier opinions; the task's form and decisions."""
    page = _load(c, actor, task_id)
    return render(request, "work/task.html", _task_context(c, page))


@router.post("/cong-viec/{task_id}", response_class=HTMLResponse)
async def complete(task_id: str, request: Request, c: ContainerDep, actor: Worker) -> Response:
    """Send the task's form: the workflow moves on; errors on their fields; a stale task says so."""
    form = await read_form(request)
    page = await run_in_threadpool(_load, c, actor, task_id)
    if page.task is None or page.form is None:
        return _stale(request, c, page, None)
    schema = c.services.forms.schema(page.form)
    parsed = eform.parse(schema, form, prefix=PREFIX)
    data = hidden_dropped(schema, parsed.data)
    if parsed.errors:
        errors = FormErrors(parsed.errors, "Dữ liệu chưa hợp lệ.", "The input is not valid.")
        return render(
            request, "work/task.html", _task_context(c, page, data=data, errors=errors), status_code=422
        )
    try:
        code = await run_in_threadpool(_complete, c, actor, task_id, data)
    except InvalidInput as exc:
        errors = FormErrors.of(exc, prefix=f"{PREFIX}.")
        return render(
            request, "work/task.html", _task_context(c, page, data=data, errors=errors), status_code=422
        )
    except Conflict as exc:
        return _stale(request, c, await run_in_threadpool(_load, c, actor, task_id), exc)
    return RedirectResponse(f"/cong-viec?{urlencode({'xong': code})}", status_code=303)


def _complete(c: Container, actor: Actor, task_id: str, data: dict[str, Any]) -> str:
    with c.transaction() as uow:
        return uc.complete(c.services, uow, actor, task_id, data).code


def _stale(request: Request, c: Container, page: taskview.TaskPage, exc: DomainError | None) -> HTMLResponse:
    """Another officer acted first: the notice and the dossier as it now stands (409, not raw JSON)."""
    context = _task_context(c, page) | {"conflict": exc}
    return render(request, "work/task.html", context, status_code=409)


def hidden_dropped(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Leave out answers to questions the schema asks only for another decision (its `if/then`).

    Without JavaScript every conditional section is on the page; what was typed into one that does not
    apply to the chosen decision is not sent (e.g. missing papers when the proposal is to approve).
    """
    out = dict(data)
    for section in eform.build(schema, data, prefix=PREFIX):
        for node in section.nodes:
            if node.show_when is None:
                continue
            decider, value = node.show_when
            if str(data.get(decider.removeprefix(f"{PREFIX}."), "")) != value:
                out.pop(node.key.removeprefix(f"{PREFIX}."), None)
    return out


# --- leaders: the apology with a new appointment (Mẫu 04) ----------------------------------------------


@router.post("/cong-viec/{task_id}/xin-loi", response_class=HTMLResponse)
async def apology(
    task_id: str,
    request: Request,
    c: ContainerDep,
    actor: Annotated[Actor, Depends(require(Role.LEADER))],
) -> Response:
    """Issue the apology and new appointment; the engine's rules (once, a working day ahead) on the fields."""
    form = await read_form(request)
    page = await run_in_threadpool(_load, c, actor, task_id)
    typed = {k: str(form.get(k) or "").strip() for k in ("reason", "new_due_date", "new_due_time")}
    moment = _appointment(typed["new_due_date"], typed["new_due_time"])
    payload = {"reason": typed["reason"], "new_due_at": moment or ""}
    try:
        if moment is None:
            raise InvalidInput(
                "Phiếu xin lỗi và hẹn lại chưa hợp lệ.",
                "The apology is invalid.",
                {
                    "new_due_at": FieldError(
                        "Nhập ngày hẹn mới dạng ngày/tháng/năm và giờ dạng giờ:phút, ví dụ 16/03/2026 16:00.",
                        "Write the new date as day/month/year and the time as hh:mm, e.g. 16/03/2026 16:00.",
                    )
                },
            )
        await run_in_threadpool(_extend, c, actor, page.dossier["code"], payload)
    except (InvalidInput, Conflict) as exc:
        if exc.fields:
            context = _task_context(c, page, extension=typed, extension_errors=FormErrors.of(exc))
            status = 422 if isinstance(exc, InvalidInput) else 409
            return render(request, "work/task.html", context, status_code=status)
        return _stale(request, c, await run_in_threadpool(_load, c, actor, task_id), exc)
    return RedirectResponse(f"/cong-viec/{task_id}?da-xin-loi=1", status_code=303)


def _appointment(day: str, hour: str) -> str | None:
    """dd/mm/yyyy and HH:MM (Hà Nội time) → an ISO moment the engine reads; None when unreadable."""
    parsed = eform.parse_date(day)
    try:
        clock = datetime.strptime(hour.replace("h", ":").replace(".", ":"), "%H:%M").time()
    except ValueError:
        return None
    if parsed is None:
        return None
    return datetime.combine(parsed, clock, LOCAL).isoformat()


def _extend(c: Container, actor: Actor, code: str, payload: dict[str, Any]) -> None:
    with c.transaction() as uow:
        extend(c.services, uow, actor, code, payload)


# --- documents one click away: Mẫu 05 (the hand-over log) and the register (Mẫu 06) ---------------------


@router.post("/cong-viec/{task_id}/mau-05")
async def control_sheet(task_id: str, c: ContainerDep, actor: Worker) -> Response:
    """Issue the control sheet from the hand-over log as it stands, then download it."""
    page = await run_in_threadpool(_load, c, actor, task_id)
    document_id = await run_in_threadpool(_control_sheet, c, actor, page.dossier["code"])
    return RedirectResponse(f"/van-ban/{document_id}", status_code=303)


def _control_sheet(c: Container, actor: Actor, code: str) -> int:
    with c.transaction() as uow:
        row, _new = documents.issue_control_sheet(uow, actor, code, c.services.clock.now())
        assert row.id is not None
        return row.id
