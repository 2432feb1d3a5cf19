"""Supervisors' pages (/giam-sat): the timeliness numbers of their agencies, drill-down, exports.

Handlers parse the filters, call engine/usecases/statistics.py (the same use cases as /api/v1/stats) and
render. Every chart is drawn from a table on the page (portal/assets/stats.js); without JavaScript the table
is the chart. Supervisors see their agencies only; administrators every agency.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]

from engine.actor import Actor, Role
from engine.clock import to_local
from engine.errors import InvalidInput
from engine.usecases import statistics as uc
from portal.api.deps import ContainerDep
from portal.api.params import row_id
from portal.i18n import N_
from portal.i18n import gettext as _
from portal.web import FormErrors, render, require

router = APIRouter(include_in_schema=False)

Supervisor = Annotated[Actor, Depends(require(Role.SUPERVISOR, Role.ADMIN))]
Text = Annotated[str | None, Query(max_length=40)]
AgencyText = Annotated[str | None, Query(alias="co-quan", max_length=1800)]

# Page parameter → use-case parameter.
PARAMS = {"tu-ngay": "from", "den-ngay": "to", "co-quan": "agency", "thu-tuc": "procedure", "kenh": "channel"}
MEASURE_LABELS = {
    "received": N_("Tiếp nhận mới"),
    "carried_over": N_("Kỳ trước chuyển sang"),
    "early": N_("Giải quyết trước hạn"),
    "on_time": N_("Giải quyết đúng hạn"),
    "late": N_("Giải quyết trễ hạn"),
    "withdrawn": N_("Rút hồ sơ"),
    "refused": N_("Từ chối tiếp nhận"),
    "stopped": N_("Dừng xử lý"),
    "open": N_("Đang giải quyết cuối kỳ"),
    "open_near_due": N_("Đang giải quyết, sắp đến hạn"),
    "open_overdue": N_("Đang giải quyết, quá hạn"),
}


def read_filters(request: Request) -> dict[str, str]:
    """The page's filters; a date typed dd/mm/yyyy is read as such (links carry YYYY-MM-DD)."""
    filters = {k: request.query_params[k][:1800] for k in PARAMS if request.query_params.get(k)}
    for key in ("tu-ngay", "den-ngay"):
        value = filters.get(key, "").strip()
        parts = value.split("/")
        if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
            filters[key] = f"{parts[2]}-{parts[1].zfill(2)}-{parts[0].zfill(2)}"
    return filters


def shown(filters: dict[str, str]) -> dict[str, str]:
    """The filters as the form shows them: dates dd/mm/yyyy."""
    out = dict(filters)
    for key in ("tu-ngay", "den-ngay"):
        try:
            out[key] = date.fromisoformat(filters[key]).strftime("%d/%m/%Y")
        except (KeyError, ValueError):
            pass
    return out


def stats_query(c: ContainerDep, filters: dict[str, str]) -> uc.StatsQuery:
    """The statistics query of the page's filters (422 on a bad one, naming the field)."""
    today = to_local(c.services.clock.now()).date()
    return uc.query_of(
        filters.get("tu-ngay"),
        filters.get("den-ngay"),
        filters.get("co-quan"),
        filters.get("thu-tuc"),
        filters.get("kenh"),
        today=today,
    )


def page_params(query: uc.StatsQuery) -> dict[str, str]:
    """A query as the page's URL parameters."""
    reverse = {v: k for k, v in PARAMS.items()}
    return {reverse[k]: v for k, v in query.params().items()}


def drill_url(query: uc.StatsQuery, measure: str, **override: str) -> str:
    """The list of dossiers behind a number."""
    return "/giam-sat/ho-so?" + urlencode({"chi-so": measure, **page_params(query), **override})


def month_params(key: str) -> dict[str, str]:
    """The from/to of a month row (`YYYY-MM`)."""
    first = date.fromisoformat(key + "-01")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return {"tu-ngay": first.isoformat(), "den-ngay": last.isoformat()}


def percent(value: float | None) -> str:
    """A rate as Vietnamese write it: «80,0 %» (— without data); the space does not break, so «%» never
    wraps onto a line of its own in a narrow card or cell."""
    return "—" if value is None else f"{value * 100:.1f}".replace(".", ",") + "\u00a0%"


