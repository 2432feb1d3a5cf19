"""Working-day calendar ("lịch làm việc") and due-time computation (docs/domain.md §5).

A day is a working day when it is Monday–Friday and neither a national holiday (from the `holidays`
package) nor a day-off exception in scope, or when it is a make-up working day ("ngày làm bù") in scope.
Time is counted only inside the office hours of working days, in Asia/Ho_Chi_Minh; every datetime
returned is aware UTC.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache

import holidays

from engine.clock import LOCAL_TZ, to_local, to_utc

__all__ = [
    "DEFAULT_EXCEPTIONS",
    "DEFAULT_OFFICE_HOURS",
    "CalendarException",
    "DeadlineUnit",
    "Due",
    "ExceptionKind",
    "OfficeHours",
    "Scope",
    "SkippedDay",
    "WorkingCalendar",
    "national_holiday",
]

# A calendar that finds no working day in ten years is misconfigured; stop instead of looping forever.
MAX_IDLE_DAYS = 3660

_WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
_PERIOD_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_ONE_DAY = timedelta(days=1)


class ExceptionKind(StrEnum):
    """What an entry of the exception table does to its day."""

    HOLIDAY = "HOLIDAY"
    COMPENSATORY_OFF = "COMPENSATORY_OFF"
    MAKEUP_WORKDAY = "MAKEUP_WORKDAY"


class Scope(StrEnum):
    """Where an exception applies."""

    NATIONAL = "national"
    PROVINCE = "province"
    AGENCY = "agency"


@dataclass(frozen=True)
class CalendarException:
    """One row of the editable exception table, with the document that decided it."""

    day: date
    kind: ExceptionKind
    name: str
    source: str
    scope: Scope = Scope.NATIONAL
    scope_code: str | None = None

    def __post_init__(self) -> None:
        # Rows come from the editable table (database, YAML) as plain strings; a stray "province" string
        # must not silently behave like a national row.
        object.__setattr__(self, "kind", ExceptionKind(self.kind))
        object.__setattr__(self, "scope", Scope(self.scope))
        if self.scope is Scope.NATIONAL and self.scope_code is not None:
            raise ValueError(f"national exception on {self.day} must not carry a scope_code")
        if self.scope is not Scope.NATIONAL and not self.scope_code:
            raise ValueError(f"{self.scope} exception on {self.day} needs a scope_code")


# The `holidays` package lists the weekday given off by each swap ("Ngày nghỉ (thay cho ngày …)") but not
# the Saturday worked in exchange, so those Saturdays live here.
DEFAULT_EXCEPTIONS: tuple[CalendarException, ...] = (
    CalendarException(
        day=date(2024, 5, 4),
        kind=ExceptionKind.MAKEUP_WORKDAY,
        name="Làm bù cho ngày nghỉ 29/04/2024",
        source="Công văn 2450/VPCP-KGVX (2024) về hoán đổi ngày làm việc dịp 30/4–1/5/2024 cho cán bộ, "
        "công chức, viên chức: nghỉ thứ Hai 29/04, làm bù thứ Bảy 04/05/2024",
    ),
    CalendarException(
        day=date(2025, 4, 26),
        kind=ExceptionKind.MAKEUP_WORKDAY,
        name="Làm bù cho ngày nghỉ 02/05/2025",
        source="Thông báo hoán đổi ngày làm việc dịp 30/4–1/5/2025 cho cán bộ, công chức, viên chức "
        "(được Thủ tướng Chính phủ đồng ý): nghỉ thứ Sáu 02/05, làm bù thứ Bảy 26/04/2025",
    ),
    CalendarException(
        day=date(2026, 8, 22),
        kind=ExceptionKind.MAKEUP_WORKDAY,
        name="Làm bù cho ngày nghỉ 31/08/2026",
        source="Thông báo hoán đổi ngày làm việc dịp Quốc khánh 2/9/2026 cho cán bộ, công chức, viên chức "
        "(được Thủ tướng Chính phủ đồng ý): nghỉ thứ Hai 31/08, làm bù thứ Bảy 22/08/2026",
    ),
)


@dataclass(frozen=True)
class OfficeHours:
    """Daily office periods in local time, e.g. 07:30–11:30 and 13:00–17:00."""

    periods: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("office hours need at least one period")
        previous_end: time | None = None
        for begin, end in self.periods:
            if begin >= end:
                raise ValueError(f"office period {begin:%H:%M}-{end:%H:%M} must end after it starts")
            if previous_end is not None and begin < previous_end:
                raise ValueError(f"office period starting {begin:%H:%M} overlaps or is out of order")
            previous_end = end

    @classmethod
    def from_strings(cls, spec: str) -> OfficeHours:
        """Parse "07:30-11:30,13:00-17:00"; raise ValueError naming the bad part."""
        parts = [part.strip() for part in spec.split(",")]
        if not spec.strip() or any(not part for part in parts):
            raise ValueError(f"office hours {spec!r}: expected periods like '07:30-11:30,13:00-17:00'")
        periods: list[tuple[time, time]] = []
        for part in parts:
            match = _PERIOD_RE.match(part)
            if match is None:
                raise ValueError(f"office hours {spec!r}: period {part!r} is not HH:MM-HH:MM")
            h1, m1, h2, m2 = (int(group) for group in match.groups())
            try:
                periods.append((time(h1, m1), time(h2, m2)))
            except ValueError as exc:
                raise ValueError(f"office hours {spec!r}: period {part!r} has an impossible time") from exc
        return cls(tuple(periods))

    @property
    def opening(self) -> time:
        """Return the start of the first period."""
        return self.periods[0][0]

    @property
    def closing(self) -> time:
        """Return the end of the last period."""
        return self.periods[-1][1]

    @property
    def seconds_per_day(self) -> int:
        """Return the office seconds in one working day (28,800 for the default 8 hours)."""
        today = date(2000, 1, 3)
        return sum(
            int((datetime.combine(today, end) - datetime.combine(today, begin)).total_seconds())
            for begin, end in self.periods
        )


DEFAULT_OFFICE_HOURS = OfficeHours()


class DeadlineUnit(StrEnum):
    """How a procedure's legal deadline is counted."""

    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    SAME_DAY = "same_day"
    CALENDAR_DAYS = "calendar_days"


