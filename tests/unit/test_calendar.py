"""Working-day calendar and due times (docs/domain.md §5), checked the way an officer would check them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendar import (
    DEFAULT_EXCEPTIONS,
    CalendarException,
    DeadlineUnit,
    ExceptionKind,
    OfficeHours,
    Scope,
    SkippedDay,
    WorkingCalendar,
)
from engine.clock import LOCAL_TZ

CAL = WorkingCalendar()
D = DeadlineUnit


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware Asia/Ho_Chi_Minh moment, as written on a receipt."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def iso(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).isoformat()


class TestWorkingDays:
    def test_make_up_saturday_2026_is_a_working_day(self) -> None:
        assert CAL.is_working_day(date(2026, 8, 22))
        assert CAL.non_working_reason(date(2026, 8, 22)) is None

    def test_national_day_2026_and_its_swapped_monday_are_off(self) -> None:
        assert CAL.non_working_reason(date(2026, 8, 31)) == "Ngày nghỉ (thay cho ngày 22/08/2026)"
        assert CAL.non_working_reason(date(2026, 9, 1)) == "Quốc khánh"
        assert CAL.non_working_reason(date(2026, 9, 2)) == "Quốc khánh"
        assert CAL.is_working_day(date(2026, 9, 3))

    def test_make_up_saturday_2025_is_a_working_day_and_the_friday_it_pays_for_is_off(self) -> None:
        assert CAL.is_working_day(date(2025, 4, 26))
        assert not CAL.is_working_day(date(2025, 5, 2))

    def test_weekends_have_vietnamese_reasons(self) -> None:
        assert CAL.non_working_reason(date(2026, 3, 7)) == "Thứ Bảy"
        assert CAL.non_working_reason(date(2026, 3, 8)) == "Chủ nhật"
        assert CAL.non_working_reason(date(2026, 3, 9)) is None

    def test_a_holiday_on_sunday_is_named_and_its_compensatory_monday_is_off(self) -> None:
        assert CAL.non_working_reason(date(2026, 4, 26)) == "Ngày Giỗ Tổ Hùng Vương"
        assert CAL.non_working_reason(date(2026, 4, 27)) == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"

    def test_vietnamese_culture_day_is_off_from_2026(self) -> None:
        assert CAL.non_working_reason(date(2026, 11, 24)) == "Ngày Văn hóa Việt Nam"
        assert CAL.is_working_day(date(2025, 11, 24))

    def test_skipped_days_lists_the_tet_2026_break_inclusively(self) -> None:
        assert CAL.skipped_days(date(2026, 2, 14), date(2026, 2, 16)) == [
            SkippedDay(date(2026, 2, 14), "Thứ Bảy"),
            SkippedDay(date(2026, 2, 15), "Chủ nhật"),
            SkippedDay(date(2026, 2, 16), "Giao thừa Tết Nguyên Đán"),
        ]
        assert CAL.skipped_days(date(2026, 2, 16), date(2026, 2, 15)) == []

    def test_every_swap_day_in_the_package_has_its_make_up_saturday(self) -> None:
        # The package names the weekday off "Ngày nghỉ (thay cho ngày dd/mm/yyyy)"; the Saturday named there
        # must be worked, or the calendar loses a working day. Fails when a new swap reaches the package.
        makeup = {e.day for e in DEFAULT_EXCEPTIONS if e.kind is ExceptionKind.MAKEUP_WORKDAY}
        for year in range(2024, 2031):
            for name in holidays.country_holidays("VN", years=year, language="vi").values():
                if found := re.search(r"thay cho ngày (\d{2})/(\d{2})/(\d{4})", name):
                    day, month, year_ = (int(g) for g in found.groups())
                    assert date(year_, month, day) in makeup, name


class TestScopes:
    EXCEPTIONS = (
        *DEFAULT_EXCEPTIONS,
        CalendarException(
            day=date(2026, 3, 10),
            kind=ExceptionKind.HOLIDAY,
            name="Lễ hội tỉnh",
            source="Quyết định của UBND tỉnh (ví dụ)",
            scope=Scope.PROVINCE,
            scope_code="H29",
        ),
        CalendarException(
            day=date(2026, 3, 11),
            kind=ExceptionKind.COMPENSATORY_OFF,
            name="Nghỉ bù hội nghị",
            source="Thông báo của cơ quan (ví dụ)",
            scope=Scope.AGENCY,
            scope_code="H29.12.3",
        ),
        CalendarException(
            day=date(2026, 3, 14),  # Saturday
            kind=ExceptionKind.MAKEUP_WORKDAY,
            name="Làm bù (cơ quan)",
            source="Thông báo của cơ quan (ví dụ)",
            scope=Scope.AGENCY,
            scope_code="H29.12.3",
        ),
    )

    def test_national_calendar_ignores_province_and_agency_rows(self) -> None:
        cal = WorkingCalendar(self.EXCEPTIONS)
        assert cal.is_working_day(date(2026, 3, 10))
        assert cal.is_working_day(date(2026, 3, 11))
        assert not cal.is_working_day(date(2026, 3, 14))

    def test_province_row_applies_only_to_its_province(self) -> None:
        assert WorkingCalendar(self.EXCEPTIONS, province="H29").non_working_reason(date(2026, 3, 10)) == (
            "Lễ hội tỉnh"
        )
        assert WorkingCalendar(self.EXCEPTIONS, province="H01").is_working_day(date(2026, 3, 10))

    def test_agency_rows_apply_only_to_their_agency(self) -> None:
        own = WorkingCalendar(self.EXCEPTIONS, province="H29", agency="H29.12.3")
        other = WorkingCalendar(self.EXCEPTIONS, province="H29", agency="H29.12.4")
        assert own.non_working_reason(date(2026, 3, 11)) == "Nghỉ bù hội nghị"
        assert own.is_working_day(date(2026, 3, 14))
        assert other.is_working_day(date(2026, 3, 11))
        assert not other.is_working_day(date(2026, 3, 14))

    def test_rows_read_as_plain_strings_keep_their_scope(self) -> None:
        row = {"day": date(2026, 3, 10), "kind": "HOLIDAY", "name": "Lễ hội tỉnh", "source": "x"}
        exc = CalendarException(**row, scope="province", scope_code="H29")  # type: ignore[arg-type]
        assert (exc.kind, exc.scope) == (ExceptionKind.HOLIDAY, Scope.PROVINCE)
        assert WorkingCalendar([exc]).is_working_day(date(2026, 3, 10))
        assert not WorkingCalendar([exc], province="H29").is_working_day(date(2026, 3, 10))

    def test_scoped_row_without_a_code_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="scope_code"):
            CalendarException(date(2026, 3, 10), ExceptionKind.HOLIDAY, "x", "y", Scope.PROVINCE)


class TestStartOfCount:
    def test_inside_office_hours_starts_at_receipt(self) -> None:
        start, reason = CAL.start_of_count(vn(2026, 3, 3, 9, 15))
        assert iso(start) == "2026-03-03T09:15:00+07:00"
        assert "trong giờ làm việc" in reason

    def test_before_opening_starts_at_opening(self) -> None:
        start, reason = CAL.start_of_count(vn(2026, 3, 3, 6, 45))
        assert iso(start) == "2026-03-03T07:30:00+07:00"
        assert "trước giờ làm việc" in reason

    def test_lunch_break_starts_at_afternoon_opening(self) -> None:
        start, reason = CAL.start_of_count(vn(2026, 3, 3, 12, 15))
        assert iso(start) == "2026-03-03T13:00:00+07:00"
        assert "13:00 ngày 03/03/2026" in reason

    def test_after_closing_starts_next_working_morning(self) -> None:
        start, _ = CAL.start_of_count(vn(2026, 3, 3, 17, 30))
        assert iso(start) == "2026-03-04T07:30:00+07:00"

    def test_at_closing_sharp_no_office_time_is_left_that_day(self) -> None:
        start, _ = CAL.start_of_count(vn(2026, 3, 3, 17, 0))
        assert iso(start) == "2026-03-04T07:30:00+07:00"

    def test_on_sunday_starts_monday_morning_and_says_why(self) -> None:
        start, reason = CAL.start_of_count(vn(2026, 3, 8, 10, 0))
        assert iso(start) == "2026-03-09T07:30:00+07:00"
        assert "Chủ nhật" in reason

    def test_after_cutoff_starts_next_working_morning(self) -> None:
        start, reason = CAL.start_of_count(vn(2026, 3, 3, 15, 1), cutoff=time(15, 0))
        assert iso(start) == "2026-03-04T07:30:00+07:00"
        assert "15:00" in reason

    def test_naive_receipt_is_read_as_local_time(self) -> None:
        start, _ = CAL.start_of_count(datetime(2026, 3, 3, 9, 15))
        assert start == datetime(2026, 3, 3, 2, 15, tzinfo=UTC)
        assert start.tzinfo is UTC


class TestWorkingDaysDue:
    def test_friday_before_tet_2026_seven_working_days(self) -> None:
        # S = Fri 13/02 09:00 (6.5 h left that day). Each working day is 8 office hours, so every "+1 day"
        # lands at 09:00 of the next working day: 1 Mon 23/02, 2 Tue 24, 3 Wed 25, 4 Thu 26, 5 Fri 27,
        # 6 Mon 02/03, 7 Tue 03/03. Skipped: 14–15/02 weekend, 16–20/02 Tết, weekends 21–22/02, 28/02–01/03.
        due = CAL.due(vn(2026, 2, 13, 9, 0), 7, D.WORKING_DAYS)
        assert iso(due.due) == "2026-03-03T09:00:00+07:00"
        assert [s.day.isoformat() for s in due.skipped] == [
            "2026-02-14", "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
            "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-28", "2026-03-01",
        ]  # fmt: skip
        assert [s.reason for s in due.skipped[2:7]] == [
            "Giao thừa Tết Nguyên Đán",
            "Tết Nguyên Đán",
            "Mùng hai Tết Nguyên Đán",
            "Mùng ba Tết Nguyên Đán",
            "Mùng bốn Tết Nguyên Đán",
        ]

    def test_monday_morning_three_days_is_thursday_same_time(self) -> None:
        due = CAL.due(vn(2026, 3, 2, 9, 0), 3, D.WORKING_DAYS)
        assert iso(due.due) == "2026-03-05T09:00:00+07:00"
        assert due.skipped == ()

    def test_quarter_day_is_two_office_hours(self) -> None:
        assert iso(CAL.due(vn(2026, 3, 2, 9, 0), 0.25, D.WORKING_DAYS).due) == "2026-03-02T11:00:00+07:00"

    def test_half_day_crosses_lunch(self) -> None:
        # 09:00–11:30 is 2.5 h, the other 1.5 h run from 13:00.
        assert iso(CAL.due(vn(2026, 3, 2, 9, 0), 0.5, D.WORKING_DAYS).due) == "2026-03-02T14:30:00+07:00"

    def test_one_day_from_opening_ends_at_closing_the_same_day(self) -> None:
        assert iso(CAL.due(vn(2026, 3, 2, 6, 0), 1, D.WORKING_DAYS).due) == "2026-03-02T17:00:00+07:00"

    def test_make_up_saturday_is_counted(self) -> None:
        due = CAL.due(vn(2026, 8, 21, 9, 0), 1, D.WORKING_DAYS)
        assert iso(due.due) == "2026-08-22T09:00:00+07:00"

    def test_national_day_2026_break_is_skipped(self) -> None:
        # Fri 28/08 09:00 + 1 day: Sat 29, Sun 30, Mon 31 (swap), Tue 1 and Wed 2/9 are off → Thu 03/09 09:00.
        due = CAL.due(vn(2026, 8, 28, 9, 0), 1, D.WORKING_DAYS)
        assert iso(due.due) == "2026-09-03T09:00:00+07:00"
        assert [s.reason for s in due.skipped] == [
            "Thứ Bảy",
            "Chủ nhật",
            "Ngày nghỉ (thay cho ngày 22/08/2026)",
            "Quốc khánh",
            "Quốc khánh",
        ]

    def test_receipt_on_a_holiday_lists_the_days_the_start_rolled_past(self) -> None:
        due = CAL.due(vn(2026, 2, 16, 10, 0), 1, D.WORKING_DAYS)
        assert iso(due.start) == "2026-02-23T07:30:00+07:00"
        assert iso(due.due) == "2026-02-23T17:00:00+07:00"
        assert [s.day.day for s in due.skipped] == [17, 18, 19, 20, 21, 22]
        assert "Giao thừa Tết Nguyên Đán" in due.start_reason


class TestWorkingHoursDue:
    def test_landing_exactly_on_closing_stays_at_closing(self) -> None:
        assert iso(CAL.due(vn(2026, 3, 2, 13, 0), 4, D.WORKING_HOURS).due) == "2026-03-02T17:00:00+07:00"
        assert iso(CAL.add_working_time(vn(2026, 3, 2, 13, 0), timedelta(hours=4))) == (
            "2026-03-02T17:00:00+07:00"
        )

    def test_from_lunch_break_counts_from_afternoon(self) -> None:
        assert iso(CAL.due(vn(2026, 3, 2, 12, 15), 2, D.WORKING_HOURS).due) == "2026-03-02T15:00:00+07:00"

    def test_friday_afternoon_runs_into_monday(self) -> None:
        assert iso(CAL.due(vn(2026, 3, 6, 16, 0), 3, D.WORKING_HOURS).due) == "2026-03-09T09:30:00+07:00"


class TestSameDayDue:
    BIRTH_CUTOFF = time(15, 0)

    def test_filed_before_cutoff_is_due_at_closing_today(self) -> None:
        due = CAL.due(vn(2026, 3, 3, 14, 0), 0, D.SAME_DAY, self.BIRTH_CUTOFF)
        assert iso(due.due) == "2026-03-03T17:00:00+07:00"

    def test_filed_exactly_at_cutoff_is_still_today(self) -> None:
        due = CAL.due(vn(2026, 3, 3, 15, 0), 0, D.SAME_DAY, self.BIRTH_CUTOFF)
        assert iso(due.due) == "2026-03-03T17:00:00+07:00"

    def test_filed_after_cutoff_is_due_at_closing_next_working_day(self) -> None:
        due = CAL.due(vn(2026, 3, 3, 15, 30), 0, D.SAME_DAY, self.BIRTH_CUTOFF)
        assert iso(due.due) == "2026-03-04T17:00:00+07:00"

    def test_friday_after_cutoff_is_due_monday_at_closing(self) -> None:
        due = CAL.due(vn(2026, 3, 6, 15, 30), 0, D.SAME_DAY, self.BIRTH_CUTOFF)
        assert iso(due.due) == "2026-03-09T17:00:00+07:00"
        assert [s.reason for s in due.skipped] == ["Thứ Bảy", "Chủ nhật"]

    def test_without_cutoff_friday_afternoon_is_due_friday(self) -> None:
        assert iso(CAL.due(vn(2026, 3, 6, 15, 30), 0, D.SAME_DAY).due) == "2026-03-06T17:00:00+07:00"


class TestCalendarDaysDue:
    def test_landing_on_sunday_moves_to_monday_closing(self) -> None:
        due = CAL.due(vn(2026, 3, 4, 10, 0), 4, D.CALENDAR_DAYS)  # Wed 04/03 + 4 = Sun 08/03
        assert iso(due.due) == "2026-03-09T17:00:00+07:00"
        assert due.skipped == (SkippedDay(date(2026, 3, 8), "Chủ nhật"),)

    def test_landing_on_a_working_day_is_its_closing(self) -> None:
        due = CAL.due(vn(2026, 3, 4, 10, 0), 15, D.CALENDAR_DAYS)  # Wed 04/03 + 15 = Thu 19/03
        assert iso(due.due) == "2026-03-19T17:00:00+07:00"
        assert due.skipped == ()

    def test_landing_in_tet_moves_past_the_break(self) -> None:
        due = CAL.due(vn(2026, 2, 10, 10, 0), 7, D.CALENDAR_DAYS)  # Tue 10/02 + 7 = Tue 17/02 (Tết)
        assert iso(due.due) == "2026-02-23T17:00:00+07:00"
        assert [s.day.day for s in due.skipped] == [17, 18, 19, 20, 21, 22]

    def test_fractional_calendar_days_are_rejected(self) -> None:
        with pytest.raises(ValueError, match="whole number"):
            CAL.due(vn(2026, 3, 4, 10, 0), 1.5, D.CALENDAR_DAYS)


class TestDueRendering:
    def test_as_dict_is_local_iso_with_offset(self) -> None:
        data = CAL.due(datetime(2026, 2, 13, 9, 0), 7, D.WORKING_DAYS).as_dict()
        assert data["received_at"] == "2026-02-13T09:00:00+07:00"
        assert data["start"] == "2026-02-13T09:00:00+07:00"
        assert data["due"] == "2026-03-03T09:00:00+07:00"
        assert data["amount"] == 7.0
        assert data["unit"] == "working_days"
        assert data["cutoff"] is None
        skipped = data["skipped"]
        assert isinstance(skipped, list)
        assert skipped[2] == {"date": "2026-02-16", "reason": "Giao thừa Tết Nguyên Đán"}

    def test_cutoff_is_rendered_hh_mm(self) -> None:
        data = CAL.due(vn(2026, 3, 3, 14, 0), 0, D.SAME_DAY, time(15, 0)).as_dict()
        assert data["cutoff"] == "15:00"

    def test_explanation_names_each_holiday_with_vietnamese_dates(self) -> None:
        explanation = CAL.due(vn(2026, 2, 13, 9, 0), 7, D.WORKING_DAYS).as_dict()["explanation"]
        assert isinstance(explanation, list)
        text = "\n".join(explanation)
        assert explanation[0] == "Hồ sơ được tiếp nhận lúc 09:00 ngày 13/02/2026 (Thứ Sáu)."
        assert explanation[-1] == "Hạn trả kết quả: 09:00 ngày 03/03/2026 (Thứ Ba)."
        for name in ("Giao thừa Tết Nguyên Đán", "Mùng bốn Tết Nguyên Đán"):
            assert name in text
        assert "16/02/2026" in text
        assert "20/02/2026" in text
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text)

    def test_returned_datetimes_are_aware_utc(self) -> None:
        due = CAL.due(vn(2026, 3, 2, 9, 0), 1, D.WORKING_DAYS)
        assert (due.received_at.tzinfo, due.start.tzinfo, due.due.tzinfo) == (UTC, UTC, UTC)
        assert due.due == datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


class TestWorkingTime:
    def test_between_counts_only_office_time(self) -> None:
        # Fri 16:00–17:00 and Mon 07:30–08:30.
        assert CAL.working_time_between(vn(2026, 3, 6, 16, 0), vn(2026, 3, 9, 8, 30)) == timedelta(hours=2)

    def test_between_reversed_is_zero(self) -> None:
        assert CAL.working_time_between(vn(2026, 3, 9), vn(2026, 3, 6)) == timedelta(0)

    def test_input_in_another_time_zone_is_the_same_moment(self) -> None:
        paris = datetime(2026, 3, 2, 3, 0, tzinfo=ZoneInfo("Europe/Paris"))  # 09:00 in Hà Nội
        assert CAL.due(paris, 3, D.WORKING_DAYS).due == CAL.due(vn(2026, 3, 2, 9), 3, D.WORKING_DAYS).due

    def test_negative_amounts_are_rejected(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            CAL.add_working_time(vn(2026, 3, 2, 9), timedelta(hours=-1))
        with pytest.raises(ValueError, match=">= 0"):
            CAL.due(vn(2026, 3, 2, 9), -1, D.WORKING_DAYS)

    def test_calendar_without_working_days_raises_instead_of_looping(self) -> None:
        first = date(2026, 1, 1)
        all_off = [
            CalendarException(first + timedelta(days=i), ExceptionKind.HOLIDAY, "Nghỉ", "kiểm thử")
            for i in range(4000)
        ]
        cal = WorkingCalendar(all_off)
        with pytest.raises(ValueError, match="no working day"):
            cal.due(vn(2026, 1, 1, 9), 1, D.WORKING_DAYS)
        with pytest.raises(ValueError, match="no working day"):
            cal.add_working_time(vn(2026, 1, 1, 9), timedelta(hours=1))


class TestOfficeHours:
    def test_default_is_eight_hours(self) -> None:
        hours = OfficeHours()
        assert (hours.opening, hours.closing, hours.seconds_per_day) == (time(7, 30), time(17, 0), 8 * 3600)

    def test_from_strings_parses_periods(self) -> None:
        hours = OfficeHours.from_strings(" 08:00-12:00 , 13:30-17:30 ")
        assert hours.periods == ((time(8), time(12)), (time(13, 30), time(17, 30)))

    def test_custom_hours_drive_the_day_length(self) -> None:
        cal = WorkingCalendar(office_hours=OfficeHours.from_strings("08:00-12:00"))
        assert iso(cal.due(vn(2026, 3, 2, 9), 1, D.WORKING_DAYS).due) == "2026-03-03T09:00:00+07:00"
        assert iso(cal.due(vn(2026, 3, 2, 9), 0, D.SAME_DAY).due) == "2026-03-02T12:00:00+07:00"

    @pytest.mark.parametrize(
        "spec",
        [
            "",
            "  ",
            "07:30",
            "7h30-11h30",
            "07:30-25:00",
            "07:61-11:30",
            "11:30-07:30",
            "07:30-07:30",
            "07:30-11:30,11:00-17:00",
            "13:00-17:00,07:30-11:30",
            "07:30-11:30,",
        ],
    )
    def test_bad_spec_is_rejected_with_a_clear_message(self, spec: str) -> None:
        with pytest.raises(ValueError, match="office"):
            OfficeHours.from_strings(spec)


# Properties ------------------------------------------------------------------------------------------

LOW, HIGH = datetime(2024, 1, 1), datetime(2028, 12, 31, 23, 59)
ZONES = st.sampled_from([LOCAL_TZ, UTC, ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York")])
moments = st.datetimes(min_value=LOW, max_value=HIGH, timezones=ZONES) | st.datetimes(LOW, HIGH)
cutoffs = st.none() | st.sampled_from([time(15, 0), time(11, 0), time(16, 30)])
units = st.sampled_from(list(DeadlineUnit))
whole = st.integers(min_value=0, max_value=40)
fractional = st.floats(min_value=0, max_value=40, allow_nan=False)
spans = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=320))
SETTINGS = settings(max_examples=200, deadline=None)


def amount_for(unit: DeadlineUnit, amount: float) -> float:
    return float(int(amount)) if unit is DeadlineUnit.CALENDAR_DAYS else amount


def inside_office_hours(cal: WorkingCalendar, moment: datetime) -> bool:
    local = moment.astimezone(LOCAL_TZ)
    at = local.time()
    return cal.is_working_day(local.date()) and any(a <= at <= b for a, b in cal.office_hours.periods)


class TestProperties:
    @SETTINGS
    @given(moments, whole | fractional, units, cutoffs)
    def test_due_is_inside_office_hours_of_a_working_day(
        self, received: datetime, amount: float, unit: DeadlineUnit, cutoff: time | None
    ) -> None:
        due = CAL.due(received, amount_for(unit, amount), unit, cutoff)
        assert inside_office_hours(CAL, due.due)
        assert inside_office_hours(CAL, due.start)
        assert due.received_at <= due.start <= due.due

    @SETTINGS
    @given(moments, st.timedeltas(timedelta(0), timedelta(days=30)), whole | fractional, units, cutoffs)
    def test_due_never_decreases_when_receipt_is_later(
        self, received: datetime, later: timedelta, amount: float, unit: DeadlineUnit, cutoff: time | None
    ) -> None:
        amount = amount_for(unit, amount)
        earlier = CAL.due(received, amount, unit, cutoff)
        assert earlier.due <= CAL.due(received + later, amount, unit, cutoff).due

    @SETTINGS
    @given(moments, whole | fractional, whole | fractional, units, cutoffs)
    def test_due_never_decreases_when_amount_grows(
        self, received: datetime, a: float, b: float, unit: DeadlineUnit, cutoff: time | None
    ) -> None:
        small, large = sorted((amount_for(unit, a), amount_for(unit, b)))
        assert CAL.due(received, small, unit, cutoff).due <= CAL.due(received, large, unit, cutoff).due

    @SETTINGS
    @given(moments, whole, whole)
    def test_whole_hours_in_two_steps_equal_one_step(self, received: datetime, n: int, m: int) -> None:
        start, _ = CAL.start_of_count(received)
        hours_n, hours_m = timedelta(hours=n), timedelta(hours=m)
        two_steps = CAL.add_working_time(CAL.add_working_time(start, hours_n), hours_m)
        assert two_steps == CAL.add_working_time(start, hours_n + hours_m)
        assert CAL.due(received, n + m, D.WORKING_HOURS).due == two_steps

    @SETTINGS
    @given(moments, spans, spans)
    def test_fractional_time_in_two_steps_equals_one_step(
        self, received: datetime, x: timedelta, y: timedelta
    ) -> None:
        start, _ = CAL.start_of_count(received)
        two_steps = CAL.add_working_time(CAL.add_working_time(start, x), y)
        assert two_steps == CAL.add_working_time(start, x + y)

    @SETTINGS
    @given(moments, spans)
    def test_working_time_between_undoes_add(self, received: datetime, x: timedelta) -> None:
        start, _ = CAL.start_of_count(received)
        assert CAL.working_time_between(start, CAL.add_working_time(start, x)) == x

    @SETTINGS
    @given(moments, spans)
    def test_working_time_between_undoes_add_from_any_moment(self, moment: datetime, x: timedelta) -> None:
        assert CAL.working_time_between(moment, CAL.add_working_time(moment, x)) == x


class TestSubtractWorkingTime:
    """Going back in office time: the moment a dossier becomes near due is its due time minus a share."""

    def test_skips_tet_backwards(self) -> None:
        cal = WorkingCalendar()
        due = datetime.fromisoformat("2026-02-23T09:00:00+07:00")
        # 1 working day before Mon 23/02 09:00: Tết 16–20/02 and the weekends are skipped → Fri 13/02 09:00.
        back = cal.subtract_working_time(due, timedelta(hours=8))
        assert back == datetime.fromisoformat("2026-02-13T09:00:00+07:00")

    def test_crosses_lunch_break(self) -> None:
        cal = WorkingCalendar()
        back = cal.subtract_working_time(
            datetime.fromisoformat("2026-03-02T14:00:00+07:00"), timedelta(hours=2)
        )
        assert back == datetime.fromisoformat("2026-03-02T10:30:00+07:00")

    @settings(max_examples=150, deadline=None)
    @given(
        start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 1)),
        minutes=st.integers(min_value=0, max_value=60 * 8 * 20),
    )
    def test_is_the_inverse_of_add(self, start: datetime, minutes: int) -> None:
        cal = WorkingCalendar()
        begin, _ = cal.start_of_count(start.replace(tzinfo=LOCAL_TZ))
        amount = timedelta(minutes=minutes)
        end = cal.add_working_time(begin, amount)
        back = cal.subtract_working_time(end, amount)
        assert cal.working_time_between(back, end) == amount
        assert back <= end
