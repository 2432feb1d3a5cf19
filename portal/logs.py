"""Logging of MotCua's processes (serve, worker and its helpers, CLI jobs): one format, INFO and up.

WeasyPrint logs seven INFO lines per rendered document ("Step 1 - Fetching and parsing HTML", ...) and
fontTools one per subset font: at the worker's pace that floods the log with nothing an operator can act on,
so those libraries log their warnings and errors only.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("weasyprint", "fontTools")


def configure() -> None:
    """INFO and up to stderr in MotCua's format; the PDF libraries' progress lines left out."""
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