@dataclass(frozen=True)
class SkippedDay:
    """A non-working day and why, in Vietnamese ("Thứ Bảy", "Chủ nhật", or the holiday's name)."""

    day: date
    reason: str


@dataclass(frozen=True)
class Due:
    """A due time with everything needed to explain it to a citizen.

    `skipped` holds the non-working days after the receipt day and before the due day that the count
    passed over; for calendar_days only those the start or the due rolled past (the others are counted).
    """

    received_at: datetime
    start: datetime
    start_reason: str
    due: datetime
    amount: float
    unit: DeadlineUnit
    cutoff: time | None
    skipped: tuple[SkippedDay, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, object]:
        """Render as JSON-ready data with local ISO times and a Vietnamese explanation."""
        return {
            "received_at": to_local(self.received_at).isoformat(),
            "start": to_local(self.start).isoformat(),
            "start_reason": self.start_reason,
            "due": to_local(self.due).isoformat(),
            "amount": self.amount,
            "unit": str(self.unit),
            "cutoff": None if self.cutoff is None else f"{self.cutoff:%H:%M}",
            "skipped": [{"date": s.day.isoformat(), "reason": s.reason} for s in self.skipped],
            "explanation": self.explanation(),
        }

    def explanation(self) -> list[str]:
        """Explain the due time in Vietnamese sentences, one fact per sentence."""
        lines = [f"Hồ sơ được tiếp nhận lúc {_when(self.received_at)}.", self.start_reason]
        lines.append(f"Thời hạn giải quyết: {_describe_deadline(self.amount, self.unit)}.")
        start_day = to_local(self.start).date()
        for skipped in self.skipped:
            if self.unit is DeadlineUnit.CALENDAR_DAYS and skipped.day > start_day:
                lines.append(
                    f"Ngày {_fmt_date(skipped.day)} là ngày nghỉ ({skipped.reason}) "
                    "nên hạn được lùi sang ngày làm việc tiếp theo."
                )
            else:
                lines.append(f"Không tính ngày {_fmt_date(skipped.day)} ({skipped.reason}) vì là ngày nghỉ.")
        lines.append(f"Hạn trả kết quả: {_when(self.due)}.")
        return lines


