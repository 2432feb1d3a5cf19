"""QR codes for printed documents: one pixel per module, printed without smoothing (`image-rendering:
pixelated` in the stylesheet), so the modules stay sharp at any print or scan resolution."""

from __future__ import annotations

from functools import lru_cache

import segno


@lru_cache(maxsize=4096)
def qr_data_uri(url: str) -> str:
    """A PNG data URI of a QR code (error correction M, quiet zone of 4 modules, one pixel per module).

    A bitmap costs WeasyPrint one image instead of hundreds of SVG path segments to lay out and draw.
    """
    code = segno.make(url, error="m", micro=False)
    uri: str = code.png_data_uri(scale=1, border=4, dark="#000", light="#fff")
    return uri
