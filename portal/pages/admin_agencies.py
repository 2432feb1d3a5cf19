"""Administrators' pages for agencies and the working calendar (/quan-tri/co-quan, /quan-tri/lich).

Handlers parse the form, call the engine's use cases (engine/usecases/agencies.py, calendar_admin.py,
recompute.py) and render (docs/portal.md). A change that can move due times (an exception, an agency's office
hours or cut-off) is first a draft: its page lists the dossiers in flight it moves (keyset-paged dry run), and
applying it recomputes them in bounded batches.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from engine.actor import Actor, Role
from engine.calendar import ExceptionKind, Scope
from engine.clock import to_local
from engine.errors import Conflict, FieldError, InvalidInput
from engine.usecases import agencies as agency_uc
from engine.usecases import calendar_admin as calendar_uc
from engine.usecases import recompute
from portal.api.deps import ContainerDep
from portal.errors import status_of
from portal.i18n import N_
from portal.i18n import gettext as _
from portal.web import _AGENCY_NAMES, CsrfForm, FormErrors, environment, render, require

router = APIRouter(include_in_schema=False)

Admin = Annotated[Actor, Depends(require(Role.ADMIN))]
DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
REQUEST_BATCHES = 50  # a request applies at most 50 × 200 dossiers; the page offers to continue after that

LEVEL_LABELS = {
    "province": N_("Cấp tỉnh"),
    "department": N_("Sở, ban, ngành"),
    "commune": N_("Cấp xã"),
}
KIND_LABELS = {
    ExceptionKind.HOLIDAY.value: N_("Ngày nghỉ lễ"),
    ExceptionKind.COMPENSATORY_OFF.value: N_("Ngày nghỉ bù"),
    ExceptionKind.MAKEUP_WORKDAY.value: N_("Ngày làm bù"),
}
SCOPE_LABELS = {
    Scope.NATIONAL.value: N_("Toàn quốc"),
    Scope.PROVINCE.value: N_("Tỉnh, thành phố"),
    Scope.AGENCY.value: N_("Một cơ quan"),
}
STATE_LABELS = {
    "draft": N_("Chờ áp dụng"),
    "applying": N_("Đang áp dụng"),
    "done": N_("Đã áp dụng"),
    "cancelled": N_("Đã hủy"),
}
DONE_NOTICES = {
    "them": N_("Đã thêm cơ quan."),
    "luu": N_("Đã lưu thông tin cơ quan."),
    "huy": N_("Đã hủy thay đổi; lịch và hồ sơ không đổi."),
}


def capitalize_first(text: str) -> str:
    """«thêm ngày nghỉ bù …» (written to follow «do» in an explanation) as a heading: «Thêm …»."""
    return text[:1].upper() + text[1:]


environment.filters["capitalize_first"] = capitalize_first


def _options(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(value, _(label)) for value, label in labels.items()]


def _text(posted: FormData, key: str, limit: int = 400) -> str:
    """A posted text field (bounded: a longer value is cut, then refused by the use case's length rule)."""
    value = posted.get(key)
    return value[: limit + 1] if isinstance(value, str) else ""


def _page_labels() -> dict[str, Any]:
    return {
        "levels": _options(LEVEL_LABELS),
        "kinds": _options(KIND_LABELS),
        "scopes": _options(SCOPE_LABELS),
        "level_labels": LEVEL_LABELS,
        "kind_labels": KIND_LABELS,
        "scope_labels": SCOPE_LABELS,
        "state_labels": STATE_LABELS,
    }


# --- agencies ---------------------------------------------------------------------------------------------


@router.get("/quan-tri/co-quan", response_class=HTMLResponse)
def agency_list(request: Request, c: ContainerDep, actor: Admin, xong: str | None = None) -> HTMLResponse:
    """Every agency with its hours, cut-off and groups."""
    with c.transaction() as uow:
        rows = agency_uc.list_agencies(uow, actor)
    notice = _(DONE_NOTICES[xong]) if xong in DONE_NOTICES else None
    return render(request, "admin/agencies/list.html", {"agencies": rows, "notice": notice, **_page_labels()})


def _agency_form(
    request: Request,
    data: agency_uc.AgencyInput,
    *,
    creating: bool,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "data": data,
        "creating": creating,
        "groups_text": "\n".join(data.staff_groups),
        "errors": errors or FormErrors({}),
        **_page_labels(),
    }
    return render(request, "admin/agencies/agency_form.html", context, status_code=status_code)


def _agency_input(posted: FormData, code: str | None = None) -> agency_uc.AgencyInput:
    groups = _text(posted, "staff_groups", 6000).splitlines()
    return agency_uc.AgencyInput(
        code=code if code is not None else _text(posted, "code", 40),
        name=_text(posted, "name", 200),
        level=_text(posted, "level", 20),
        parent_code=_text(posted, "parent_code", 40),
        province_code=_text(posted, "province_code", 10),
        address=_text(posted, "address", 300),
        phone=_text(posted, "phone", 30),
        office_hours=_text(posted, "office_hours", 100),
        cutoff=_text(posted, "cutoff", 10),
        has_counter=posted.get("has_counter") == "1",
        staff_groups=groups[: agency_uc.MAX_GROUPS + 1],
    )


@router.get("/quan-tri/co-quan/moi", response_class=HTMLResponse)
def agency_new(request: Request, actor: Admin) -> HTMLResponse:
    """The empty agency form."""
    return _agency_form(request, agency_uc.AgencyInput(), creating=True)


@router.post("/quan-tri/co-quan/moi", response_class=HTMLResponse, response_model=None)
def agency_create(request: Request, c: ContainerDep, actor: Admin, posted: CsrfForm) -> Response:
    """Add an agency; a bad field re-renders the form with its error (422), nothing written."""
    data = _agency_input(posted)
    try:
        with c.transaction() as uow:
            agency_uc.create_agency(uow, actor, data, c.services.clock.now())
    except InvalidInput as exc:
        return _agency_form(request, data, creating=True, errors=FormErrors.of(exc), status_code=422)
    return RedirectResponse("/quan-tri/co-quan?xong=them", status_code=303)


@router.get("/quan-tri/co-quan/{code}", response_class=HTMLResponse)
def agency_edit(request: Request, c: ContainerDep, actor: Admin, code: str) -> HTMLResponse:
    """One agency's form."""
    with c.transaction() as uow:
        data = agency_uc.AgencyInput.of(agency_uc.get_agency(uow, actor, code))
    return _agency_form(request, data, creating=False)


@router.post("/quan-tri/co-quan/{code}", response_class=HTMLResponse, response_model=None)
def agency_save(request: Request, c: ContainerDep, actor: Admin, code: str, posted: CsrfForm) -> Response:
    """Save an agency; new hours or cut-off go to their dry run first."""
    with c.transaction() as uow:
        agency_uc.get_agency(uow, actor, code)  # 404 before reading the form
    data = _agency_input(posted, code)
    try:
        with c.transaction() as uow:
            edit = agency_uc.update_agency(uow, actor, code, data, c.services.clock.now())
    except InvalidInput as exc:
        return _agency_form(request, data, creating=False, errors=FormErrors.of(exc), status_code=422)
    _AGENCY_NAMES.pop(code, None)  # the header's cached name
    if edit.draft is not None:
        return RedirectResponse(f"/quan-tri/lich/thay-doi/{edit.draft.id}", status_code=303)
    return RedirectResponse("/quan-tri/co-quan?xong=luu", status_code=303)


# --- calendar exceptions ----------------------------------------------------------------------------------


def _year(value: str | None, today: date) -> int:
    if value and value.isdigit() and len(value) == 4 and 2000 <= int(value) <= 2100:
        return int(value)
    return today.year


@router.get("/quan-tri/lich", response_class=HTMLResponse)
def calendar_list(
    request: Request,
    c: ContainerDep,
    actor: Admin,
    nam: str | None = None,
) -> HTMLResponse:
    """The exceptions of a year (optionally of one scope) and the latest changes."""
    today = to_local(c.services.clock.now()).date()
    year = _year(nam, today)
    scope = request.query_params.get("pham-vi")
    scope = scope if scope in SCOPE_LABELS else None
    with c.transaction() as uow:
        rows = calendar_uc.list_exceptions(uow, actor, year, scope)
        changes = recompute.recent_changes(uow, actor)
    xong = request.query_params.get("xong")
    context = {
        "year": year,
        "years": list(range(today.year - 1, today.year + 3)),
        "scope": scope or "",
        "exceptions": rows,
        "changes": changes,
        "notice": _(DONE_NOTICES[xong]) if xong in DONE_NOTICES else None,
        **_page_labels(),
    }
    return render(request, "admin/agencies/calendar.html", context)


def _read_day(text: str) -> str:
    """dd/mm/yyyy (or ISO) → ISO; anything else → InvalidInput on `day`."""
    match = DATE_RE.match(text.strip())
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day).isoformat()
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise InvalidInput(
            "Ngày ngoại lệ chưa hợp lệ.",
            "The calendar exception is not valid.",
            {"day": FieldError("Nhập ngày có thật, dạng dd/mm/yyyy.", "Enter a real date as dd/mm/yyyy.")},
        ) from None


