"""Named functions offered to BPMN scripts and expressions (nothing else is reachable from a script)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from engine.calendar import DeadlineUnit, WorkingCalendar
from engine.clock import to_utc

_NATIONAL = WorkingCalendar()


def _moment(value: str | datetime) -> datetime:
    return to_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)


def add_working_days(start: str | datetime, days: float) -> str:
    """Due time (ISO, UTC) of `days` working days from `start` on the national calendar."""
    return _NATIONAL.due(_moment(start), days, DeadlineUnit.WORKING_DAYS).due.isoformat()


def add_working_hours(start: str | datetime, hours: float) -> str:
    """Moment (ISO, UTC) `hours` working hours after `start`."""
    begin, _ = _NATIONAL.start_of_count(_moment(start))
    return _NATIONAL.add_working_time(begin, timedelta(hours=hours)).isoformat()


def working_hours_between(start: str | datetime, end: str | datetime) -> float:
    """Office hours of working days between two moments."""
    return _NATIONAL.working_time_between(_moment(start), _moment(end)).total_seconds() / 3600


def certified_copy_fee(pages: int) -> int:
    """Chứng thực bản sao: 2,000 đ/page for pages 1–2, 1,000 đ from page 3, at most 200,000 đ per copy."""
    pages = max(0, int(pages))
    return min(200_000, 2_000 * min(pages, 2) + 1_000 * max(0, pages - 2))


def fee_with_exemption(amount: int, exempt: bool) -> int:
    """A flat fee, zero when an exemption applies."""
    return 0 if exempt else int(amount)


def script_helpers() -> dict[str, Callable[..., Any]]:
    """The helpers by the names scripts call them."""
    return {
        "add_working_days": add_working_days,
        "add_working_hours": add_working_hours,
        "working_hours_between": working_hours_between,
        "certified_copy_fee": certified_copy_fee,
        "fee_with_exemption": fee_with_exemption,
    }
