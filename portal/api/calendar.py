"""Working-day calendar: the due time of a receipt moment, explained."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from fastapi import APIRouter, Query

from engine import limits
from engine.calendar import DeadlineUnit
from engine.errors import FieldError, InvalidInput
from engine.usecases.calendars import calendar_for
from portal.api.deps import ContainerDep
from portal.api.models import DueOut, errors
from portal.api.params import AGENCY_PATTERN, moment

FIRST_YEAR, LAST_YEAR = 1900, 2100
CUTOFF = re.compile(r"^(([01][0-9]|2[0-3]):[0-5][0-9])?$")

router = APIRouter(tags=["calendar"])


def parse_cutoff(value: str | None) -> time | None:
    """HH:MM or None; field error otherwise."""
    if value in (None, ""):
        return None
    try:
        if not CUTOFF.fullmatch(value):
            raise ValueError(value)
        return time.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            "Giờ chốt không hợp lệ.",
            "Invalid cut-off.",
            {
                "cutoff": FieldError(
                    "Giờ chốt phải có dạng HH:MM, ví dụ 15:00.", "Cut-off must be HH:MM, e.g. 15:00."
                )
            },
        ) from exc


@router.get("/calendar/due", response_model=DueOut, responses=errors(404, 422))
def due(
    c: ContainerDep,
    start: str = Query(
        max_length=40, description="Thời điểm tiếp nhận (ISO 8601; không ghi múi giờ = giờ Việt Nam)"
    ),
    unit: DeadlineUnit = Query(description="working_days | working_hours | same_day | calendar_days"),
    amount: float = Query(default=0, ge=0, le=3650),
    cutoff: str | None = Query(
        default=None,
        max_length=5,
        pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9])?$",
        description="Giờ chốt HH:MM",
    ),
    agency: str | None = Query(
        default=None, max_length=limits.CODE, pattern=AGENCY_PATTERN, description="Lịch của cơ quan"
    ),
) -> dict[str, Any]:
    """The due time with the days skipped and why; same answer as `motcua calendar due`."""
    received = check_start(moment(start, "start"))
    check_amount(amount, unit)
    with c.transaction() as uow:
        calendar = calendar_for(uow, agency)
        return calendar.due(received, amount, unit, parse_cutoff(cutoff)).as_dict()


def check_start(start: datetime | None) -> datetime:
    """A receipt moment within the years the calendar knows (1900–2100), else 422 on `start`."""
    if start is None or not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise InvalidInput(
            "Thời điểm tiếp nhận không hợp lệ.",
            "Invalid receipt moment.",
            {
                "start": FieldError(
                    f"Thời điểm tiếp nhận phải trong các năm {FIRST_YEAR}–{LAST_YEAR}.",
                    f"The receipt moment must fall within {FIRST_YEAR}–{LAST_YEAR}.",
                )
            },
        )
    return start


def check_amount(amount: float, unit: DeadlineUnit) -> None:
    """Calendar days count whole days: 1.5 calendar days is a 422 on `amount`, not a guess."""
    if unit is DeadlineUnit.CALENDAR_DAYS and amount != int(amount):
        raise InvalidInput(
            "Số ngày không hợp lệ.",
            "Invalid amount.",
            {
                "amount": FieldError(
                    "Thời hạn tính theo ngày lịch phải là số nguyên.", "Calendar days must be a whole number."
                )
            },
        )
