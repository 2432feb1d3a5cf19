"""Timeliness (docs/domain.md §6): early / on time / late of finished dossiers and steps; open ones' state."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

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
