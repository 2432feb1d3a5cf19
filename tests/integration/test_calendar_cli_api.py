"""`motcua calendar due` and `GET /api/v1/calendar/due`: the same explained due time, Tết 2026 included."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from portal.cli import app
from portal.settings import get_settings
from portal.wiring import Container

Cli = Callable[..., Result]

TET_2026 = [
    {"date": "2026-02-14", "reason": "Thứ Bảy"},
    {"date": "2026-02-15", "reason": "Chủ nhật"},
    {"date": "2026-02-16", "reason": "Giao thừa Tết Nguyên Đán"},
    {"date": "2026-02-17", "reason": "Tết Nguyên Đán"},
    {"date": "2026-02-18", "reason": "Mùng hai Tết Nguyên Đán"},
    {"date": "2026-02-19", "reason": "Mùng ba Tết Nguyên Đán"},
    {"date": "2026-02-20", "reason": "Mùng bốn Tết Nguyên Đán"},
    {"date": "2026-02-21", "reason": "Thứ Bảy"},
    {"date": "2026-02-22", "reason": "Chủ nhật"},
]
SEVEN_DAYS_FROM_FRIDAY_BEFORE_TET = ["--start", "2026-02-13T09:00", "--amount", "7", "--unit", "working_days"]


def plain(text: str) -> str:
    """Terminal output without the error box drawn around it and without line wrapping."""
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", text)).strip()


def invoke(env: dict[str, str], *args: str) -> Result:
    """Run the CLI as a fresh process would: settings read from this environment."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["calendar", "due", *args], env={"MOTCUA_ENV": "test", **env})
    finally:
        get_settings.cache_clear()


