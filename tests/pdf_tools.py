"""Read PDFs back as a person's tools do: poppler-utils (pdftotext, pdfinfo, pdftoppm) and zbar (zbarimg).

Each is a Debian package installed by `.ci/system-deps.sh`; a missing tool fails the test loudly.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

A5 = (419.528, 595.276)  # points, portrait
A4_LANDSCAPE = (841.89, 595.276)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(
            f"`{name}` is not installed: run `make system-deps` (Debian packages poppler-utils, zbar-tools)."
        )
    return path


def _run(args: list[str], pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        done = subprocess.run(
            [_tool(args[0]), *args[1:], str(source), "-"], capture_output=True, check=True, timeout=60
        )
        return done.stdout.decode("utf-8")


def text(pdf: bytes) -> str:
    """The text a reader selects or searches (pdftotext), with runs of white space folded to one space."""
    return " ".join(_run(["pdftotext", "-enc", "UTF-8"], pdf).split())


def rows(pdf: bytes) -> list[str]:
    """The lines of the physical layout (`pdftotext -layout`), white space folded: a table row per line."""
    return [
        " ".join(line.split()) for line in _run(["pdftotext", "-layout", "-enc", "UTF-8"], pdf).splitlines()
    ]


def info(pdf: bytes) -> dict[str, str]:
    """`pdfinfo` fields (Pages, Page size, Tagged, Title, ...)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        out = subprocess.run([_tool("pdfinfo"), str(source)], capture_output=True, check=True, timeout=60)
    fields = {}
    for line in out.stdout.decode("utf-8").splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def xmp(pdf: bytes) -> str:
    """The XMP metadata packet (`pdfinfo -meta`): PDF/A identification lives there."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        out = subprocess.run(
            [_tool("pdfinfo"), "-meta", str(source)], capture_output=True, check=True, timeout=60
        )
    return out.stdout.decode("utf-8")


def fonts(pdf: bytes) -> list[str]:
    """Embedded font names (`pdffonts`, rows whose `emb` column says yes)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        out = subprocess.run([_tool("pdffonts"), str(source)], capture_output=True, check=True, timeout=60)
    names = []
    for line in out.stdout.decode("utf-8").splitlines()[2:]:
        parts = line.split()
        if len(parts) >= 5 and "yes" in parts[-5:-2]:
            names.append(parts[0])
    return names


def page_size(pdf: bytes) -> tuple[float, float]:
    """Width and height of the first page in points."""
    size = info(pdf)["Page size"].split()
    return float(size[0]), float(size[2])


def qr_codes(pdf: bytes, dpi: int = 200) -> list[str]:
    """Every QR code on the first page, decoded by zbarimg from a pdftoppm rasterisation."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [_tool("pdftoppm"), "-r", str(dpi), "-f", "1", "-l", "1", "-png", str(source), f"{folder}/page"],
            check=True,
            timeout=60,
        )
        page = next(Path(folder).glob("page*.png"))
        done = subprocess.run(
            [_tool("zbarimg"), "--quiet", "--raw", str(page)], capture_output=True, check=False, timeout=60
        )
    return [line for line in done.stdout.decode("utf-8").splitlines() if line]
