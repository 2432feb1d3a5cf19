"""The engine's `DocumentRenderer` on Jinja2 + WeasyPrint: `forms/documents/<template>` → PDF bytes.

Deterministic: the PDF's dates come from the document's own issue time, its file identifier from the content
hash, and nothing reads the clock, so the same document always renders to the same bytes. WeasyPrint is
imported lazily (it loads Pango) and used by one thread at a time.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from engine.document.kinds import RenderSource
from integrations.pdf.qr import qr_data_uri

COPIES = {
    "original": "Bản chính",
    "certified_copy": "Bản sao có chứng thực",
    "photocopy": "Bản sao (bản chụp)",
}
PLACE_PREFIXES = ("UBND ", "Ủy ban nhân dân ", "Uỷ ban nhân dân ")
PLACE_UNITS = ("phường ", "xã ", "thị trấn ", "đặc khu ", "quận ", "huyện ", "thị xã ", "tỉnh ", "thành phố ")


def _moment(value: str | None) -> datetime | date | None:
    if not value:
        return None
    if "T" in value:
        return datetime.fromisoformat(value)
    return date.fromisoformat(value)


def dmy(value: str | None) -> str:
    """ISO date or local time → dd/mm/yyyy."""
    moment = _moment(value)
    return f"{moment:%d/%m/%Y}" if moment else ""


def at(value: str | None) -> str:
    """Local ISO time → 'HH:MM ngày dd/mm/yyyy' (24-hour), as Vietnamese documents write it."""
    moment = _moment(value)
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return f"{moment:%H:%M} ngày {moment:%d/%m/%Y}"
    return f"{moment:%d/%m/%Y}"


def date_words(value: str | None) -> str:
    """'ngày 02 tháng 03 năm 2026' for the place-and-date line."""
    moment = _moment(value)
    return f"ngày {moment:%d} tháng {moment:%m} năm {moment:%Y}" if moment else ""


def num2(value: int | None) -> str:
    """Numbers from 01, as registers and forms print them."""
    return "" if value is None else f"{int(value):02d}"


def place(agency_name: str) -> str:
    """The place name of the date line, from an agency name: 'UBND phường Ba Đình' → 'Ba Đình'."""
    name = agency_name
    for prefix in PLACE_PREFIXES:
        name = name.removeprefix(prefix)
    for unit in PLACE_UNITS:
        if name.lower().startswith(unit):
            return name[len(unit) :]
    return name


def copies(value: str) -> str:
    """Form of a paper: original, certified copy, photocopy."""
    return COPIES.get(value, value)


class WeasyRenderer:
    """Renders documents from `templates_dir` (forms/documents); links in QR codes start at `public_url`."""

    def __init__(self, templates_dir: Path, public_url: str, variant: str | None = "pdf/a-3a") -> None:
        self.templates_dir = templates_dir
        self.public_url = public_url.rstrip("/")
        self.variant = variant or None
        self.env = Environment(
            loader=FileSystemLoader(templates_dir),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            {"dmy": dmy, "at": at, "date_words": date_words, "num2": num2, "place": place, "copies": copies}
        )
        self.env.globals["qr"] = qr_data_uri
        self._lock = threading.Lock()
        self._css: Any = None
        self._fonts: Any = None

    def tracking_url(self, code: str, access_key: str | None = None) -> str:
        """The public tracking page of a dossier (the receipt's QR): code and access key, one scan."""
        query = {"ma": code, "k": access_key} if access_key else {"ma": code}
        return f"{self.public_url}/tra-cuu?{urlencode(query)}"

    def verify_url(self, code: str, content_hash: str) -> str:
        """The public verification page of a document (the QR of results and stop notices)."""
        return f"{self.public_url}/xac-minh?{urlencode({'ma': code, 'h': content_hash})}"

    def html(self, source: RenderSource) -> str:
        """The document as HTML (what WeasyPrint lays out)."""
        context: dict[str, Any] = dict(source.data)
        context["document_hash"] = source.content_hash
        context["verify_page"] = f"{self.public_url}/xac-minh"
        dossier = source.data.get("dossier")
        if isinstance(dossier, dict):
            context["tracking_url"] = self.tracking_url(dossier["code"], dossier.get("access_key"))
            context["verify_url"] = self.verify_url(dossier["code"], source.content_hash)
        return self.env.get_template(source.template).render(context)

    def render(self, source: RenderSource) -> bytes:
        """The PDF (PDF/A-3a by default: archival and tagged); the same source gives the same bytes."""
        html = self.html(source)
        with self._lock:
            from weasyprint import CSS, HTML
            from weasyprint.text.fonts import FontConfiguration

            if self._css is None:
                self._fonts = FontConfiguration()
                self._css = CSS(filename=str(self.templates_dir / "documents.css"), font_config=self._fonts)
            pdf: bytes = HTML(string=html, base_url=str(self.templates_dir)).write_pdf(
                stylesheets=[self._css],
                font_config=self._fonts,
                pdf_variant=self.variant,
                pdf_identifier=source.content_hash[:32].encode("ascii"),
                uncompressed_pdf=False,
            )
        return pdf
