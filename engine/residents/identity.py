"""Personal identification numbers (số định danh cá nhân) and the legacy 9-digit ID (CMND), docs/domain.md §8.

12 digits: 1–3 the province (or country) of birth registration, 4 the century and sex (century =
19 + d // 2; even male, odd female), 5–6 the last two digits of the year of birth, 7–12 random. There is no
checksum, so a number is checked for its structure and for agreement with what is declared beside it; an
unknown province code alone is never a reason to refuse (codes change, numbers do not).

The 9-digit CMND was valid as an identity paper until 31/12/2024 (Luật Căn cước 2023, Điều 46.2); papers
issued with it keep their value (Điều 46.3), so a field copying a number from such a paper may still take it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from engine.errors import FieldError

IDENTITY_RE = re.compile(r"^[0-9]{12}$")
LEGACY_RE = re.compile(r"^[0-9]{9}$")
LEGACY_ID_VALID_UNTIL = date(2024, 12, 31)
_SEXES = {"Nam": "male", "Nữ": "female"}


@dataclass(frozen=True)
class IdentityNumber:
    """What the digits of a 12-digit number say."""

    province_code: str
    century_digit: int
    birth_year: int
    serial: str

    @property
    def sex(self) -> str:
        """ "Nam" for an even century digit, "Nữ" for an odd one."""
        return "Nam" if self.century_digit % 2 == 0 else "Nữ"


def parse(number: str) -> IdentityNumber | None:
    """Read a 12-digit number; None when it is not 12 digits."""
    if not IDENTITY_RE.fullmatch(number):
        return None
    digit = int(number[3])
    return IdentityNumber(
        province_code=number[:3],
        century_digit=digit,
        birth_year=(19 + digit // 2) * 100 + int(number[4:6]),
        serial=number[6:],
    )


def compose(province_code: str, sex: str, born: date, serial: str) -> str:
    """Build the number of a person born in `born` with that sex, birth-registration province and serial."""
    if len(province_code) != 3 or not province_code.isdigit() or len(serial) != 6 or not serial.isdigit():
        raise ValueError("province code has 3 digits and the serial 6")
    century = born.year // 100 - 19
    if not 0 <= century <= 4:
        raise ValueError(f"no century digit for {born.year}")
    digit = century * 2 + (0 if sex == "Nam" else 1)
    return f"{province_code}{digit}{born.year % 100:02d}{serial}"


def iso_date(value: object) -> date | None:
    """A `yyyy-mm-dd` string as a date; None for anything else."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def legacy_accepted(on: date) -> bool:
    """Whether a 9-digit CMND still identifies an applicant on that day (until 31/12/2024)."""
    return on <= LEGACY_ID_VALID_UNTIL


def identity_problem(
    number: str,
    *,
    today: date,
    born: date | None = None,
    sex: str | None = None,
    legacy: bool = False,
) -> FieldError | None:
    """What is wrong with a number, in Vietnamese and English; None when nothing is.

    `legacy` lets a 9-digit CMND through (a field copying a number from an older paper, or a filing made while
    the CMND was still valid). `born` and `sex`, when declared, must agree with digits 4–6.
    """
    if LEGACY_RE.fullmatch(number):
        return None if legacy else _legacy_expired()
    parsed = parse(number)
    if parsed is None:
        return _wrong_length(legacy)
    if born is None and parsed.birth_year > today.year:
        return FieldError(
            f"Số định danh cá nhân không hợp lệ: chữ số thứ 4 đến 6 ghi năm sinh {parsed.birth_year}, "
            "sau năm hiện tại.",
            f"The personal identification number is invalid: digits 4 to 6 give the year of birth "
            f"{parsed.birth_year}, which is in the future.",
        )
    if born is not None and born.year != parsed.birth_year:
        # Said against the declared birth date, which is the more useful message (a future birth date is the
        # date field's own error).
        return FieldError(
            "Số định danh cá nhân không khớp với năm sinh (chữ số thứ 4 đến 6 ghi thế kỷ và năm sinh).",
            "The personal identification number does not match the year of birth "
            "(digits 4 to 6 encode the century and the year of birth).",
        )
    if sex in _SEXES and sex != parsed.sex:
        return FieldError(
            "Số định danh cá nhân không khớp với giới tính (chữ số thứ 4: số chẵn là nam, số lẻ là nữ).",
            "The personal identification number does not match the sex "
            "(digit 4: even is male, odd is female).",
        )
    return None


def _wrong_length(legacy: bool) -> FieldError:
    if legacy:
        return FieldError(
            "Số định danh cá nhân phải gồm đúng 12 chữ số (hoặc 9 chữ số với CMND cũ).",
            "The personal identification number must have exactly 12 digits (or 9 for a legacy ID).",
        )
    return FieldError(
        "Số định danh cá nhân phải gồm đúng 12 chữ số.",
        "The personal identification number must have exactly 12 digits.",
    )


def _legacy_expired() -> FieldError:
    return FieldError(
        "Số chứng minh nhân dân 9 chữ số chỉ có giá trị đến hết ngày 31/12/2024 (Luật Căn cước 2023, "
        "Điều 46); vui lòng nhập số định danh cá nhân 12 chữ số.",
        "The 9-digit legacy ID was valid until 31/12/2024 (Law on Identification 2023, Art. 46); "
        "enter the 12-digit personal identification number.",
    )