def no_database(tmp_path: Path) -> dict[str, str]:
    """Settings of an installation that has no database yet."""
    return {
        "MOTCUA_DATABASE_URL": f"sqlite:///{tmp_path / 'none' / 'motcua.db'}",
        "MOTCUA_DATA_DIR": str(tmp_path / "none"),
    }


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The CLI before any database exists: national holidays and default office hours."""
    env = no_database(tmp_path)
    return lambda *args: invoke(env, *args)


@pytest.fixture
def cli_on(container: Container, tmp_path: Path) -> Cli:
    """The CLI configured on the same database as the API under test (SQLite file or PostgreSQL)."""
    env = {
        "MOTCUA_DATABASE_URL": container.engine.url.render_as_string(hide_password=False),
        "MOTCUA_DATA_DIR": str(tmp_path),
    }
    return lambda *args: invoke(env, *args)


def as_json(result: Result) -> dict[str, Any]:
    """The JSON the command printed (after checking that it succeeded)."""
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


class TestCli:
    def test_works_before_any_database_exists_and_creates_none(self, cli: Cli, tmp_path: Path) -> None:
        data = as_json(cli(*SEVEN_DAYS_FROM_FRIDAY_BEFORE_TET, "--json"))
        assert data["due"] == "2026-03-03T09:00:00+07:00"
        assert not (tmp_path / "none").exists()

    def test_an_agency_needs_the_database(self, cli: Cli) -> None:
        result = cli(*SEVEN_DAYS_FROM_FRIDAY_BEFORE_TET, "--agency", "H29.12.3")
        assert result.exit_code == 2
        assert "--agency: Chưa có cơ sở dữ liệu; chạy `motcua db upgrade` trước." in plain(result.output)

    def test_seven_working_days_across_tet_2026(self, cli: Cli) -> None:
        data = as_json(cli(*SEVEN_DAYS_FROM_FRIDAY_BEFORE_TET, "--json"))
        assert data["received_at"] == "2026-02-13T09:00:00+07:00"
        assert data["start"] == "2026-02-13T09:00:00+07:00"
        assert data["due"] == "2026-03-03T09:00:00+07:00"
        assert data["unit"] == "working_days"
        assert data["cutoff"] is None
        assert data["skipped"] == [
            *TET_2026,
            {"date": "2026-02-28", "reason": "Thứ Bảy"},
            {"date": "2026-03-01", "reason": "Chủ nhật"},
        ]
        assert data["explanation"][-1] == "Hạn trả kết quả: 09:00 ngày 03/03/2026 (Thứ Ba)."
        assert "Không tính ngày 17/02/2026 (Tết Nguyên Đán) vì là ngày nghỉ." in data["explanation"]

    def test_without_json_the_explanation_is_printed_line_by_line(self, cli: Cli) -> None:
        result = cli(*SEVEN_DAYS_FROM_FRIDAY_BEFORE_TET)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines[0] == "Hồ sơ được tiếp nhận lúc 09:00 ngày 13/02/2026 (Thứ Sáu)."
        assert "Không tính ngày 16/02/2026 (Giao thừa Tết Nguyên Đán) vì là ngày nghỉ." in lines
        assert lines[-1] == "Hạn trả kết quả: 09:00 ngày 03/03/2026 (Thứ Ba)."

    def test_same_day_before_the_cutoff_is_due_at_closing_time(self, cli: Cli) -> None:
        data = as_json(
            cli("--start", "2026-03-02T14:00", "--unit", "same_day", "--cutoff", "15:00", "--json")
        )
        assert data["start"] == "2026-03-02T14:00:00+07:00"
        assert data["due"] == "2026-03-02T17:00:00+07:00"
        assert data["cutoff"] == "15:00"
        assert data["skipped"] == []

    def test_same_day_after_the_cutoff_before_tet_is_due_the_first_working_day_after_tet(
        self, cli: Cli
    ) -> None:
        data = as_json(
            cli("--start", "2026-02-13T15:30", "--unit", "same_day", "--cutoff", "15:00", "--json")
        )
        assert data["start"] == "2026-02-23T07:30:00+07:00"
        assert data["due"] == "2026-02-23T17:00:00+07:00"
        assert data["start_reason"].startswith("Tiếp nhận sau giờ chốt nhận hồ sơ trong ngày (15:00)")
        assert data["skipped"] == TET_2026

    def test_a_start_with_an_offset_is_converted_to_local_time(self, cli: Cli) -> None:
        data = as_json(
            cli("--start", "2026-03-02T02:00+00:00", "--unit", "working_hours", "--amount", "2", "--json")
        )
        assert data["received_at"] == "2026-03-02T09:00:00+07:00"
        assert data["due"] == "2026-03-02T11:00:00+07:00"

    @pytest.mark.parametrize("start", ["13/02/2026 09:00", "2026-02-30T09:00", "ngày mai"])
    def test_a_bad_start_is_refused_in_vietnamese(self, cli: Cli, start: str) -> None:
        result = cli("--start", start, "--unit", "same_day")
        assert result.exit_code == 2
        assert "--start: Thời điểm phải theo ISO 8601, ví dụ 2026-02-13T09:00" in plain(result.output)

    @pytest.mark.parametrize("cutoff", ["25:00", "3pm", "15h"])
    def test_a_bad_cutoff_is_refused_in_vietnamese(self, cli: Cli, cutoff: str) -> None:
        result = cli("--start", "2026-03-02T14:00", "--unit", "same_day", "--cutoff", cutoff)
        assert result.exit_code == 2
        assert "--cutoff: Giờ chốt phải có dạng HH:MM, ví dụ 15:00" in plain(result.output)

    def test_an_unknown_unit_is_refused(self, cli: Cli) -> None:
        result = cli("--start", "2026-03-02T14:00", "--unit", "weeks")
        assert result.exit_code == 2
        assert "working_days" in plain(result.output)


class TestCliAndApiAgree:
    @pytest.mark.parametrize(
        "query",
        [
            {"start": "2026-02-13T09:00", "amount": "7", "unit": "working_days"},
            {"start": "2026-02-13T15:30", "unit": "same_day", "cutoff": "15:00"},
            {"start": "2026-08-21T16:00", "amount": "2", "unit": "working_days", "agency": "H29.12.3"},
            {"start": "2026-04-24T10:00", "amount": "15", "unit": "calendar_days", "agency": "H29.12.5"},
        ],
        ids=["tet-working-days", "tet-same-day-cutoff", "make-up-saturday", "calendar-days"],
    )
    def test_the_api_answers_what_the_cli_prints(
        self, client: TestClient, cli_on: Cli, query: dict[str, str]
    ) -> None:
        response = client.get("/api/v1/calendar/due", params=query)
        assert response.status_code == 200, response.text
        args = [arg for key, value in query.items() for arg in (f"--{key}", value)]
        assert as_json(cli_on(*args, "--json")) == response.json()

    def test_the_make_up_saturday_counts_as_a_working_day(self, client: TestClient) -> None:
        query = {"start": "2026-08-21T16:00", "amount": "2", "unit": "working_days", "agency": "H29.12.3"}
        data = client.get("/api/v1/calendar/due", params=query).json()
        # Fri 16:00 + 16 working hours: 1 h on Friday, 8 h on the make-up Saturday 22/08, 7 h on Monday 24/08.
        assert data["due"] == "2026-08-24T16:00:00+07:00"
        assert {"date": "2026-08-22", "reason": "Thứ Bảy"} not in data["skipped"]

    def test_an_unknown_agency_is_404_in_the_api_and_refused_by_the_cli(
        self, client: TestClient, cli_on: Cli
    ) -> None:
        response = client.get(
            "/api/v1/calendar/due",
            params={"start": "2026-03-02T09:00", "unit": "same_day", "agency": "X99.1"},
        )
        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "AgencyNotFound"
        assert body["message"] == "Không tìm thấy cơ quan «X99.1»."
        result = cli_on("--start", "2026-03-02T09:00", "--unit", "same_day", "--agency", "X99.1")
        assert result.exit_code == 2
        assert "--agency: Không tìm thấy cơ quan «X99.1»." in plain(result.output)


class TestApiErrors:
    def test_a_bad_unit_is_422_with_the_vietnamese_field_error_body(self, client: TestClient) -> None:
        response = client.get("/api/v1/calendar/due", params={"start": "2026-03-02T09:00", "unit": "weeks"})
        assert response.status_code == 422
        body = response.json()
        assert set(body) == {"error", "message", "message_en", "fields"}
        assert body["error"] == "InvalidInput"
        assert body["message"] == "Dữ liệu gửi lên chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu."
        assert list(body["fields"]) == ["unit"]
        assert set(body["fields"]["unit"]) == {"message", "message_en"}
        assert body["fields"]["unit"]["message"].startswith("Giá trị phải là một trong: ")
        assert "'working_days'" in body["fields"]["unit"]["message"]
        assert "working_days" in body["fields"]["unit"]["message_en"]

    def test_a_bad_start_is_422_naming_the_field(self, client: TestClient) -> None:
        response = client.get("/api/v1/calendar/due", params={"start": "13/02/2026", "unit": "same_day"})
        assert response.status_code == 422
        assert response.json()["fields"]["start"]["message"].startswith("Thời điểm phải theo ISO 8601")

    def test_a_missing_unit_is_422_required(self, client: TestClient) -> None:
        response = client.get("/api/v1/calendar/due", params={"start": "2026-03-02T09:00"})
        assert response.status_code == 422
        assert response.json()["fields"] == {
            "unit": {"message": "Trường này là bắt buộc.", "message_en": "This field is required."}
        }

    def test_a_bad_cutoff_is_422_with_the_cutoff_field(self, client: TestClient) -> None:
        response = client.get(
            "/api/v1/calendar/due",
            params={"start": "2026-03-02T09:00", "unit": "same_day", "cutoff": "25:00"},
        )
        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "InvalidInput"
        assert body["fields"] == {
            "cutoff": {
                "message": "Giờ chốt phải có dạng HH:MM, ví dụ 15:00.",
                "message_en": "Cut-off must be HH:MM, e.g. 15:00.",
            }
        }

    def test_no_sign_in_is_needed(self, client: TestClient) -> None:
        response = client.get(
            "/api/v1/calendar/due", params={"start": "2026-03-02T09:00", "unit": "same_day"}
        )
        assert response.status_code == 200
        assert response.json()["due"] == "2026-03-02T17:00:00+07:00"
