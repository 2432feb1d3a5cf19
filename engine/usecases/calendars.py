"""The working-day calendar that applies to an agency: national data + the exception table + its hours."""

from __future__ import annotations

import time
from datetime import time as clock_time

from sqlmodel import select

from engine.calendar import (
    DEFAULT_EXCEPTIONS,
    CalendarException,
    ExceptionKind,
    OfficeHours,
    Scope,
    WorkingCalendar,
)
from engine.errors import NotFound
from engine.store.db import UnitOfWork
from engine.store.models import AgencyRow, CalendarExceptionRow

# The exception table changes a few times a year; re-read it at most every EXCEPTIONS_TTL seconds per database
# rather than on every step. An edit is seen by every process within that time.
EXCEPTIONS_TTL = 60.0
_cache: dict[str, tuple[float, tuple[CalendarException, ...]]] = {}


def load_exceptions(uow: UnitOfWork) -> tuple[CalendarException, ...]:
    """Every exception row of the table (small: a few per year), cached briefly per database."""
    key = str(uow.engine.url)
    cached = _cache.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[0] < EXCEPTIONS_TTL:
        return cached[1]
    found = read_exceptions(uow)
    _cache[key] = (now, found)
    return found


def forget_exceptions() -> None:
    """Drop the cache (after editing the exception table in this process)."""
    _cache.clear()


def read_exceptions(uow: UnitOfWork) -> tuple[CalendarException, ...]:
    """The exception table as this transaction sees it (no cache: for changes being applied)."""
    rows = uow.session.exec(select(CalendarExceptionRow)).all()
    return tuple(
        CalendarException(
            day=r.day,
            kind=ExceptionKind(r.kind),
            name=r.name,
            source=r.source,
            scope=Scope(r.scope),
            scope_code=r.scope_code,
        )
        for r in rows
    )


def calendar_for(uow: UnitOfWork, agency_code: str | None) -> WorkingCalendar:
    """The calendar of an agency (national + its province + its own exceptions, its office hours)."""
    agency = uow.session.get(AgencyRow, agency_code) if agency_code else None
    if agency_code and agency is None:
        raise NotFound(
            f"Không tìm thấy cơ quan «{agency_code}».",
            f"Agency '{agency_code}' not found.",
            code="AgencyNotFound",
        )
    hours = OfficeHours.from_strings(agency.office_hours) if agency else OfficeHours()
    return WorkingCalendar(
        load_exceptions(uow),
        office_hours=hours,
        province=agency.province_code if agency else None,
        agency=agency.code if agency else None,
        cutoff=clock_time.fromisoformat(agency.cutoff) if agency and agency.cutoff else None,
    )


def seed_exceptions(uow: UnitOfWork, exceptions: tuple[CalendarException, ...] = DEFAULT_EXCEPTIONS) -> int:
    """Insert the known exceptions (e.g. make-up Saturdays) that the table lacks; return how many."""
    existing = {
        (r.day, r.kind, r.scope, r.scope_code) for r in uow.session.exec(select(CalendarExceptionRow))
    }
    added = 0
    for exc in exceptions:
        if (exc.day, exc.kind.value, exc.scope.value, exc.scope_code) in existing:
            continue
        uow.session.add(
            CalendarExceptionRow(
                day=exc.day,
                kind=exc.kind.value,
                name=exc.name,
                source=exc.source,
                scope=exc.scope.value,
                scope_code=exc.scope_code,
            )
        )
        added += 1
    if added:
        forget_exceptions()
    return added
