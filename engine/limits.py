"""How long each kind of text may be (issue 11: every input has a type, a range and a length).

One table of maximum lengths by meaning, in characters after NFC normalisation, used by the engine's use
cases (so the API and the pages refuse the same thing with the same field error), by the API's request
models (so the OpenAPI document states the bound) and, for any text at all, by the request guard.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.errors import FieldError, InvalidInput

REASON = 2000  # a withdrawal, refusal or extension reason; an opinion
NOTE = 2000  # an officer's note, an IOC acknowledgement's note, a paper's note
COMMENT = 4000  # free text a person writes at length (a form's remarks)
NAME = 200  # a person's full name, an agency's or procedure's name
ADDRESS = 500
EMAIL = 254  # RFC 5321 path limit
PHONE = 20
REFERENCE = 100  # a paper's reference number
FILE_NAME = 255
SEARCH = 200  # catalogue search text
CODE = 35  # an agency's electronic identifier, a procedure code (Decision 20/2020/QĐ-TTg)
DOSSIER_CODE = 60
ACCESS_KEY = 32
KEY = 64  # a task, event or upload id
TEXT = 10_000  # any one string in a request body, whatever it means: the guard's ceiling
SOURCE = 1024 * 1024  # a procedure's file (BPMN, JSON Schema) edited in the workshop's textarea
PAGE_MIN, PAGE_MAX = 1, 200  # rows per page of a list


def too_long(limit: int, given: int) -> FieldError:
    """The field error for text over its limit (and how long it was), Vietnamese with English."""
    return FieldError(
        f"Quá dài: tối đa {limit} ký tự (đã nhập {given}).",
        f"Too long: at most {limit} characters ({given} given).",
    )


def check_lengths(values: Mapping[str, tuple[object, int]]) -> dict[str, FieldError]:
    """Field errors for the texts (field → (value, limit)) longer than their limits; others ignored."""
    return {
        field: too_long(limit, len(value))
        for field, (value, limit) in values.items()
        if isinstance(value, str) and len(value) > limit
    }


def require_lengths(values: Mapping[str, tuple[object, int]]) -> None:
    """422 naming every text longer than its limit; nothing when all fit."""
    problems = check_lengths(values)
    if problems:
        raise InvalidInput(
            "Nội dung quá dài, vui lòng rút gọn các trường được đánh dấu.",
            "Text too long; shorten the marked fields.",
            problems,
        )
