"""Dossier code (mã hồ sơ, docs/domain.md §3): `<agency e-identifier>-YYMMDD-XXXX`."""

from __future__ import annotations

import hmac
import re
import secrets
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


# Crockford-like: no 0/O, 1/I/L, U; upper case, so a key read aloud or typed from paper survives.
ACCESS_KEY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
ACCESS_KEY_LENGTH = 10  # 30**10 ≈ 5.9e14: guessing one dossier's key is hopeless at any rate we allow


def new_access_key() -> str:
    """A random access key (mã tra cứu), printed on the receipt beside the code; public lookups need both."""
    return "".join(secrets.choice(ACCESS_KEY_ALPHABET) for _ in range(ACCESS_KEY_LENGTH))


def normalise_access_key(value: str) -> str:
    """The key as typed: case, spaces and dashes do not matter; never cut short (longer is another key)."""
    return value.strip().upper().replace(" ", "").replace("-", "")


def access_key_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a dossier without a key (never after 0010) matches nothing."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), normalise_access_key(given).encode())
