"""Every due time comes with its explanation: where the count starts, which days were skipped and why."""

from __future__ import annotations

from tests.builders import OFFICER, Api, birth_filing, birth_form, ok

TET_2026 = [
    ("2026-02-14", "Thứ Bảy"),
    ("2026-02-15", "Chủ nhật"),
    ("2026-02-16", "Giao thừa Tết Nguyên Đán"),
    ("2026-02-17", "Tết Nguyên Đán"),
    ("2026-02-18", "Mùng hai Tết Nguyên Đán"),
    ("2026-02-19", "Mùng ba Tết Nguyên Đán"),
    ("2026-02-20", "Mùng bốn Tết Nguyên Đán"),
    ("2026-02-21", "Thứ Bảy"),
    ("2026-02-22", "Chủ nhật"),
]


def skipped(deadline: dict[str, object]) -> list[tuple[str, str]]:
    """The skipped days as (date, Vietnamese reason)."""
    days = deadline["skipped"]
    assert isinstance(days, list)
    return [(d["date"], d["reason"]) for d in days]


class TestResidenceAcrossTet:
    def test_received_before_tet_the_seven_working_days_skip_the_holiday(self, api: Api) -> None:
        api.at("2026-02-12T09:00")
        code = api.received(at="2026-02-12T10:00")

        deadline = api.dossier(code)["deadline"]

        assert code.startswith("H29.12.3-260212-")
        assert deadline["due_at"] == "2026-03-02T10:00:00+07:00"
        assert skipped(deadline) == [*TET_2026, ("2026-02-28", "Thứ Bảy"), ("2026-03-01", "Chủ nhật")]
        lines = deadline["explanation"]
        assert "Không tính ngày 17/02/2026 (Tết Nguyên Đán) vì là ngày nghỉ." in lines
        assert "Không tính ngày 16/02/2026 (Giao thừa Tết Nguyên Đán) vì là ngày nghỉ." in lines
        assert "Hạn trả kết quả: 10:00 ngày 02/03/2026 (Thứ Hai)." in lines
        assert deadline["start_reason"].startswith("Tiếp nhận trong giờ làm việc")

    def test_the_citizen_is_shown_the_same_explanation(self, api: Api) -> None:
        api.at("2026-02-12T09:00")
        code = api.received(at="2026-02-12T10:00")

        assert (
            api.dossier(code, "nguyenvanan")["deadline"]["explanation"]
            == api.dossier(code)["deadline"]["explanation"]
        )


class TestBirthRegistrationCutOff:
    def test_received_before_the_cut_off_it_is_due_the_same_day(self, api: Api) -> None:
        api.at("2026-03-02T14:00")

        deadline = ok(api.file(OFFICER, birth_filing()))["deadline"]

        assert deadline["due_at"] == "2026-03-02T17:00:00+07:00"
        assert deadline["legal"] == "Trong ngày (tiếp nhận trước 15:00)"

    def test_received_at_15_30_it_is_due_at_17_00_the_next_working_day(self, api: Api) -> None:
        api.at("2026-03-02T15:30")

        deadline = ok(api.file(OFFICER, birth_filing()))["deadline"]

        assert deadline["received_at"] == "2026-03-02T15:30:00+07:00"
        assert deadline["start"] == "2026-03-03T07:30:00+07:00"
        assert deadline["due_at"] == "2026-03-03T17:00:00+07:00"
        assert "giờ chốt" in deadline["start_reason"]
        assert "15:00" in deadline["start_reason"]
        assert "Hạn trả kết quả: 17:00 ngày 03/03/2026 (Thứ Ba)." in deadline["explanation"]

    def test_after_the_cut_off_on_a_friday_it_is_due_on_monday(self, api: Api) -> None:
        api.at("2026-03-06T15:30")

        deadline = ok(api.file(OFFICER, birth_filing()))["deadline"]

        assert deadline["due_at"] == "2026-03-09T17:00:00+07:00"
        assert skipped(deadline) == [("2026-03-07", "Thứ Bảy"), ("2026-03-08", "Chủ nhật")]

    def test_after_the_cut_off_on_the_friday_before_tet_it_is_due_after_tet(self, api: Api) -> None:
        api.at("2026-02-13T15:30")

        deadline = ok(api.file(OFFICER, birth_filing(form=birth_form("2026-02-01"))))["deadline"]

        assert deadline["due_at"] == "2026-02-23T17:00:00+07:00"
        assert skipped(deadline) == TET_2026


class TestWhereAnOpenDossierStands:
    def test_a_quarter_of_the_time_left_is_near_due(self, api: Api) -> None:
        code = api.received(at="2026-03-02T09:30")  # due Wed 11/03 09:30
        api.at("2026-03-10T10:00")

        deadline = api.dossier(code)["deadline"]

        assert deadline["state"] == "near_due"
        assert deadline["state_label"] == "Sắp đến hạn"
        assert deadline["remaining_working_hours"] == 7.5
        assert "Còn 7.5 giờ làm việc đến hạn trả kết quả." in deadline["explanation"]

    def test_past_the_due_time_it_is_overdue_by_working_hours(self, api: Api) -> None:
        code = api.received(at="2026-03-02T09:30")
        api.at("2026-03-12T08:30")  # Wed 09:30–11:30 and 13:00–17:00 is 6 h, Thu 07:30–08:30 one more

        deadline = api.dossier(code)["deadline"]

        assert deadline["state"] == "overdue"
        assert deadline["state_label"] == "Quá hạn"
        assert deadline["overdue_working_hours"] == 7
        assert "Hồ sơ đã quá hạn 7 giờ làm việc." in deadline["explanation"]
