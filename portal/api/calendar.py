"""Working-day calendar: the due time of a receipt moment, explained."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from fastapi import APIRouter, Query

from engine.calendar import DeadlineUnit
from engine.errors import FieldError, InvalidInput
from engine.usecases.calendars import calendar_for
from portal.api.deps import ContainerDep

router = APIRouter(tags=["calendar"])


def parse_cutoff(value: str | None) -> time | None:
    """HH:MM or None; field error otherwise."""
    if value in (None, ""):
        return None
    try:
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


@router.get("/calendar/due")
def due(
    c: ContainerDep,
    start: datetime = Query(description="Thời điểm tiếp nhận (ISO 8601; không ghi múi giờ = giờ Việt Nam)"),
    unit: DeadlineUnit = Query(description="working_days | working_hours | same_day | calendar_days"),
    amount: float = Query(default=0, ge=0, le=3650),
    cutoff: str | None = None,
    agency: str | None = None,
) -> dict[str, Any]:
    """The due time with the days skipped and why; same answer as `motcua calendar due`."""
    with c.transaction() as uow:
        calendar = calendar_for(uow, agency)
        return calendar.due(start, amount, unit, parse_cutoff(cutoff)).as_dict()
