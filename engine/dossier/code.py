"""Dossier code (mã hồ sơ, DOMAIN.md §3): `<agency e-identifier>-YYMMDD-XXXX`."""

from __future__ import annotations

import re
from datetime import date, datetime

from engine.clock import to_local

AGENCY_ID = re.compile(r"^[0-9A-Z]+(\.[0-9A-Z]+)*$")
DOSSIER_CODE = re.compile(r"^(?P<agency>[0-9A-Z.]{1,35})-(?P<day>\d{6})-(?P<seq>\d{4,})$")


def is_agency_id(value: str) -> bool:
    """Electronic identifier of an agency (Decision 20/2020/QĐ-TTg): up to 35 of [0-9A-Z.]."""
    return len(value) <= 35 and bool(AGENCY_ID.match(value))


def filing_day(filed_at: datetime) -> date:
    """The local (Asia/Ho_Chi_Minh) date of filing, which the code carries."""
    return to_local(filed_at).date()


def format_code(agency: str, day: date, sequence: int) -> str:
    """Compose the code; the sequence has at least 4 digits and grows past 9999."""
    return f"{agency}-{day:%y%m%d}-{sequence:04d}"


def is_dossier_code(value: str) -> bool:
    """True when the text has the shape of a dossier code."""
    return bool(DOSSIER_CODE.match(value))
