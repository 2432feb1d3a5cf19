"""Dossier code (mã hồ sơ, docs/domain.md §3): `<agency e-identifier>-YYMMDD-XXXX`."""

from __future__ import annotations

import re
from datetime import date, datetime

from engine.clock import to_local

AGENCY_ID = re.compile(r"[0-9A-Z]+(\.[0-9A-Z]+)*")
DOSSIER_CODE = re.compile(r"(?P<agency>[0-9A-Z]+(?:\.[0-9A-Z]+)*)-(?P<day>[0-9]{6})-(?P<seq>[0-9]{4,})")


def is_agency_id(value: str) -> bool:
    """Electronic identifier of an agency (Decision 20/2020/QĐ-TTg): up to 35 of [0-9A-Z.]."""
    return len(value) <= 35 and AGENCY_ID.fullmatch(value) is not None


def filing_day(filed_at: datetime) -> date:
    """The local (Asia/Ho_Chi_Minh) date of filing, which the code carries."""
    return to_local(filed_at).date()


def format_code(agency: str, day: date, sequence: int) -> str:
    """Compose the code; the sequence has at least 4 digits and grows past 9999."""
    if not is_agency_id(agency):
        raise ValueError(f"{agency!r} is not an agency electronic identifier (up to 35 of [0-9A-Z.])")
    if sequence < 1:
        raise ValueError(f"dossier sequence must start at 1, got {sequence}")
    return f"{agency}-{day:%y%m%d}-{sequence:04d}"


def is_dossier_code(value: str) -> bool:
    """True when the text has the shape of a dossier code."""
    match = DOSSIER_CODE.fullmatch(value)
    return match is not None and is_agency_id(match["agency"])
