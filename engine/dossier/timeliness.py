"""Timeliness (docs/domain.md §6): early / on time / late of finished dossiers and steps; open ones' state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from engine.calendar import WorkingCalendar
from engine.clock import to_local


class Timeliness(StrEnum):
    """Result of a finished dossier or step against its due time."""

    EARLY = "early"  # trước hạn
    ON_TIME = "on_time"  # đúng hạn
    LATE = "late"  # quá hạn

    @property
    def label(self) -> str:
        """Vietnamese label."""
        return {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}[self.value]


class OpenState(StrEnum):
    """Where an open dossier stands against its due time."""

    ON_TRACK = "on_track"  # trong hạn
    NEAR_DUE = "near_due"  # sắp đến hạn
    OVERDUE = "overdue"  # quá hạn
    PAUSED = "paused"  # tạm dừng tính thời gian (chờ công dân)
    NOT_STARTED = "not_started"  # chưa tiếp nhận

    @property
    def label(self) -> str:
        """Vietnamese label."""
        return {
            "on_track": "Trong hạn",
            "near_due": "Sắp đến hạn",
            "overdue": "Quá hạn",
            "paused": "Tạm dừng tính thời gian (chờ công dân bổ sung)",
            "not_started": "Chưa tiếp nhận",
        }[self.value]


def judge_finish(finished_at: datetime, due_at: datetime, by_date: bool = True) -> Timeliness:
    """Compare a finish with the due time at local-date granularity (or to the second)."""
    if by_date:
        finished, due = to_local(finished_at).date(), to_local(due_at).date()
        if finished < due:
            return Timeliness.EARLY
        return Timeliness.ON_TIME if finished == due else Timeliness.LATE
    if finished_at < due_at:
        return Timeliness.EARLY
    return Timeliness.ON_TIME if finished_at == due_at else Timeliness.LATE


def judge_step(finished_at: datetime, due_at: datetime) -> Timeliness:
    """A step is late once past its due moment, early when done on an earlier local date."""
    if finished_at > due_at:
        return Timeliness.LATE
    if to_local(finished_at).date() < to_local(due_at).date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def judge_open(
    now: datetime, due_at: datetime, remaining: timedelta, budget: timedelta, near_due_share: float = 0.25
) -> OpenState:
    """Overdue past due; near due when the remaining working time is at most a share of the budget."""
    if now > due_at:
        return OpenState.OVERDUE
    if budget > timedelta(0) and remaining <= budget * near_due_share:
        return OpenState.NEAR_DUE
    return OpenState.ON_TRACK


@dataclass(frozen=True)
class TimeLeft:
    """Working time left before the due time (or past it when overdue), as a citizen reads it.

    `state` is None for a closed dossier (result ready, returned, withdrawn, refused, stopped): nothing is
    left to count. `hours` are office hours of working days; `hours_per_day` those of one working day.
    """

    state: OpenState | None
    hours: float = 0.0
    hours_per_day: float = 8.0

    @property
    def in_days(self) -> bool:
        """Say it in working days (one or more), else in working hours."""
        return self.hours >= self.hours_per_day

    @property
    def amount(self) -> float:
        """The number to show: working days to one decimal, or working hours to one decimal."""
        value = self.hours / self.hours_per_day if self.in_days else self.hours
        return round(value, 1)


def time_left(
    calendar: WorkingCalendar,
    now: datetime,
    *,
    is_open: bool,
    received_at: datetime | None,
    due_at: datetime | None,
    paused_at: datetime | None = None,
    near_due_at: datetime | None = None,
) -> TimeLeft:
    """Where an open dossier stands against its due time, counted on the agency's working-day calendar.

    Near due from the moment the deadline scan's threshold (`near_due_at`, docs/domain.md §6) has passed;
    while paused, the working time that was left when the clock stopped.
    """
    per_day = calendar.office_hours.seconds_per_day / 3600
    if not is_open:
        return TimeLeft(None, hours_per_day=per_day)
    if received_at is None or due_at is None:
        return TimeLeft(OpenState.NOT_STARTED, hours_per_day=per_day)
    if paused_at is not None:
        left = calendar.working_time_between(paused_at, due_at)
        return TimeLeft(OpenState.PAUSED, _hours(left), per_day)
    if now > due_at:
        return TimeLeft(OpenState.OVERDUE, _hours(calendar.working_time_between(due_at, now)), per_day)
    state = OpenState.NEAR_DUE if near_due_at is not None and now >= near_due_at else OpenState.ON_TRACK
    return TimeLeft(state, _hours(calendar.working_time_between(now, due_at)), per_day)


def _hours(span: timedelta) -> float:
    return span.total_seconds() / 3600
