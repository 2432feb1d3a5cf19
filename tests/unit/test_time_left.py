"""Time left of a dossier, in working days on the agency's calendar (what "Hồ sơ của tôi" shows)."""

from __future__ import annotations

from datetime import datetime

from engine.calendar import WorkingCalendar
from engine.clock import LOCAL_TZ
from engine.dossier.timeliness import OpenState, TimeLeft, time_left

CAL = WorkingCalendar()


def vn(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware local moment in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


def left(now: datetime, due: datetime, **kw: object) -> TimeLeft:
    params: dict[str, object] = {"is_open": True, "received_at": vn(3, 2, 9), "due_at": due} | kw
    return time_left(CAL, now, **params)  # type: ignore[arg-type]


class TestTimeLeft:
    def test_the_weekend_is_not_counted(self) -> None:
        # Friday 09:00 → Tuesday 09:00: Friday 6.5 h + Monday 8 h + Tuesday 1.5 h (07:30–09:00) = 16 h.
        result = left(vn(3, 6, 9), vn(3, 10, 9))

        assert result.state is OpenState.ON_TRACK
        assert result.hours == 16
        assert result.in_days
        assert result.amount == 2

    def test_a_part_of_a_day_is_shown_to_one_decimal(self) -> None:
        # Friday 15:00 → Monday 17:00: 2 h + 8 h = 10 h, 1.25 working days.
        result = left(vn(3, 6, 15), vn(3, 9, 17))

        assert result.amount == 1.2

    def test_a_holiday_is_not_counted(self) -> None:
        # 30/4 and 1/5/2026 (Thursday, Friday) are holidays: Wednesday 09:00 → Monday 09:00 is 8 h of work.
        result = left(vn(4, 29, 9), vn(5, 4, 9))

        assert result.hours == 8
        assert result.amount == 1

    def test_under_a_day_it_says_hours(self) -> None:
        result = left(vn(3, 2, 14), vn(3, 2, 17))

        assert not result.in_days
        assert result.amount == 3

    def test_overdue_counts_working_time_past_the_due_time(self) -> None:
        # Due Friday 17:00, now Tuesday 17:00: Monday and Tuesday, 16 h, two working days late.
        result = left(vn(3, 10, 17), vn(3, 6, 17))

        assert result.state is OpenState.OVERDUE
        assert result.amount == 2
        assert result.in_days

    def test_near_due_once_the_scans_threshold_has_passed(self) -> None:
        result = left(vn(3, 5, 10), vn(3, 6, 9), near_due_at=vn(3, 5, 9))

        assert result.state is OpenState.NEAR_DUE

    def test_paused_keeps_what_was_left_when_the_clock_stopped(self) -> None:
        result = left(vn(3, 20, 9), vn(3, 4, 9), paused_at=vn(3, 3, 9))

        assert result.state is OpenState.PAUSED
        assert result.hours == 8

    def test_not_received_yet_has_no_deadline(self) -> None:
        result = time_left(CAL, vn(3, 2, 9), is_open=True, received_at=None, due_at=None)

        assert result.state is OpenState.NOT_STARTED

    def test_a_closed_dossier_has_nothing_left_to_count(self) -> None:
        result = time_left(CAL, vn(3, 2, 9), is_open=False, received_at=vn(3, 2, 9), due_at=vn(3, 3, 9))

        assert result.state is None