def _exception_input(posted: FormData) -> tuple[calendar_uc.ExceptionInput, str]:
    typed_day = _text(posted, "day", 20)
    scope = _text(posted, "scope", 20)
    code_field = {"province": "province_code", "agency": "agency_code"}.get(scope, "")
    data = calendar_uc.ExceptionInput(
        day=typed_day,
        kind=_text(posted, "kind", 30),
        name=_text(posted, "name", 200),
        source=_text(posted, "source", 300),
        scope=scope,
        scope_code=_text(posted, code_field, 40) if code_field else "",
    )
    return data, typed_day


def _exception_form(
    request: Request,
    data: calendar_uc.ExceptionInput,
    typed_day: str,
    *,
    exception_id: int | None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "data": data,
        "typed_day": typed_day,
        "exception_id": exception_id,
        "errors": errors or FormErrors({}),
        **_page_labels(),
    }
    return render(request, "admin/agencies/exception_form.html", context, status_code=status_code)


@router.get("/quan-tri/lich/moi", response_class=HTMLResponse)
def exception_new(request: Request, actor: Admin) -> HTMLResponse:
    """The empty exception form."""
    return _exception_form(request, calendar_uc.ExceptionInput(), "", exception_id=None)


@router.post("/quan-tri/lich/moi", response_class=HTMLResponse, response_model=None)
def exception_add(request: Request, c: ContainerDep, actor: Admin, posted: CsrfForm) -> Response:
    """A draft adding an exception, then its dry run."""
    data, typed = _exception_input(posted)
    try:
        data.day = _read_day(typed)
        with c.transaction() as uow:
            change = calendar_uc.propose_add(uow, actor, data, c.services.clock.now())
    except InvalidInput as exc:
        return _exception_form(
            request, data, typed, exception_id=None, errors=FormErrors.of(exc), status_code=422
        )
    return RedirectResponse(f"/quan-tri/lich/thay-doi/{change.id}", status_code=303)


