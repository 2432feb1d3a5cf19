"""QR codes for printed documents: vector (SVG) so they stay sharp at any print resolution."""

from __future__ import annotations

from functools import lru_cache

import segno


@lru_cache(maxsize=4096)
def qr_data_uri(url: str) -> str:
    """An SVG data URI of a QR code (error correction M, quiet zone of 4 modules)."""
    code = segno.make(url, error="m", micro=False)
    uri: str = code.svg_data_uri(scale=4, border=4, dark="#000", light="#fff")
    return uri
