"""Files for upload tests: real images (with EXIF to strip), a tiny PDF, a program dressed as a PDF."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image

GPS_IFD = 0x8825
MAKE = 0x010F


def exif_bytes() -> bytes:
    """EXIF naming the camera and where the photo was taken (what must never leave the citizen's phone)."""
    exif = Image.Exif()
    exif[MAKE] = "MotCua Test Camera"
    exif[GPS_IFD] = {1: "N", 2: (21.0, 2.0, 0.0), 3: "E", 4: (105.0, 50.0, 0.0)}
    return exif.tobytes()


def jpeg(with_exif: bool = True, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small JPEG photo, with GPS and camera EXIF by default."""
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs: dict[str, Any] = {"exif": exif_bytes()} if with_exif else {}
    image.save(out, format="JPEG", **kwargs)
    return out.getvalue()


def png(with_exif: bool = True) -> bytes:
    """A small PNG scan, with an EXIF chunk by default."""
    out = io.BytesIO()
    kwargs: dict[str, Any] = {"exif": exif_bytes()} if with_exif else {}
    Image.new("RGB", (40, 40), (20, 120, 200)).save(out, format="PNG", **kwargs)
    return out.getvalue()


def pdf(padding: int = 0) -> bytes:
    """A minimal one-page PDF (optionally padded to a given size)."""
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return body + b"%" * padding


def exe() -> bytes:
    """A Windows program's first bytes."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def read_exif(data: bytes) -> dict[int, Any]:
    """The EXIF tags Pillow finds in an image."""
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif())


def post_upload(
    client: TestClient, headers: dict[str, str], data: bytes, name: str, content_type: str = "application/pdf"
) -> Response:
    """POST /api/v1/uploads with one file (the browser's Content-Type is whatever the test says)."""
    return client.post("/api/v1/uploads", headers=headers, files={"file": (name, data, content_type)})