@router.get("/quan-tri/lich/{exception_id}", response_class=HTMLResponse)
def exception_edit(request: Request, c: ContainerDep, actor: Admin, exception_id: int) -> HTMLResponse:
    """One exception's form (with its delete button)."""
    with c.transaction() as uow:
        row = calendar_uc.get_exception(uow, actor, exception_id)
    data = calendar_uc.ExceptionInput.of(row)
    return _exception_form(request, data, f"{row.day:%d/%m/%Y}", exception_id=exception_id)


@router.post("/quan-tri/lich/{exception_id}", response_class=HTMLResponse, response_model=None)
def exception_save(
    request: Request, c: ContainerDep, actor: Admin, exception_id: int, posted: CsrfForm
) -> Response:
    """A draft changing an exception, then its dry run."""
    with c.transaction() as uow:
        calendar_uc.get_exception(uow, actor, exception_id)  # 404 first
    data, typed = _exception_input(posted)
    try:
        data.day = _read_day(typed)
        with c.transaction() as uow:
            change = calendar_uc.propose_edit(uow, actor, exception_id, data, c.services.clock.now())
    except InvalidInput as exc:
        return _exception_form(
            request, data, typed, exception_id=exception_id, errors=FormErrors.of(exc), status_code=422
        )
    return RedirectResponse(f"/quan-tri/lich/thay-doi/{change.id}", status_code=303)


