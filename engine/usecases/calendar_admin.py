"""Calendar exceptions administered in pages (/quan-tri/lich): list by year and scope, add, edit, delete.

An exception (holiday, compensatory day off, make-up working day) moves the due times of the dossiers whose
count runs over its day, so adding, editing or deleting one first makes a draft change; its dry run lists
what moves, and applying it writes the table and recomputes (engine/usecases/recompute.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select

from engine.actor import Actor
from engine.calendar import ExceptionKind, Scope, national_holiday
from engine.clock import to_local
from engine.errors import FieldError, InvalidInput, NotFound
from engine.store.db import UnitOfWork
from engine.store.models import AdminChangeRow, AgencyRow, CalendarExceptionRow
from engine.usecases.agencies import PROVINCE_RE, require_admin

KIND_LABELS = {
    ExceptionKind.HOLIDAY: ("ngày nghỉ lễ", "holiday"),
    ExceptionKind.COMPENSATORY_OFF: ("ngày nghỉ bù", "compensatory day off"),
    ExceptionKind.MAKEUP_WORKDAY: ("ngày làm bù", "make-up working day"),
}
YEARS_BACK, YEARS_AHEAD = 1, 2  # a sane date: from last year to two years ahead


@dataclass
class ExceptionInput:
    """An exception as typed in the form (strings; the date already read as dd/mm/yyyy by the page)."""

    day: str = ""  # ISO yyyy-mm-dd
    kind: str = ""
    name: str = ""
    source: str = ""
    scope: str = "national"
    scope_code: str = ""

    @classmethod
    def of(cls, row: CalendarExceptionRow) -> ExceptionInput:
        """The form's values of a stored row."""
        return cls(row.day.isoformat(), row.kind, row.name, row.source, row.scope, row.scope_code or "")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the change's payload)."""
        return asdict(self)


def list_exceptions(
    uow: UnitOfWork, actor: Actor, year: int, scope: str | None = None
) -> list[CalendarExceptionRow]:
    """The exceptions of one year (a handful), optionally of one scope, by date."""
    require_admin(actor)
    query = select(CalendarExceptionRow).where(
        col(CalendarExceptionRow.day) >= date(year, 1, 1), col(CalendarExceptionRow.day) <= date(year, 12, 31)
    )
    if scope:
        query = query.where(CalendarExceptionRow.scope == scope)
    return list(uow.session.exec(query.order_by(col(CalendarExceptionRow.day), col(CalendarExceptionRow.id))))


def get_exception(uow: UnitOfWork, actor: Actor, exception_id: int) -> CalendarExceptionRow:
    """One exception row, or NotFound."""
    require_admin(actor)
    row = uow.session.get(CalendarExceptionRow, exception_id)
    if row is None:
        raise NotFound(
            "Không tìm thấy ngày ngoại lệ này.", "Calendar exception not found.", "ExceptionNotFound"
        )
    return row


def check_exception(
    uow: UnitOfWork, data: ExceptionInput, today: date, *, replacing: int | None = None
) -> ExceptionInput:
    """Every field typed and bounded; no duplicate; the kind fits the day. InvalidInput names each bad one."""
    problems: dict[str, FieldError] = {}
    clean = ExceptionInput(
        day=data.day.strip(),
        kind=data.kind.strip(),
        name=" ".join(data.name.split()),
        source=" ".join(data.source.split()),
        scope=data.scope.strip(),
        scope_code=data.scope_code.strip(),
    )
    day = _check_day(clean.day, today, problems)
    kind = next((k for k in ExceptionKind if k.value == clean.kind), None)
    if kind is None:
        problems["kind"] = FieldError("Chọn loại ngày.", "Choose the kind of day.")
    if not 3 <= len(clean.name) <= 200:
        problems["name"] = FieldError("Tên ngày dài 3–200 ký tự.", "The name is 3–200 characters.")
    if not 5 <= len(clean.source) <= 300:
        problems["source"] = FieldError(
            "Ghi văn bản quyết định (5–300 ký tự), ví dụ «Công văn 1234/LĐTBXH-CV».",
            "Give the deciding document (5–300 characters), e.g. «Công văn 1234/LĐTBXH-CV».",
        )
    scope = _check_scope(uow, clean, problems)
    if day is not None and scope is not None and "scope_code" not in problems:
        _check_duplicate(uow, day, scope, clean.scope_code, replacing=replacing, problems=problems)
    if day is not None and kind is not None and "day" not in problems:
        _check_kind_fits(day, kind, problems)
    if problems:
        raise InvalidInput("Ngày ngoại lệ chưa hợp lệ.", "The calendar exception is not valid.", problems)
    return clean


