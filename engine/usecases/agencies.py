"""Agencies administered in pages (/quan-tri/co-quan): list, create, edit, every field checked.

A change to an agency's office hours or cut-off moves the due times of its dossiers in flight, so it becomes a
draft change with a dry run (engine/usecases/recompute.py); any other edit is saved at once. Every change is
recorded with who made it (`admin_change`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, time
from typing import Any

from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.calendar import OfficeHours
from engine.errors import FieldError, Forbidden, InvalidInput, NotFound
from engine.store.db import UnitOfWork
from engine.store.models import AdminChangeRow, AgencyRow

LEVELS = {
    "province": ("Cấp tỉnh", "Province"),
    "department": ("Sở, ban, ngành", "Department"),
    "commune": ("Cấp xã", "Commune"),
}
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,34}$")
PROVINCE_RE = re.compile(r"^[0-9]{2}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 .()-]{6,18}[0-9]$")
GROUP_RE = re.compile(r"^(/[A-Za-z0-9._-]{1,60}){1,5}$")
HHMM_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
MAX_GROUPS = 20
EARLIEST, LATEST = time(5, 0), time(22, 0)


def require_admin(actor: Actor) -> None:
    """Only administrators manage agencies and the calendar."""
    if not actor.has(Role.ADMIN):
        raise Forbidden(
            "Chỉ quản trị hệ thống được quản lý cơ quan và lịch làm việc.",
            "Only administrators manage agencies and the calendar.",
            code="AdminRequired",
        )


@dataclass
class AgencyInput:
    """An agency as typed in the form (strings, unchecked)."""

    code: str = ""
    name: str = ""
    level: str = "commune"
    parent_code: str = ""
    province_code: str = ""
    address: str = ""
    phone: str = ""
    office_hours: str = "07:30-11:30,13:00-17:00"
    cutoff: str = ""
    has_counter: bool = True
    staff_groups: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, row: AgencyRow) -> AgencyInput:
        """The form's values of a stored agency."""
        return cls(
            code=row.code,
            name=row.name,
            level=row.level,
            parent_code=row.parent_code or "",
            province_code=row.province_code or "",
            address=row.address or "",
            phone=row.phone or "",
            office_hours=row.office_hours,
            cutoff=row.cutoff or "",
            has_counter=row.has_counter,
            staff_groups=list(row.staff_groups or []),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the change's payload)."""
        return asdict(self)


def _err(fields: dict[str, FieldError]) -> InvalidInput:
    return InvalidInput("Thông tin cơ quan chưa hợp lệ.", "The agency's details are not valid.", fields)


def list_agencies(uow: UnitOfWork, actor: Actor) -> list[AgencyRow]:
    """Every agency by code (tens to a few thousand: one page, no paging needed for the administrator)."""
    require_admin(actor)
    return list(uow.session.exec(select(AgencyRow).order_by(col(AgencyRow.code))).all())


def get_agency(uow: UnitOfWork, actor: Actor, code: str) -> AgencyRow:
    """One agency, or NotFound."""
    require_admin(actor)
    row = uow.session.get(AgencyRow, code) if len(code) <= 35 else None
    if row is None:
        raise NotFound(
            f"Không tìm thấy cơ quan «{code[:35]}».", f"Agency '{code[:35]}' not found.", "AgencyNotFound"
        )
    return row


def check_agency(uow: UnitOfWork, data: AgencyInput, *, creating: bool) -> AgencyInput:
    """Every field typed, bounded and consistent; InvalidInput naming each bad field."""
    problems: dict[str, FieldError] = {}
    clean = AgencyInput(
        code=data.code.strip(),
        name=" ".join(data.name.split()),
        level=data.level.strip(),
        parent_code=data.parent_code.strip(),
        province_code=data.province_code.strip(),
        address=" ".join(data.address.split()),
        phone=" ".join(data.phone.split()),
        office_hours=data.office_hours.replace(" ", ""),
        cutoff=data.cutoff.strip(),
        has_counter=data.has_counter,
        staff_groups=[g.strip() for g in data.staff_groups if g.strip()],
    )
    _check_identity(uow, clean, creating, problems)
    _check_contact(clean, problems)
    hours = _check_hours(clean.office_hours, problems)
    _check_cutoff(clean.cutoff, hours, problems)
    _check_groups(clean.staff_groups, problems)
    if problems:
        raise _err(problems)
    return clean


def _check_identity(
    uow: UnitOfWork, clean: AgencyInput, creating: bool, problems: dict[str, FieldError]
) -> None:
    if not CODE_RE.match(clean.code):
        problems["code"] = FieldError(
            "Mã cơ quan gồm 1–35 chữ, số, dấu chấm, gạch ngang hoặc gạch dưới, ví dụ H29.12.3.",
            "The agency code is 1–35 letters, digits, dots, hyphens or underscores, e.g. H29.12.3.",
        )
    elif creating and uow.session.get(AgencyRow, clean.code) is not None:
        problems["code"] = FieldError("Mã cơ quan này đã có.", "An agency with this code already exists.")
    if not 3 <= len(clean.name) <= 200:
        problems["name"] = FieldError(
            "Tên cơ quan dài 3–200 ký tự.", "The agency's name is 3–200 characters."
        )
    if clean.level not in LEVELS:
        problems["level"] = FieldError("Chọn cấp của cơ quan.", "Choose the agency's level.")
    if not clean.parent_code:
        return
    if clean.parent_code == clean.code:
        problems["parent_code"] = FieldError(
            "Cơ quan không thể là cơ quan cấp trên của chính mình.", "An agency cannot be its own parent."
        )
    elif len(clean.parent_code) > 35 or uow.session.get(AgencyRow, clean.parent_code) is None:
        problems["parent_code"] = FieldError(
            "Không có cơ quan cấp trên với mã này.", "No agency has this code to be the parent."
        )


def _check_contact(clean: AgencyInput, problems: dict[str, FieldError]) -> None:
    if clean.province_code and not PROVINCE_RE.match(clean.province_code):
        problems["province_code"] = FieldError(
            "Mã tỉnh gồm 2 chữ số, ví dụ 01 (Hà Nội).", "The province code is 2 digits, e.g. 01 (Hà Nội)."
        )
    if len(clean.address) > 300:
        problems["address"] = FieldError(
            "Địa chỉ dài tối đa 300 ký tự.", "The address is at most 300 characters."
        )
    if clean.phone and not PHONE_RE.match(clean.phone):
        problems["phone"] = FieldError(
            "Số điện thoại gồm 8–20 chữ số (có thể có dấu cách), ví dụ 024 3823 0000.",
            "The phone number is 8–20 digits (spaces allowed), e.g. 024 3823 0000.",
        )


def _check_cutoff(cutoff: str, hours: OfficeHours | None, problems: dict[str, FieldError]) -> None:
    if not cutoff:
        return
    if not HHMM_RE.match(cutoff):
        problems["cutoff"] = FieldError(
            "Giờ chốt có dạng HH:MM (24 giờ), ví dụ 15:00.", "The cut-off is HH:MM (24 h), e.g. 15:00."
        )
    elif hours is not None and not hours.opening < time.fromisoformat(cutoff) <= hours.closing:
        problems["cutoff"] = FieldError(
            f"Giờ chốt phải nằm trong giờ làm việc ({hours.opening:%H:%M}–{hours.closing:%H:%M}).",
            f"The cut-off must fall within office hours ({hours.opening:%H:%M}–{hours.closing:%H:%M}).",
        )


def _check_groups(groups: list[str], problems: dict[str, FieldError]) -> None:
    bad = next((g for g in groups if not GROUP_RE.match(g)), None)
    if len(groups) > MAX_GROUPS:
        problems["staff_groups"] = FieldError(f"Tối đa {MAX_GROUPS} nhóm.", f"At most {MAX_GROUPS} groups.")
    elif bad is not None:
        problems["staff_groups"] = FieldError(
            f"Nhóm «{bad[:80]}» không phải đường dẫn nhóm, ví dụ /agencies/ba-dinh (mỗi dòng một nhóm).",
            f"Group '{bad[:80]}' is not a group path such as /agencies/ba-dinh (one per line).",
        )
    elif len(set(groups)) != len(groups):
        problems["staff_groups"] = FieldError("Có nhóm bị lặp lại.", "A group is listed twice.")


def _check_hours(spec: str, problems: dict[str, FieldError]) -> OfficeHours | None:
    try:
        hours = OfficeHours.from_strings(spec)
    except ValueError:
        problems["office_hours"] = FieldError(
            "Giờ làm việc gồm các buổi HH:MM-HH:MM cách nhau bằng dấu phẩy, theo thứ tự, không chồng nhau, "
            "ví dụ 07:30-11:30,13:00-17:00.",
            "Office hours are HH:MM-HH:MM periods separated by commas, in order and not overlapping, "
            "e.g. 07:30-11:30,13:00-17:00.",
        )
        return None
    if len(hours.periods) > 4 or hours.opening < EARLIEST or hours.closing > LATEST:
        problems["office_hours"] = FieldError(
            "Tối đa 4 buổi, trong khoảng 05:00–22:00.", "At most 4 periods, within 05:00–22:00."
        )
        return None
    if hours.seconds_per_day < 3600:
        problems["office_hours"] = FieldError(
            "Một ngày làm việc có ít nhất 1 giờ.", "A working day has at least 1 hour."
        )
        return None
    return hours


def _apply_fields(row: AgencyRow, data: AgencyInput) -> None:
    row.name = data.name
    row.level = data.level
    row.parent_code = data.parent_code or None
    row.province_code = data.province_code or None
    row.address = data.address or None
    row.phone = data.phone or None
    row.office_hours = data.office_hours
    row.cutoff = data.cutoff or None
    row.has_counter = data.has_counter
    row.staff_groups = list(data.staff_groups)


def _record(
    uow: UnitOfWork,
    actor: Actor,
    *,
    kind: str,
    state: str,
    summary: str,
    payload: dict[str, Any],
    code: str,
    at: datetime,
) -> AdminChangeRow:
    change = AdminChangeRow(
        kind=kind,
        state=state,
        summary=summary[:500],
        payload=payload,
        agency_code=code,
        created_by=actor.subject,
        created_by_name=actor.display,
        created_at=at,
    )
    if state == "done":
        change.applied_by, change.applied_by_name, change.applied_at, change.finished_at = (
            actor.subject,
            actor.display,
            at,
            at,
        )
    uow.session.add(change)
    uow.flush()
    return change


def create_agency(uow: UnitOfWork, actor: Actor, data: AgencyInput, at: datetime) -> AgencyRow:
    """Add an agency (no dossier can be in flight there yet: saved at once, audited)."""
    require_admin(actor)
    clean = check_agency(uow, data, creating=True)
    row = AgencyRow(code=clean.code, name=clean.name)
    _apply_fields(row, clean)
    uow.session.add(row)
    _record(
        uow,
        actor,
        kind="agency_create",
        state="done",
        summary=f"Thêm cơ quan {clean.code} — {clean.name}",
        payload={"agency": clean.as_dict()},
        code=clean.code,
        at=at,
    )
    return row


@dataclass(frozen=True)
class AgencyEdit:
    """What saving an agency did: saved, or a draft change waiting for its dry run to be applied."""

    agency: AgencyRow
    draft: AdminChangeRow | None


def update_agency(uow: UnitOfWork, actor: Actor, code: str, data: AgencyInput, at: datetime) -> AgencyEdit:
    """Save an edit; a new office hours or cut-off becomes a draft change (it moves due times in flight)."""
    row = get_agency(uow, actor, code)
    data.code = row.code  # the code is the key: never changed here
    clean = check_agency(uow, data, creating=False)
    before = AgencyInput.of(row)
    timing = (before.office_hours, before.cutoff) != (clean.office_hours, clean.cutoff)
    payload = {"before": before.as_dict(), "agency": clean.as_dict()}
    if timing:
        summary = hours_summary(row.name, before, clean)
        draft = _record(
            uow,
            actor,
            kind="agency_edit",
            state="draft",
            summary=summary,
            payload=payload,
            code=row.code,
            at=at,
        )
        # Fields that move no deadline are saved now; the timing waits for the dry run and its application.
        pending = AgencyInput(
            **{**clean.as_dict(), "office_hours": before.office_hours, "cutoff": before.cutoff}
        )
        _apply_fields(row, pending)
        uow.session.add(row)
        return AgencyEdit(row, draft)
    _apply_fields(row, clean)
    uow.session.add(row)
    _record(
        uow,
        actor,
        kind="agency_edit",
        state="done",
        summary=f"Sửa thông tin cơ quan {row.code} — {row.name}",
        payload=payload,
        code=row.code,
        at=at,
    )
    return AgencyEdit(row, None)


def hours_summary(name: str, before: AgencyInput, after: AgencyInput) -> str:
    """«thay đổi giờ làm việc của UBND phường Ba Đình (07:30-11:30,13:00-17:00 → …)»."""
    parts = []
    if before.office_hours != after.office_hours:
        parts.append(f"giờ làm việc {before.office_hours} → {after.office_hours}")
    if before.cutoff != after.cutoff:
        parts.append(f"giờ chốt nhận hồ sơ {before.cutoff or 'không có'} → {after.cutoff or 'không có'}")
    return f"thay đổi của {name}: " + "; ".join(parts)


def provinces(uow: UnitOfWork) -> list[str]:
    """The province codes agencies are in (for the calendar's province scope)."""
    found = uow.session.exec(
        select(AgencyRow.province_code).where(col(AgencyRow.province_code).is_not(None)).distinct()
    ).all()
    return sorted(p for p in found if p)
