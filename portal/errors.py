"""The one map from domain errors to HTTP responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from engine.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
    Unavailable,
    WorkflowError,
)
from engine.upload import UploadTooLarge

log = logging.getLogger("motcua.portal")

STATUS = {
    UploadTooLarge: 413,  # before InvalidInput, which it extends
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Forbidden: 403,
    Unauthenticated: 401,
    Unavailable: 503,
    WorkflowError: 500,
}

PYDANTIC_MESSAGES = {
    "missing": ("Trường này là bắt buộc.", "This field is required."),
    "extra_forbidden": ("Trường này không được phép.", "This field is not allowed."),
    "string_type": ("Giá trị phải là chuỗi ký tự.", "Must be a string."),
    "int_parsing": ("Giá trị phải là số nguyên.", "Must be an integer."),
    "float_parsing": ("Giá trị phải là số.", "Must be a number."),
    "dict_type": ("Giá trị phải là một đối tượng JSON.", "Must be a JSON object."),
    "list_type": ("Giá trị phải là một danh sách.", "Must be a list."),
    "enum": ("Giá trị không nằm trong danh sách cho phép.", "Value is not one of the allowed values."),
    "literal_error": (
        "Giá trị không nằm trong danh sách cho phép.",
        "Value is not one of the allowed values.",
    ),
    "json_invalid": ("Nội dung gửi lên không phải JSON hợp lệ.", "The body is not valid JSON."),
    "datetime_from_date_parsing": ("Thời điểm không hợp lệ (ISO 8601).", "Invalid ISO 8601 date-time."),
    "datetime_parsing": ("Thời điểm không hợp lệ (ISO 8601).", "Invalid ISO 8601 date-time."),
    "greater_than_equal": ("Giá trị quá nhỏ.", "Value too small."),
    "less_than_equal": ("Giá trị quá lớn.", "Value too large."),
}


def _path(loc: tuple[object, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path")]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        if status == 500:
            log.error("workflow error: %s", exc.message_en)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status == 503:
            headers = {"Retry-After": "30"}
        return JSONResponse(exc.as_dict(), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields: dict[str, dict[str, str]] = {}
        for err in exc.errors():
            vi, en = PYDANTIC_MESSAGES.get(
                err["type"], ("Giá trị không hợp lệ.", str(err.get("msg", "Invalid")))
            )
            expected = (err.get("ctx") or {}).get("expected")
            if err["type"] in ("enum", "literal_error") and expected:
                vi = f"Giá trị phải là một trong: {str(expected).replace(' or ', ', ')}."
                en = f"Value must be one of: {expected}."
            # A JSON syntax error is located by character offset, which names no field.
            path = "body" if err["type"] == "json_invalid" else _path(tuple(err["loc"]))
            fields[path] = {"message": vi, "message_en": en}
        body = {
            "error": "InvalidInput",
            "message": "Dữ liệu gửi lên chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu.",
            "message_en": "The request is invalid; see the marked fields.",
            "fields": fields,
        }
        return JSONResponse(body, status_code=422)
