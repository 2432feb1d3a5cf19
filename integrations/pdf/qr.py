"""QR codes for printed documents: a small PNG (4 pixels per module) drawn without interpolation
(`image-rendering: pixelated` in documents.css, /Interpolate false in the PDF), so every module prints as a
sharp square at any resolution.

A 1-bit PNG of about 200 × 200 pixels costs WeasyPrint little to embed, where the same code as an SVG path (a
few hundred drawing commands parsed and drawn in Python) cost about 8 % of a document's rendering. Four
pixels per module rather than one: rasterisers that smooth scaled images anyway (poppler) keep the modules
sharp enough to decode at 200 dpi.
"""

from __future__ import annotations

from functools import lru_cache

import segno


@lru_cache(maxsize=4096)
def qr_data_uri(url: str) -> str:
    """A PNG data URI of a QR code (error correction M, quiet zone of 4 modules), four pixels per module."""
    code = segno.make(url, error="m", micro=False)
    uri: str = code.png_data_uri(scale=4, border=4, dark="#000", light="#fff")
    return uri
