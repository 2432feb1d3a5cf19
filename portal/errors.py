"""The one map from domain errors to HTTP responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from engine import limits
from engine.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    WorkflowError,
)
from engine.upload import UploadTooLarge
from portal.i18n import N_

log = logging.getLogger("motcua.portal")

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

STATUS = {
    UploadTooLarge: 413,  # before InvalidInput, which it extends
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Forbidden: 403,
    Unauthenticated: 401,
    TooManyRequests: 429,
    Unavailable: 503,
    WorkflowError: 500,
}


def status_of(exc: DomainError) -> int:
    """The HTTP status of a domain error: the API's answer, and a page's when it re-renders with the error."""
    return next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)


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
    "greater_than": ("Giá trị quá nhỏ.", "Value too small."),
    "less_than": ("Giá trị quá lớn.", "Value too large."),
    "string_too_long": ("Tối đa {max_length} ký tự.", "At most {max_length} characters."),
    "string_too_short": ("Cần ít nhất {min_length} ký tự.", "At least {min_length} characters."),
    "too_long": ("Tối đa {max_length} mục.", "At most {max_length} items."),
    "too_short": ("Cần ít nhất {min_length} mục.", "At least {min_length} items."),
    "string_pattern_mismatch": (
        "Giá trị không đúng định dạng.",
        "The value does not have the expected form.",
    ),
    "int_from_float": ("Giá trị phải là số nguyên.", "Must be a whole number."),
    "bool_parsing": ("Giá trị phải là true hoặc false.", "Must be true or false."),
    "bool_type": ("Giá trị phải là true hoặc false.", "Must be true or false."),
    "int_type": ("Giá trị phải là số nguyên.", "Must be an integer."),
    "model_type": ("Giá trị phải là một đối tượng JSON.", "Must be a JSON object."),
    "model_attributes_type": ("Giá trị phải là một đối tượng JSON.", "Must be a JSON object."),
}

# What a parameter of a known form should look like, when its value does not match its pattern.
PATTERN_MESSAGES = {
    "cutoff": ("Giờ chốt phải có dạng HH:MM, ví dụ 15:00.", "Cut-off must be HH:MM, e.g. 15:00."),
    "code": ("Mã không đúng định dạng, ví dụ H29.12.3-260302-0001.", "Malformed code."),
    "ma": ("Mã hồ sơ không đúng định dạng, ví dụ H29.12.3-260302-0001.", "Malformed dossier code."),
    "h": ("Mã xác thực phải gồm 64 ký tự thập lục phân.", "h must be 64 hex digits."),
    "sha256": ("SHA-256 phải gồm 64 ký tự thập lục phân.", "sha256 must be 64 hex digits."),
    "agency": ("Mã cơ quan không đúng định dạng, ví dụ H29.12.3.", "Malformed agency code."),
}


def _path(loc: tuple[object, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


PAGE_TITLES = {  # N_ marks them for the catalog; error_page translates them
    404: (N_("Không tìm thấy trang"), "Page not found"),
    403: (N_("Không có quyền truy cập"), "Access refused"),
    401: (N_("Cần đăng nhập"), "Sign-in required"),
    409: (N_("Hồ sơ vừa thay đổi"), "The dossier has just changed"),
    422: (N_("Dữ liệu chưa hợp lệ"), "The input is not valid"),
    429: (N_("Quá nhiều yêu cầu"), "Too many requests"),
    503: (N_("Dịch vụ tạm thời chưa sẵn sàng"), "Service temporarily unavailable"),
}


def wants_page(request: Request) -> bool:
    """A person's browser on a page (HTML), not a program on the API (JSON)."""
    path = request.url.path
    if path.startswith("/api/") or path in ("/docs", "/redoc"):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "application/json" not in accept


