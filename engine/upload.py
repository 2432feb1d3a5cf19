"""An uploaded paper's content: its type read from the bytes, images re-encoded, a safe name to show.

The type is sniffed from the first bytes, never taken from the file name or the browser's Content-Type: a
PNG named `.pdf` is a PNG, a program renamed `.pdf` is refused. Images are decoded and encoded again, which
drops EXIF (GPS position, camera serial) and anything appended after the image data.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from engine.errors import FieldError, InvalidInput

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
MAX_PIXELS = 40_000_000  # a 40-megapixel scan is generous; more is a decompression bomb
NAME_LIMIT = 100
_UNSAFE = re.compile(r"[^\w\s.()\-]", re.UNICODE)
_SPACES = re.compile(r"\s+")


class UploadTooLarge(InvalidInput):
    """The file is over the size limit (HTTP 413 on the API, a field error on a page)."""

    def __init__(self, limit: int) -> None:
        mib = f"{limit / (1024 * 1024):g}"
        super().__init__(
            f"Tệp vượt quá dung lượng cho phép ({mib} MB).",
            f"The file is larger than the limit ({mib} MB).",
            {"file": FieldError(f"Tệp tối đa {mib} MB.", f"Files may be at most {mib} MB.")},
            code="UploadTooLarge",
        )


def file_error(message: str, message_en: str, code: str = "UploadInvalid") -> InvalidInput:
    """A refused file: the message on the `file` field."""
    return InvalidInput(message, message_en, {"file": FieldError(message, message_en)}, code=code)


def sniff(data: bytes) -> str | None:
    """The MIME type the content shows (PDF, JPEG or PNG), or None for anything else."""
    return next((mime for magic, mime in MAGIC if data.startswith(magic)), None)


@dataclass(frozen=True)
class Checked:
    """A file as it will be stored: its (re-encoded) bytes and its sniffed type."""

    data: bytes
    mime: str


def check_content(data: bytes, limit: int) -> Checked:
    """Refuse empty, oversized or unknown files; re-encode images without their metadata."""
    if not data:
        raise file_error("Tệp rỗng.", "The file is empty.")
    if len(data) > limit:
        raise UploadTooLarge(limit)
    mime = sniff(data)
    if mime is None:
        raise file_error(
            "Chỉ nhận tệp PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp, không theo tên tệp).",
            "Only PDF, JPEG or PNG files are accepted (checked by content, not by name).",
            code="UploadType",
        )
    if mime == PDF:
        return Checked(data, mime)
    clean = reencode(data, mime)
    if len(clean) > limit:
        raise UploadTooLarge(limit)
    return Checked(clean, mime)


def reencode(data: bytes, mime: str) -> bytes:
    """Decode the image and encode it again in the same format: no EXIF, no ICC, no trailing bytes."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise file_error("Ảnh quá lớn.", "The image has too many pixels.")
                image.load()
                upright = ImageOps.exif_transpose(image)
        return _encode(upright, mime)
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise file_error(
            "Tệp ảnh bị hỏng hoặc không đọc được.", "The image is damaged or unreadable."
        ) from exc


def _encode(image: Image.Image, mime: str) -> bytes:
    out = io.BytesIO()
    if mime == JPEG:
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=90, optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
            image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def safe_name(name: str | None, mime: str) -> str:
    """A display name safe to show and to put in a header: no path, no control or odd characters.

    The extension always follows the sniffed type (`scan.pdf` that is a PNG is shown as `scan.png`).
    """
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _SPACES.sub(" ", _UNSAFE.sub("_", stem)).strip(" ._")
    stem = stem[: NAME_LIMIT - 5] or "tep-dinh-kem"
    return stem + EXTENSIONS[mime]
