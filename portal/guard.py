"""The door every request body passes: size caps (413), JSON depth, clean Unicode text, one error shape.

A pure ASGI middleware in front of the app. For a request with a body it
- refuses a body larger than its cap with 413 (by `Content-Length` before reading, or while reading);
- for JSON: refuses bytes that are not UTF-8, JSON nested deeper than `MAX_DEPTH`, text holding NUL or a lone
  surrogate (`"\\ud800"`), and a body that is not JSON at all — each as 422 in the project's
  `{error, message, message_en, fields}` shape, the field named by its path — and hands the app the same JSON
  with every string (keys too) normalised to Unicode NFC, so "Nữ" typed in NFD is the same "Nữ" as NFC;
- leaves forms to the pages' own reader (`portal/web.py`), which applies the same text rules per field.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from engine import limits

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_DEPTH = 32
JSON_CAP = 1024 * 1024  # 1 MiB: a filing with its whole e-form is a few kilobytes
FORM_CAP = 1024 * 1024
MULTIPART_CAP = 64 * 1024 * 1024  # uploads have their own per-file cap; this bounds the whole request
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyRefused(Exception):
    """A body the guard will not hand to the app."""

    def __init__(
        self, status: int, code: str, message: str, message_en: str, field: str | None = None
    ) -> None:
        super().__init__(message_en)
        self.status, self.code, self.message, self.message_en, self.field = (
            status,
            code,
            message,
            message_en,
            field,
        )


def clean_text(value: str, where: str, limit: int = limits.TEXT) -> str:
    """NFC text, or BodyRefused when it holds NUL or a lone surrogate or is longer than `limit`."""
    if len(value) > limit:
        raise BodyRefused(
            422,
            "InvalidInput",
            f"Văn bản quá dài (tối đa {limit} ký tự).",
            f"Text too long (at most {limit} characters).",
            where,
        )
    if "\x00" in value:
        raise BodyRefused(
            422,
            "InvalidInput",
            "Văn bản không được chứa ký tự rỗng (NUL).",
            "Text must not contain NUL characters.",
            where,
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BodyRefused(
            422,
            "InvalidInput",
            "Văn bản chứa ký tự Unicode không hợp lệ (nửa cặp thay thế).",
            "Text contains an invalid Unicode character (a lone surrogate).",
            where,
        ) from exc
    return unicodedata.normalize("NFC", value)


def json_depth(raw: str) -> int:
    """How deeply objects and arrays nest in JSON text (strings skipped), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def clean_json(value: Any, where: str = "") -> Any:
    """The same JSON value with every string NFC-normalised; BodyRefused at the first bad string."""
    if isinstance(value, str):
        return clean_text(value, where or "body")
    if isinstance(value, list):
        return [clean_json(item, _path(where, i)) for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = clean_text(key, _path(where, key) if isinstance(key, str) else where)
            out[name] = clean_json(item, _path(where, name))
        return out
    return value


def check_json(body: bytes) -> bytes:
    """The body the app gets: valid, shallow, clean JSON re-encoded as UTF-8 (or BodyRefused)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRefused(
            422,
            "InvalidInput",
            "Nội dung gửi lên không phải văn bản UTF-8 hợp lệ.",
            "The request body is not valid UTF-8.",
            "body",
        ) from exc
    if json_depth(text) > MAX_DEPTH:
        raise BodyRefused(
            422,
            "InvalidInput",
            f"Dữ liệu JSON lồng nhau quá sâu (tối đa {MAX_DEPTH} cấp).",
            f"The JSON is nested too deeply (at most {MAX_DEPTH} levels).",
            "body",
        )
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise BodyRefused(
            422,
            "InvalidInput",
            "Nội dung gửi lên không phải JSON hợp lệ.",
            "The body is not valid JSON.",
            "body",
        ) from exc
    return json.dumps(clean_json(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _cap(content_type: str) -> int:
    if content_type.startswith(("multipart/", "application/pdf", "application/octet-stream")):
        return MULTIPART_CAP  # a file sent whole (POST /verify): the route applies its own, smaller cap
    if content_type.startswith("application/x-www-form-urlencoded"):
        return FORM_CAP
    return JSON_CAP


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip()
    return kind == "application/json" or kind.endswith("+json")


class BodyGuard:
    """ASGI middleware: caps and cleans request bodies before the app reads them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read and check the body of a write; replay it to the app."""
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        content_type = headers.get("content-type", "").lower()
        cap = _cap(content_type)
        try:
            declared = int(headers.get("content-length", "0") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > cap:
                raise _too_large(cap)
            body, more = await _read(receive, cap)
            if _is_json(content_type) and body.strip():
                body = check_json(body)
        except BodyRefused as refused:
            await _refuse(scope, send, refused)
            return
        await self.app(scope, _replay(body, more), send)


async def _read(receive: Receive, cap: int) -> tuple[bytes, list[Message]]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), [message]
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            raise _too_large(cap)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), []


def _too_large(cap: int) -> BodyRefused:
    mib = cap / (1024 * 1024)
    return BodyRefused(
        413,
        "PayloadTooLarge",
        f"Dữ liệu gửi lên quá lớn (tối đa {mib:g} MiB).",
        f"The request body is too large (at most {mib:g} MiB).",
    )


def _replay(body: bytes, tail: list[Message]) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if tail:
            return tail.pop(0)
        return {"type": "http.disconnect"}

    return receive


async def _refuse(scope: Scope, send: Send, refused: BodyRefused) -> None:
    fields = (
        {refused.field: {"message": refused.message, "message_en": refused.message_en}}
        if refused.field
        else {}
    )
    payload = {
        "error": refused.code,
        "message": refused.message,
        "message_en": refused.message_en,
        "fields": fields,
    }
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": refused.status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
