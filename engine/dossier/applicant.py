"""The person who files (người nộp hồ sơ): checked before anything is written."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from engine import limits
from engine.errors import FieldError
from engine.residents.identity import identity_problem, iso_date, legacy_accepted

PHONE = re.compile(r"^(\+84|0)\d{9,10}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELDS = ("full_name", "identity_number", "phone", "email", "address", "date_of_birth", "sex")


def check_applicant(
    raw: Any, today: date, prefix: str = "applicant"
) -> tuple[dict[str, Any], dict[str, FieldError]]:
    """Return the cleaned applicant and the field errors (empty when valid).

    The identity number is checked as docs/domain.md §8 says (engine/residents/identity.py); a 9-digit CMND
    only while it was still an identity paper (until 31/12/2024).
    """
    errors: dict[str, FieldError] = {}
    if not isinstance(raw, dict):
        errors[prefix] = FieldError("Thiếu thông tin người nộp hồ sơ.", "Applicant details are missing.")
        return {}, errors
    clean = {
        k: (v.strip() if isinstance(v, str) else v)
        for k, v in raw.items()
        if k in FIELDS and v not in (None, "")
    }
    for unknown in sorted(set(raw) - set(FIELDS)):
        errors[f"{prefix}.{unknown}"] = FieldError(
            f"Trường «{unknown}» không thuộc thông tin người nộp.", f"Unknown applicant field '{unknown}'."
        )
    name = clean.get("full_name")
    if not isinstance(name, str) or not name:
        errors[f"{prefix}.full_name"] = FieldError(
            "Vui lòng nhập họ và tên người nộp.", "Full name is required."
        )
    elif len(name) > limits.NAME:
        errors[f"{prefix}.full_name"] = FieldError(
            f"Họ và tên quá dài (tối đa {limits.NAME} ký tự).", f"Name too long (at most {limits.NAME})."
        )
    errors |= limits.check_lengths(
        {
            f"{prefix}.address": (clean.get("address"), limits.ADDRESS),
            f"{prefix}.email": (clean.get("email"), limits.EMAIL),
            f"{prefix}.phone": (clean.get("phone"), limits.PHONE),
        }
    )
    number = clean.get("identity_number")
    if number is not None:
        problem = identity_problem(
            number if isinstance(number, str) else "",
            today=today,
            born=iso_date(clean.get("date_of_birth")),
            sex=clean.get("sex") if isinstance(clean.get("sex"), str) else None,
            legacy=legacy_accepted(today),
        )
        if problem is not None:
            errors[f"{prefix}.identity_number"] = problem
    phone = clean.get("phone")
    if phone is not None and not (isinstance(phone, str) and PHONE.match(phone.replace(" ", ""))):
        errors[f"{prefix}.phone"] = FieldError(
            "Số điện thoại không hợp lệ (ví dụ 0912345678).", "Invalid phone number (e.g. 0912345678)."
        )
    email = clean.get("email")
    if email is not None and not (isinstance(email, str) and EMAIL.match(email)):
        errors[f"{prefix}.email"] = FieldError("Địa chỉ thư điện tử không hợp lệ.", "Invalid e-mail address.")
    return clean, errors
