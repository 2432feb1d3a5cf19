"""The documents the engine issues, their numbering series and the port through which they become PDFs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol


class DocumentKind(StrEnum):
    """Kinds of printed documents; the value names the template in `forms/documents/`."""

    RECEIPT = "mau-01"  # Giấy tiếp nhận hồ sơ và hẹn trả kết quả
    SUPPLEMENT_REQUEST = "mau-02"  # Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ
    REFUSAL = "mau-03"  # Phiếu từ chối tiếp nhận giải quyết hồ sơ
    APOLOGY = "mau-04"  # Phiếu xin lỗi và hẹn lại ngày trả kết quả
    CONTROL_SHEET = "mau-05"  # Phiếu kiểm soát quá trình giải quyết hồ sơ
    REGISTER = "mau-06"  # Sổ theo dõi hồ sơ
    STOP_NOTICE = "stop-notice"  # Thông báo dừng giải quyết hồ sơ
    RESULT = "result"  # Kết quả giải quyết thủ tục hành chính

    @property
    def heading(self) -> str:
        """The document's Vietnamese title."""
        return TITLES[self]

    @property
    def verifiable(self) -> bool:
        """Carries a verification QR (results and stop notices, docs/domain.md §7)."""
        return self in (DocumentKind.RESULT, DocumentKind.STOP_NOTICE)


TITLES: dict[DocumentKind, str] = {
    DocumentKind.RECEIPT: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    DocumentKind.SUPPLEMENT_REQUEST: "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    DocumentKind.REFUSAL: "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    DocumentKind.APOLOGY: "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    DocumentKind.CONTROL_SHEET: "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    DocumentKind.REGISTER: "Sổ theo dõi hồ sơ",
    DocumentKind.STOP_NOTICE: "Thông báo dừng giải quyết hồ sơ",
    DocumentKind.RESULT: "Kết quả giải quyết thủ tục hành chính",
}

# The register's own series: its entry number is also the receipt's "số vào sổ".
REGISTER_SERIES = "register"


class DocumentStatus(StrEnum):
    """Where a document stands: its data is recorded, then its PDF is rendered."""

    PENDING = "pending"
    RENDERED = "rendered"
    FAILED = "failed"  # every attempt failed; a download tries once more


def content_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a document's data: printed in its verification QR."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RenderSource:
    """Everything a renderer may use: the same source always gives the same bytes."""

    kind: DocumentKind
    template: str  # path under forms/documents/, e.g. "mau-01.html", "results/birth-registration.html"
    data: dict[str, Any]
    content_hash: str


class DocumentRenderer(Protocol):
    """Turns a document's recorded data into a PDF (WeasyPrint in integrations/pdf, a fake in tests)."""

    def render(self, source: RenderSource) -> bytes:
        """The PDF bytes; deterministic for a given source."""
        ...


@dataclass(frozen=True)
class Signature:
    """A detached signature over a PDF's SHA-256 by an agency's key."""

    algorithm: str  # e.g. "ed25519"
    key_id: str  # fingerprint of the public key
    value: str  # base64


class DocumentSigner(Protocol):
    """Signs result documents with the key configured for their agency (none configured: no signature)."""

    def sign(self, agency_code: str, sha256: str) -> Signature | None:
        """Sign the PDF's SHA-256 (hex) with the agency's key, or None when the agency has no key."""
        ...

    def verify(self, agency_code: str, sha256: str, signature: Signature) -> bool:
        """True when the signature is the agency's over that SHA-256."""
        ...


GENERIC_RESULT = "results/_chung.html"
"""The result of an approved dossier whose procedure has no template of its own (e.g. one made in the
administrators' workshop, which authors no templates): the procedure, the applicant, the decision, the
legal basis."""


def result_template(documents: Path, slug: str) -> str | None:
    """The template (under forms/documents/) an approved dossier's result is printed with: the procedure's own
    `results/<slug>.html`, else the generic one; None when neither is there."""
    for template in (f"results/{slug}.html", GENERIC_RESULT):
        if (documents / template).is_file():
            return template
    return None
