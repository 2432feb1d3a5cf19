"""Named functions offered to BPMN scripts and expressions (nothing else is reachable from a script).

They run inside the script workers (engine/workflow/worker.py imports them by module path), so they must be
module-level functions. Every argument is bounded: a calendar walk of ten million working days would take
seconds of C-level work, so amounts beyond a few thousand working days are refused with a clear error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from engine.calendar import DeadlineUnit, WorkingCalendar
from engine.clock import to_utc

_NATIONAL = WorkingCalendar()

MAX_WORKING_DAYS = 2_000  # about eight years of working days: far beyond any legal deadline
MAX_WORKING_HOURS = MAX_WORKING_DAYS * 8
MAX_SPAN_DAYS = 3_660  # working_hours_between walks at most ten years
MIN_YEAR, MAX_YEAR = 1900, 2199
MAX_PAGES = 100_000
MAX_AMOUNT = 10**12  # đồng


class HelperArgumentError(ValueError):
    """A helper was called with an argument outside its bounds (message in Vietnamese, then English)."""

    def __init__(self, helper: str, message: str, message_en: str) -> None:
        super().__init__(f"{helper}: {message} ({message_en})")


def _number(helper: str, name: str, value: object, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise HelperArgumentError(
            helper, f"{name} phải là một số", f"{name} must be a number, got {type(value).__name__}"
        )
    if not (0 <= value <= limit):  # also refuses NaN
        raise HelperArgumentError(
            helper,
            f"{name} phải từ 0 đến {limit:g}",
            f"{name} must be between 0 and {limit:g}, got {str(value)[:40]}",
        )
    return float(value)


def _moment(helper: str, value: str | datetime) -> datetime:
    if isinstance(value, str):
        if len(value) > 64:
            raise HelperArgumentError(helper, "thời điểm không hợp lệ", "not an ISO date-time")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise HelperArgumentError(
                helper, "thời điểm không hợp lệ", f"not an ISO date-time: {value!r}"
            ) from None
    elif isinstance(value, datetime):
        moment = value
    else:
        raise HelperArgumentError(
            helper, "thời điểm không hợp lệ", f"not a date-time: {type(value).__name__}"
        )
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise HelperArgumentError(
            helper,
            f"năm phải từ {MIN_YEAR} đến {MAX_YEAR}",
            f"the year must be between {MIN_YEAR} and {MAX_YEAR}, got {moment.year}",
        )
    return to_utc(moment)


def add_working_days(start: str | datetime, days: float) -> str:
    """Due time (ISO, UTC) of `days` working days from `start` on the national calendar (≤ 2,000 days)."""
    amount = _number("add_working_days", "số ngày làm việc (days)", days, MAX_WORKING_DAYS)
    return _NATIONAL.due(
        _moment("add_working_days", start), amount, DeadlineUnit.WORKING_DAYS
    ).due.isoformat()


def add_working_hours(start: str | datetime, hours: float) -> str:
    """Moment (ISO, UTC) `hours` working hours after `start` (≤ 16,000 hours)."""
    amount = _number("add_working_hours", "số giờ làm việc (hours)", hours, MAX_WORKING_HOURS)
    begin, _ = _NATIONAL.start_of_count(_moment("add_working_hours", start))
    return _NATIONAL.add_working_time(begin, timedelta(hours=amount)).isoformat()


def working_hours_between(start: str | datetime, end: str | datetime) -> float:
    """Office hours of working days between two moments at most ten years apart."""
    low, high = _moment("working_hours_between", start), _moment("working_hours_between", end)
    if high - low > timedelta(days=MAX_SPAN_DAYS):
        raise HelperArgumentError(
            "working_hours_between",
            f"hai thời điểm cách nhau quá {MAX_SPAN_DAYS} ngày",
            f"the moments are more than {MAX_SPAN_DAYS} days apart",
        )
    return _NATIONAL.working_time_between(low, high).total_seconds() / 3600


def certified_copy_fee(pages: int) -> int:
    """Chứng thực bản sao: 2,000 đ/page for pages 1–2, 1,000 đ from page 3, at most 200,000 đ per copy."""
    count = int(_number("certified_copy_fee", "số trang (pages)", pages, MAX_PAGES))
    return min(200_000, 2_000 * min(count, 2) + 1_000 * max(0, count - 2))


def fee_with_exemption(amount: int, exempt: bool) -> int:
    """A flat fee, zero when an exemption applies."""
    fee = int(_number("fee_with_exemption", "số tiền (amount)", amount, MAX_AMOUNT))
    return 0 if exempt else fee


def script_helpers() -> dict[str, Callable[..., Any]]:
    """The helpers by the names scripts call them."""
    return {
        "add_working_days": add_working_days,
        "add_working_hours": add_working_hours,
        "working_hours_between": working_hours_between,
        "certified_copy_fee": certified_copy_fee,
        "fee_with_exemption": fee_with_exemption,
    }