def _check_day(text: str, today: date, problems: dict[str, FieldError]) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        problems["day"] = FieldError(
            "Nhập ngày có thật, dạng dd/mm/yyyy.", "Enter a real date as dd/mm/yyyy."
        )
        return None
    first, last = today.year - YEARS_BACK, today.year + YEARS_AHEAD
    if not first <= day.year <= last:
        problems["day"] = FieldError(
            f"Ngày phải trong các năm {first}–{last}.", f"The date must fall within {first}–{last}."
        )
        return None
    return day


def _check_scope(uow: UnitOfWork, clean: ExceptionInput, problems: dict[str, FieldError]) -> Scope | None:
    scope = next((s for s in Scope if s.value == clean.scope), None)
    if scope is None:
        problems["scope"] = FieldError("Chọn phạm vi áp dụng.", "Choose the scope.")
    elif scope is Scope.NATIONAL:
        clean.scope_code = ""
    elif scope is Scope.PROVINCE:
        if not PROVINCE_RE.match(clean.scope_code):
            problems["scope_code"] = FieldError(
                "Mã tỉnh gồm 2 chữ số, ví dụ 01.", "The province code is 2 digits, e.g. 01."
            )
        elif not uow.session.exec(
            select(AgencyRow.code).where(AgencyRow.province_code == clean.scope_code)
        ).first():
            problems["scope_code"] = FieldError(
                "Không có cơ quan nào thuộc tỉnh này.", "No agency is in this province."
            )
    elif (
        len(clean.scope_code) > 35
        or not clean.scope_code
        or uow.session.get(AgencyRow, clean.scope_code) is None
    ):
        problems["scope_code"] = FieldError("Không có cơ quan với mã này.", "No agency has this code.")
    return scope


def _check_duplicate(
    uow: UnitOfWork,
    day: date,
    scope: Scope,
    code: str,
    *,
    replacing: int | None,
    problems: dict[str, FieldError],
) -> None:
    same_code = (
        CalendarExceptionRow.scope_code == code if code else col(CalendarExceptionRow.scope_code).is_(None)
    )
    clash = select(CalendarExceptionRow.id).where(
        CalendarExceptionRow.day == day, CalendarExceptionRow.scope == scope.value, same_code
    )
    if replacing is not None:
        clash = clash.where(CalendarExceptionRow.id != replacing)
    if uow.session.exec(clash).first() is not None:
        problems["day"] = FieldError(
            "Ngày này đã có trong lịch với cùng phạm vi.",
            "This date is already in the calendar for this scope.",
        )


def _check_kind_fits(day: date, kind: ExceptionKind, problems: dict[str, FieldError]) -> None:
    off = day.weekday() >= 5 or national_holiday(day) is not None
    if kind is ExceptionKind.MAKEUP_WORKDAY and not off:
        problems["kind"] = FieldError(
            "Ngày làm bù phải là ngày nghỉ (thứ Bảy, Chủ nhật hoặc ngày lễ).",
            "A make-up working day must be a day off (Saturday, Sunday or a public holiday).",
        )
    elif kind is not ExceptionKind.MAKEUP_WORKDAY and off:
        problems["day"] = FieldError(
            "Ngày này đã là ngày nghỉ (cuối tuần hoặc ngày lễ): không cần thêm ngày nghỉ.",
            "This date is already a day off (weekend or public holiday).",
        )


