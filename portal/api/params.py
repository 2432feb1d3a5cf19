"""Typed, bounded request parameters shared by the routers: every input has a type, a range and a length."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path, Query

from engine import limits
from engine.errors import FieldError, InvalidInput

MAX_ID = 2**31 - 1  # the largest id a PostgreSQL integer column holds
MAX_PAGE = limits.PAGE_MAX

AGENCY_PATTERN = r"^[0-9A-Z]+(\.[0-9A-Z]+)*$"
DOSSIER_PATTERN = r"^[0-9A-Z]+(\.[0-9A-Z]+)*-[0-9]{6}-[0-9]{4,10}$"
PROCEDURE_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z._-]*$"
KEY_PATTERN = r"^[0-9A-Za-z_-]+$"
SHA256_PATTERN = r"^[0-9a-fA-F]{64}$"

DossierCode = Annotated[
    str,
    Path(
        min_length=13,
        max_length=limits.DOSSIER_CODE,
        pattern=DOSSIER_PATTERN,
        description="Mã hồ sơ, ví dụ H29.12.3-260302-0001",
    ),
]
ProcedureCode = Annotated[
    str,
    Path(max_length=limits.CODE, pattern=PROCEDURE_PATTERN, description="Mã thủ tục, ví dụ 1.004222"),
]
AgencyCode = Annotated[
    str,
    Path(max_length=limits.CODE, pattern=AGENCY_PATTERN, description="Mã định danh cơ quan, ví dụ H29.12.3"),
]
TaskId = Annotated[str, Path(max_length=limits.KEY, pattern=KEY_PATTERN, description="Mã công việc")]
EventId = Annotated[str, Path(max_length=limits.KEY, pattern=KEY_PATTERN, description="Mã sự kiện")]
UploadId = Annotated[str, Path(max_length=limits.KEY, pattern=KEY_PATTERN, description="Mã tệp")]

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã số (số nguyên dương)")]
BeforeId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Mã số cuối của trang trước")]
Cursor = Annotated[int, Query(ge=0, le=MAX_ID, description="Con trỏ: `next` của trang trước (0 = từ đầu)")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Số dòng một trang (1–200)")]
StatusCode = Annotated[int | None, Query(ge=1, le=10, description="Mã trạng thái hồ sơ (1–10)")]
Year = Annotated[int, Path(ge=2000, le=2100, description="Năm (2000–2100)")]
Moment = Annotated[
    str | None, Query(max_length=40, description="Thời điểm ISO 8601, ví dụ 2026-03-02T09:00:00+07:00")
]


def row_id(text: str | None) -> int | None:
    """A row id typed in a page's URL or form (a positive integer a database column holds), or None."""
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def moment(value: str | None, field: str) -> datetime | None:
    """A strictly parsed ISO 8601 date-time (a number is not a date-time), or 422 on `field`."""
    if value is None:
        return None
    try:
        if not value or value.replace(".", "", 1).lstrip("-").isdigit():
            raise ValueError(value)
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            "Thời điểm không hợp lệ.",
            "Invalid date-time.",
            {
                field: FieldError(
                    "Thời điểm phải theo ISO 8601, ví dụ 2026-03-02T09:00:00+07:00.",
                    "Must be an ISO 8601 date-time, e.g. 2026-03-02T09:00:00+07:00.",
                )
            },
        ) from exc
