"""The PDF renderer (WeasyPrint) and its fake honour one contract; the real one prints what a person reads.

Sources are snapshots the engine recorded for a real dossier (tests/fixtures/documents/*.json).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from engine.document.kinds import DocumentKind, DocumentRenderer, RenderSource, content_hash
from integrations.pdf.fake import FakeRenderer
from integrations.pdf.renderer import WeasyRenderer
from portal.settings import ROOT
from tests import pdf_tools

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "documents"
TEMPLATES = ROOT / "forms" / "documents"
PUBLIC = "https://dichvucong.example.vn"


def sample(name: str, **changes: Any) -> RenderSource:
    """A recorded document, with top-level data entries replaced."""
    raw = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    data = {**raw["data"], **changes}
    return RenderSource(DocumentKind(raw["kind"]), raw["template"], data, content_hash(data))


def register_of(lines: int) -> RenderSource:
    """The register with `lines` entries (the recorded line repeated with its own number and code)."""
    base = json.loads((SAMPLES / "register.json").read_text(encoding="utf-8"))["data"]
    line = base["lines"][0]
    rows = [
        {**copy.deepcopy(line), "number": n, "code": f"H29.12.3-260302-{n:04d}"} for n in range(1, lines + 1)
    ]
    data = {**base, "lines": rows}
    return RenderSource(DocumentKind.REGISTER, "mau-06.html", data, content_hash(data))


@pytest.fixture(scope="module")
def weasy() -> WeasyRenderer:
    """The real renderer (PDF/A-3a), built once: WeasyPrint's first render loads fonts."""
    return WeasyRenderer(TEMPLATES, PUBLIC, "pdf/a-3a")


@pytest.fixture(params=["fake", "weasyprint"])
def renderer(request: pytest.FixtureRequest, weasy: WeasyRenderer) -> DocumentRenderer:
    """Each adapter of the engine's DocumentRenderer port."""
    return FakeRenderer() if request.param == "fake" else weasy


class TestContract:
    def test_the_same_source_gives_the_same_bytes(self, renderer: DocumentRenderer) -> None:
        assert renderer.render(sample("receipt")) == renderer.render(sample("receipt"))

    def test_other_data_gives_other_bytes(self, renderer: DocumentRenderer) -> None:
        other = sample("receipt", officer="Nguyễn Thị Lan")

        assert renderer.render(other) != renderer.render(sample("receipt"))

    def test_it_is_a_pdf(self, renderer: DocumentRenderer) -> None:
        assert renderer.render(sample("receipt")).startswith(b"%PDF-")


class TestWeasyPrint:
    def test_text_is_real_vietnamese_text_with_dates_as_dd_mm_yyyy(self, weasy: WeasyRenderer) -> None:
        pdf = weasy.render(sample("receipt"))

        text = pdf_tools.text(pdf)
        assert "Thời gian trả kết quả giải quyết hồ sơ: 09:30 ngày 11/03/2026" in text
        assert "Độc lập - Tự do - Hạnh phúc" in text
        assert "Ba Đình, ngày 02 tháng 03 năm 2026" in text
        fonts = pdf_tools.fonts(pdf)
        assert any("Liberation-Serif" in f for f in fonts), fonts  # embedded, not drawn as images

    def test_pdf_a_3a_is_archival_and_tagged(self, weasy: WeasyRenderer) -> None:
        pdf = weasy.render(sample("result-permanent-residence"))

        assert pdf_tools.info(pdf)["Tagged"] == "yes"
        xmp = pdf_tools.xmp(pdf)
        assert "<pdfaid:part>3</pdfaid:part>" in xmp or 'pdfaid:part="3"' in xmp
        assert "conformance" in xmp

    def test_plain_pdf_when_no_variant_is_configured(self) -> None:
        plain = WeasyRenderer(TEMPLATES, PUBLIC, "").render(sample("receipt"))

        assert pdf_tools.info(plain)["Tagged"] == "no"
        assert "Mã hồ sơ: H29.12.3-260302-0001" in pdf_tools.text(plain)

    def test_qr_links_start_at_the_public_url(self, weasy: WeasyRenderer) -> None:
        receipt = pdf_tools.qr_codes(weasy.render(sample("receipt")))
        result_source = sample("result-permanent-residence")
        result = pdf_tools.qr_codes(weasy.render(result_source))

        assert receipt == [f"{PUBLIC}/tra-cuu?ma=H29.12.3-260302-0001"]
        assert result == [f"{PUBLIC}/xac-minh?ma=H29.12.3-260302-0001&h={result_source.content_hash}"]

    def test_data_is_printed_as_text_never_as_markup(self, weasy: WeasyRenderer) -> None:
        source = sample("receipt", officer="<b>Lê</b> & <script>x</script>")

        assert "<b>Lê</b> & <script>x</script>" in pdf_tools.text(weasy.render(source))

    def test_a_hundred_line_register_is_a4_landscape_numbered_from_01(self, weasy: WeasyRenderer) -> None:
        pdf = weasy.render(register_of(100))

        assert pdf_tools.page_size(pdf) == pytest.approx(pdf_tools.A4_LANDSCAPE, abs=0.5)
        assert int(pdf_tools.info(pdf)["Pages"]) > 1
        rows = pdf_tools.rows(pdf)
        assert any(r.startswith("01 H29.12.3-260302-0001 ") for r in rows)
        assert any(r.startswith("100 H29.12.3-260302-0100 ") for r in rows)
        assert "Sổ gồm 100 hồ sơ, đánh số liên tục từ 01 trong năm 2026." in pdf_tools.text(pdf)

    def test_missing_data_is_an_error_not_a_blank(self, weasy: WeasyRenderer) -> None:
        source = sample("receipt")
        broken = RenderSource(
            source.kind, source.template, {k: v for k, v in source.data.items() if k != "papers"}, "0" * 64
        )

        with pytest.raises(Exception, match="papers"):
            weasy.render(broken)