async def error_page(
    request: Request, status: int, message: str, message_en: str, fields: dict[str, object] | None = None
) -> Response:
    """The Vietnamese HTML page for an error (English beside it), in the portal's layout."""
    from portal.i18n import gettext  # noqa: PLC0415 — pages import this module
    from portal.web import render  # noqa: PLC0415

    title_vi, title_en = PAGE_TITLES.get(status, (N_("Đã có lỗi xảy ra"), "Something went wrong"))
    context = {
        "title": gettext(title_vi),
        "message": message,
        "message_en": message_en,
        "title_en": title_en,
        "fields": fields or {},
    }
    return await run_in_threadpool(render, request, "error.html", context, status_code=status)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    from portal.web import LoginRequired  # noqa: PLC0415

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        status = status_of(exc)
        if status == 500 or exc.code == "ScriptLimitExceeded":
            log.error("workflow error: %s", exc.message_en)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status == 503:
            headers = {"Retry-After": "30"}
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        if wants_page(request):
            page = await error_page(request, status, exc.message, exc.message_en, dict(exc.fields))
            if isinstance(exc, TooManyRequests):
                page.headers["Retry-After"] = str(exc.retry_after)
            return page
        return JSONResponse(exc.as_dict(), status_code=status, headers=headers)

    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote  # noqa: PLC0415

        return RedirectResponse(f"/dang-nhap?next={quote(exc.next_url, safe='/')}", 303)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return await http_error(request, exc)

    app.exception_handler(RequestValidationError)(validation_error)


async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 in the project's error shape, one message per field, Vietnamese with English."""
    fields: dict[str, dict[str, str]] = {}
    for err in exc.errors():
        vi, en = PYDANTIC_MESSAGES.get(err["type"], ("Giá trị không hợp lệ.", str(err.get("msg", "Invalid"))))
        context = err.get("ctx") or {}
        if "{" in vi:
            vi, en = vi.format(**context), en.format(**context)
        expected = context.get("expected")
        if err["type"] in ("enum", "literal_error") and expected:
            vi = f"Giá trị phải là một trong: {str(expected).replace(' or ', ', ')}."
            en = f"Value must be one of: {expected}."
        # A JSON syntax error is located by character offset, which names no field.
        path = "body" if err["type"] == "json_invalid" else _path(tuple(err["loc"]))
        if err["type"] == "string_pattern_mismatch" and path in PATTERN_MESSAGES:
            vi, en = PATTERN_MESSAGES[path]
        if err["type"] == "string_too_long" and isinstance(err.get("input"), str):
            said = limits.too_long(int(context["max_length"]), len(err["input"]))
            vi, en = said.message, said.message_en
        fields[path] = {"message": vi, "message_en": en}
    body = {
        "error": "InvalidInput",
        "message": "Dữ liệu gửi lên chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu.",
        "message_en": "The request is invalid; see the marked fields.",
        "fields": fields,
    }
    return JSONResponse(body, status_code=422)


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Routing errors: an unknown page is the Vietnamese HTML 404 page; the API answers in its JSON shape."""
    if exc.status_code == 404 and wants_page(request):
        return await error_page(
            request,
            404,
            "Không tìm thấy trang bạn yêu cầu. Có thể đường dẫn đã thay đổi hoặc bị gõ nhầm.",
            "The page you asked for was not found. The address may have changed or been mistyped.",
        )
    if exc.status_code == 404:
        body = {
            "error": "NotFound",
            "message": "Không tìm thấy tài nguyên.",
            "message_en": "Not found.",
            "fields": {},
        }
        return JSONResponse(body, status_code=404)
    if exc.status_code == 405:  # noqa: PLR2004
        return method_not_allowed(request)
    detail = str(exc.detail)
    return JSONResponse(
        {"error": "HttpError", "message": detail, "message_en": detail, "fields": {}},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers on this request's path (routes share paths: GET and POST
    /verify are two routes, and Starlette's own 405 names only the first one's)."""
    methods = set()
    for method in METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            methods.add(method)
    return sorted(methods)


def method_not_allowed(request: Request) -> JSONResponse:
    """405 in the project's error shape, `Allow` listing every method of the path."""
    allow = allowed_methods(request)
    body = {
        "error": "MethodNotAllowed",
        "message": f"Phương thức {request.method} không được hỗ trợ ở đây; dùng: {', '.join(allow)}.",
        "message_en": f"Method {request.method} is not allowed here; use: {', '.join(allow)}.",
        "fields": {},
    }
    return JSONResponse(body, status_code=405, headers={"Allow": ", ".join(allow)})