def describe(data: ExceptionInput) -> str:
    """«ngày nghỉ bù 02/01/2026 (Nghỉ bù Tết Dương lịch), theo Công văn 1234/LĐTBXH-CV»."""
    kind = KIND_LABELS[ExceptionKind(data.kind)][0]
    return f"{kind} {date.fromisoformat(data.day):%d/%m/%Y} ({data.name}), theo {data.source}"


def _draft(
    uow: UnitOfWork,
    actor: Actor,
    *,
    kind: str,
    summary: str,
    payload: dict[str, Any],
    target: int | None,
    at: datetime,
) -> AdminChangeRow:
    change = AdminChangeRow(
        kind=kind,
        state="draft",
        summary=summary[:500],
        payload=payload,
        target_id=target,
        created_by=actor.subject,
        created_by_name=actor.display,
        created_at=at,
    )
    uow.session.add(change)
    uow.flush()
    return change


def propose_add(uow: UnitOfWork, actor: Actor, data: ExceptionInput, at: datetime) -> AdminChangeRow:
    """A draft that adds an exception (applied after its dry run)."""
    require_admin(actor)
    clean = check_exception(uow, data, to_local(at).date())
    return _draft(
        uow,
        actor,
        kind="exception_add",
        summary="thêm " + describe(clean),
        payload={"exception": clean.as_dict()},
        target=None,
        at=at,
    )


def propose_edit(
    uow: UnitOfWork, actor: Actor, exception_id: int, data: ExceptionInput, at: datetime
) -> AdminChangeRow:
    """A draft that changes an exception."""
    row = get_exception(uow, actor, exception_id)
    clean = check_exception(uow, data, to_local(at).date(), replacing=exception_id)
    before = ExceptionInput.of(row)
    if clean == before:
        raise InvalidInput(
            "Chưa có gì thay đổi.",
            "Nothing changed.",
            {"day": FieldError("Chưa có gì thay đổi.", "Nothing changed.")},
        )
    payload = {"before": before.as_dict(), "exception": clean.as_dict()}
    return _draft(
        uow,
        actor,
        kind="exception_edit",
        summary="sửa " + describe(clean),
        payload=payload,
        target=exception_id,
        at=at,
    )


def propose_delete(uow: UnitOfWork, actor: Actor, exception_id: int, at: datetime) -> AdminChangeRow:
    """A draft that deletes an exception."""
    row = get_exception(uow, actor, exception_id)
    before = ExceptionInput.of(row)
    return _draft(
        uow,
        actor,
        kind="exception_delete",
        summary="bỏ " + describe(before),
        payload={"before": before.as_dict()},
        target=exception_id,
        at=at,
    )


def write_change(uow: UnitOfWork, change: AdminChangeRow, today: date) -> None:
    """Write a draft's exception into the table (checked again: the table may have changed since)."""
    if change.kind == "exception_add":
        clean = check_exception(uow, ExceptionInput(**change.payload["exception"]), today)
        row = CalendarExceptionRow(
            day=date.fromisoformat(clean.day),
            kind=clean.kind,
            name=clean.name,
            source=clean.source,
            scope=clean.scope,
            scope_code=clean.scope_code or None,
        )
        uow.session.add(row)
        uow.flush()
        change.target_id = row.id
    elif change.kind == "exception_edit":
        assert change.target_id is not None
        found = uow.session.get(CalendarExceptionRow, change.target_id)
        if found is None:
            raise NotFound(
                "Ngày ngoại lệ đã bị xóa.", "The calendar exception was deleted.", "ExceptionNotFound"
            )
        clean = check_exception(uow, ExceptionInput(**change.payload["exception"]), today, replacing=found.id)
        found.day = date.fromisoformat(clean.day)
        found.kind, found.name, found.source = clean.kind, clean.name, clean.source
        found.scope, found.scope_code = clean.scope, clean.scope_code or None
        uow.session.add(found)
    elif change.kind == "exception_delete":
        assert change.target_id is not None
        found = uow.session.get(CalendarExceptionRow, change.target_id)
        if found is not None:
            uow.session.delete(found)
    uow.flush()
