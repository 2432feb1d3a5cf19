"""`motcua documents keygen|render`, run the way an operator runs them."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.builders import Api
from tests.integration.test_documents import the
from tests.integration.test_worker_cli import Cli, cli  # noqa: F401  (the fixture)


def test_keygen_writes_one_key_per_agency_and_never_overwrites_it(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    keys = tmp_path / "keys"

    first = cli("documents", "keygen", "--agency", "H29.12.3", MOTCUA_PDF_SIGNING_KEYS_DIR=str(keys))
    again = cli("documents", "keygen", "--agency", "H29.12.3", MOTCUA_PDF_SIGNING_KEYS_DIR=str(keys))
    bad = cli("documents", "keygen", "--agency", "ba dinh", MOTCUA_PDF_SIGNING_KEYS_DIR=str(keys))

    assert first.exit_code == 0, first.output
    assert "-----BEGIN PUBLIC KEY-----" in first.output
    key = serialization.load_pem_private_key((keys / "H29.12.3.pem").read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    assert (keys / "H29.12.3.pem").stat().st_mode & 0o777 == 0o600
    assert again.exit_code == 1
    assert "không ghi đè" in again.output
    assert bad.exit_code == 2
    assert "Mã định danh cơ quan không hợp lệ" in bad.output


def test_keygen_needs_a_folder(cli: Cli) -> None:  # noqa: F811
    result = cli("documents", "keygen", "--agency", "H29.12.3")

    assert result.exit_code == 2
    assert "MOTCUA_PDF_SIGNING_KEYS_DIR" in result.output


def test_render_makes_every_pending_pdf(cli: Cli, api: Api) -> None:  # noqa: F811
    codes = [api.received(), api.received()]

    result = cli("documents", "render", MOTCUA_PDF_VARIANT="")

    assert result.exit_code == 0, result.output
    assert "Đã tạo 2 tệp PDF" in result.output
    for code in codes:
        assert the(api, code, "mau-01")["status"] == "rendered"