class WorkingCalendar:
    """National holidays plus the exceptions in scope for one province and agency, over office hours."""

    def __init__(
        self,
        exceptions: Iterable[CalendarException] = DEFAULT_EXCEPTIONS,
        office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
        province: str | None = None,
        agency: str | None = None,
        cutoff: time | None = None,
    ) -> None:
        self.office_hours = office_hours
        self.province = province
        self.agency = agency
        self.cutoff = cutoff  # the agency's own cut-off, for procedures that name none (due())
        self._makeup: set[date] = set()
        self._days_off: dict[date, str] = {}
        # Most specific first, so an agency's own name for a day off wins over the province's.
        rank = {Scope.AGENCY: 0, Scope.PROVINCE: 1, Scope.NATIONAL: 2}
        for exc in sorted(exceptions, key=lambda e: rank[e.scope]):
            if not self._in_scope(exc):
                continue
            if exc.kind is ExceptionKind.MAKEUP_WORKDAY:
                self._makeup.add(exc.day)
            else:
                self._days_off.setdefault(exc.day, exc.name)

    def _in_scope(self, exc: CalendarException) -> bool:
        if exc.scope is Scope.PROVINCE:
            return self.province is not None and exc.scope_code == self.province
        if exc.scope is Scope.AGENCY:
            return self.agency is not None and exc.scope_code == self.agency
        return True

    def is_working_day(self, day: date) -> bool:
        """Tell whether offices are open on this local date."""
        return self.non_working_reason(day) is None

    def non_working_reason(self, day: date) -> str | None:
        """Return why this date is not a working day (Vietnamese), or None on a working day."""
        if day in self._makeup:
            return None
        name = _national_holidays(day.year).get(day) or self._days_off.get(day)
        if name is not None:
            return name
        if day.weekday() >= 5:
            return _WEEKDAYS_VI[day.weekday()]
        return None

    def skipped_days(self, start: date, end: date) -> list[SkippedDay]:
        """List the non-working days in [start, end] with their reasons."""
        result: list[SkippedDay] = []
        day = start
        while day <= end:
            reason = self.non_working_reason(day)
            if reason is not None:
                result.append(SkippedDay(day, reason))
            day += _ONE_DAY
        return result

    def start_of_count(self, received_at: datetime, cutoff: time | None = None) -> tuple[datetime, str]:
        """Return when the deadline starts counting for a receipt, and why (Vietnamese)."""
        moment = _local(received_at)
        day = moment.date()
        reason = self.non_working_reason(day)
        if reason is not None:
            start = self._opening_after(day)
            return start, f"Tiếp nhận vào ngày nghỉ ({reason}) nên thời hạn được tính từ {_when(start)}."
        if cutoff is not None and moment.time() > cutoff:
            start = self._opening_after(day)
            return start, (
                f"Tiếp nhận sau giờ chốt nhận hồ sơ trong ngày ({cutoff:%H:%M}) nên thời hạn được tính "
                f"từ {_when(start)}, ngày làm việc tiếp theo."
            )
        for index, (opens, closes) in enumerate(self._periods(day)):
            if moment < opens:
                where = "trước giờ làm việc" if index == 0 else "trong giờ nghỉ giữa hai buổi làm việc"
                return opens.astimezone(UTC), f"Tiếp nhận {where} nên thời hạn được tính từ {_when(opens)}."
            # Half-open periods: a receipt at 11:30 or 17:00 sharp has no office time left in that period.
            if moment < closes:
                start = moment.astimezone(UTC)
                return start, f"Tiếp nhận trong giờ làm việc nên thời hạn được tính ngay từ {_when(start)}."
        start = self._opening_after(day)
        return start, (
            f"Tiếp nhận sau giờ làm việc ({self.office_hours.closing:%H:%M}) nên thời hạn được tính "
            f"từ {_when(start)}, ngày làm việc tiếp theo."
        )

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """Return the moment `amount` of office time after `start`; ending at a closing time stays there."""
        if amount < timedelta(0):
            raise ValueError(f"working time to add must not be negative, got {amount}")
        moment = _local(start)
        if not amount:
            return moment.astimezone(UTC)
        remaining = amount
        day = moment.date()
        idle = 0
        while True:
            if self.is_working_day(day):
                idle = 0
                for opens, closes in self._periods(day):
                    begin = max(opens, moment)
                    if begin >= closes:
                        continue
                    # `<=` keeps a sum that exactly uses up a period at its closing time.
                    if remaining <= closes - begin:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= closes - begin
            else:
                idle = self._check_idle(idle, day)
            day += _ONE_DAY

    def subtract_working_time(self, end: datetime, amount: timedelta) -> datetime:
        """Return the moment `amount` of office time before `end` (the inverse of add_working_time)."""
        if amount < timedelta(0):
            raise ValueError(f"working time to subtract must not be negative, got {amount}")
        moment = _local(end)
        if not amount:
            return moment.astimezone(UTC)
        remaining = amount
        day = moment.date()
        idle = 0
        while True:
            if self.is_working_day(day):
                idle = 0
                for opens, closes in reversed(self._periods(day)):
                    finish = min(closes, moment)
                    if finish <= opens:
                        continue
                    if remaining <= finish - opens:
                        return (finish - remaining).astimezone(UTC)
                    remaining -= finish - opens
            else:
                idle = self._check_idle(idle, day)
            day -= _ONE_DAY

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Return the office time of working days within [a, b]; zero if b <= a."""
        low, high = _local(a), _local(b)
        total = timedelta(0)
        day = low.date()
        while day <= high.date():
            if self.is_working_day(day):
                for opens, closes in self._periods(day):
                    overlap = min(closes, high) - max(opens, low)
                    if overlap > timedelta(0):
                        total += overlap
            day += _ONE_DAY
        return total

    def due(
        self, received_at: datetime, amount: float, unit: DeadlineUnit, cutoff: time | None = None
    ) -> Due:
        """Compute the due time of a dossier received at `received_at` (docs/domain.md §5).

        The procedure's cut-off wins; without one, the agency's own cut-off (if any) applies.
        """
        unit = DeadlineUnit(unit)
        cutoff = cutoff if cutoff is not None else self.cutoff
        if not math.isfinite(amount) or amount < 0:
            raise ValueError(f"deadline amount must be a finite number >= 0, got {amount}")
        start, reason = self.start_of_count(received_at, cutoff)
        start_day = _local(start).date()
        # Days the start itself rolled past (weekend, Tết) are explained too, not only those after it.
        skipped = self.skipped_days(_local(received_at).date() + _ONE_DAY, start_day - _ONE_DAY)
        if unit is DeadlineUnit.CALENDAR_DAYS:
            if amount != int(amount):
                raise ValueError(f"calendar_days needs a whole number of days, got {amount}")
            target = start_day + timedelta(days=int(amount))
            due_day = target if self.is_working_day(target) else self._next_working_day(target)
            due_at = self._closing_of(due_day)
            # Weekends inside the span count as calendar days; only the days the due rolled past are skipped.
            skipped += self.skipped_days(target, due_day - _ONE_DAY)
        else:
            if unit is DeadlineUnit.SAME_DAY:
                due_at = self._closing_of(start_day)
            else:
                seconds = self.office_hours.seconds_per_day if unit is DeadlineUnit.WORKING_DAYS else 3600
                due_at = self.add_working_time(start, timedelta(seconds=amount * seconds))
            skipped += self.skipped_days(start_day + _ONE_DAY, _local(due_at).date() - _ONE_DAY)
        return Due(
            received_at=to_utc(received_at),
            start=start,
            start_reason=reason,
            due=due_at,
            amount=float(amount),
            unit=unit,
            cutoff=cutoff,
            skipped=tuple(skipped),
        )

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        return [
            (datetime.combine(day, opens, LOCAL_TZ), datetime.combine(day, closes, LOCAL_TZ))
            for opens, closes in self.office_hours.periods
        ]

    def _closing_of(self, day: date) -> datetime:
        return datetime.combine(day, self.office_hours.closing, LOCAL_TZ).astimezone(UTC)

    def _next_working_day(self, day: date) -> date:
        idle = 0
        day += _ONE_DAY
        while not self.is_working_day(day):
            idle = self._check_idle(idle, day)
            day += _ONE_DAY
        return day

    def _opening_after(self, day: date) -> datetime:
        opening = datetime.combine(self._next_working_day(day), self.office_hours.opening, LOCAL_TZ)
        return opening.astimezone(UTC)

    @staticmethod
    def _check_idle(idle: int, day: date) -> int:
        if idle >= MAX_IDLE_DAYS:
            raise ValueError(f"no working day in the {MAX_IDLE_DAYS} days before {day}: check the calendar")
        return idle + 1


def national_holiday(day: date) -> str | None:
    """The name of the national public holiday on this date (from the `holidays` package), or None."""
    return _national_holidays(day.year).get(day)


@lru_cache(maxsize=64)
def _national_holidays(year: int) -> dict[date, str]:
    # A plain dict: the package object grows itself on lookups of other years, which is not thread-safe.
    found = holidays.country_holidays("VN", years=year, language="vi")
    return {day: str(name) for day, name in found.items() if day.year == year}


def _local(moment: datetime) -> datetime:
    # Naive input is local wall time here (engine.clock.to_utc), unlike to_local which reads naive as UTC.
    return to_utc(moment).astimezone(LOCAL_TZ)


def _fmt_date(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _when(moment: datetime) -> str:
    local = _local(moment)
    return f"{local:%H:%M} ngày {_fmt_date(local.date())} ({_WEEKDAYS_VI[local.weekday()]})"


def _describe_deadline(amount: float, unit: DeadlineUnit) -> str:
    number = f"{amount:g}".replace(".", ",")
    if unit is DeadlineUnit.WORKING_DAYS:
        return f"{number} ngày làm việc, chỉ tính giờ hành chính của ngày làm việc"
    if unit is DeadlineUnit.WORKING_HOURS:
        return f"{number} giờ làm việc, chỉ tính giờ hành chính của ngày làm việc"
    if unit is DeadlineUnit.SAME_DAY:
        return "trả kết quả trong ngày, trước giờ kết thúc làm việc của ngày bắt đầu tính"
    return f"{number} ngày theo lịch (tính cả ngày nghỉ), hạn là cuối giờ làm việc của ngày cuối"