def number(value: float | None) -> str:
    """A count or an average with a decimal comma."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}".replace(".", ",")
    return f"{int(value):,}".replace(",", ".")


def _vn(day: str) -> str:
    return date.fromisoformat(day).strftime("%d/%m/%Y")


@router.get("/giam-sat", response_class=HTMLResponse)
def dashboard(request: Request, actor: Supervisor, c: ContainerDep) -> HTMLResponse:
    """Headline numbers, trends, per-agency and per-procedure tables, late dossiers, unacknowledged events."""
    filters = read_filters(request)
    with c.transaction() as uow:
        choices = uc.choices(uow, actor)
        try:
            query = stats_query(c, filters)
            data = uc.dashboard(uow, actor, query, c.services.clock.now())
        except InvalidInput as exc:
            return _invalid(request, filters, choices, exc)
    export = urlencode(page_params(query))
    period_in_effect = {"tu-ngay": query.start.isoformat(), "den-ngay": query.end.isoformat()}
    return render(
        request,
        "supervise/dashboard.html",
        {
            "filters": shown(period_in_effect | filters),  # empty dates show the period they default to
            "choices": choices,
            "data": data,
            "query": query,
            "period": (query.start.strftime("%d/%m/%Y"), query.end.strftime("%d/%m/%Y")),
            "export": export,
            **_helpers(),
        },
    )


def _invalid(
    request: Request, filters: dict[str, str], choices: dict[str, Any], exc: InvalidInput
) -> HTMLResponse:
    return render(
        request,
        "supervise/dashboard.html",
        {
            "filters": shown(filters),
            "choices": choices,
            "data": None,
            "errors": FormErrors.of(exc),
            **_helpers(),
        },
        status_code=422,
    )


EVENT_LABELS = {
    "received": N_("Đã tiếp nhận"),
    "near_due": N_("Sắp đến hạn"),
    "overdue": N_("Quá hạn"),
    "extended": N_("Xin lỗi, hẹn lại"),
    "step_overdue": N_("Bước xử lý quá hạn"),
    "completed": N_("Đã có kết quả"),
    "returned": N_("Đã trả kết quả"),
    "refused": N_("Không tiếp nhận"),
    "withdrawn": N_("Rút hồ sơ"),
}


def event_label(event_type: str) -> str:
    """The IOC event's kind in the reader's language (`vn.motcua.dossier.received` → "Tiếp nhận")."""
    kind = event_type.removeprefix("vn.motcua.dossier.")
    return _(EVENT_LABELS[kind]) if kind in EVENT_LABELS else kind


def _helpers() -> dict[str, Callable[..., Any]]:
    return {
        "event_label": event_label,
        "percent": percent,
        "number": number,
        "drill_url": drill_url,
        "month_params": month_params,
        "vn_day": _vn,
    }


@router.get("/giam-sat/ho-so", response_class=HTMLResponse)
def drill_down(
    request: Request,
    actor: Supervisor,
    c: ContainerDep,
    measure: Annotated[str, Query(alias="chi-so", max_length=20)] = "received",
    before: Annotated[str | None, Query(alias="truoc", max_length=12)] = None,
) -> HTMLResponse:
    """The dossiers behind a number, 50 a page (keyset), with holder, due time and how late."""
    filters = read_filters(request)
    with c.transaction() as uow:
        choices = uc.choices(uow, actor)
        try:
            query = stats_query(c, filters)
            page = uc.dossiers(uow, actor, query, measure, c.services.clock.now(), before_id=row_id(before))
        except InvalidInput as exc:
            return _invalid(request, filters, choices, exc)
    base = {"chi-so": measure, **page_params(query)}
    next_url = f"/giam-sat/ho-so?{urlencode({**base, 'truoc': page['next']})}" if page["next"] else None
    first_url = f"/giam-sat/ho-so?{urlencode(base)}" if before else None
    return render(
        request,
        "supervise/dossiers.html",
        {
            "page": page,
            "measure_label": _(MEASURE_LABELS[measure]),
            "period": (query.start.strftime("%d/%m/%Y"), query.end.strftime("%d/%m/%Y")),
            "next_url": next_url,
            "first_url": first_url,
            "back_url": "/giam-sat?" + urlencode(page_params(query)),
            "export": urlencode(base),
            **_helpers(),
        },
    )


# --- exports ------------------------------------------------------------------------------------------

Column = tuple[str, Callable[[dict[str, Any]], Any]]

NUMBER_COLUMNS: list[Column] = [
    ("Kỳ trước chuyển sang", lambda r: r["received"]["carried_over"]),
    ("Tiếp nhận mới", lambda r: r["received"]["new"]),
    ("Trực tuyến", lambda r: r["received"]["online"]),
    ("Trực tiếp", lambda r: r["received"]["counter"]),
    ("Bưu chính", lambda r: r["received"]["postal"]),
    ("Phải giải quyết", lambda r: r["to_process"]),
    ("Trước hạn", lambda r: r["finished"]["early"]),
    ("Đúng hạn", lambda r: r["finished"]["on_time"]),
    ("Trễ hạn", lambda r: r["finished"]["late"]),
    ("Đang giải quyết trong hạn", lambda r: r["open"]["on_time"]),
    ("Đang giải quyết sắp đến hạn", lambda r: r["open"]["near_due"]),
    ("Đang giải quyết quá hạn", lambda r: r["open"]["overdue"]),
    ("Rút hồ sơ", lambda r: r["withdrawn"]),
    ("Từ chối tiếp nhận", lambda r: r["refused"]),
    ("Tỷ lệ đúng hạn", lambda r: r["on_time_rate"]),
    ("Tỷ lệ trễ hạn", lambda r: r["late_rate"]),
    ("Thời gian giải quyết trung bình (ngày làm việc)", lambda r: r["average_processing_days"]),
    ("Tỷ lệ trực tuyến", lambda r: r["online_share"]),
    ("Tỷ lệ trực tuyến toàn trình", lambda r: r["full_online_share"]),
]

TABLES: dict[str, tuple[str, str]] = {
    "tong-hop": ("Tổng hợp", "Kỳ"),
    "co-quan": ("Theo cơ quan", "Cơ quan"),
    "thu-tuc": ("Theo thủ tục", "Thủ tục"),
    "thang": ("Theo tháng", "Tháng"),
    "buoc": ("Trễ hạn theo bước và người xử lý", "Cơ quan"),
    "ho-so": ("Danh sách hồ sơ", "Mã hồ sơ"),
}


def _rows(
    uow: Any, actor: Actor, query: uc.StatsQuery, which: str, request: Request, c: ContainerDep
) -> tuple[list[str], list[list[Any]]]:
    if which in ("tong-hop", "co-quan", "thu-tuc", "thang"):
        if which == "tong-hop":
            headline = uc.timeliness(uow, actor, query)
            rows = [
                {
                    "key": "",
                    "name": f"{_vn(query.start.isoformat())} – {_vn(query.end.isoformat())}",
                    **headline,
                }
            ]
        else:
            by = {"co-quan": "agency", "thu-tuc": "procedure", "thang": "month"}[which]
            source = uc.months_before(query) if by == "month" else query
            rows = uc.table(uow, actor, source, by)  # type: ignore[arg-type]
        headers = ["Mã", TABLES[which][1], *(h for h, _ in NUMBER_COLUMNS)]
        return headers, [[r["key"], r["name"], *(get(r) for _, get in NUMBER_COLUMNS)] for r in rows]
    if which == "buoc":
        headers = [
            "Mã cơ quan",
            "Cơ quan",
            "Người xử lý",
            "Số bước",
            "Trước hạn",
            "Đúng hạn",
            "Trễ hạn",
            "Số giờ trễ",
        ]
        steps = uc.steps(uow, actor, query, limit=10_000)
        keys = ("agency_code", "agency_name", "holder", "steps", "early", "on_time", "late", "late_hours")
        return headers, [[s[k] for k in keys] for s in steps]
    measure = request.query_params.get("chi-so", "received")[:20]
    page = uc.dossiers(uow, actor, query, measure, c.services.clock.now(), limit=200)
    headers = [
        "Mã hồ sơ",
        "Thủ tục",
        "Cơ quan",
        "Kênh",
        "Người đang giữ",
        "Tiếp nhận",
        "Hạn trả",
        "Hoàn thành",
        "Số ngày trễ",
    ]
    keys = (
        "code",
        "procedure_name",
        "agency_name",
        "channel",
        "holder",
        "received_at",
        "due_at",
        "finished_at",
        "days_late",
    )
    return headers, [[i[k] for k in keys] for i in page["items"]]


@router.get("/giam-sat/xuat/{which}.{fmt}")
def export(request: Request, which: str, fmt: str, actor: Supervisor, c: ContainerDep) -> Response:
    """A table of the page as CSV (UTF-8 with BOM, for spreadsheet programs) or XLSX, Vietnamese headers."""
    if which not in TABLES or fmt not in ("csv", "xlsx"):
        return Response(status_code=404)
    filters = read_filters(request)
    with c.transaction() as uow:
        query = stats_query(c, filters)
        headers, rows = _rows(uow, actor, query, which, request, c)
    name = f"thong-ke-{which}-{query.start.isoformat()}-{query.end.isoformat()}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        return Response(
            ("\ufeff" + out.getvalue()).encode(), media_type="text/csv; charset=utf-8", headers=disposition
        )
    book = Workbook()
    sheet = book.active
    sheet.title = TABLES[which][0][:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=disposition,
    )
