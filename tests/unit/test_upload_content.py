"""An upload's content alone: its type from the bytes, images re-encoded, names made safe, files stored."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from engine.errors import InvalidInput
from engine.store.files import FileStore
from engine.upload import JPEG, PDF, PNG, UploadTooLarge, check_content, safe_name, sniff
from tests.upload_builders import exe, jpeg, pdf, png, read_exif


class TestSniffing:
    @pytest.mark.parametrize(("data", "mime"), [(pdf(), PDF), (jpeg(), JPEG), (png(), PNG), (exe(), None)])
    def test_the_type_is_read_from_the_first_bytes(self, data: bytes, mime: str | None) -> None:
        assert sniff(data) == mime

    def test_html_or_svg_is_no_accepted_type(self) -> None:
        assert sniff(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>") is None
        assert sniff(b"<!doctype html><p>%PDF-") is None


class TestCheckedContent:
    def test_a_program_is_refused_whatever_it_is_called(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            check_content(exe(), 1024 * 1024)

        assert caught.value.code == "UploadType"
        assert "file" in caught.value.fields

    def test_over_the_limit_is_refused_by_size(self) -> None:
        with pytest.raises(UploadTooLarge):
            check_content(pdf(padding=2000), 1024)

    def test_a_photo_keeps_its_pixels_and_loses_its_exif(self) -> None:
        checked = check_content(jpeg(size=(120, 80)), 1024 * 1024)

        assert checked.mime == JPEG
        assert read_exif(checked.data) == {}
        with Image.open(io.BytesIO(checked.data)) as image:
            assert image.size == (120, 80)

    def test_bytes_hidden_after_the_image_are_dropped(self) -> None:
        smuggled = png(with_exif=False) + b"<script>alert(1)</script>"

        assert b"<script>" not in check_content(smuggled, 1024 * 1024).data

    def test_a_decompression_bomb_is_refused(self) -> None:
        out = io.BytesIO()
        Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 megapixels in a few kilobytes
        assert len(out.getvalue()) < 100_000

        with pytest.raises(InvalidInput):
            check_content(out.getvalue(), 1024 * 1024)


class TestSafeNames:
    @pytest.mark.parametrize(
        ("name", "mime", "shown"),
        [
            ("giay-to.pdf", PNG, "giay-to.png"),
            ("../../etc/passwd", PDF, "passwd.pdf"),
            ("C:\\Users\\An\\Sổ đỏ.jpeg", JPEG, "Sổ đỏ.jpg"),
            ('a"b<c>\r\nd.pdf', PDF, "a_b_c_d.pdf"),
            ("", PDF, "tep-dinh-kem.pdf"),
            (None, PNG, "tep-dinh-kem.png"),
            ("x" * 300 + ".pdf", PDF, "x" * 95 + ".pdf"),
        ],
    )
    def test_a_name_is_shown_without_paths_or_odd_characters(
        self, name: str | None, mime: str, shown: str
    ) -> None:
        assert safe_name(name, mime) == shown

    def test_decomposed_vietnamese_is_kept_composed(self) -> None:
        assert safe_name("Nu\u0303.pdf", PDF) == "Nũ.pdf"


class TestFileStore:
    def test_the_same_bytes_are_one_file_named_by_their_hash(self, tmp_path: Path) -> None:
        store = FileStore(tmp_path / "uploads")

        first, second = store.put(b"%PDF-1.4 a"), store.put(b"%PDF-1.4 a")

        assert first == second
        assert store.read(first) == b"%PDF-1.4 a"
        assert [p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file()] == [first]

    def test_a_path_is_only_ever_made_from_a_hash(self, tmp_path: Path) -> None:
        store = FileStore(tmp_path)

        with pytest.raises(ValueError, match="SHA-256"):
            store.path("../../etc/passwd")
