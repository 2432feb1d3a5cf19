"""How a population database matches a request: the rule the fake, the simulator and the verdicts share."""

from __future__ import annotations

import unicodedata

from engine.residents.registry import LookupRequest, LookupResult, LookupStatus, Resident


def fold_name(name: str) -> str:
    """A name without case, extra spacing or Unicode-composition differences (NFC vs NFD diacritics)."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def same_name(a: str, b: str) -> bool:
    """Names compare as `fold_name` makes them."""
    return fold_name(a) == fold_name(b)


def answer(resident: Resident | None, request: LookupRequest) -> LookupResult:
    """What a registry answers for the person found under the number (or None): the rule both sides share."""
    if resident is None:
        return LookupResult(LookupStatus.NOT_FOUND)
    mismatched = []
    if request.full_name is not None and not same_name(request.full_name, resident.full_name):
        mismatched.append("full_name")
    if request.date_of_birth is not None and request.date_of_birth != resident.date_of_birth:
        mismatched.append("date_of_birth")
    if mismatched:
        return LookupResult(LookupStatus.MISMATCH, mismatched=tuple(mismatched))
    return LookupResult(LookupStatus.FOUND, resident)