@router.post("/quan-tri/lich/{exception_id}/xoa", response_class=HTMLResponse, response_model=None)
def exception_delete(
    request: Request, c: ContainerDep, actor: Admin, exception_id: int, posted: CsrfForm
) -> Response:
    """A draft deleting an exception, then its dry run."""
    with c.transaction() as uow:
        change = calendar_uc.propose_delete(uow, actor, exception_id, c.services.clock.now())
    return RedirectResponse(f"/quan-tri/lich/thay-doi/{change.id}", status_code=303)


# --- a change: its dry run, applying it -------------------------------------------------------------------


def _change_page(
    request: Request,
    c: ContainerDep,
    actor: Actor,
    change_id: int,
    after: str | None,
    *,
    problem: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    base = f"/quan-tri/lich/thay-doi/{change_id}"
    with c.transaction() as uow:
        change = recompute.load_change(uow, actor, change_id)
        if change.state == "draft":
            page = recompute.dry_run(uow, c.services, actor, change_id, after=after)
            moves, next_cursor = page.moves, page.next_cursor
        else:
            start = int(after) if after and after.isdigit() and len(after) < 12 else 0
            moves, last = recompute.moved_by(uow, actor, change_id, after=start)
            next_cursor = str(last) if last is not None else None
    context = {
        "change": change,
        "moves": moves,
        "next_url": f"{base}?{urlencode({'sau': next_cursor})}" if next_cursor else None,
        "first_url": base if after else None,
        "errors": problem or FormErrors({}),
        **_page_labels(),
    }
    return render(request, "admin/agencies/change.html", context, status_code=status_code)


@router.get("/quan-tri/lich/thay-doi/{change_id}", response_class=HTMLResponse)
def change_view(
    request: Request, c: ContainerDep, actor: Admin, change_id: int, sau: str | None = None
) -> HTMLResponse:
    """A change: what it is, who asked, and the dossiers it moves (old → new due time), a page at a time."""
    return _change_page(request, c, actor, change_id, sau[:120] if sau else None)


@router.post("/quan-tri/lich/thay-doi/{change_id}/ap-dung", response_class=HTMLResponse, response_model=None)
def change_apply(
    request: Request, c: ContainerDep, actor: Admin, change_id: int, posted: CsrfForm
) -> Response:
    """Apply (or resume) a change: write it, then recompute in bounded batches."""
    try:
        recompute.apply(c.transaction, c.services, actor, change_id, max_batches=REQUEST_BATCHES)
    except (InvalidInput, Conflict) as exc:
        status = status_of(exc)
        return _change_page(
            request, c, actor, change_id, None, problem=FormErrors.of(exc), status_code=status
        )
    return RedirectResponse(f"/quan-tri/lich/thay-doi/{change_id}", status_code=303)


@router.post("/quan-tri/lich/thay-doi/{change_id}/huy", response_class=HTMLResponse, response_model=None)
def change_cancel(
    request: Request, c: ContainerDep, actor: Admin, change_id: int, posted: CsrfForm
) -> Response:
    """Drop a draft."""
    try:
        with c.transaction() as uow:
            recompute.cancel(uow, actor, change_id)
    except Conflict as exc:
        return _change_page(request, c, actor, change_id, None, problem=FormErrors.of(exc), status_code=409)
    return RedirectResponse("/quan-tri/lich?xong=huy", status_code=303)
